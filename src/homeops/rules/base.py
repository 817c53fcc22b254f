"""The rule protocol and helpers to make findings."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from homeops.findings import Finding, Severity
from homeops.yaml.nodes import Pos


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule: its identity, default severity, documentation and check function."""

    code: str
    name: str
    severity: Severity
    kind: str
    doc: str
    module: ModuleType

    def check(self, ctx: Any) -> Iterator[Finding]:
        result: Iterator[Finding] = self.module.check(ctx)
        return result

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name

    def section(self, title: str) -> str:
        """The text of a ``Why:``/``Bad:``/``Good:`` section of the docstring."""
        lines = inspect.cleandoc(self.doc).splitlines()
        out: list[str] = []
        inside = False
        for line in lines:
            head = line.strip().rstrip(":")
            if head in ("Why", "Bad", "Good") and line.strip().endswith(":"):
                inside = head == title
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip("\n")


def rule_from_module(module: ModuleType) -> Rule:
    """Build the Rule of a rule module, checking it defines everything a rule must."""
    for attr in ("CODE", "NAME", "SEVERITY", "check"):
        if not hasattr(module, attr):
            raise TypeError(f"rule module {module.__name__} lacks {attr}")
    doc = module.__doc__ or ""
    for section in ("Why:", "Bad:", "Good:"):
        if section not in doc:
            raise TypeError(f"rule module {module.__name__} docstring lacks a {section} section")
    return Rule(
        code=module.CODE,
        name=module.NAME,
        severity=module.SEVERITY,
        kind=getattr(module, "KIND", "validate"),
        doc=doc,
        module=module,
    )


def finding(
    rule_module: Any,
    message: str,
    *,
    pos: Pos | None = None,
    file: str = "",
    line: int = 0,
    column: int = 0,
    obj: str = "",
    field: str = "",
    hint: str = "",
    severity: Severity | None = None,
) -> Finding:
    """A finding of ``rule_module`` (pass the module's globals via ``sys.modules[__name__]``)."""
    if pos is not None and not file:
        file, line, column = pos.file, pos.line, pos.column
    return Finding(
        code=rule_module.CODE,
        rule=rule_module.NAME,
        severity=severity or rule_module.SEVERITY,
        message=message,
        file=file,
        line=line,
        column=column,
        object=obj,
        field=field,
        hint=hint,
    )
