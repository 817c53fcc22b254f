"""A resource is no longer in the repository: Flux deletes it (prune: true) or leaves it orphaned.

Why:
    Under a Kustomization with ``prune: true``, an object removed from Git is deleted from the cluster on
    the next reconciliation. For a PersistentVolumeClaim, a StatefulSet (and its claims' pods) or a
    Namespace (and everything in it) that is data loss. With ``prune: false`` nothing is deleted: the object
    stays in the cluster, unmanaged, and is easily forgotten.

Bad:
    # kustomization.yaml of a Kustomization with prune: true
    resources:
      - ./helmrelease.yaml
      # - ./pvc.yaml          <- removed: Flux deletes the claim and its volume

Good:
    # keep the claim (or set kustomize.toolkit.fluxcd.io/prune: disabled on it) until its data is moved
    resources:
      - ./helmrelease.yaml
      - ./pvc.yaml
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from homeops.diff.context import BASE, DiffContext
from homeops.findings import Finding, Severity
from homeops.rules.base import finding

CODE = "HO304"
NAME = "pruned-resource"
SEVERITY = Severity.WARNING
KIND = "diff"

DATA_KINDS = frozenset({("", "PersistentVolumeClaim"), ("apps", "StatefulSet"), ("", "Namespace")})
_PRUNE_ANNOTATION = "kustomize.toolkit.fluxcd.io/prune"


def check(ctx: DiffContext) -> Iterator[Finding]:
    """Every removed object, by what Flux will do with it."""
    me = sys.modules[__name__]
    for change in ctx.removed():
        item = change.base
        assert item is not None
        md = item.obj.get("metadata")
        annotations = md.get("annotations") if isinstance(md, dict) else None
        protected = isinstance(annotations, dict) and annotations.get(_PRUNE_ANNOTATION) == "disabled"
        file, line, col = ctx.where(item.obj.pos, BASE)
        ks = item.node.ks
        if ks.prune and not protected:
            data = (change.key.group, change.key.kind) in DATA_KINDS
            message = f"{change.ref} is removed and {item.node.ref} has prune: true: Flux deletes it" + (
                " — its data is lost" if data else ""
            )
            yield finding(
                me, message, file=file, line=line, column=col, obj=change.ref,
                severity=Severity.ERROR if data else Severity.INFO,
                hint="back up or migrate the data first, or annotate it kustomize.toolkit.fluxcd.io/prune: "
                "disabled" if data else "",
            )  # fmt: skip
        else:
            why = "it is annotated prune: disabled" if protected else f"{item.node.ref} has prune: false"
            yield finding(
                me,
                f"{change.ref} is removed from Git but {why}: it stays in the cluster, orphaned",
                file=file, line=line, column=col, obj=change.ref, severity=Severity.WARNING,
                hint="delete it by hand once it is no longer needed",
            )  # fmt: skip
