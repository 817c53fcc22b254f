"""The bundled default schemas of Flux's and external-secrets' kinds (generated from npm packages)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from homeops.findings import Severity
from homeops.schemas import (
    SCHEMA_ERROR,
    SCHEMA_MISSING,
    SCHEMA_NOT_FETCHED,
    SchemaRegistry,
    bundled_groups,
    load_default_schema,
)
from homeops.schemas.defaults import default_schema_root
from homeops.schemas.model import GroupVersionKind, object_gvk
from homeops.yaml.loader import load_documents

KUSTOMIZATION = """
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: romm
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps/games/romm/app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  dependsOn:
    - name: rook-ceph
  postBuild:
    substituteFrom:
      - kind: Secret
        name: cluster-secrets
  wait: false
"""

HELMRELEASE = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: romm
  namespace: games
spec:
  interval: 30m
  chartRef:
    kind: OCIRepository
    name: romm
  install:
    remediation:
      retries: 3
  upgrade:
    cleanupOnFail: true
  values:
    anything: {goes: [1, "two", {three: null}]}
    replicas: 2
    persistence: {data: {enabled: true, size: 10Gi}}
"""

EXTERNALSECRET = """
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: romm
  namespace: games
spec:
  secretStoreRef:
    kind: ClusterSecretStore
    name: onepassword
  target:
    name: romm-secret
    template:
      data:
        DB_PASSWORD: "{{ .password }}"
  dataFrom:
    - extract:
        key: romm
"""


def obj(text: str) -> Any:
    (doc,) = load_documents(textwrap.dedent(text).lstrip("\n"), "f.yaml")
    return doc


def codes(findings: list[Any]) -> list[tuple[str, str, str]]:
    return [(f.code, f.field, f.message) for f in findings]


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry.create()


@pytest.mark.parametrize("text", [KUSTOMIZATION, HELMRELEASE, EXTERNALSECRET])
def test_valid_objects_pass(registry: SchemaRegistry, text: str) -> None:
    document = obj(text)
    assert registry.validate(document) == []
    gvk = object_gvk(document)
    assert gvk is not None
    assert registry.source_of(gvk).startswith(f"bundled default schema {gvk.group}/")


@pytest.mark.parametrize(
    ("text", "anchor", "indent", "field"),
    [
        (KUSTOMIZATION, "spec:\n", 2, "spec.prunne"),
        (HELMRELEASE, "spec:\n", 2, "spec.prunne"),
        (EXTERNALSECRET, "spec:\n", 2, "spec.prunne"),
        (KUSTOMIZATION, "    name: flux-system\n", 4, "spec.sourceRef.prunne"),
        (HELMRELEASE, "      retries: 3\n", 6, "spec.install.remediation.prunne"),
        (EXTERNALSECRET, "        key: romm\n", 8, "spec.dataFrom[0].extract.prunne"),
    ],
    ids=["ks-spec", "hr-spec", "es-spec", "ks-sourceRef", "hr-remediation", "es-extract"],
)
def test_unknown_field_in_spec_fails_with_its_path(
    registry: SchemaRegistry, text: str, anchor: str, indent: int, field: str
) -> None:
    source = textwrap.dedent(text).lstrip("\n")
    bad = source.replace(anchor, anchor + " " * indent + "prunne: true\n", 1)
    line = source[: source.index(anchor)].count("\n") + 2
    (finding,) = registry.validate(obj(bad))
    assert (finding.code, finding.field, finding.message) == (SCHEMA_ERROR, field, "unknown field 'prunne'")
    assert finding.severity is Severity.ERROR
    assert finding.pos is not None and (finding.pos.line, finding.pos.column) == (line, indent + 1)


@pytest.mark.parametrize(
    ("text", "old", "new", "expected"),
    [
        (
            KUSTOMIZATION,
            "  prune: true\n",
            "",
            [(SCHEMA_ERROR, "spec.prune", "missing required field 'prune'")],
        ),
        (
            KUSTOMIZATION,
            "  prune: true\n",
            "  prune: yes please\n",
            [(SCHEMA_ERROR, "spec.prune", 'expected boolean, got string "yes please"')],
        ),
        (
            KUSTOMIZATION,
            "  wait: false\n",
            "  deletionPolicy: Keep\n",
            [
                (
                    SCHEMA_ERROR,
                    "spec.deletionPolicy",
                    '"Keep" is not one of: "MirrorPrune", "Delete", "WaitForTermination", "Orphan"',
                )
            ],
        ),
        # optional fields left empty are pruned by the API server, as with the CRD catalog
        (KUSTOMIZATION, "  wait: false\n", "  wait:\n  timeout:\n", []),
    ],
    ids=["missing-required", "wrong-type", "enum", "empty-optional"],
)
def test_required_types_and_enums(
    registry: SchemaRegistry, text: str, old: str, new: str, expected: list[tuple[str, str, str]]
) -> None:
    source = textwrap.dedent(text).lstrip("\n")
    assert old in source
    assert codes(registry.validate(obj(source.replace(old, new, 1)))) == expected


def test_helmrelease_values_accept_anything(registry: SchemaRegistry) -> None:
    document = obj(HELMRELEASE)
    document["spec"]["values"] = {"a": [{"b": None}, 1.5, True], "prunne": "x", "nested": {"deep": {"x": []}}}
    assert registry.validate(document) == []


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
        ("source.toolkit.fluxcd.io/v1", "GitRepository"),
        ("source.toolkit.fluxcd.io/v1", "OCIRepository"),
        ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository"),
        ("source.toolkit.fluxcd.io/v1", "HelmRepository"),
        ("source.toolkit.fluxcd.io/v1", "HelmChart"),
        ("source.toolkit.fluxcd.io/v1", "Bucket"),
        ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
        ("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease"),
        ("notification.toolkit.fluxcd.io/v1beta3", "Alert"),
        ("notification.toolkit.fluxcd.io/v1beta3", "Provider"),
        ("notification.toolkit.fluxcd.io/v1", "Receiver"),
        ("image.toolkit.fluxcd.io/v1beta2", "ImageRepository"),
        ("external-secrets.io/v1", "ExternalSecret"),
        ("external-secrets.io/v1", "ClusterExternalSecret"),
        ("external-secrets.io/v1", "SecretStore"),
        ("external-secrets.io/v1", "ClusterSecretStore"),
        ("external-secrets.io/v1beta1", "ExternalSecret"),
    ],
)
def test_bundled_kinds(api_version: str, kind: str) -> None:
    found = load_default_schema(GroupVersionKind.parse(api_version, kind))
    assert found is not None
    assert found.schema["properties"]["kind"]["enum"] == [kind]
    assert "@kubernetes-models/" in found.source


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("v1", "ConfigMap"),
        ("fluxcd.controlplane.io/v1", "FluxInstance"),
        ("../x/v1", "Secret"),
        ("a/v1", "../b"),
    ],
)
def test_kinds_without_a_default(api_version: str, kind: str) -> None:
    assert load_default_schema(GroupVersionKind.parse(api_version, kind)) is None


def test_flux_kind_without_default_hints_at_the_catalog(registry: SchemaRegistry) -> None:
    (finding,) = registry.validate(
        obj("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: f}\n")
    )
    assert finding.code == SCHEMA_MISSING
    assert "CRD catalog" in finding.hint


def test_locations_and_repository_crds_come_first(tmp_path: Path) -> None:
    group = tmp_path / "kustomize.toolkit.fluxcd.io"
    group.mkdir()
    (group / "kustomization_v1.json").write_text(
        json.dumps({"type": "object", "properties": {"spec": {"type": "object", "properties": {}}}})
    )
    registry = SchemaRegistry.create(locations=[str(tmp_path)])
    document = obj(KUSTOMIZATION)
    assert registry.validate(document) == []  # the user's (permissive) schema, not the default
    gvk = object_gvk(document)
    assert gvk is not None and registry.source_of(gvk) == str(group / "kustomization_v1.json")


def test_default_is_used_when_a_url_location_is_not_fetched(tmp_path: Path) -> None:
    registry = SchemaRegistry.create(locations=["https://schemas.invalid/"], cache_dir=tmp_path)
    document = obj(KUSTOMIZATION)
    assert all(f.code != SCHEMA_NOT_FETCHED for f in registry.validate(document))
    gvk = object_gvk(document)
    assert gvk is not None and registry.source_of(gvk).startswith("bundled default schema")


def test_data_files_are_compact_and_listed() -> None:
    root = default_schema_root()
    assert {"external-secrets.io", "helm.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io"} <= set(
        bundled_groups()
    )
    total = 0
    for group in root.iterdir():
        if group.is_dir():
            for entry in group.iterdir():
                data = entry.read_bytes()
                total += len(data)
                assert b"\n " not in data and b'": ' not in data[:200], f"{entry.name} is not minified"
    assert 0 < total < 2 * 1024 * 1024
    assert "@kubernetes-models/flux-cd" in (root / "SOURCE.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text",
    [
        # the Flux operator's kinds are newer than the pinned package's enum of event source kinds
        """
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata: {name: a, namespace: flux-system}
        spec:
          providerRef: {name: alertmanager}
          eventSources: [{kind: FluxInstance, name: flux}]
        """,
        # a provider newer than the pinned package (known providers are still checked)
        """
        apiVersion: external-secrets.io/v1
        kind: ClusterSecretStore
        metadata: {name: onepassword}
        spec:
          provider:
            onepasswordSDK: {vault: home, auth: {serviceAccountSecretRef: {name: op, key: token}}}
        """,
    ],
    ids=["alert-flux-operator-kind", "newer-secretstore-provider"],
)
def test_what_grows_with_each_release_is_not_enforced(registry: SchemaRegistry, text: str) -> None:
    assert registry.validate(obj(text)) == []


def test_known_secretstore_providers_stay_strict(registry: SchemaRegistry) -> None:
    document = obj(
        """
        apiVersion: external-secrets.io/v1
        kind: ClusterSecretStore
        metadata: {name: onepassword}
        spec:
          provider:
            onepassword: {connectHost: "http://op:8080", vaults: {home: 1}, typo: 1,
              auth: {secretRef: {connectTokenSecretRef: {name: op, key: token}}}}
        """
    )
    assert codes(registry.validate(document)) == [
        (SCHEMA_ERROR, "spec.provider.onepassword.typo", "unknown field 'typo'")
    ]
