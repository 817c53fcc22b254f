"""The persistent build cache: a hit equals a cold build, a changed input (a file read, a file added to a
directory Flux's generator lists, a substitution source) rebuilds exactly the node it affects, a corrupt or
partial entry is detected and rebuilt, concurrent runs leave a valid cache, and the store stays bounded."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from homeops.cache.store import MAGIC, Store
from homeops.flux.cluster import ClusterBuild, ClusterOptions, build_cluster
from homeops.yaml.emitter import dump_documents
from tests.cache.counting import count_hits
from tests.flux.fluxrepos import checkout


def _build(repo: Path, cache: Path | None) -> ClusterBuild:
    return build_cluster(ClusterOptions(repo=repo, cache_dir=cache))


def _snapshot(cluster: ClusterBuild) -> dict[str, tuple[object, ...]]:
    return {
        n.ref: (
            n.status,
            n.error,
            dump_documents(n.objects),
            repr(n.unresolved),
            repr(n.uses),
            n.notes,
            sorted(n.files),
            dump_documents([n.kustomization]) if n.kustomization is not None else "",
        )
        for n in cluster.nodes
    }


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file())


def test_warm_equals_cold_and_every_node_hits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"
    cold = _snapshot(_build(repo, None))
    hits = count_hits(monkeypatch)
    first = _snapshot(_build(repo, cache))
    assert hits and not any(hits)
    assert _entries(cache), "a build with a cache dir stores entries"
    hits.clear()
    warm = _snapshot(_build(repo, cache))
    assert len(hits) == len(cold) and all(hits)
    assert cold == first == warm
    assert all(v[6] for v in warm.values())  # the read set comes back with a hit


def _files_of(snapshot: dict[str, tuple[object, ...]], ref: str) -> str:
    value = snapshot[ref][2]
    assert isinstance(value, str)
    return value


def test_changed_file_rebuilds_only_its_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"
    _build(repo, cache)
    target = repo / "kubernetes/apps/other/app/configmap.yaml"
    target.write_text(target.read_text() + "  added: changed-value-4711\n", encoding="utf-8")
    hits = count_hits(monkeypatch)
    warm = _snapshot(_build(repo, cache))
    assert warm == _snapshot(_build(repo, None))
    assert "changed-value-4711" in _files_of(warm, "Kustomization/flux-system/other")
    assert hits.count(False) == 1


def test_file_added_to_generated_directory_is_built(tmp_path: Path) -> None:
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"
    _build(repo, cache)
    (repo / "kubernetes/apps/other/app/extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-cm-0815\ndata: {a: b}\n", encoding="utf-8"
    )
    warm = _snapshot(_build(repo, cache))
    assert "extra-cm-0815" in _files_of(warm, "Kustomization/flux-system/other")
    assert warm == _snapshot(_build(repo, None))


def test_substitution_source_change_rebuilds(tmp_path: Path) -> None:
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"
    _build(repo, cache)
    settings = repo / "kubernetes/apps/cluster-settings.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "data:" in text
    settings.write_text(text.replace("data:", "data:\n  NEW_SETTING_X: nine-9-nine", 1), encoding="utf-8")
    warm = _snapshot(_build(repo, cache))
    assert warm == _snapshot(_build(repo, None))


@pytest.mark.parametrize("damage", ["partial", "flipped", "garbage"])
def test_corrupt_and_partial_entries_are_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"
    cold = _snapshot(_build(repo, cache))
    entries = _entries(cache)
    assert {p.name[0] for p in entries} == {"n", "p"}  # the shards of the node and the parse packs
    for path in entries:
        data = path.read_bytes()
        if damage == "partial":
            path.write_bytes(data[: len(data) // 2])
        elif damage == "flipped":
            path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
        else:
            path.write_bytes(b"garbage")
    assert _snapshot(_build(repo, cache)) == cold
    assert [p.name for p in _entries(cache)] == [p.name for p in entries]
    for path in _entries(cache):  # every entry rewritten whole
        data = path.read_bytes()
        assert data.startswith(MAGIC)
        assert Store(cache).get(path.name) is not None
    hits = count_hits(monkeypatch)
    assert _snapshot(_build(repo, cache)) == cold
    assert hits and all(hits)  # the rewritten pack serves every node


def test_damaged_blob_inside_a_valid_pack_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"
    cold = _snapshot(_build(repo, cache))
    store = Store(cache)
    shards = [p for p in _entries(cache) if p.name.startswith("n")]
    assert shards
    for shard in shards:
        raw = store.get(shard.name)
        assert raw is not None
        generation, blobs = pickle.loads(raw)
        damaged = {k: (g, b[:10] if k.startswith("e") else b) for k, (g, b) in blobs.items()}
        store.put(shard.name, pickle.dumps((generation, damaged)))
    hits = count_hits(monkeypatch)
    assert _snapshot(_build(repo, cache)) == cold
    assert hits and not any(hits)  # every damaged entry rebuilt, none served
    hits.clear()
    assert _snapshot(_build(repo, cache)) == cold
    assert hits and all(hits)  # and written back whole


_RUNNER = """
import sys
from pathlib import Path
from homeops.flux.cluster import ClusterOptions, build_cluster
from homeops.yaml.emitter import dump_documents
for _ in range(3):
    c = build_cluster(ClusterOptions(repo=Path(sys.argv[1]), cache_dir=Path(sys.argv[2])))
    out = "".join(n.ref + "\\n" + dump_documents(n.objects) for n in c.nodes)
print(out, end="")
"""


def test_concurrent_runs_never_corrupt_the_cache(tmp_path: Path) -> None:
    repo = checkout("substitution", tmp_path)
    cache = tmp_path / "cache"
    expected = "".join(n.ref + "\n" + dump_documents(n.objects) for n in _build(repo, None).nodes)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RUNNER, str(repo), str(cache)], stdout=subprocess.PIPE, env=env, text=True
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    assert outputs == [expected] * 4
    store = Store(cache)
    for path in _entries(cache):
        assert not path.name.startswith(".tmp-")
        assert store.get(path.name) is not None


def test_prune_is_least_recently_used(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", max_size=3000)
    for i in range(5):
        store.put(f"k{i:02d}", bytes(1000))
        os.utime(store._path(f"k{i:02d}"), (1000 + i, 1000 + i))
    assert store.get("k00") is not None  # touched: now the most recently used
    removed, _ = store.prune()
    assert removed == 3
    assert [store.get(k) is not None for k in ("k00", "k01", "k02", "k03", "k04")] == [
        True,
        False,
        False,
        False,
        True,
    ]
    assert store.info().entries == 2


def test_a_copy_elsewhere_hits_with_its_own_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # diff builds its base in a temporary checkout: entries do not depend on where the repository is
    first = checkout("substitution", tmp_path / "a")
    second = checkout("substitution", tmp_path / "b")
    cache = tmp_path / "cache"
    monkeypatch.chdir(tmp_path / "a")
    cold_second = _snapshot(_build(second, None))
    _build(first, cache)
    hits = count_hits(monkeypatch)
    # as diff builds its base: the checkout shares the work tree's packs
    warm_second = build_cluster(
        ClusterOptions(repo=second, cache_dir=cache, cache_identity=str(first.resolve()))
    )
    assert hits and all(hits)
    assert _snapshot(warm_second) == cold_second
    files = {o.pos.file for n in warm_second.nodes for o in n.objects if o.pos is not None}
    assert files and all(f.startswith(str(second)) for f in files), files
