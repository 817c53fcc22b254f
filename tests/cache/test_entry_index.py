"""The parse cache's index of each file's objects: a warm load knows every object of the repository (kind,
name, namespace, line, SOPS or not) and reads the documents only of the files whose objects are used; what
it reads then is the same as a cold load, and counts among no build's reads."""

from __future__ import annotations

import pickle
from pathlib import Path

from homeops.cache.store import Store
from homeops.flux.clustercache import load_repository
from homeops.flux.clustertypes import ClusterOptions
from homeops.flux.repository import FileDocs, ObjectEntry, Repository
from homeops.kustomize.build import Builder
from homeops.yaml.nodes import to_plain

FILES = {
    "flux/ks.yaml": (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: apps, namespace: flux-system}\n"
        "spec: {path: ./apps, sourceRef: {kind: GitRepository, name: flux-system}}\n"
    ),
    "apps/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    "resources: [deploy.yaml, secret.sops.yaml]\n",
    "apps/deploy.yaml": "---\n# two documents, the second one an object\nfoo: bar\n---\napiVersion: apps/v1\n"
    "kind: Deployment\nmetadata: {name: web, namespace: default}\nspec: {replicas: 1}\n",
    "apps/secret.sops.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n"
    "stringData:\n  k: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n  mac: ENC[x]\n  version: 3.9.0\n",
}


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _options(root: Path, cache: Path) -> ClusterOptions:
    return ClusterOptions(repo=root, cache_dir=cache, helpers=False)


def _load(root: Path, cache: Path, builder: Builder | None = None) -> Repository:
    repo, parses = load_repository(root, _options(root, cache), builder or Builder(root))
    assert parses is not None
    parses.flush()
    return repo


def _cold(tmp_path: Path) -> tuple[Path, Path, Repository]:
    """The fixture repository, its cache, and its first (cold) load, which fills the cache."""
    root, cache = _repo(tmp_path), tmp_path / "cache"
    return root, cache, _load(root, cache)


def _summary(e: ObjectEntry) -> tuple[object, ...]:
    return (e.api_version, e.kind, e.namespace, e.name, e.rel, e.line, e.index, e.sops)


def _loaded(repo: Repository) -> set[str]:
    return {e.rel for e in repo.entries if e.docs.docs is not None}


def test_a_warm_load_knows_every_object_and_reads_none(tmp_path: Path) -> None:
    root, cache, cold = _cold(tmp_path)
    assert _loaded(cold) == {e.rel for e in cold.entries}  # a cold load parsed them all
    warm = _load(root, cache)
    assert [_summary(e) for e in warm.entries] == [_summary(e) for e in cold.entries]
    assert _loaded(warm) == set()  # nothing read yet
    deploy = warm.find("Deployment", "default", "web")
    assert deploy is not None and deploy.index == 1  # the second document of its file
    assert [e.sops for e in warm.entries if e.kind == "Secret"] == [True]


def test_an_object_read_on_use_is_the_cold_one(tmp_path: Path) -> None:
    root, cache, cold = _cold(tmp_path)
    warm = _load(root, cache)
    for a, b in zip(cold.entries, warm.entries, strict=True):
        assert to_plain(b.obj) == to_plain(a.obj)
        assert b.obj.pos == a.obj.pos
    assert _loaded(warm) == {e.rel for e in warm.entries}
    same_file = [e for e in warm.entries if e.rel == "apps/deploy.yaml"]
    assert all(e.docs is same_file[0].docs for e in same_file)  # one read per file


def test_a_warm_build_reads_only_the_files_it_uses(tmp_path: Path) -> None:
    from homeops.flux.cluster import ClusterBuilder

    root, cache, _ = _cold(tmp_path)
    builder = Builder(root)
    repo = _load(root, cache, builder)
    ClusterBuilder(repo, _options(root, cache), builder).build()
    # the Flux Kustomization is read to find the roots; the Deployment file only by the kustomize build,
    # which reads the file itself
    assert "flux/ks.yaml" in _loaded(repo)
    assert "apps/kustomization.yaml" not in _loaded(repo)


def test_a_lazy_read_is_not_a_read_of_the_build_in_progress(tmp_path: Path) -> None:
    root, cache, _ = _cold(tmp_path)
    builder = Builder(root)
    repo = _load(root, cache, builder)
    with builder.loader.tracking() as reads:
        before = set(reads)
        assert repo.entries[0].obj is not None
    assert reads == before


def test_a_damaged_index_is_made_again(tmp_path: Path) -> None:
    root, cache, cold = _cold(tmp_path)
    store = Store(cache)
    keys = [p.name for p in cache.rglob("p*") if p.is_file()]
    assert keys
    for key in keys:  # every shard of the parse pack
        generation, entries = pickle.loads(store.get(key) or b"")
        damaged = {
            k: ((g, b"not a pickle") if k[1].startswith("i") else (g, blob))
            for k, (g, blob) in entries.items()
        }
        assert damaged != entries
        store.put(key, pickle.dumps((generation, damaged)))
    again = _load(root, cache)
    assert [_summary(e) for e in again.entries] == [_summary(e) for e in cold.entries]
    assert _loaded(again) == {e.rel for e in again.entries}  # indexed again from the documents


def test_file_docs_loads_once() -> None:
    calls: list[int] = []

    def load() -> list[object]:
        calls.append(1)
        return ["a", "b"]

    docs = FileDocs(None, load)
    assert (docs.get(1), docs.get(0), docs.get(1)) == ("b", "a", "b")
    assert calls == [1]
