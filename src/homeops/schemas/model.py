"""What schema validation reports: findings with the object, the field path and the field's position.

A field path is written the way people read Kubernetes objects: ``spec.template.spec.containers[0].image``.
Keys that are not plain words are quoted: ``metadata.labels["app.kubernetes.io/name"]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from homeops.findings import Finding, Severity
from homeops.yaml.nodes import Pos, YMap, YSeq

SCHEMA_ERROR = "HO-SCHEMA"
"""A field does not match its schema (unknown field, wrong type, missing required field...)."""

SCHEMA_MISSING = "HO-SCHEMA-MISSING"
"""No schema was found for the object's kind: the object was not validated."""

SCHEMA_NOT_FETCHED = "HO-SCHEMA-NOT-FETCHED"
"""A URL schema location might hold the schema but the network is disabled (and nothing is cached)."""

SCHEMA_FETCH_FAILED = "HO-SCHEMA-UNREADABLE"
"""A schema could not be read or compiled (network error, invalid JSON, unsupported regex)."""

SCHEMA_PLACEHOLDER = "HO-SCHEMA-VAR"
"""A field holds a Flux ``${VAR}`` placeholder whose type can only be checked after substitution."""

SCHEMA_NOT_OBJECT = "HO-SCHEMA-NOKIND"
"""The document is not a Kubernetes object (no string ``apiVersion`` and ``kind``)."""

SCHEMA_RULE = "schema"

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class SchemaFinding:
    """One schema problem of one object, with where it is."""

    code: str
    severity: Severity
    message: str
    object: str
    field: str = ""
    pos: Pos | None = None
    hint: str = ""

    def to_finding(self) -> Finding:
        """The project-wide :class:`~homeops.findings.Finding` for this schema finding."""
        pos = self.pos
        return Finding(
            code=self.code,
            rule=SCHEMA_RULE,
            severity=self.severity,
            message=self.message,
            file=pos.file if pos else "",
            line=pos.line if pos else 0,
            column=pos.column if pos else 0,
            object=self.object,
            field=self.field,
            hint=self.hint,
        )

    def __str__(self) -> str:
        where = f"{self.pos}: " if self.pos else ""
        field = f" {self.field}" if self.field else ""
        return f"{where}{self.severity.value} {self.code} {self.object}{field}: {self.message}"


@dataclass(frozen=True, slots=True)
class GroupVersionKind:
    """An object's API group (``""`` for the core group), version and kind."""

    group: str
    version: str
    kind: str

    @classmethod
    def parse(cls, api_version: str, kind: str) -> GroupVersionKind:
        """Split ``apiVersion`` (``apps/v1`` or ``v1``) into group and version."""
        group, sep, version = api_version.rpartition("/")
        return cls(group if sep else "", version, kind)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def __str__(self) -> str:
        return f"{self.api_version}, Kind={self.kind}"


def object_gvk(obj: Any) -> GroupVersionKind | None:
    """The object's group, version and kind, or None when ``apiVersion`` or ``kind`` is not a string."""
    if not isinstance(obj, dict):
        return None
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
        return None
    return GroupVersionKind.parse(api_version, kind)


def format_path(path: Sequence[str | int]) -> str:
    """``["spec", "containers", 0, "image"]`` -> ``spec.containers[0].image``."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


def locate(obj: Any, path: Sequence[str | int]) -> Pos | None:
    """Position of the deepest node of ``path`` that exists in ``obj`` (at worst the object's own)."""
    node = obj
    pos: Pos | None = obj.pos if isinstance(obj, (YMap, YSeq)) else None
    for part in path:
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            pos = node.kpos.get(part) or pos
            node = node[part]
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
            pos = node.item_pos(part) or pos
            node = node[part]
        else:
            break
    return pos


def value_at(obj: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` (None when the path does not exist)."""
    node = obj
    for part in path:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node
