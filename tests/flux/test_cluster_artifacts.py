"""Kustomizations whose source is an ExternalArtifact that an ArtifactGenerator copies out of this repository
(Flux 2.7, source-watcher): each cluster uses its own generator, objects and read files point back at the
repository, and what cannot be built is said."""

from __future__ import annotations

from pathlib import Path

from homeops.flux.cluster import ClusterBuild, KsNode
from tests.flux.fluxrepos import build, checkout


def _node(cluster: ClusterBuild, tree: str, name: str) -> KsNode:
    found = [n for n in cluster.nodes if n.tree == tree and n.name == name]
    assert len(found) == 1, [(n.tree, n.ref) for n in cluster.nodes]
    return found[0]


def _helmrelease(node: KsNode) -> dict[str, object]:
    (hr,) = [o for o in node.objects if o["kind"] == "HelmRelease"]
    return hr


def test_each_cluster_builds_its_own_artifact(tmp_path: Path) -> None:
    cluster = build(checkout("artifacts", tmp_path))
    assert cluster.clusters == ["production", "staging"]
    assert {(n.tree, n.name, n.status) for n in cluster.nodes} == {
        (tree, name, "ok")
        for tree in ("production", "staging")
        for name in ("flux-system", "apps", "infra-controllers", "infra-configs")
    }
    staging, production = _node(cluster, "staging", "apps"), _node(cluster, "production", "apps")
    assert _helmrelease(staging)["spec"]["values"]["replicaCount"] == 1  # type: ignore[index]
    assert _helmrelease(production)["spec"]["values"]["replicaCount"] == 3  # type: ignore[index]
    # positions and read files are the repository's, not the materialised artifact's
    pos = _helmrelease(staging).pos  # type: ignore[attr-defined]
    assert cluster.repo.rel_file(pos.file) == "apps/base/podinfo/release.yaml"
    assert "apps/staging/podinfo-values.yaml" in staging.files
    assert not any(f.startswith("apps/production/") for f in staging.files)
    assert all(not f.startswith("/") for f in staging.files), staging.files
    assert staging.kdir is not None and staging.kdir.is_dir()  # kept alive with the build


def test_artifact_without_generator_is_external_with_the_reason(tmp_path: Path) -> None:
    repo = checkout("artifacts", tmp_path)
    (repo / "clusters" / "staging" / "artifacts.yaml").unlink()
    cluster = build(repo)
    apps = _node(cluster, "staging", "apps")
    assert apps.status == "external"
    assert "ExternalArtifact flux-system/apps: no ArtifactGenerator of this cluster produces it" in apps.error
    assert _node(cluster, "production", "apps").status == "ok"


def test_artifact_copied_from_another_repository_is_not_built_from_this_one(tmp_path: Path) -> None:
    repo = checkout("artifacts", tmp_path)
    gen = repo / "clusters" / "staging" / "artifacts.yaml"
    gen.write_text(
        gen.read_text().replace("name: flux-system\n  artifacts", "name: upstream\n  artifacts")
        + "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        "metadata: {name: upstream, namespace: flux-system}\n"
        "spec: {interval: 1h, url: https://github.com/example/upstream, ref: {branch: main}}\n"
    )
    (repo / ".git" / "config").write_text('[remote "origin"]\n\turl = https://github.com/example/fleet.git\n')
    cluster = build(repo)
    apps = _node(cluster, "staging", "apps")
    assert apps.status == "external", apps.error
    assert "copies only from sources that are not this repository" in apps.error
    assert "github.com/example/upstream" in apps.error
