"""Flux's kustomization generator on a path without a kustomization file: the resources it lists (lexical
walk order, a subdirectory with its own kustomization listed but not descended, non-YAML files ignored) and
what the tree build applies from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.flux.cluster import ClusterBuilder, ClusterOptions
from homeops.flux.generator import flux_kustomization_file, scan_resources
from homeops.flux.kinds import FluxKustomization
from homeops.flux.repository import Repository
from homeops.kustomize.build import Builder
from homeops.yaml.nodes import to_plain
from tests.flux.fluxrepos import FIXTURES, NAME_LABEL, NAMESPACE_LABEL, build, checkout, node

REPO = FIXTURES / "generator"
APPS = REPO / "kubernetes" / "apps"

# filepath.Walk order: entries of a directory sorted bytewise, a directory walked when it is reached. So
# "alpha/" (and everything below it) comes before "alpha-b.yaml", although "alpha-b.yaml" < "alpha/one.yaml"
# as whole paths; "Alpha.yaml" sorts first (uppercase); "sub" holds a kustomization.yaml, so it is listed as a
# directory and neither sub/unlisted.yaml nor sub/deeper/ is scanned; notes.txt and README.md are ignored.
EXPECTED_RESOURCES = [
    "./Alpha.yaml",
    "./alpha/nested/two.yml",
    "./alpha/one.yaml",
    "./alpha-b.yaml",
    "./sub",
    "./zeta.yaml",
]


def test_scan_resources_walk_order() -> None:
    assert scan_resources(APPS, Builder(REPO).loader) == EXPECTED_RESOURCES


def test_generated_kustomization_file() -> None:
    repo = Repository.load(REPO)
    ks = repo.flux_kustomizations()[0]
    data = flux_kustomization_file(ks, APPS, Builder(REPO).loader)
    assert to_plain(data) == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": EXPECTED_RESOURCES,
    }


def test_tree_build_applies_the_generated_list(tmp_path: Path) -> None:
    cluster = build(checkout("generator", tmp_path))
    assert [n.ref for n in cluster.nodes] == ["Kustomization/flux-system/cluster-apps"]
    root = node(cluster, "cluster-apps")
    assert root.status == "ok", root.error
    names = sorted(o["metadata"]["name"] for o in root.objects)
    assert names == ["alpha-b", "alpha-upper", "listed", "one", "two", "zeta"]
    labels = {NAME_LABEL: "cluster-apps", NAMESPACE_LABEL: "flux-system"}
    assert [to_plain(o) for o in root.objects if o["metadata"]["name"] == "two"] == [
        {
            "apiVersion": "v1",
            "data": {"key": "two"},
            "kind": "ConfigMap",
            "metadata": {"labels": labels, "name": "two"},
        }
    ]
    assert cluster.orphans == [] and cluster.problems == []


def test_generator_rejects_yaml_that_is_not_kubernetes(tmp_path: Path) -> None:
    repo = checkout("generator", tmp_path)
    (repo / "kubernetes" / "apps" / "values.yaml").write_text("just: values\n")
    cluster = build(repo)
    root = node(cluster, "cluster-apps")
    assert root.status == "failed"
    assert "values.yaml" in root.error


@pytest.mark.parametrize("kfile", ["kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_existing_kustomization_file_is_used_as_is(tmp_path: Path, kfile: str) -> None:
    repo = checkout("generator", tmp_path)
    apps = repo / "kubernetes" / "apps"
    (apps / kfile).write_text("resources:\n  - ./zeta.yaml\n")
    builder = ClusterBuilder(Repository.load(repo), ClusterOptions(repo=repo), Builder(repo))
    ks = FluxKustomization.from_obj(Repository.load(repo).flux_kustomizations()[0].obj)
    assert to_plain(flux_kustomization_file(ks, apps, builder.builder.loader)) == {
        "resources": ["./zeta.yaml"]
    }
    root = node(build(repo), "cluster-apps")
    assert [o["metadata"]["name"] for o in root.objects] == ["zeta"]
