"""A root that lists a remote resource fails offline, but Flux (online) would apply the rest: its children
are still found, the root stays failed with its error and says what was left out."""

from __future__ import annotations

from pathlib import Path

from homeops.flux.api import GetOptions, RepoOptions, get
from homeops.flux.cluster import ClusterOptions, build_cluster

SYNC = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {url: https://github.com/example/home, ref: {branch: main}, interval: 1h}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux-system, namespace: flux-system}
spec:
  interval: 10m
  path: ./clusters/home
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""
APPS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hello, namespace: default}\ndata: {a: b}\n"
REMOTE = "https://raw.githubusercontent.com/example/crds/v1.0.0/crds.yaml"


def _repo(tmp_path: Path) -> Path:
    home = tmp_path / "clusters" / "home"
    (home / "flux-system").mkdir(parents=True)
    (home / "flux-system" / "gotk-sync.yaml").write_text(SYNC)
    (home / "flux-system" / "kustomization.yaml").write_text(
        f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        f"  - gotk-sync.yaml\n  - {REMOTE}\n"
    )
    (home / "apps.yaml").write_text(APPS)
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "cm.yaml").write_text(CM)
    return tmp_path


def test_children_of_a_root_with_a_remote_resource_are_found_offline(tmp_path: Path) -> None:
    cluster = build_cluster(ClusterOptions(repo=_repo(tmp_path)))
    by_name = {n.name: n for n in cluster.nodes}
    root = by_name["flux-system"]
    assert root.status == "failed"
    assert REMOTE in root.error and "offline" in root.error
    assert root.objects == []  # nothing of the failed build is counted as applied
    assert any(REMOTE in note and "offline" in note for note in root.notes)
    assert by_name["apps"].status == "ok"
    assert [o["metadata"]["name"] for o in by_name["apps"].objects] == ["hello"]


def test_a_failure_without_remote_resources_finds_no_children(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    kfile = repo / "clusters" / "home" / "flux-system" / "kustomization.yaml"
    kfile.write_text(kfile.read_text().replace(REMOTE, "missing.yaml"))
    cluster = build_cluster(ClusterOptions(repo=repo))
    names = {n.name: n.status for n in cluster.nodes}
    assert names == {"flux-system": "failed"}
    assert [n.ks.name for n in cluster.not_applied] == ["apps"]


def test_allow_network_comes_from_the_option_or_the_config(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert RepoOptions(repo=repo).cluster_options().allow_network is False
    assert RepoOptions(repo=repo, allow_network=True).cluster_options().allow_network is True
    (repo / ".homeops.yaml").write_text("allowNetwork: true\n")
    assert RepoOptions(repo=repo).cluster_options().allow_network is True
    assert RepoOptions(repo=repo, allow_network=False).cluster_options().allow_network is False
    rows = get(GetOptions("ks", repo=RepoOptions(repo=repo, allow_network=False))).rows
    assert sorted((r["name"], r["status"]) for r in rows) == [("apps", "ok"), ("flux-system", "failed")]
