"""Every object matches its Kubernetes or CRD schema (strict: unknown fields are errors).

Why:
  The API server (or Flux's server-side dry run) rejects an object with an unknown field, a wrong type or a
  missing required field, and the whole Kustomization fails to apply. kubeconform on plain kustomize output
  never sees Flux's substitution and patches; homeops validates what Flux will really apply.

Bad:
  apiVersion: apps/v1
  kind: Deployment
  spec:
    replica: 2          # unknown field (replicas)

Good:
  apiVersion: apps/v1
  kind: Deployment
  spec:
    replicas: 2
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.schemas import SCHEMA_ERROR, SCHEMA_NOT_OBJECT

if TYPE_CHECKING:
    from homeops.validate.context import ValidateContext

CODE = "HO002"
NAME = "schema-valid"
SEVERITY = Severity.ERROR
KIND = "validate"
CODES = (SCHEMA_ERROR, SCHEMA_NOT_OBJECT)


def check(ctx: ValidateContext) -> Iterator[Finding]:
    me = sys.modules[__name__]
    for sf in ctx.schema_findings:
        if sf.code in CODES:
            file, line, col = ctx.where(sf.pos)
            message = f"{sf.field}: {sf.message}" if sf.field else sf.message
            yield finding(
                me,
                message,
                file=file,
                line=line,
                column=col,
                obj=sf.object,
                field=sf.field,
                hint=sf.hint or "",
                severity=sf.severity if sf.code != SCHEMA_ERROR else None,
            )
