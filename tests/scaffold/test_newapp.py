from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import yaml
from homeops.errors import UsageError
from homeops.flux.cluster import ClusterOptions, build_cluster
from homeops.scaffold import NewAppOptions, new_app
from homeops.yaml.nodes import to_plain
from tests.templating.helpers import snapshot

APP_TEMPLATE = "oci://ghcr.io/bjw-s-labs/helm/app-template"


def load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def built(repo: Path, ks: str) -> list[dict[str, Any]]:
    key = (repo / "age.key").read_text().splitlines()
    identities = tuple(line for line in key if line.startswith("AGE-"))
    build = build_cluster(ClusterOptions(repo=repo, identities=identities))
    assert [(n.ref, n.error) for n in build.nodes if n.status != "ok"] == []
    assert [u for n in build.nodes for u in n.unresolved] == []
    (node,) = build.find(ks)
    return [to_plain(o) for o in node.objects]


def test_an_oci_app_with_secret_and_pvc_builds_in_an_existing_area(example_copy: Path) -> None:
    area_file = example_copy / "kubernetes/apps/games/kustomization.yaml"
    area_before = area_file.read_text()
    result = new_app(
        NewAppOptions(example_copy, "games", "mario", APP_TEMPLATE, "5.1.0", secret=True, pvc="5Gi")
    )
    app = "kubernetes/apps/games/mario"
    assert result.app_dir == app
    assert set(result.created) == {
        f"{app}/ks.yaml",
        f"{app}/app/kustomization.yaml",
        f"{app}/app/ocirepository.yaml",
        f"{app}/app/externalsecret.yaml",
        f"{app}/app/pvc.yaml",
        f"{app}/app/helmrelease.yaml",
    }
    assert result.updated == ("kubernetes/apps/games/kustomization.yaml",)
    assert result.depends_on == ("external-secrets", "rook-ceph")
    assert area_file.read_text() == area_before.replace(
        "  - ./romm/ks.yaml\n", "  - ./mario/ks.yaml\n  - ./romm/ks.yaml\n"
    )
    assert "# `homeops new app" in area_file.read_text()

    objs = built(example_copy, "mario")
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in objs)
    assert kinds == [
        ("ExternalSecret", "mario"),
        ("HelmRelease", "mario"),
        ("OCIRepository", "mario"),
        ("PersistentVolumeClaim", "mario-data"),
    ]
    by_kind = {o["kind"]: o for o in objs}
    assert by_kind["HelmRelease"]["spec"]["chartRef"] == {"kind": "OCIRepository", "name": "mario"}
    assert by_kind["OCIRepository"]["spec"]["ref"] == {"tag": "5.1.0"}
    assert by_kind["OCIRepository"]["spec"]["url"] == APP_TEMPLATE
    assert by_kind["ExternalSecret"]["spec"]["target"]["name"] == "mario-secret"
    assert by_kind["ExternalSecret"]["spec"]["secretStoreRef"]["name"] == "onepassword"
    pvc = by_kind["PersistentVolumeClaim"]
    assert pvc["spec"]["storageClassName"] == "ceph-block"
    assert pvc["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert all(o["metadata"]["namespace"] == "games" for o in objs)
    (ks,) = load(example_copy / app / "ks.yaml")
    assert ks["spec"]["dependsOn"] == [{"name": "external-secrets"}, {"name": "rook-ceph"}]
    assert ks["metadata"]["namespace"] == "flux-system"
    assert "mario" in result.summary() and "~ kubernetes/apps/games/kustomization.yaml" in result.summary()


def test_a_helm_repository_app_in_a_new_area(example_copy: Path) -> None:
    result = new_app(
        NewAppOptions(example_copy, "storage", "ceph-tools", "rook-release/rook-ceph", "v1.20.6")
    )
    assert result.updated == ()
    area = example_copy / "kubernetes/apps/storage"
    assert load(area / "namespace.yaml") == [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "storage"}}
    ]
    assert load(area / "kustomization.yaml")[0]["resources"] == ["./namespace.yaml", "./ceph-tools/ks.yaml"]
    assert not (area / "ceph-tools/app/ocirepository.yaml").exists()
    objs = built(example_copy, "ceph-tools")
    (hr,) = objs
    assert hr["spec"]["chart"]["spec"] == {
        "chart": "rook-ceph",
        "version": "v1.20.6",
        "sourceRef": {"kind": "HelmRepository", "name": "rook-release", "namespace": "flux-system"},
    }
    apps = built(example_copy, "cluster-apps")
    assert ("Namespace", "storage") in {(o["kind"], o["metadata"]["name"]) for o in apps}


def test_a_new_area_is_added_to_an_apps_kustomization_when_there_is_one(example_copy: Path) -> None:
    apps = example_copy / "kubernetes/apps"
    text = "resources:\n  # areas\n  - ./external-secrets\n  - ./flux-system\n  - ./games\n  - ./rook-ceph\n"
    (apps / "kustomization.yaml").write_text(text)
    result = new_app(NewAppOptions(example_copy, "media", "plex", APP_TEMPLATE, "5.1.0"))
    assert result.updated == ("kubernetes/apps/kustomization.yaml",)
    assert (apps / "kustomization.yaml").read_text() == text.replace("./games\n", "./games\n  - ./media\n")
    built(example_copy, "plex")


def test_an_area_with_a_namespace_field_keeps_its_convention(example_copy: Path) -> None:
    area = example_copy / "kubernetes/apps/games/kustomization.yaml"
    area.write_text(area.read_text() + "namespace: flux-system\n")
    new_app(NewAppOptions(example_copy, "games", "zelda", APP_TEMPLATE, "5.1.0"))
    (ks,) = load(example_copy / "kubernetes/apps/games/zelda/ks.yaml")
    assert ks["metadata"]["namespace"] == "flux-system"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(name="romm"), "already exists; nothing was changed"),
        (dict(name="rook-ceph", namespace="other"), "Flux Kustomization 'rook-ceph' already exists"),
        (dict(version="^1.2"), "not an exact version"),
        (dict(version="latest"), "not an exact version"),
        (dict(name="Bad_Name"), "invalid app name"),
        (dict(namespace="-x"), "invalid app namespace"),
        (dict(chart="bitnami/redis"), "no HelmRepository named 'bitnami'"),
        (dict(chart="https://charts.example.com/x"), "invalid chart"),
        (dict(chart="oci://Ghcr.io/X"), "invalid OCI chart"),
        (dict(pvc="lots"), "invalid volume size"),
    ],
)
def test_refusals_change_nothing(example_copy: Path, options: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = dict(namespace="games", name="mario", chart=APP_TEMPLATE, version="5.1.0")
    before = snapshot(example_copy)
    with pytest.raises(UsageError, match=message):
        new_app(NewAppOptions(example_copy, **(base | options)))
    assert snapshot(example_copy) == before


def test_a_secret_needs_a_cluster_secret_store(example_copy: Path) -> None:
    store = example_copy / "kubernetes/apps/external-secrets/external-secrets/stores/clustersecretstore.yaml"
    store.unlink()
    before = snapshot(example_copy)
    with pytest.raises(UsageError, match="no ClusterSecretStore"):
        new_app(NewAppOptions(example_copy, "games", "mario", APP_TEMPLATE, "5.1.0", secret=True))
    assert snapshot(example_copy) == before


def test_an_area_without_kustomization_is_refused(example_copy: Path) -> None:
    (example_copy / "kubernetes/apps/loose").mkdir()
    with pytest.raises(UsageError, match="has no kustomization.yaml"):
        new_app(NewAppOptions(example_copy, "loose", "mario", APP_TEMPLATE, "5.1.0"))
    assert not (example_copy / "kubernetes/apps/loose/mario").exists()


def test_not_a_cluster_repository(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="kubernetes/apps not found"):
        new_app(NewAppOptions(tmp_path, "games", "mario", APP_TEMPLATE, "5.1.0"))


def test_an_explicit_unknown_storage_class_is_used_with_a_note(example_copy: Path) -> None:
    result = new_app(
        NewAppOptions(example_copy, "games", "mario", APP_TEMPLATE, "5.1.0", pvc="1Gi", storage_class="nfs")
    )
    assert result.notes == ("StorageClass nfs is not defined in the repository",)
    assert result.depends_on == ()
    (pvc,) = load(example_copy / "kubernetes/apps/games/mario/app/pvc.yaml")
    assert pvc["spec"]["storageClassName"] == "nfs"
