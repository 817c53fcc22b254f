"""A cached build's objects come back in two parts (``homeops.flux.clustertypes.StoredObjects``): the kinds
the tree walk reads at once, the others on first use. What the walk and the summary read never loads the
others; loading gives the cold build's objects in their order, the walk's ones being the same objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeops.cache.nodes import Deferred, TreeLoader, dumps_tree
from homeops.flux.api import BuildAllOptions, RepoOptions, build_all
from homeops.flux.cluster import ClusterBuild, ClusterOptions, build_cluster
from homeops.flux.clustertypes import WALK_KINDS, FoundReleases, object_identity
from homeops.yaml.emitter import dump_documents
from homeops.yaml.nodes import Pos, YMap
from tests.flux.fluxrepos import checkout


def _build(repo: Path, cache: Path | None) -> ClusterBuild:
    return build_cluster(ClusterOptions(repo=repo, cache_dir=cache))


def test_a_warm_build_loads_only_the_walk_kinds(tmp_path: Path) -> None:
    repo = checkout("kustomize-features", tmp_path)
    cold = _build(repo, None)
    kinds = {o.get("kind") for n in cold.nodes for o in n.objects}
    assert kinds & WALK_KINDS and kinds - WALK_KINDS  # the fixture has objects of both parts
    _build(repo, tmp_path / "cache")
    warm = _build(repo, tmp_path / "cache")
    ok = [n for n in warm.nodes if n.status == "ok"]
    assert ok and all(n.stored is not None and "objects" not in vars(n) for n in ok)
    for node, ref in zip(warm.nodes, cold.nodes, strict=True):
        assert node.object_count == len(ref.objects)
        assert node.identities() == [i for o in ref.objects for i in [object_identity(o)] if i is not None]
        walk = node.objects_of(WALK_KINDS)
        assert dump_documents(walk) == dump_documents([o for o in ref.objects if o.get("kind") in WALK_KINDS])
        assert node.stored is not None or node.status != "ok"  # still not loaded
        loaded = node.objects  # the first access loads the rest, in build order
        assert dump_documents(loaded) == dump_documents(ref.objects)
        assert [o.pos for o in loaded] == [o.pos for o in ref.objects]
        assert {id(o) for o in walk} <= {id(o) for o in loaded}  # the same objects, not copies
        assert node.stored is None and node.objects is loaded


def test_objects_of_another_kind_load_the_rest(tmp_path: Path) -> None:
    repo = checkout("kustomize-features", tmp_path)
    _build(repo, tmp_path / "cache")
    warm = _build(repo, tmp_path / "cache")
    node = next(n for n in warm.nodes if n.stored is not None and b"\x00" in n.stored.order)
    deployments = node.objects_of(frozenset({"Deployment"}))
    assert [o.get("kind") for o in deployments] == ["Deployment"]
    assert node.stored is None  # a kind outside WALK_KINDS needs the whole list


def test_setting_objects_replaces_what_is_stored(tmp_path: Path) -> None:
    repo = checkout("kustomize-features", tmp_path)
    _build(repo, tmp_path / "cache")
    node = next(n for n in _build(repo, tmp_path / "cache").nodes if n.stored is not None)
    node.objects = [YMap({"kind": "ConfigMap", "metadata": YMap({"name": "x"})})]
    assert node.object_count == 1
    assert node.identities() == [("", "ConfigMap", "", "x")]  # no apiVersion: the core group
    assert [o["metadata"]["name"] for o in node.objects_of(frozenset({"ConfigMap"}))] == ["x"]


def test_a_summary_run_leaves_every_cached_build_unloaded(tmp_path: Path) -> None:
    repo = checkout("kustomize-features", tmp_path)
    options = BuildAllOptions(None, False, RepoOptions(repo=repo, cache=True, cache_dir=tmp_path / "cache"))
    cold = build_all(options)
    warm = build_all(options)
    assert warm.summary == cold.summary
    assert [n.ref for n in warm.cluster.nodes if n.status == "ok" and n.stored is None] == []


def test_a_deferred_part_is_unpickled_on_first_use_under_the_loading_root() -> None:
    docs = [YMap({"kind": "Deployment"}, pos=Pos("/old/root/app/deploy.yaml", 3, 1))]
    blob = dumps_tree({"rest": Deferred(docs)}, "/old/root/")
    loaded = TreeLoader("/new/root/").load(blob)["rest"]
    assert isinstance(loaded, Deferred)
    first = loaded.get()
    assert first == docs and first[0].pos == Pos("/new/root/app/deploy.yaml", 3, 1)
    assert loaded.get() is first  # once


def _releases(build: ClusterBuild) -> list[tuple[str, str, str, Path | None, str, str]]:
    return [
        (h.hr.namespace, h.hr.name, h.parent.ref, h.chart_dir, h.chart_error, dump_documents([h.obj]))
        for h in build.helmreleases
    ]


def test_helmreleases_are_found_when_first_used(tmp_path: Path) -> None:
    """The walk does not restore a cached build's HelmReleases; ``helmreleases`` finds them on first use,
    equal (and in the same order) to a cold build's."""
    repo = checkout("helm-values", tmp_path)
    cold = _build(repo, None)
    assert _releases(cold), "the fixture has HelmReleases"
    _build(repo, tmp_path / "cache")
    warm = _build(repo, tmp_path / "cache")
    holding = [
        n
        for n in warm.nodes
        if n.stored is not None and any(k == "HelmRelease" for _, k, *_ in n.identities())
    ]
    assert holding and all("objects" not in vars(n) for n in holding)  # the walk left them stored
    assert "not yet found" in repr(warm.helmreleases)
    assert _releases(warm) == _releases(cold)
    assert all(n.stored is None for n in holding)  # found: their builds are loaded now
    assert (
        len(warm.helmreleases) == len(cold.helmreleases) and list(warm.helmreleases) == warm.helmreleases[:]
    )


def test_found_releases_are_found_once() -> None:
    calls: list[int] = []
    items: list[Any] = ["a", "b"]

    def find() -> list[Any]:
        calls.append(1)
        return items

    found = FoundReleases(find)
    assert calls == [] and "not yet found" in repr(found)
    assert len(found) == 2 and list(found) == items and found[-1:] == items[-1:]
    assert found == items and found != items[:1] and found == FoundReleases(lambda: items)
    assert calls == [1] and repr(found) == repr(items)


_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: {name}, namespace: default}}
spec:
  interval: 1h
  chart: {{spec: {{chart: podinfo, sourceRef: {{kind: HelmRepository, name: podinfo}}}}}}
"""
_GENERATING_SET = """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: releases, namespace: default}
spec:
  inputs: [{id: one}, {id: two}]
  resources:
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata: {name: 'made-<< inputs.id >>', namespace: default}
      spec:
        interval: 1h
        chart: {spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}}
"""


def test_found_helmreleases_keep_the_cluster_selection_and_generated_ones(tmp_path: Path) -> None:
    """Per cluster, with ``cluster`` selected, and those a ResourceSet generates: cold and warm alike."""
    from tests.flux.layouts_helpers import checkout as layout_checkout

    repo = layout_checkout("multi-cluster", tmp_path)
    (repo / "apps" / "base" / "release.yaml").write_text(_RELEASE.format(name="shared"), encoding="utf-8")
    (repo / "apps" / "base" / "kustomization.yaml").write_text(
        "resources: [./configmap.yaml, ./release.yaml]\n", encoding="utf-8"
    )
    (repo / "apps" / "staging" / "set.yaml").write_text(_GENERATING_SET, encoding="utf-8")
    staging = repo / "apps" / "staging" / "kustomization.yaml"
    staging.write_text(
        staging.read_text(encoding="utf-8").replace("  - ../base\n", "  - ../base\n  - ./set.yaml\n"),
        encoding="utf-8",
    )

    def releases(cluster: str | None, cache: Path | None) -> list[tuple[str, str, str]]:
        build = build_cluster(ClusterOptions(repo=repo, cluster=cluster, cache_dir=cache))
        return [(h.parent.tree, h.parent.ref, h.hr.name) for h in build.helmreleases]

    every = releases(None, None)
    assert sorted(every) == [
        ("production", "Kustomization/flux-system/apps", "shared"),
        ("staging", "Kustomization/flux-system/apps", "made-one"),
        ("staging", "Kustomization/flux-system/apps", "made-two"),
        ("staging", "Kustomization/flux-system/apps", "shared"),
    ]
    assert releases("staging", None) == [r for r in every if r[0] == "staging"]
    cache = tmp_path / "cache"
    releases(None, cache)
    assert releases(None, cache) == every  # warm: the HelmReleases found from stored builds
    assert releases("production", cache) == [r for r in every if r[0] == "production"]
