"""What Flux adds to a kustomization before building it: targetNamespace, namePrefix/nameSuffix, images,
components (ignoreMissingComponents), inline patches with a target; a parent whose patches edit its child
Flux Kustomizations; commonMetadata (applied after substitution, never substituted); the ownership labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.yaml.nodes import to_plain
from tests.flux.fluxrepos import FIXTURES, NAME_LABEL, NAMESPACE_LABEL, build, checkout, node, yaml_of

DEMO_OWNER = f"""    {NAME_LABEL}: demo
    {NAMESPACE_LABEL}: flux-system
"""

# Checked against the oracle: kubectl kustomize on demo/app with the same fields added to its
# kustomization.yaml gives exactly these objects, minus the two ownership labels Flux adds.
DEMO_YAML = f"""apiVersion: v1
kind: Namespace
metadata:
  labels:
    component: common
{DEMO_OWNER}  name: demo
---
apiVersion: v1
data:
  mode: demo
  patched: "yes"
kind: ConfigMap
metadata:
  labels:
    component: common
{DEMO_OWNER}  name: pre-settings-suf
  namespace: demo
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    component: common
{DEMO_OWNER}  name: pre-web-suf
  namespace: demo
spec:
  template:
    spec:
      containers:
      - envFrom:
        - configMapRef:
            name: pre-settings-suf
        image: ghcr.io/example/web:2.0.0
        name: web
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  labels:
    component: common
{DEMO_OWNER}  name: pre-web-suf
  namespace: demo
spec:
  chart:
    spec:
      chart: web
      sourceRef:
        kind: HelmRepository
        name: example
        namespace: flux-system
      version: 1.0.0
  interval: 1h
  timeout: 15m
  values:
    replicas: 1
"""

HR_REMEDIATION_PATCH = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: _
spec:
  install:
    remediation:
      retries: -1"""


def test_flux_fields_and_parent_patch_reach_the_child_build(tmp_path: Path) -> None:
    cluster = build(checkout("kustomize-features", tmp_path))
    assert [(n.name, n.status, n.error) for n in cluster.nodes] == [
        ("cluster-apps", "ok", ""),
        ("demo", "ok", ""),
        ("plain", "ok", ""),
    ]
    assert yaml_of(node(cluster, "demo")) == DEMO_YAML
    assert node(cluster, "demo").parent is node(cluster, "cluster-apps")


def test_parent_json6902_patch_appends_to_the_child_patches(tmp_path: Path) -> None:
    cluster = build(checkout("kustomize-features", tmp_path))
    demo_ks = next(o for o in node(cluster, "cluster-apps").objects if o["metadata"]["name"] == "demo")
    patches = to_plain(demo_ks["spec"]["patches"])
    assert [p["target"] for p in patches] == [
        {"kind": "ConfigMap", "name": "settings"},
        {"kind": "HelmRelease"},
    ]
    assert "timeout: 15m" in patches[1]["patch"]


def test_parent_strategic_merge_patch_replaces_the_child_patch_list(tmp_path: Path) -> None:
    # A strategic merge patch on a custom resource has no merge keys: the list is replaced, as in kustomize.
    cluster = build(checkout("kustomize-features", tmp_path))
    plain_ks = next(o for o in node(cluster, "cluster-apps").objects if o["metadata"]["name"] == "plain")
    assert to_plain(plain_ks["spec"]["patches"]) == [
        {"patch": HR_REMEDIATION_PATCH, "target": {"group": "helm.toolkit.fluxcd.io", "kind": "HelmRelease"}}
    ]
    assert to_plain(node(cluster, "plain").objects) == [
        {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {
                "labels": {NAME_LABEL: "plain", NAMESPACE_LABEL: "flux-system"},
                "name": "plain",
                "namespace": "plain",
            },
            "spec": {
                "chartRef": {"kind": "OCIRepository", "name": "plain"},
                "install": {"remediation": {"retries": -1}},
                "interval": "1h",
            },
        }
    ]


def test_missing_component_fails_without_ignore_missing_components(tmp_path: Path) -> None:
    repo = checkout("kustomize-features", tmp_path)
    ks_file = repo / "kubernetes" / "apps" / "demo" / "ks.yaml"
    ks_file.write_text(ks_file.read_text().replace("  ignoreMissingComponents: true\n", ""))
    cluster = build(repo)
    demo = node(cluster, "demo")
    assert demo.status == "failed"
    assert "components/missing" in demo.error
    assert node(cluster, "plain").status == "ok"


COMMON_METADATA_OBJECT = {
    "apiVersion": "v1",
    "data": {"team": "platform"},
    "kind": "ConfigMap",
    "metadata": {
        "annotations": {"note": "literal ${TEAM} stays"},
        "labels": {
            "app.kubernetes.io/part-of": "homeops",
            NAME_LABEL: "cluster-apps",
            NAMESPACE_LABEL: "flux-system",
            "owner": "platform",
            "team": "${TEAM}",
        },
        "name": "team-settings",
    },
}


def test_common_metadata_is_applied_after_substitution_and_not_substituted(tmp_path: Path) -> None:
    cluster = build(checkout("common-metadata", tmp_path))
    root = node(cluster, "cluster-apps")
    assert root.status == "ok" and root.unresolved == []
    assert [to_plain(o) for o in root.objects] == [COMMON_METADATA_OBJECT]


@pytest.mark.parametrize(
    "feature", sorted(p.name for p in FIXTURES.iterdir() if (p / "kubernetes" / "flux" / "cluster").is_dir())
)
def test_every_object_carries_the_ownership_labels(tmp_path: Path, feature: str) -> None:
    cluster = build(checkout(feature, tmp_path))
    built = [n for n in cluster.nodes if n.status == "ok"]
    assert built
    for ks in built:
        assert ks.objects or feature == "sources", ks.ref
        for obj in ks.objects:
            labels = obj["metadata"]["labels"]
            assert (labels[NAME_LABEL], labels[NAMESPACE_LABEL]) == (ks.name, ks.namespace), obj["metadata"]
