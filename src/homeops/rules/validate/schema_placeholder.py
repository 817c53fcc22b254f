"""A field still holds a ${VAR} placeholder that its schema types differently.

Why:
  A Kustomization without post-build substitution (or with the object marked substitute: disabled) applies
  `${VAR}` literally; a number or boolean field holding it is rejected by the API server. With substitution
  it is only checked after the variable is filled.

Bad:
  spec:
    replicas: ${REPLICAS}     # never substituted: no postBuild on this Kustomization

Good:
  # the Flux Kustomization has postBuild.substitute (or substituteFrom) defining REPLICAS
  spec:
    replicas: ${REPLICAS}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.schemas import SCHEMA_PLACEHOLDER

if TYPE_CHECKING:
    from homeops.validate.context import ValidateContext

CODE = "HO004"
NAME = "schema-placeholder"
SEVERITY = Severity.INFO
KIND = "validate"


def check(ctx: ValidateContext) -> Iterator[Finding]:
    me = sys.modules[__name__]
    for sf in ctx.schema_findings:
        if sf.code == SCHEMA_PLACEHOLDER:
            file, line, col = ctx.where(sf.pos)
            yield finding(
                me,
                f"{sf.field}: {sf.message}",
                file=file,
                line=line,
                column=col,
                obj=sf.object,
                field=sf.field,
            )
