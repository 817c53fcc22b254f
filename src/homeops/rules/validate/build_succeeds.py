"""Every Flux Kustomization builds.

Why:
  A Kustomization that fails to build (a missing file, a remote base, an unknown kustomization field, a
  patch that does not apply) is never applied, and everything that depends on it waits forever.

Bad:
  # kubernetes/apps/games/romm/app/kustomization.yaml
  resources:
    - ./helmrelease.yaml
    - ./pvc.yaml          # the file does not exist

Good:
  resources:
    - ./helmrelease.yaml  # every listed file exists and builds
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from homeops.findings import Finding, Severity
from homeops.rules.base import finding

if TYPE_CHECKING:
    from homeops.validate.context import ValidateContext

CODE = "HO001"
NAME = "build-succeeds"
SEVERITY = Severity.ERROR
KIND = "validate"

_LOCATION = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<msg>.*)$", re.S)


def check(ctx: ValidateContext) -> Iterator[Finding]:
    me = sys.modules[__name__]
    for node in ctx.cluster.nodes:
        if node.status != "failed":
            continue
        file, line, col, message = (
            node.defined_at.file,
            node.defined_at.line,
            node.defined_at.column,
            node.error,
        )
        m = _LOCATION.match(node.error)
        if m:
            file, line, col = ctx.rel(m["file"]), int(m["line"]), int(m["col"] or 0)
            message = m["msg"]
        yield finding(
            me,
            f"{node.ref} does not build: {message}",
            file=file,
            line=line,
            column=col,
            obj=node.ref,
            hint="fix the build error; everything that depends on this Kustomization waits for it",
        )
