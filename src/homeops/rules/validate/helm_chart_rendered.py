"""Every HelmRelease's chart renders: it is in the chart store, its values compute, and Helm accepts it.

Why:
    homeops checks what the charts render (schemas, storage classes, CRDs, the other contracts) only for
    HelmReleases it could render. A chart that is not in the store yet, a chart request that points at no
    source, values that helm-controller cannot compute, or a template that fails leave that HelmRelease's
    objects unchecked; in the cluster the last two stop the upgrade. Each is said, with what to do:
    ``homeops charts pull`` fills the store (the only command that uses the network for charts). A chart
    missing from the store, or a chart of this repository without templates, is a warning; the others are
    errors.

Bad:
    # kubernetes/apps/default/echo/app/helmrelease.yaml, and the store has never been filled
    spec:
      chart:
        spec: {chart: app-template, version: 4.1.2, sourceRef: {kind: HelmRepository, name: bjw-s}}

Good:
    # after `homeops charts pull`, the chart is in the store and renders
    spec:
      chart:
        spec: {chart: app-template, version: 4.1.2, sourceRef: {kind: HelmRepository, name: bjw-s}}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.validate.context import ValidateContext

CODE = "HO115"
NAME = "helm-chart-rendered"
SEVERITY = Severity.ERROR
KIND = "validate"

_HINTS = {
    "not-in-store": "run `homeops charts pull` (it fetches every chart of the tree into the store)",
    "unresolved": "point spec.chart.spec.sourceRef (or spec.chartRef) at a source this cluster defines",
    "values-failed": "create the ConfigMap/Secret that valuesFrom names, or mark the reference optional",
    "failed": "render it with `homeops build hr NAME --render` to see Helm's output",
    "no-templates": "add the chart's templates/ (a chart without them installs nothing)",
    "no-helm": "install Helm v4 (`make` installs a pinned one into .venv/bin) or set HOMEOPS_HELM",
}


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """One finding per HelmRelease the Helm stage did not render (none when it did not run)."""
    module = sys.modules[__name__]
    renders = ctx.cluster.helm
    if renders is None or not renders.enabled:
        return
    helm_missing = False
    for release in renders.releases:
        if release.status == "rendered":
            continue
        if release.status == "no-helm":
            helm_missing = True
            continue
        if release.status == "failed" and release.result is not None and release.result.values_problems():
            continue  # chart-values-valid reports those, at the value
        file, line, column = ctx.where(release.item.obj.pos)
        severity = Severity.WARNING if release.status in ("not-in-store", "no-templates") else None
        yield finding(
            module,
            f"{release.ref} not rendered ({release.status}): {release.message}",
            file=file,
            line=line,
            column=column,
            obj=release.ref,
            field="spec.chart" if release.item.hr.chart is not None else "spec.chartRef",
            hint=_HINTS.get(release.status, ""),
            severity=severity,
        )
    if helm_missing:
        count = sum(1 for r in renders.releases if r.status == "no-helm")
        yield finding(
            module,
            f"{renders.error} ({count} HelmReleases left unrendered)",
            hint=_HINTS["no-helm"],
            severity=Severity.WARNING,
        )
