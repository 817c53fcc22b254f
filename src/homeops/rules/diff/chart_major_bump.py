"""A HelmRelease's chart moves to a new major version: read the chart's upgrade notes first.

Why:
    By semantic versioning a major version (or, below 1.0, a minor version) may break the values schema,
    rename resources or need a manual migration step. Renovate opens these bumps like any other; merging one
    unread is a common cause of broken apps.

Bad:
    chart:
      spec:
        chart: app-template
        version: 4.0.0   # was 3.7.3; values not migrated

Good:
    chart:
      spec:
        chart: app-template
        version: 4.0.0   # values migrated following the 4.0.0 release notes
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

from homeops.diff.context import HEAD, DiffContext
from homeops.diff.objects import get_path
from homeops.findings import Finding, Severity
from homeops.rules.base import finding

CODE = "HO306"
NAME = "chart-major-bump"
SEVERITY = Severity.WARNING
KIND = "diff"

_SEMVER = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$")


def _breaking_part(version: object) -> tuple[int, int] | None:
    """(major, minor-if-major-is-0) of a plain version; None for ranges, wildcards and other text."""
    if not isinstance(version, str):
        return None
    match = _SEMVER.match(version.strip())
    if not match:
        return None
    major = int(match.group(1))
    return (major, int(match.group(2) or 0) if major == 0 else 0)


def check(ctx: DiffContext) -> Iterator[Finding]:
    """HelmRelease ``chart.spec.version`` and chart OCIRepository ``ref.tag`` major bumps."""
    me = sys.modules[__name__]
    chart_repos = {
        (h.hr.chart_ref.namespace, h.hr.chart_ref.name)
        for h in ctx.head.helmreleases
        if h.hr.chart_ref is not None and h.hr.chart_ref.kind == "OCIRepository"
    }
    for change in ctx.changed():
        assert change.base is not None and change.head is not None
        key = change.key
        if key.group == "helm.toolkit.fluxcd.io" and key.kind == "HelmRelease":
            path: tuple[str, ...] = ("spec", "chart", "spec", "version")
            chart = get_path(change.head.obj, "spec", "chart", "spec", "chart")
        elif key.group == "source.toolkit.fluxcd.io" and key.kind == "OCIRepository":
            if (key.namespace, key.name) not in chart_repos:
                continue
            path = ("spec", "ref", "tag")
            chart = get_path(change.head.obj, "spec", "url")
        else:
            continue
        old, new = get_path(change.base.obj, *path), get_path(change.head.obj, *path)
        old_part, new_part = _breaking_part(old), _breaking_part(new)
        if old_part is None or new_part is None or old_part == new_part:
            continue
        file, line, col = ctx.field_where(change.head.obj, HEAD, *path)
        direction = "upgrade" if new_part > old_part else "downgrade"
        yield finding(
            me,
            f"chart {chart or key.name} of {change.ref}: major {direction} {old} -> {new}; "
            "breaking changes are likely",
            file=file, line=line, column=col, obj=change.ref, field=".".join(path),
            hint="read the chart's release notes and migrate the values before merging",
        )  # fmt: skip
