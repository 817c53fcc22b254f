"""Sources and failures in the tree: a Kustomization whose sourceRef is another GitRepository is reported as
external and not fetched; a path missing from the source fails with the path in the message; the others
still build; roots and --path selection."""

from __future__ import annotations

from pathlib import Path

from tests.flux.fluxrepos import build, checkout, node


def test_external_missing_and_ok(tmp_path: Path) -> None:
    cluster = build(checkout("sources", tmp_path))
    assert [(n.namespace, n.name, n.status, n.error) for n in cluster.nodes] == [
        ("flux-system", "cluster-apps", "ok", ""),
        ("default", "ok", "ok", ""),
        (
            "flux-system",
            "missing",
            "failed",
            "kubernetes/apps/missing/ks.yaml:2:1: path './kubernetes/apps/missing/app'"
            " not found in the source (expected a directory)",
        ),
        (
            "flux-system",
            "upstream-crds",
            "external",
            "source GitRepository/flux-system/upstream (github.com/example/upstream) is another repository"
            " (this one is github.com/example/home-ops); not fetched (list it in .homeops.yaml sources if it"
            " is this repository)",
        ),
    ]
    assert node(cluster, "upstream-crds").objects == []
    assert [o["metadata"]["name"] for o in node(cluster, "ok", "default").objects] == ["ok"]
    assert cluster.orphans == [] and cluster.problems == []


def test_defined_at_and_parent(tmp_path: Path) -> None:
    cluster = build(checkout("sources", tmp_path))
    root = node(cluster, "cluster-apps")
    assert (str(root.defined_at), root.parent) == ("kubernetes/flux/cluster/ks.yaml:13", None)
    external = node(cluster, "upstream-crds")
    assert (external.defined_at.file, external.defined_at.line) == ("kubernetes/apps/external/ks.yaml", 13)
    assert external.parent is root


def test_path_leaving_the_repository_fails(tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    ks = repo / "kubernetes" / "apps" / "missing" / "ks.yaml"
    ks.write_text(ks.read_text().replace("./kubernetes/apps/missing/app", "../../elsewhere"))
    missing = node(build(repo), "missing")
    assert (missing.status, missing.error) == ("failed", "path '../../elsewhere' leaves the repository")


def test_a_kustomization_no_root_reaches_is_an_orphan(tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    kfile = repo / "kubernetes" / "apps" / "kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("  - ./missing/ks.yaml\n", ""))
    cluster = build(repo)
    assert [n.name for n in cluster.nodes] == ["cluster-apps", "ok", "upstream-crds"]
    assert [(o.namespace, o.name) for o in cluster.orphans] == [("flux-system", "missing")]


def test_root_selection_with_path(tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    cluster = build(repo, path="kubernetes/apps/ok")
    assert [(n.name, n.status, n.parent) for n in cluster.nodes] == [("ok", "ok", None)]


def test_paths_relative_to_a_subfolder_source(tmp_path: Path) -> None:
    """A source built from ./kubernetes (e.g. an OCI artifact): spec.path is relative to that folder."""
    from homeops.flux.cluster import ClusterOptions, build_cluster

    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "kubernetes/flux").mkdir(parents=True)
    (root / "kubernetes/flux/ks.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: cluster-apps, namespace: flux-system}\n"
        "spec:\n  path: ./apps\n  sourceRef: {kind: OCIRepository, name: flux-system}\n"
    )
    (root / "kubernetes/apps").mkdir(parents=True)
    (root / "kubernetes/apps/cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n"
    )
    cluster = build_cluster(ClusterOptions(repo=root))
    (node,) = cluster.nodes
    assert node.status == "ok", node.error
    assert [o["metadata"]["name"] for o in node.objects] == ["a"]


def test_a_path_through_a_symbolic_link_builds_its_target_and_one_leaving_fails(tmp_path: Path) -> None:
    # Flux's path is resolved as the filesystem resolves it: a link inside the repository builds the
    # directory it points to; a link to a directory outside the repository is refused
    repo = checkout("sources", tmp_path)
    apps = repo / "kubernetes" / "apps"
    (apps / "linked").symlink_to(apps / "missing", target_is_directory=True)
    (apps / "missing" / "app").mkdir()
    (apps / "missing" / "app" / "kustomization.yaml").write_text("resources: []\n")
    ks = apps / "missing" / "ks.yaml"
    ks.write_text(ks.read_text().replace("./kubernetes/apps/missing/app", "./kubernetes/apps/linked/app"))
    built = node(build(repo), "missing")
    assert (built.status, built.kdir) == ("ok", (apps / "missing" / "app").resolve())
    outside = tmp_path / "outside"
    (outside / "app").mkdir(parents=True)
    (outside / "app" / "kustomization.yaml").write_text("resources: []\n")
    (apps / "linked").unlink()
    (apps / "linked").symlink_to(outside, target_is_directory=True)
    refused = node(build(repo), "missing")
    assert (refused.status, refused.error) == (
        "failed",
        "path './kubernetes/apps/linked/app' leaves the repository",
    )
