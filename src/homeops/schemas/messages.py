"""Turn JSON Schema validation errors into findings that say, in Kubernetes terms, what is wrong and where.

A top-level ``sops`` mapping is not an unknown field: it is SOPS' metadata of an encrypted file, removed when
Flux decrypts the object.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs

from homeops.findings import Severity
from homeops.schemas.model import SCHEMA_ERROR, SCHEMA_PLACEHOLDER, SchemaFinding, format_path, locate

_PLACEHOLDER_HINT = "Flux postBuild substitution replaces it before the object is applied"
_KIND = jsonschema_rs.ValidationErrorKind


def json_type(value: Any) -> str:
    """The JSON type name of a loaded YAML value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and "${" in value and "}" in value


def error_findings(obj: Any, ref: str, error: jsonschema_rs.ValidationError) -> list[SchemaFinding]:
    """The findings of one validation error of ``obj`` (``ref`` is its ``Kind/namespace/name``)."""
    path = list(error.instance_path)
    kind = error.kind
    value = error.instance
    if isinstance(kind, _KIND.AdditionalProperties):
        return [
            SchemaFinding(
                SCHEMA_ERROR,
                Severity.ERROR,
                f"unknown field {name!r}",
                ref,
                format_path([*path, name]),
                locate(obj, [*path, name]),
            )
            for name in kind.unexpected
            if not (
                not path and name == "sops" and isinstance(value, dict) and isinstance(value.get(name), dict)
            )
        ]
    if isinstance(kind, _KIND.Required):
        name = str(kind.property)
        return [
            SchemaFinding(
                SCHEMA_ERROR,
                Severity.ERROR,
                f"missing required field {name!r}",
                ref,
                format_path([*path, name]),
                locate(obj, path),
            )
        ]
    if isinstance(kind, _KIND.OneOfMultipleValid) and value is None:
        return []  # int-or-string and quantity accept null through both branches: the API server does too
    field_path = format_path(path)
    pos = locate(obj, path)
    if _is_placeholder(value):
        return [
            SchemaFinding(
                SCHEMA_PLACEHOLDER,
                Severity.INFO,
                f"{_show(value)} is a substitution placeholder; checked only after substitution "
                f"({_describe(kind, value, error.message)})",
                ref,
                field_path,
                pos,
                _PLACEHOLDER_HINT,
            )
        ]
    return [
        SchemaFinding(
            SCHEMA_ERROR, Severity.ERROR, _describe(kind, value, error.message), ref, field_path, pos
        )
    ]


def _describe(kind: Any, value: Any, fallback: str) -> str:
    if isinstance(kind, _KIND.Type):
        wanted = [t for t in kind.types if t != "null"] or list(kind.types)
        return f"expected {' or '.join(wanted)}, got {json_type(value)} {_show(value)}"
    if isinstance(kind, _KIND.Enum):
        options = ", ".join(_show(o) for o in kind.options if o is not None)
        return f"{_show(value)} is not one of: {options}"
    if isinstance(kind, (_KIND.OneOfNotValid, _KIND.AnyOf)):
        return f"{json_type(value)} {_show(value)} matches none of the allowed forms"
    return fallback
