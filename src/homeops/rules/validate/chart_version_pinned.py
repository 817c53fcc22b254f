"""Every HelmRelease installs one exact chart version.

Why:
    ``chart.spec.version`` defaults to ``*``: without it, or with a range (``>=1.0``, ``^2``, ``1.x``), Flux
    upgrades the release whenever the repository publishes a matching chart, without a commit to review or
    revert. A ``chartRef`` to an OCIRepository is pinned only when that OCIRepository is (see HO103), and a
    HelmChart object needs an exact ``spec.version`` too.

Bad:
    spec:
      chart:
        spec:
          chart: rook-ceph
          version: ">=1.14.0"

Good:
    spec:
      chart:
        spec:
          chart: rook-ceph
          version: v1.14.9
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from homeops.findings import Finding, Severity
from homeops.flux.kinds import SOURCE_GROUP
from homeops.rules.base import finding
from homeops.rules.validate._common import as_map, at, hr_ref, key_pos
from homeops.rules.validate._pinning import is_exact_version, oci_ref_problem, unknown
from homeops.validate.context import ValidateContext
from homeops.yaml.nodes import YMap

CODE = "HO102"
NAME = "chart-version-pinned"
SEVERITY = Severity.ERROR
KIND = "validate"

_HINT = "set an exact version (1.2.3); Renovate can keep it current"


def _version_problem(spec: YMap) -> tuple[str, str] | None:
    """(why, key to point at) when a chart template's version is missing or a range. None for a chart from a
    GitRepository or Bucket: source-controller ignores ``version`` there (the source revision pins it)."""
    source = spec.get("sourceRef")
    if isinstance(source, dict) and source.get("kind") in ("GitRepository", "Bucket"):
        return None
    if "version" not in spec or spec.get("version") in (None, ""):
        return "has no version: Flux installs the latest chart ('*')", ""
    version = spec.get("version")
    if unknown(version) or is_exact_version(str(version)):
        return None
    return f"version {str(version)!r} is a range", "version"


def _source_problem(ctx: ValidateContext, kind: str, namespace: str, name: str) -> str | None:
    for b in ctx.find(kind, namespace, name):
        if not b.api_version.startswith(SOURCE_GROUP + "/"):
            continue
        spec = as_map(b.obj.get("spec"))
        if kind == "OCIRepository":
            problem = oci_ref_problem(spec)
            return f"{b.ref} is not pinned ({problem[0]})" if problem else None
        found = _version_problem(spec)
        return f"{b.ref} {found[0]}" if found else None
    return None


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """HelmReleases (chart template or chartRef) and HelmCharts that do not pin one chart version."""
    module = sys.modules[__name__]
    seen: set[tuple[str, int]] = set()

    def once(where: dict[str, Any]) -> bool:
        key = (str(where["file"]), int(str(where["line"])))
        if key in seen:
            return False
        seen.add(key)
        return True

    for hrn in ctx.helmreleases():
        spec = as_map(hrn.obj.get("spec"))
        chart = as_map(spec.get("chart"))
        tpl = as_map(chart.get("spec"))
        if tpl:
            problem = _version_problem(tpl)
            if problem is None:
                continue
            why, key = problem
            where = at(ctx, key_pos(tpl, key) if key else key_pos(spec, "chart"), hrn.obj.pos)
            if once(where):
                yield finding(
                    module,
                    f"{hr_ref(hrn)} chart {tpl.get('chart', '?')} {why}",
                    **where,
                    obj=hr_ref(hrn),
                    field="spec.chart.spec.version",
                    hint=_HINT,
                )
        elif hrn.hr.chart_ref is not None and hrn.hr.chart_ref.kind in ("OCIRepository", "HelmChart"):
            ref = hrn.hr.chart_ref
            why_ref = _source_problem(ctx, ref.kind, ref.namespace, ref.name)
            where = at(ctx, key_pos(spec, "chartRef"), hrn.obj.pos)
            if why_ref and once(where):
                yield finding(
                    module,
                    f"{hr_ref(hrn)} chartRef: {why_ref}",
                    **where,
                    obj=hr_ref(hrn),
                    field="spec.chartRef",
                    hint="pin the referenced source to one version",
                )
    for b in ctx.built("HelmChart"):
        if not b.api_version.startswith(SOURCE_GROUP + "/"):
            continue
        spec = as_map(b.obj.get("spec"))
        problem = _version_problem(spec)
        if problem is None:
            continue
        where = at(ctx, key_pos(spec, problem[1]) if problem[1] else key_pos(b.obj, "spec"), b.obj.pos)
        if once(where):
            yield finding(
                module, f"{b.ref} {problem[0]}", **where, obj=b.ref, field="spec.version", hint=_HINT
            )
