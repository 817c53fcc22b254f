"""Schema validation end to end: core kinds, repository CRDs, the CRD catalog, missing schemas."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from homeops.errors import UsageError
from homeops.findings import Severity
from homeops.schemas import (
    SCHEMA_ERROR,
    SCHEMA_MISSING,
    SCHEMA_NOT_FETCHED,
    SCHEMA_NOT_OBJECT,
    SCHEMA_PLACEHOLDER,
    SchemaRegistry,
    available_versions,
)
from homeops.schemas.model import object_gvk
from homeops.yaml.loader import load_documents

CATALOG = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "crds-catalog"
needs_catalog = pytest.mark.skipif(
    not CATALOG.is_dir(), reason=f"the CRD catalog ({CATALOG}) is absent: /work/shared is not mounted"
)


def docs(text: str) -> list[Any]:
    return load_documents(textwrap.dedent(text).lstrip("\n"), "f.yaml")


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          {image_key}: nginx
          ports:
            - containerPort: 80
"""

WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer}
                port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                note: {type: string}
                extra:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                  properties: {a: {type: string}}
"""


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry.create(repo_crds=docs(WIDGET_CRD))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(DEPLOYMENT.format(replicas=2, image_key="image"), [], id="valid"),
        pytest.param(
            DEPLOYMENT.format(replicas=2, image_key="imagee"),
            [(SCHEMA_ERROR, "spec.template.spec.containers[0].imagee", 16, "unknown field 'imagee'")],
            id="unknown-field",
        ),
        pytest.param(
            DEPLOYMENT.format(replicas='"2"', image_key="image"),
            [(SCHEMA_ERROR, "spec.replicas", 7, 'expected integer, got string "2"')],
            id="wrong-type",
        ),
        pytest.param(
            DEPLOYMENT.format(replicas="${REPLICAS}", image_key="image"),
            [(SCHEMA_PLACEHOLDER, "spec.replicas", 7, "substitution placeholder")],
            id="placeholder",
        ),
        pytest.param(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n    - port: 80\n"
            "      targetPort: http\n    - targetPort: 8080\n",
            [(SCHEMA_ERROR, "spec.ports[1].port", 8, "missing required field 'port'")],
            id="missing-required",
        ),
        pytest.param(
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 3\n  port: http\n"
            "  note: null\n  extra: {a: x, b: 1}\n",
            [],
            id="crd-valid",
        ),
        pytest.param(
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: n}\n"
            "spec:\n  size: big\n  colour: red\n",
            [
                (SCHEMA_ERROR, "spec.size", 5, 'expected integer, got string "big"'),
                (SCHEMA_ERROR, "spec.colour", 6, "unknown field 'colour'"),
            ],
            id="crd-errors",
        ),
        pytest.param(
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {}\n",
            [(SCHEMA_ERROR, "spec.size", 4, "missing required field 'size'")],
            id="crd-required",
        ),
        pytest.param(
            "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n",
            [(SCHEMA_MISSING, "", 1, "no schema for example.com/v1, Kind=Gadget")],
            id="missing-schema",
        ),
        pytest.param(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: 'ENC[x]'}\nsops: {mac: x}\n",
            [],
            id="sops-metadata",
        ),
        pytest.param(
            "kind: Secret\nmetadata: {name: s}\n",
            [(SCHEMA_NOT_OBJECT, "", 1, "not a Kubernetes")],
            id="no-kind",
        ),
    ],
)  # fmt: skip
def test_validate(registry: SchemaRegistry, text: str, expected: list[tuple[str, str, int, str]]) -> None:
    (obj,) = docs(text)
    findings = registry.validate(obj)
    got = [(f.code, f.field, f.pos.line if f.pos else 0) for f in findings]
    assert got == [(code, field, line) for code, field, line, _ in expected]
    for finding, (_, _, _, message) in zip(findings, expected, strict=True):
        assert message in finding.message
        assert finding.pos is not None and finding.pos.file == "f.yaml"


def test_finding_names_object_and_converts(registry: SchemaRegistry) -> None:
    (obj,) = docs(DEPLOYMENT.format(replicas='"2"', image_key="image"))
    (finding,) = registry.validate(obj)
    assert finding.object == "Deployment/apps/web"
    assert finding.severity is Severity.ERROR
    plain = finding.to_finding()
    assert (plain.file, plain.line, plain.column, plain.field, plain.rule) == (
        "f.yaml",
        7,
        3,
        "spec.replicas",
        "schema",
    )
    assert str(finding).startswith("f.yaml:7:3: error HO-SCHEMA Deployment/apps/web spec.replicas:")


def test_root_fields_of_crds_are_open_as_in_kubeconform(registry: SchemaRegistry) -> None:
    (obj,) = docs(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1}\nstatus2: {}\n"
    )
    assert registry.validate(obj) == []


def test_flux_kind_without_schema_hints_at_the_catalog(registry: SchemaRegistry) -> None:
    (obj,) = docs(
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: x, namespace: y}\n"
    )
    (finding,) = registry.validate(obj)
    assert finding.code == SCHEMA_MISSING and finding.severity is Severity.WARNING
    assert "CRD catalog" in finding.hint
    assert finding.object == "FluxInstance/y/x"


def test_kubernetes_versions() -> None:
    versions = available_versions()
    assert versions and all(v.endswith(".0") for v in versions)
    assert SchemaRegistry.create().kubernetes_version == versions[-1]
    assert SchemaRegistry.create(kubernetes_version="v1.30.7").kubernetes_version == "1.30.0"
    with pytest.raises(UsageError) as info:
        SchemaRegistry.create(kubernetes_version="1.2")
    assert info.value.hint is not None and versions[0] in info.value.hint and versions[-1] in info.value.hint


def test_version_selects_schemas() -> None:
    # flowcontrol.apiserver.k8s.io/v1beta3 was served until Kubernetes 1.31 and removed in 1.32
    (obj,) = docs(
        "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata: {name: f}\n"
        "spec: {priorityLevelConfiguration: {name: p}}\n"
    )
    assert SchemaRegistry.create(kubernetes_version="1.29").validate(obj) == []
    assert [f.code for f in SchemaRegistry.create(kubernetes_version="1.33").validate(obj)] == [
        SCHEMA_MISSING
    ]


@needs_catalog
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: a}\n"
            "spec:\n  interval: 1h\n  chartRef: {kind: OCIRepository, name: app}\n"
            "  values:\n    any: {thing: 1}\n",
            [],
            id="helmrelease-valid",
        ),
        pytest.param(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app, namespace: a}\n"
            "spec:\n  interval: 1 hour\n  chartRef: {kind: OCIRepository, name: app}\n"
            "  install:\n    remediation:\n      retries: 3\n      retry: 1\n",
            [(SCHEMA_ERROR, "spec.interval", 5), (SCHEMA_ERROR, "spec.install.remediation.retry", 10)],
            id="helmrelease-errors",
        ),
        pytest.param(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: k}\nspec:\n"
            "  interval: 1h\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
            "  postBuild:\n",
            [],
            id="null-optional-field",
        ),
    ],
)  # fmt: skip
def test_catalog_location(text: str, expected: list[tuple[str, str, int]]) -> None:
    registry = SchemaRegistry.create(locations=[str(CATALOG)])
    (obj,) = docs(text)
    got = [(f.code, f.field, f.pos.line if f.pos else 0) for f in registry.validate(obj)]
    assert got == expected


@needs_catalog
def test_repo_crds_come_before_locations() -> None:
    crd = WIDGET_CRD.replace("example.com", "helm.toolkit.fluxcd.io").replace("Widget", "HelmRelease")
    crd = crd.replace("name: v1\n", "name: v2\n")
    registry = SchemaRegistry.create(locations=[str(CATALOG)], repo_crds=docs(crd))
    (obj,) = docs(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: x}\nspec: {size: 1}\n"
    )
    assert registry.validate(obj) == []
    gvk = object_gvk(obj)
    assert gvk is not None and "repository" in registry.source_of(gvk)


def test_url_location_not_fetched_without_network(tmp_path: Path) -> None:
    registry = SchemaRegistry.create(
        locations=["https://schemas.invalid/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"],
        cache_dir=tmp_path,
    )
    (obj,) = docs("apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n")
    (finding,) = registry.validate(obj)
    assert finding.code == SCHEMA_NOT_FETCHED and finding.severity is Severity.WARNING
    assert "schema location not fetched" in finding.message
    assert "https://schemas.invalid/example.com/gadget_v1.json" in finding.message


@pytest.mark.parametrize("location", ["/no/such/dir", "x/{{.Nope}}.json", "x/{{.Group}.json"])
def test_bad_locations(location: str) -> None:
    with pytest.raises(UsageError):
        SchemaRegistry.create(locations=[location])
