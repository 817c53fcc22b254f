"""Every dependsOn target exists.

Why:
  Flux waits for a dependsOn target to be Ready; a target that does not exist (a typo, a renamed
  Kustomization, a wrong namespace) blocks the dependent forever with "dependency not found".

Bad:
  kind: Kustomization
  metadata: {name: games, namespace: flux-system}
  spec:
    dependsOn:
      - name: rook-ceph-clustr     # typo

Good:
  spec:
    dependsOn:
      - name: rook-ceph-cluster
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from homeops.findings import Finding, Severity
from homeops.rules.base import finding
from homeops.yaml.nodes import Pos, YMap, YSeq

if TYPE_CHECKING:
    from homeops.validate.context import ValidateContext

CODE = "HO201"
NAME = "depends-on-exists"
SEVERITY = Severity.ERROR
KIND = "validate"


def depends_on_positions(obj: Any) -> list[Pos | None]:
    """Position of each spec.dependsOn entry of a Flux object."""
    spec = obj.get("spec") if isinstance(obj, YMap) else None
    deps = spec.get("dependsOn") if isinstance(spec, YMap) else None
    if isinstance(deps, YSeq):
        return [deps.item_pos(i) for i in range(len(deps))]
    return []


def check(ctx: ValidateContext) -> Iterator[Finding]:
    me = sys.modules[__name__]
    for node in ctx.cluster.nodes:
        known = {(n.namespace, n.name) for n in ctx.cluster.nodes if n.tree == node.tree}
        positions = depends_on_positions(node.ks.obj)
        for i, dep in enumerate(node.ks.depends_on):
            if (dep.namespace, dep.name) in known:
                continue
            pos = positions[i] if i < len(positions) else node.ks.obj.pos
            file, line, col = ctx.where(pos)
            yield finding(
                me,
                f"{node.ref} depends on Kustomization {dep.namespace}/{dep.name}, which does not exist",
                file=file,
                line=line,
                column=col,
                obj=node.ref,
                field=f"spec.dependsOn[{i}]",
                hint="fix the name or namespace (dependsOn defaults to the dependent's namespace)",
            )
    hrs = {(h.hr.namespace, h.hr.name) for h in ctx.helmreleases()}
    for item in ctx.helmreleases():
        positions = depends_on_positions(item.obj)
        ref = f"HelmRelease/{item.hr.namespace}/{item.hr.name}"
        for i, dep in enumerate(item.hr.depends_on):
            if (dep.namespace, dep.name) in hrs:
                continue
            pos = positions[i] if i < len(positions) else item.obj.pos
            file, line, col = ctx.where(pos)
            yield finding(
                me,
                f"{ref} depends on HelmRelease {dep.namespace}/{dep.name}, which does not exist",
                file=file,
                line=line,
                column=col,
                obj=ref,
                field=f"spec.dependsOn[{i}]",
            )
