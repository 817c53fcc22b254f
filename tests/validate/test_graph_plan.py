"""The dependency graph, the apply waves and what a failure blocks."""

from __future__ import annotations

from pathlib import Path

from homeops.flux.cluster import ClusterOptions, build_cluster
from homeops.graph import blocked_by, build_graph, find_cycles, plan, resolve_id, to_dot, to_json, to_mermaid

from .conftest import make_repo

KS = "Kustomization/flux-system/"


def test_plan_waves_follow_parent_and_depends_on(chain_repo: Path) -> None:
    g = build_graph(build_cluster(ClusterOptions(repo=chain_repo)))
    p = plan(g)
    assert p.waves == [
        [KS + "cluster-apps"],
        [KS + "storage"],
        [KS + "database"],
        [KS + "games"],
    ]
    assert p.never == [KS + "broken"]


def test_failure_blocks_dependents_transitively(chain_repo: Path) -> None:
    g = build_graph(build_cluster(ClusterOptions(repo=chain_repo)))
    assert blocked_by(g, KS + "storage") == [KS + "database", KS + "games"]
    assert blocked_by(g, KS + "games") == []
    root_blocks = blocked_by(g, KS + "cluster-apps")
    assert set(root_blocks) == {KS + n for n in ("storage", "database", "games", "broken")}
    assert resolve_id(g, "storage") == [KS + "storage"]
    assert resolve_id(g, "flux-system/games") == [KS + "games"]


def test_cycles_are_found_and_never_ready(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a": ["b"], "b": ["c"], "c": ["a"], "d": []})
    g = build_graph(build_cluster(ClusterOptions(repo=repo)))
    assert find_cycles(g) == [[KS + "a", KS + "b", KS + "c"]]
    p = plan(g)
    assert set(p.never) == {KS + "a", KS + "b", KS + "c"}
    assert [KS + "d"] in p.waves


def test_graph_renderings_name_every_edge(chain_repo: Path) -> None:
    g = build_graph(build_cluster(ClusterOptions(repo=chain_repo)))
    data = to_json(g)
    edges = {(e["from"], e["to"], e["kind"]) for e in data["edges"]}
    assert (KS + "games", KS + "database", "dependsOn") in edges
    assert (KS + "games", KS + "cluster-apps", "parent") in edges
    assert (KS + "broken", KS + "nothere", "missing") in edges
    assert (KS + "games", "GitRepository/flux-system/flux-system", "source") in edges
    assert (
        '"Kustomization/flux-system/games" -> "Kustomization/flux-system/database" [label="dependsOn"'
        in to_dot(g)
    )
    mermaid = to_mermaid(g)
    assert mermaid.startswith("flowchart TD\n") and "|dependsOn|" in mermaid


def test_multi_cluster_trees_stay_apart(tmp_path: Path) -> None:
    """Two clusters in one repository, each with a root named cluster-apps and an app named web."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for cluster in ("main", "test"):
        (root / "clusters" / cluster).mkdir(parents=True)
        (root / "clusters" / cluster / "ks.yaml").write_text(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            "metadata: {name: cluster-apps, namespace: flux-system}\n"
            f"spec:\n  path: ./apps/{cluster}\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n"
        )
        (root / "apps" / cluster).mkdir(parents=True)
        (root / "apps" / cluster / "web.yaml").write_text(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            "metadata: {name: web, namespace: flux-system}\n"
            f"spec:\n  path: ./web/{cluster}\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n"
        )
        (root / "web" / cluster).mkdir(parents=True)
        (root / "web" / cluster / "cm.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: default}\n"
        )
    g = build_graph(build_cluster(ClusterOptions(repo=root)))
    assert plan(g).waves == [
        [KS + "cluster-apps@main", KS + "cluster-apps@test"],
        [KS + "web@main", KS + "web@test"],
    ]
    assert resolve_id(g, "web") == [KS + "web@main", KS + "web@test"]
    assert blocked_by(g, KS + "cluster-apps@test") == [KS + "web@test"]
