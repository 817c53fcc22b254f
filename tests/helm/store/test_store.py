"""The store offline: lookup never touches the network, damaged entries are misses, safe extraction, prune."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from homeops.helm.store import ChartStore
from homeops.helm.store.extract import ArchiveError, chart_files, extract_chart
from homeops.helm.types import ChartRequest
from tests.helm.store.helpers import make_chart, make_tgz

URL = "https://charts.example.org/stable"


def _request(version: str = "1.0.0", chart: str = "app") -> ChartRequest:
    return ChartRequest("HelmRepository", url=URL, chart=chart, version=version)


def _filled(tmp_path: Path) -> ChartStore:
    store = ChartStore(tmp_path / "store")
    for version in ("1.0.0", "1.4.0", "2.0.0"):
        data = make_chart("app", version)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        store.add(_request(version), data, version=version, digest=digest, fetched_from=URL)
    return store


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args))
        raise AssertionError(f"network used: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_lookup_never_touches_the_network(tmp_path: Path, no_network: list[str]) -> None:
    store = _filled(tmp_path)
    fresh = ChartStore(store.directory)
    hit = fresh.lookup(_request("1.4.0"))
    assert hit is not None and hit.version == "1.4.0" and hit.digest.startswith("sha256:")
    assert fresh.lookup(_request("^1.0")) is not None  # a range: the highest stored match
    assert fresh.lookup(_request("^1.0")).version == "1.4.0"  # type: ignore[union-attr]
    assert fresh.lookup(_request("3.0.0")) is None  # a miss is None, not a fetch
    assert fresh.lookup(_request("1.0.0", chart="other")) is None
    oci = ChartRequest("OCIRepository", url="oci://ghcr.io/x/app", version="latest")
    assert fresh.lookup(oci) is None
    assert no_network == []


def test_chart_is_extracted_on_demand_from_the_blob(tmp_path: Path) -> None:
    store = _filled(tmp_path)
    found = store.lookup(_request("2.0.0"))
    assert found is not None
    shutil.rmtree(found.path)
    again = ChartStore(store.directory).lookup(_request("2.0.0"))
    assert again is not None and (again.path / "templates" / "configmap.yaml").is_file()
    assert again.path == found.path  # named by the blob digest


def test_corrupt_entries_are_misses(tmp_path: Path) -> None:
    store = _filled(tmp_path)
    entries = store.entries()
    one = next(e for e in entries.values() if e.version == "1.0.0")
    two = next(e for e in entries.values() if e.version == "2.0.0")
    (store.directory / "index" / f"{one.id}.json").write_text("{not json", encoding="utf-8")
    shutil.rmtree(store.chart_dir(two.blob))
    store.blob_path(two.blob).write_bytes(b"truncated")
    fresh = ChartStore(store.directory)
    assert fresh.lookup(_request("1.0.0")) is None
    assert fresh.lookup(_request("2.0.0")) is None
    assert not store.blob_path(two.blob).exists()  # the damaged blob was removed
    assert fresh.lookup(_request("1.4.0")) is not None
    (store.directory / "index" / "garbage.json").write_text(json.dumps({"schema": 1}), encoding="utf-8")
    assert len(ChartStore(store.directory).entries()) == 2


def test_prune_removes_unreferenced_and_old_entries_and_their_files(tmp_path: Path) -> None:
    store = _filled(tmp_path)
    keep = {e.id for e in store.entries().values() if e.version == "1.4.0"}
    dry = ChartStore(store.directory).prune(keep=keep, dry_run=True)
    assert sorted(e.version for e in dry.removed) == ["1.0.0", "2.0.0"] and dry.freed > 0
    assert len(ChartStore(store.directory).entries()) == 3
    result = ChartStore(store.directory).prune(keep=keep)
    assert sorted(e.version for e in result.removed) == ["1.0.0", "2.0.0"] and result.kept == 1
    remaining = ChartStore(store.directory)
    assert [e.version for e in remaining.entries().values()] == ["1.4.0"]
    assert len(list((store.directory / "blobs" / "sha256").iterdir())) == 1
    assert len(list((store.directory / "charts").iterdir())) == 1
    assert remaining.lookup(_request("1.4.0")) is not None
    old = remaining.prune(older_than=-1.0)  # everything is older than "the future"
    assert [e.version for e in old.removed] == ["1.4.0"]
    assert ChartStore(store.directory).entries() == {}


def test_local_charts_are_read_in_place(tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "local"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: local\nversion: 0.1.0\n", encoding="utf-8")
    store = ChartStore(tmp_path / "store")
    found = store.lookup(ChartRequest("GitRepository", chart="./charts/local", local_path=chart))
    assert found is not None and found.path == chart and found.name == "local" and found.digest == ""
    assert store.lookup(ChartRequest("GitRepository", local_path=tmp_path / "missing")) is None


@pytest.mark.parametrize(
    ("files", "links", "reason"),
    [
        ({"app/../../evil": "x", "app/Chart.yaml": "name: a"}, {}, "parent directory"),
        ({"/etc/passwd": "x", "app/Chart.yaml": "name: a"}, {}, "absolute"),
        ({"app/values.yaml": "a: 1"}, {}, "Chart.yaml file is missing"),
    ],
)
def test_unsafe_archives_are_refused(files: dict[str, str], links: dict[str, str], reason: str) -> None:
    with pytest.raises(ArchiveError, match=reason):
        chart_files(make_tgz(files, symlinks=links))


def test_symlinks_are_never_written(tmp_path: Path) -> None:
    data = make_tgz(
        {"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n"},
        symlinks={"app/templates/passwd": "/etc/passwd", "app/link": "../../outside"},
    )
    target = tmp_path / "out"
    extract_chart(data, target)
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == ["Chart.yaml"]


def test_oversized_and_bomb_archives_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import homeops.helm.store.extract as extract

    monkeypatch.setattr(extract, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ArchiveError, match="larger than 1000 bytes"):
        chart_files(make_tgz({"app/Chart.yaml": "name: a", "app/big": "x" * 2000}))
    monkeypatch.setattr(extract, "MAX_DECOMPRESSED_BYTES", 10_000)
    monkeypatch.setattr(extract, "_TAR_SLACK", 0)
    with pytest.raises(ArchiveError, match="decompressed archive is larger"):
        chart_files(make_tgz({"app/Chart.yaml": "name: a", **{f"app/f{i}": "x" * 900 for i in range(30)}}))


def test_not_a_chart_is_refused_at_add_and_nothing_indexed(tmp_path: Path) -> None:
    store = ChartStore(tmp_path / "store")
    with pytest.raises(ArchiveError):
        store.add(_request(), b"plain bytes", version="1.0.0", digest="", fetched_from=URL)
    assert store.entries() == {}
