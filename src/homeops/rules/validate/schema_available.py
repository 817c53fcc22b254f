"""Every kind has a schema to validate against.

Why:
  kubeconform skips kinds it has no schema for, silently; a typo in a custom resource then reaches the
  cluster. homeops reports each unvalidated object so you can add the CRD's schema (a CRD in the repository,
  or a schema location in .homeops.yaml).

Bad:
  # .homeops.yaml without a schema location for cert-manager's kinds
  kind: Certificate      # not validated

Good:
  # .homeops.yaml
  schemaLocations:
    - ../schemas/crds-catalog   # {group}/{kind}_{version}.json
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.schemas import SCHEMA_FETCH_FAILED, SCHEMA_MISSING, SCHEMA_NOT_FETCHED, SchemaFinding

if TYPE_CHECKING:
    from homeops.validate.context import ValidateContext

CODE = "HO003"
NAME = "schema-available"
SEVERITY = Severity.WARNING
KIND = "validate"
CODES = (SCHEMA_MISSING, SCHEMA_NOT_FETCHED, SCHEMA_FETCH_FAILED)


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """One finding per kind without a schema, at its first object, counting the others."""
    me = sys.modules[__name__]
    groups: dict[tuple[str, str], list[SchemaFinding]] = {}
    for sf in ctx.schema_findings:
        if sf.code in CODES:
            groups.setdefault((sf.code, sf.message), []).append(sf)
    for (_, message), items in groups.items():
        first = min(items, key=lambda sf: ctx.where(sf.pos))
        file, line, col = ctx.where(first.pos)
        more = f" ({len(items)} objects of this kind, e.g. {first.object})" if len(items) > 1 else ""
        yield finding(
            me, message + more, file=file, line=line, column=col, obj=first.object, hint=first.hint or ""
        )
