"""CRD conversion (kubeconform's openapi2jsonschema rules plus the API server's leniency) and path helpers."""

from __future__ import annotations

from typing import Any

import pytest

from homeops.schemas.crd import crd_schemas, openapi_to_jsonschema, relax_schema
from homeops.schemas.model import GroupVersionKind, format_path, locate
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import Pos


@pytest.mark.parametrize(
    ("openapi", "expected"),
    [
        pytest.param(
            {"type": "object", "properties": {"a": {
                "type": "object", "properties": {"b": {"type": "string"}}}}},
            {"type": "object", "properties": {"a": {
                "type": ["object", "null"], "properties": {"b": {"type": ["string", "null"]}},
                "additionalProperties": False}}},
            id="nested-objects-closed-root-open",
        ),
        pytest.param(
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "enum": ["x"]}}},
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "enum": ["x"]}}},
            id="required-field-not-nullable",
        ),
        pytest.param(
            {"properties": {"a": {"properties": {"b": {}}}}},
            {"properties": {"a": {"properties": {"b": {}}}}},
            id="no-type-object-stays-open",
        ),
        pytest.param(
            {"type": "object", "required": ["a"], "properties": {"a": {
                "type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {}}}},
            {"type": "object", "required": ["a"], "properties": {"a": {
                "type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {}}}},
            id="preserve-unknown-fields",
        ),
        pytest.param(
            {"type": "object", "required": ["a", "b"], "properties": {
                "a": {"format": "int-or-string", "type": "string"},
                "b": {"x-kubernetes-int-or-string": True}}},
            {"type": "object", "required": ["a", "b"], "properties": {
                "a": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "b": {"x-kubernetes-int-or-string": True,
                      "anyOf": [{"type": "integer"}, {"type": "string"}]}}},
            id="int-or-string",
        ),
        pytest.param(
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "nullable": True}},
             "additionalProperties": {"type": "object", "properties": {"c": {"type": "integer"}}}},
            {"type": "object", "required": ["a"],
             "properties": {"a": {"type": ["string", "null"], "nullable": True}},
             "additionalProperties": {"type": "object", "properties": {"c": {"type": ["integer", "null"]}},
                                      "additionalProperties": False}},
            id="nullable-and-map-values",
        ),
        pytest.param(
            {"type": "object", "properties": {"items": {"type": "array", "items": {
                "type": "object", "required": ["n"], "properties": {"n": {"type": "string"}}}}}},
            {"type": "object", "properties": {"items": {"type": ["array", "null"], "items": {
                "type": "object", "required": ["n"], "properties": {"n": {"type": "string"}},
                "additionalProperties": False}}}},
            id="array-items",
        ),
    ],
)  # fmt: skip
def test_openapi_to_jsonschema(openapi: dict[str, Any], expected: dict[str, Any]) -> None:
    assert openapi_to_jsonschema(openapi) == expected


def test_relax_schema_only_loosens() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "object", "properties": {}, "nullable": True}}}
    assert relax_schema(schema) == {
        "type": "object",
        "properties": {"a": {"type": ["object", "null"], "properties": {}, "nullable": True}},
    }


CRDS = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  group: example.com
  names: {kind: Thing}
  versions:
    - {name: v1, schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object}}}}}
    - {name: v2}
---
apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata: {name: olds.example.com}
spec:
  group: example.com
  version: v1alpha1
  names: {kind: Old}
  validation: {openAPIV3Schema: {type: object}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-crd}
"""


def test_crd_schemas_reads_v1_and_v1beta1() -> None:
    found = crd_schemas(load_documents(CRDS, "crds.yaml"))
    assert sorted(found, key=str) == [
        GroupVersionKind("example.com", "v1", "Thing"),
        GroupVersionKind("example.com", "v1alpha1", "Old"),
    ]
    assert found[GroupVersionKind("example.com", "v1", "Thing")]["properties"]["spec"] == {
        "type": ["object", "null"]
    }


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (["spec", "template", "spec", "containers", 0, "image"], "spec.template.spec.containers[0].image"),
        (["metadata", "labels", "app.kubernetes.io/name"], 'metadata.labels["app.kubernetes.io/name"]'),
        ([0, "a"], "[0].a"),
        ([], ""),
    ],
)
def test_format_path(path: list[str | int], text: str) -> None:
    assert format_path(path) == text


def test_locate_walks_to_the_deepest_existing_node() -> None:
    (obj,) = load_documents("a:\n  b:\n    - x\n    - c: 1\n", "f.yaml")
    assert locate(obj, ["a", "b", 1, "c"]) == Pos("f.yaml", 4, 7)
    assert locate(obj, ["a", "b", 1, "missing", "deeper"]) == Pos("f.yaml", 4, 7)
    assert locate(obj, ["a", "b", 5]) == Pos("f.yaml", 2, 3)
    assert locate(obj, ["zzz"]) == Pos("f.yaml", 1, 1)
