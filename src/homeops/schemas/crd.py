"""CustomResourceDefinitions to JSON schemas, the way kubeconform's ``openapi2jsonschema`` converts them.

A CRD's ``openAPIV3Schema`` is almost JSON Schema. The conversion, as kubeconform's script (and the CRD
catalogs built with it) does:

- every object schema with ``properties`` (``type: object``), except the root, gets
  ``additionalProperties: false`` unless it says otherwise, so unknown fields are errors;
- ``format: int-or-string`` becomes ``oneOf: [string, integer]``.

And what the API server does that the script does not (to avoid false positives):

- a schema with ``x-kubernetes-preserve-unknown-fields: true`` keeps unknown fields (no
  ``additionalProperties: false``);
- ``x-kubernetes-int-or-string: true`` without its own ``anyOf`` accepts an integer or a string;
- ``nullable: true`` accepts null, and so does every optional field: the API server prunes null fields
  of custom resources instead of rejecting them (``postBuild:`` left empty is not an error).

:func:`relax_schema` applies the last three to schemas read from a location (already converted by the script).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from homeops.schemas.model import GroupVersionKind
from homeops.yaml.nodes import to_plain

_INT_OR_STRING: dict[str, Any] = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "additionalItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependencies")


def _children(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The sub-schemas of a schema (structurally: property names are never taken for keywords)."""
    for key in _SCHEMA_MAPS:
        group = schema.get(key)
        if isinstance(group, dict):
            yield from (v for v in group.values() if isinstance(v, dict))
    for key in _SCHEMA_VALUES:
        value = schema.get(key)
        if isinstance(value, dict):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, dict))
    for key in _SCHEMA_LISTS:
        value = schema.get(key)
        if isinstance(value, list):
            yield from (v for v in value if isinstance(v, dict))


def _is_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


def _allow_null(schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    if isinstance(kind, str) and kind != "null":
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    elif kind is None:
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and {"type": "null"} not in branches:
                schema[key] = [*branches, {"type": "null"}]
    enum = schema.get("enum")
    if isinstance(enum, list) and None not in enum:
        schema["enum"] = [*enum, None]


def _relax(schema: dict[str, Any]) -> None:
    if schema.get("x-kubernetes-int-or-string") is True and not any(k in schema for k in _SCHEMA_LISTS):
        schema.pop("type", None)
        schema.update(_INT_OR_STRING)
    if schema.get("nullable") is True:
        _allow_null(schema)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        required = schema.get("required")
        needed = set(required) if isinstance(required, list) else set()
        for name, sub in properties.items():
            if name not in needed and isinstance(sub, dict):
                _allow_null(sub)


def _convert(schema: dict[str, Any], root: bool) -> dict[str, Any]:
    if schema.get("format") == "int-or-string":
        return {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    out = dict(schema)
    for key in _SCHEMA_MAPS:
        group = out.get(key)
        if isinstance(group, dict):
            out[key] = {k: _convert(v, False) if isinstance(v, dict) else v for k, v in group.items()}
    for key in (*_SCHEMA_VALUES, *_SCHEMA_LISTS):
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = _convert(value, False)
        elif isinstance(value, list):
            out[key] = [_convert(v, False) if isinstance(v, dict) else v for v in value]
    if (
        not root
        and "properties" in out
        and _is_object(out)
        and "additionalProperties" not in out
        and out.get("x-kubernetes-preserve-unknown-fields") is not True
    ):
        out["additionalProperties"] = False
    _relax(out)
    return out


def openapi_to_jsonschema(openapi: Any) -> dict[str, Any]:
    """Convert one ``openAPIV3Schema`` (plain or YMap) into a JSON schema (a new plain dict)."""
    plain = to_plain(openapi)
    if not isinstance(plain, dict):
        return {}
    return _convert(plain, True)


def relax_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Make an already converted CRD schema accept what the API server accepts (``nullable``, int-or-string).

    Changes ``schema`` in place and returns it.
    """
    stack = [schema]
    while stack:
        node = stack.pop()
        _relax(node)
        stack.extend(_children(node))
    return schema


def crd_schemas(objects: Iterable[Any]) -> dict[GroupVersionKind, dict[str, Any]]:
    """JSON schemas of every version of every CustomResourceDefinition among ``objects``.

    Reads ``apiextensions.k8s.io/v1`` (``spec.versions[].schema.openAPIV3Schema``) and ``v1beta1``
    (``spec.validation.openAPIV3Schema`` shared by ``spec.version``/``spec.versions``). Other objects and
    CRDs without a schema are skipped. The first definition of a kind wins.
    """
    found: dict[GroupVersionKind, dict[str, Any]] = {}
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("kind") != "CustomResourceDefinition":
            continue
        api_version = obj.get("apiVersion")
        if not isinstance(api_version, str) or not api_version.startswith("apiextensions.k8s.io/"):
            continue
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            continue
        group, names = spec.get("group"), spec.get("names")
        kind = names.get("kind") if isinstance(names, dict) else None
        if not isinstance(group, str) or not isinstance(kind, str):
            continue
        for version, openapi in _version_schemas(spec):
            key = GroupVersionKind(group, version, kind)
            if key not in found:
                found[key] = openapi_to_jsonschema(openapi)
    return found


def _version_schemas(spec: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    validation = spec.get("validation")
    shared = validation.get("openAPIV3Schema") if isinstance(validation, dict) else None
    versions = spec.get("versions")
    if isinstance(versions, list) and versions:
        for entry in versions:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            schema = entry.get("schema")
            openapi = schema.get("openAPIV3Schema") if isinstance(schema, dict) else None
            if openapi is None:
                openapi = shared
            if isinstance(openapi, dict):
                yield entry["name"], openapi
    elif isinstance(spec.get("version"), str) and isinstance(shared, dict):
        yield spec["version"], shared
