"""Every ``${VARIABLE}`` Flux substitutes is set.

Why:
    Flux substitutes ``${VARIABLE}`` from ``postBuild.substitute`` and ``substituteFrom``; with strict
    substitution an unset variable (one without a ``:=default``) fails the whole Kustomization, and without
    it the value silently becomes empty. Reported at the use, with the reason: ``not set`` is an error; a
    value that is only encrypted here (no key given), or that a secret store provides through an
    ExternalSecret, is information: homeops cannot see it, Flux will.

Bad:
    # the Kustomization substitutes from cluster-settings, which has no TIMEZONE
    env:
      TZ: ${TIMEZONE}

Good:
    env:
      TZ: ${TIMEZONE:=Etc/UTC}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.validate.context import ValidateContext

CODE = "HO106"
NAME = "variable-defined"
SEVERITY = Severity.ERROR
KIND = "validate"


def _severity(reason: str) -> Severity:
    if reason == "not set" or reason.endswith("not found"):
        return Severity.ERROR
    return Severity.INFO


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Every unresolved variable of every Kustomization, once per place and reason."""
    seen: set[tuple[str, str, int, int, str]] = set()
    for node in ctx.cluster.nodes:
        for u in node.unresolved:
            key = (u.variable, u.file, u.line, u.column, u.reason)
            if key in seen:
                continue
            seen.add(key)
            source = u.variable.startswith("<")
            what = f"substitution source {u.variable.strip('<>')}" if source else f"${{{u.variable}}}"
            yield finding(
                sys.modules[__name__],
                f"{what} of {node.ref}: {u.reason}",
                # generated objects (configMapGenerator) have no position: point at the Kustomization
                file=ctx.rel(u.file) or ctx.rel(node.defined_at.file),
                line=u.line if u.file else node.defined_at.line or 0,
                column=u.column if u.file else node.defined_at.column or 0,
                obj=u.object,
                severity=_severity(u.reason),
                hint=""
                if _severity(u.reason) != Severity.ERROR
                else "set it in postBuild.substitute or a substituteFrom source, or give it a default",
            )
