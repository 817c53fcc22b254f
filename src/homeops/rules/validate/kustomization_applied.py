"""Every Flux Kustomization committed in the repository is reached from a root.

Why:
  A ks.yaml that no parent Kustomization lists (its area's kustomization.yaml forgot it) is never applied:
  the app silently never deploys.

Bad:
  # kubernetes/apps/games/kustomization.yaml
  resources:
    - ./namespace.yaml        # ./romm/ks.yaml is missing

Good:
  resources:
    - ./namespace.yaml
    - ./romm/ks.yaml
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from homeops.findings import Finding, Severity
from homeops.rules.base import finding

if TYPE_CHECKING:
    from homeops.validate.context import ValidateContext

CODE = "HO005"
NAME = "kustomization-applied"
SEVERITY = Severity.WARNING
KIND = "validate"


def check(ctx: ValidateContext) -> Iterator[Finding]:
    me = sys.modules[__name__]
    for na in ctx.cluster.not_applied:
        if na.selected_out:
            continue
        ks, loc = na.ks, na.defined_at
        file = loc.file
        ref = f"Kustomization/{ks.namespace}/{ks.name}" if ks.namespace else f"Kustomization/{ks.name}"
        yield finding(
            me,
            f"{ref} is never applied: {na.reason}",
            file=file,
            line=loc.line,
            column=loc.column or 1,
            obj=ref,
            hint="list the file in its area's kustomization.yaml, or delete it",
        )
