"""Findings: problems recorded during a run instead of raised, so that one run reports everything.

Every finding says where it is: the file (relative to the repository root), 1-based line and column, the
object (``Kind/namespace/name``), the field path inside it, and the rule code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, with its location and the rule that found it."""

    code: str
    rule: str
    severity: Severity
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    object: str = ""
    field: str = ""
    hint: str = ""

    @property
    def location(self) -> str:
        if not self.file:
            return ""
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.code)


def object_ref(kind: str, namespace: str, name: str) -> str:
    """``Kind/namespace/name`` (``Kind/name`` for cluster-scoped objects)."""
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def describe_object(obj: Any) -> str:
    """``Kind/namespace/name`` of an object (``Kind/name`` when cluster-scoped, ``?`` for missing parts)."""
    if not isinstance(obj, dict):
        return "?"
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    kind, ns, name = obj.get("kind"), meta.get("namespace"), meta.get("name")
    return object_ref(
        kind if isinstance(kind, str) and kind else "?",
        ns if isinstance(ns, str) else "",
        name if isinstance(name, str) and name else "?",
    )
