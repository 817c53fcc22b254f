"""The stat memo (``homeops.cache.stats``): a file whose signature is the recorded one is not read again; any
write to it (even one that keeps its size and puts its modification time back) is seen; a file just written
is not recorded until it has settled; a digest from the memo that the bytes contradict is an error, never a
stale key; a temporary checkout of another ref has no memo."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from homeops.cache.stats import StatMemo
from homeops.cache.store import Store
from homeops.errors import BuildError
from homeops.flux.cluster import ClusterOptions, build_cluster
from homeops.kustomize.files import FileLoader
from homeops.yaml.emitter import dump_documents
from tests.flux.fluxrepos import checkout

DOC = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v1\n"


def _later(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs that start 10 s from now: every file written so far has settled."""
    now = time.time_ns()
    monkeypatch.setattr(time, "time_ns", lambda: now + 10_000_000_000)


def _run(root: Path, cache: Path) -> tuple[FileLoader, StatMemo, str]:
    loader = FileLoader(root)
    memo = StatMemo(Store(cache), "stest")
    loader.stat_memo = memo
    digest = loader.digest(root / "cm.yaml")
    memo.flush()
    return loader, memo, digest


def test_a_recorded_file_is_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _later(monkeypatch)
    (tmp_path / "cm.yaml").write_text(DOC)
    first, _, digest = _run(tmp_path, tmp_path / "cache")
    assert first._bytes  # read,
    assert list((tmp_path / "cache").rglob("stest"))  # recorded and written
    second, _, again = _run(tmp_path, tmp_path / "cache")
    assert again == digest
    assert not second._bytes  # the digest came from the memo: nothing read


def test_a_write_that_keeps_size_and_mtime_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _later(monkeypatch)
    path = tmp_path / "cm.yaml"
    path.write_text(DOC)
    _, _, digest = _run(tmp_path, tmp_path / "cache")
    before = path.stat()
    time.sleep(0.05)  # past the file system's clock granularity
    path.write_text(DOC.replace("v1", "v2"))  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old modification time
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    loader, _, changed = _run(tmp_path, tmp_path / "cache")
    assert changed != digest and loader._bytes  # the change time moved: read again


def test_a_file_just_written_is_not_recorded(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text(DOC)  # written now: not settled for a run starting now
    _run(tmp_path, tmp_path / "cache")
    second, _, _ = _run(tmp_path, tmp_path / "cache")
    assert second._bytes  # read again
    assert not list((tmp_path / "cache").rglob("stest"))  # nothing was ever worth writing


class _WrongMemo:
    def lookup(self, path: str, max_size: int) -> str | None:
        return "0" * 32

    def record(self, path: str, st: os.stat_result, digest: str) -> None:
        raise AssertionError("not reached")


def test_bytes_that_contradict_the_memo_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text(DOC)
    loader = FileLoader(tmp_path)
    loader.stat_memo = _WrongMemo()  # as if the file changed between its stat and its read
    assert loader.digest(tmp_path / "cm.yaml") == "0" * 32
    with pytest.raises(BuildError, match="changed while homeops was reading"):
        loader.read_bytes(tmp_path / "cm.yaml")


def test_a_size_over_the_limit_is_read_and_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _later(monkeypatch)
    (tmp_path / "cm.yaml").write_text(DOC)
    _run(tmp_path, tmp_path / "cache")
    small = FileLoader(tmp_path, max_bytes=10)
    small.stat_memo = StatMemo(Store(tmp_path / "cache"), "stest")
    with pytest.raises(Exception, match="too large"):
        small.digest(tmp_path / "cm.yaml")


def test_a_warm_build_from_the_memo_is_the_cold_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _later(monkeypatch)
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"

    def build() -> list[str]:
        cluster = build_cluster(ClusterOptions(repo=repo, cache_dir=cache))
        return [n.ref + dump_documents(n.objects) for n in cluster.nodes]

    cold = build()
    assert [p for p in cache.rglob("s*") if p.is_file()]  # the memo was written
    reads: list[Path] = []
    read = FileLoader.read_bytes

    def counted(self: FileLoader, path: Path, where: object = None) -> bytes:
        reads.append(path)
        return read(self, path, where)  # type: ignore[arg-type]

    monkeypatch.setattr(FileLoader, "read_bytes", counted)
    assert build() == cold
    assert reads == []  # every digest from the memo, every parse and build from the cache
    edited = next(repo.rglob("*.yaml"))
    time.sleep(0.05)
    edited.write_text(edited.read_text() + "\n# edited\n")
    reads.clear()
    assert build() == cold  # a comment changes no object
    assert edited in reads


def test_a_checkout_of_another_ref_has_no_memo(tmp_path: Path) -> None:
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"
    build_cluster(ClusterOptions(repo=repo, cache_dir=cache, cache_identity="/elsewhere"))
    assert not [p for p in cache.rglob("s*") if p.is_file()]


def test_the_work_tree_named_as_its_own_identity_keeps_its_memo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # diff builds its head from the work tree with cache_identity set to the repository itself
    _later(monkeypatch)
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"
    build_cluster(ClusterOptions(repo=repo, cache_dir=cache, cache_identity=str(repo)))
    assert [p for p in cache.rglob("s*") if p.is_file()]
