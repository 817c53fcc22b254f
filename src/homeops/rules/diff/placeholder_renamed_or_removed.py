"""A Flux variable was renamed or removed, but something still uses the old name.

Why:
    A variable defined on the base (``postBuild.substitute`` or a key of a ``substituteFrom`` ConfigMap or
    Secret) that the head no longer defines leaves every ``${OLD_NAME}`` still written somewhere unresolved:
    Flux's strict substitution then fails the whole Kustomization, and the template guide documents a
    variable that no longer exists. A rename done everywhere (definition, every use, TEMPLATE_GUIDE.md) is
    not flagged.

Bad:
    # cluster-settings: TIMEZONE renamed to TZ ...
    data:
      TZ: Europe/Paris
    # ... but an app still reads the old name
    env:
      TZ: ${TIMEZONE}

Good:
    data:
      TZ: Europe/Paris
    env:
      TZ: ${TZ}
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

from homeops.diff.context import HEAD, DiffContext
from homeops.findings import Finding, Severity
from homeops.flux.repository import ObjectEntry
from homeops.rules.base import finding
from homeops.rules.diff._common import defined_variables

CODE = "HO301"
NAME = "placeholder-renamed-or-removed"
SEVERITY = Severity.ERROR
KIND = "diff"

_GUIDE = "TEMPLATE_GUIDE.md"
_MAX_PER_VARIABLE = 20


def check(ctx: DiffContext) -> Iterator[Finding]:
    """Report every remaining use, on the head, of a variable the head no longer defines."""
    me = sys.modules[__name__]
    base_vars = defined_variables(ctx.base)
    head_vars = defined_variables(ctx.head)
    # a variable whose Kustomization cannot be compared (it, or one above it, fails to build) is unknown
    # on the head, not removed: that failure is reported by HO308
    gone = sorted(v for v in set(base_vars) - set(head_vars) if not ctx.uncompared(base_vars[v][0]))
    if not gone:
        return
    added = set(head_vars) - set(base_vars)
    for var in gone:
        old_value = base_vars[var][1]
        renamed = sorted(w for w in added if old_value and head_vars[w][1] == old_value)
        what = f"renamed to ${{{renamed[0]}}}" if len(renamed) == 1 else "removed or renamed"
        defined_by = base_vars[var][0].ref
        seen: set[tuple[str, int]] = set()
        count = 0
        for file, line, column, obj in _uses(ctx, var):
            if (file, line) in seen or count >= _MAX_PER_VARIABLE:
                continue
            seen.add((file, line))
            count += 1
            yield finding(
                me,
                f"${{{var}}} (defined by {defined_by} on the base) is {what} on the head, but is still used "
                "here: Flux's substitution will fail",
                file=file,
                line=line,
                column=column,
                obj=obj,
                hint=f"use the new name here too, or keep defining {var}",
            )


def _uses(ctx: DiffContext, var: str) -> Iterator[tuple[str, int, int, str]]:
    """(file, line, column, object) of each use of ``var`` on the head: substituted objects, any other
    object of the repository (ExternalSecret templates included), and the template guide."""
    for node in ctx.head.nodes:
        for use in node.uses:
            if use.variable == var and use.default is None:
                yield use.file, use.line, use.column, use.object  # already root-relative
    pattern = re.compile(r"(?<!\$)\$\{" + re.escape(var) + r"(?![_A-Za-z0-9])(?!:?[=-])")
    template = re.compile(r"\{\{[^}]*\.\b" + re.escape(var) + r"\b[^}]*\}\}")
    by_file: dict[str, list[ObjectEntry]] = {}
    for entry in ctx.head.repo.entries:
        by_file.setdefault(entry.rel, []).append(entry)
    for rel, entries in by_file.items():
        text = ctx.text(HEAD, rel)
        has_es = any(e.kind == "ExternalSecret" and e.group == "external-secrets.io" for e in entries)
        if f"${{{var}" not in text and not (has_es and var in text):
            continue
        for number, line_text in enumerate(text.splitlines(), start=1):
            owner = _owner(entries, number)
            is_es = owner is not None and owner.kind == "ExternalSecret"
            match = pattern.search(line_text) or (template.search(line_text) if is_es else None)
            if match:
                yield rel, number, match.start() + 1, _ref(owner)
    guide = ctx.text(HEAD, _GUIDE)
    for number, line_text in enumerate(guide.splitlines(), start=1):
        match = pattern.search(line_text)
        if match:
            yield _GUIDE, number, match.start() + 1, ""


def _owner(entries: list[ObjectEntry], line: int) -> ObjectEntry | None:
    """The object of a file that ``line`` belongs to (the last one starting at or before it)."""
    best = None
    for entry in entries:
        if entry.line <= line and (best is None or entry.line >= best.line):
            best = entry
    return best


def _ref(entry: ObjectEntry | None) -> str:
    if entry is None:
        return ""
    return f"{entry.kind}/{entry.namespace}/{entry.name}" if entry.namespace else f"{entry.kind}/{entry.name}"
