"""Every HelmRelease's values pass its chart's checks: the values schema, ``required`` and ``fail``.

Why:
    helm-controller renders the chart with the HelmRelease's values before it applies anything. Values that
    break the chart's ``values.schema.json``, leave out a value a template marks ``required``, or hit a
    template's ``fail`` stop the install: the HelmRelease stays in Reconciling with "chart values invalid"
    and the cluster keeps running the previous release. Only a render shows it, so homeops renders the
    chart offline with the real Helm v4 and reports Helm's message at the HelmRelease (and at the value,
    when Helm names its path). A schema with a remote ``$ref`` cannot be checked offline; that is said too.

Bad:
    # the chart's values.schema.json says replicas is an integer
    spec:
      values:
        replicas: two

Good:
    spec:
      values:
        replicas: 2
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

from homeops.findings import Finding, Severity
from homeops.helm.render.model import CHART_VALUES_VALID, RenderResult
from homeops.rules.base import finding
from homeops.validate.context import ValidateContext
from homeops.yaml.nodes import Pos, YMap, as_map

CODE = "HO114"
NAME = CHART_VALUES_VALID
SEVERITY = Severity.ERROR
KIND = "validate"

_HINTS = {
    "schema": "fix the value, or see the chart's values.schema.json for what it accepts",
    "required": "set the value the chart requires in spec.values (or a valuesFrom source)",
    "fail": "the chart refused these values; its message says why",
    "remote-ref": "Helm checks this schema in the cluster; vendor the referenced schema to check it here",
}


def _value_pos(obj: YMap, path: str) -> Pos | None:
    """Where ``spec.values.<path>`` is written, else the deepest part of it that is, else ``spec.values``."""
    node: Any = as_map(obj.get("spec")).get("values")
    pos = as_map(obj.get("spec")).key_pos("values") if isinstance(obj.get("spec"), YMap) else None
    for part in [p for p in path.split(".") if p]:
        if not isinstance(node, YMap) or part not in node:
            break
        pos = node.key_pos(part)
        node = node[part]
    return pos


def renders(ctx: ValidateContext) -> Iterable[RenderResult]:
    """The HelmRelease renders the validate run made (``ctx.helm_renders``), none when it made none."""
    found = getattr(ctx, "helm_renders", None)
    return tuple(found) if found else ()


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """One finding per values problem of each rendered HelmRelease."""
    module = sys.modules[__name__]
    for result in renders(ctx):
        release = result.release
        for problem in result.values_problems():
            pos = _value_pos(release.obj, problem.values_path) if problem.values_path else None
            loc = problem.location or release.location
            if pos is not None:
                file, line, column = ctx.where(pos)
            elif loc is not None:
                file, line, column = ctx.rel(loc.file), loc.line, loc.column
            else:
                file, line, column = "", 0, 0
            field = "spec.values" + (f".{problem.values_path}" if problem.values_path else "")
            yield finding(
                module,
                f"{release.ref} chart {result.chart_name}@{result.chart_version}: {problem.message}",
                file=file,
                line=line,
                column=column,
                obj=release.ref,
                field=field,
                hint=_HINTS.get(problem.kind, ""),
                severity=Severity.WARNING if not problem.fatal else None,
            )
