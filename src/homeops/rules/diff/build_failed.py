"""A Flux Kustomization fails to build on the base, the head or both: what it applies cannot be compared.

Why:
    kustomize-controller applies nothing of a Kustomization whose build fails: its objects stay as they
    were in the cluster, and every later change under it waits until the build is fixed. A diff cannot say
    what such a change does either, so its objects are left out of the comparison (never reported as added
    or removed because of the failure) and the failure is reported instead, with the error and the side.

Bad:
    # kubernetes/apps/web/app/kustomization.yaml
    resources:
      - ./helmrelease.yaml
      - ./pvc.yaml            # <- the file was deleted: "accumulating resources ... no such file"
    configMapGenerator:
      - name: web-config
        files:
          - https://example.com/config.ini   # <- remote files are not fetched by kustomize-controller

Good:
    resources:
      - ./helmrelease.yaml
    configMapGenerator:
      - name: web-config
        files:
          - ./config.ini
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.diff.context import DiffContext
from homeops.findings import Finding, Severity
from homeops.rules.base import finding

CODE = "HO308"
NAME = "build-failed"
SEVERITY = Severity.ERROR
KIND = "diff"


def check(ctx: DiffContext) -> Iterator[Finding]:
    """Every Kustomization that fails to build on a side, with its error and what is not compared."""
    me = sys.modules[__name__]
    for entry in ctx.not_compared:
        if entry.status != "failed":
            continue
        _, namespace, name = entry.ref.split("/", 2)
        side = "head" if entry.side in ("head", "both") else "base"
        yield finding(
            me,
            entry.summary,
            file=entry.file,
            line=entry.line,
            obj=entry.id,
            hint=f"`homeops build ks {name} -n {namespace}` on the {side} shows the error with its location",
        )
