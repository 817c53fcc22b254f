"""A Flux Kustomization or HelmRelease is suspended, or resumed, by this change.

Why:
    ``spec.suspend: true`` stops Flux from reconciling the object: later changes to it (and, for a
    Kustomization, to everything it applies) silently do nothing until it is resumed. Suspending is often
    meant to be temporary and forgotten; resuming applies every change made meanwhile at once.

Bad:
    spec:
      suspend: true     # committed while debugging, never reverted

Good:
    # suspend from the command line while debugging (flux suspend ks NAME), keep Git unsuspended
    spec:
      interval: 1h
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.diff.context import HEAD, DiffContext
from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.rules.diff._common import spec

CODE = "HO305"
NAME = "suspend-toggled"
SEVERITY = Severity.WARNING
KIND = "diff"

_FLUX = frozenset(
    {("kustomize.toolkit.fluxcd.io", "Kustomization"), ("helm.toolkit.fluxcd.io", "HelmRelease")}
)


def check(ctx: DiffContext) -> Iterator[Finding]:
    """Every Flux Kustomization or HelmRelease whose ``spec.suspend`` flips."""
    me = sys.modules[__name__]
    for change in ctx.changed():
        if (change.key.group, change.key.kind) not in _FLUX:
            continue
        assert change.base is not None and change.head is not None
        old = spec(change.base.obj).get("suspend") is True
        new = spec(change.head.obj).get("suspend") is True
        if old == new:
            continue
        file, line, col = ctx.field_where(change.head.obj, HEAD, "spec", "suspend")
        if new:
            yield finding(
                me,
                f"{change.ref} is suspended: Flux stops reconciling it until it is resumed",
                file=file, line=line, column=col, obj=change.ref, field="spec.suspend",
                hint="suspend it with `flux suspend` while debugging instead of committing suspend: true",
            )  # fmt: skip
        else:
            yield finding(
                me,
                f"{change.ref} is resumed: Flux applies every change made while it was suspended",
                file=file, line=line, column=col, obj=change.ref, field="spec.suspend",
                severity=Severity.INFO,
            )  # fmt: skip
