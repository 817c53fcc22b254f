"""A Kustomization that uses a custom resource depends on the Kustomization that installs its CRD.

Why:
  Flux applies Kustomizations in parallel unless dependsOn orders them. If the CRD is not installed yet,
  applying the custom resource fails ("no matches for kind") until a later retry, and on a fresh cluster the
  order decides whether the first reconcile succeeds.

Bad:
  # rook-ceph-cluster ks applies a CephCluster; the CRD comes from the rook-ceph ks
  spec:
    path: ./kubernetes/apps/rook-ceph/cluster
    # no dependsOn

Good:
  spec:
    path: ./kubernetes/apps/rook-ceph/cluster
    dependsOn:
      - name: rook-ceph
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from homeops.findings import Finding, Severity
from homeops.flux.cluster import KsNode
from homeops.rules.base import finding

if TYPE_CHECKING:
    from homeops.validate.context import ValidateContext

CODE = "HO203"
NAME = "crd-dependency"
SEVERITY = Severity.WARNING
KIND = "validate"


def _waits_for(node: KsNode, nodes: dict[tuple[str, str, str], KsNode]) -> set[tuple[str, str]]:
    """Everything ``node`` waits for, transitively: dependsOn targets and ancestors."""
    seen: set[tuple[str, str]] = set()
    todo = [node]
    while todo:
        n = todo.pop()
        nexts: list[KsNode] = []
        if n.parent is not None:
            nexts.append(n.parent)
        for dep in n.ks.depends_on:
            target = nodes.get((n.tree, dep.namespace, dep.name))
            if target is not None:
                nexts.append(target)
        for t in nexts:
            key = (t.namespace, t.name)
            if key not in seen:
                seen.add(key)
                todo.append(t)
    return seen


def check(ctx: ValidateContext) -> Iterator[Finding]:
    me = sys.modules[__name__]
    installers: dict[tuple[str, str], list[KsNode]] = {}
    for b in ctx.built("CustomResourceDefinition"):
        spec = b.obj.get("spec")
        if not isinstance(spec, dict):
            continue
        names = spec.get("names")
        group, kind = spec.get("group"), names.get("kind") if isinstance(names, dict) else None
        if isinstance(group, str) and isinstance(kind, str):
            installers.setdefault((group, kind), []).append(b.node)
    if not installers:
        return
    nodes = {(n.tree, n.namespace, n.name): n for n in ctx.cluster.nodes}
    for node in ctx.cluster.nodes:
        waits: set[tuple[str, str]] | None = None
        reported: set[tuple[str, str]] = set()
        for obj in node.objects:
            api = str(obj.get("apiVersion", ""))
            group = api.partition("/")[0] if "/" in api else ""
            key = (group, str(obj.get("kind", "")))
            owners = [o for o in installers.get(key, []) if o.tree == node.tree]
            if not owners or any(o is node for o in owners):
                continue
            if waits is None:
                waits = _waits_for(node, nodes)
            if any((o.namespace, o.name) in waits for o in owners) or key in reported:
                continue
            reported.add(key)
            owner = owners[0]
            file, line, col = ctx.where(obj.pos)
            yield finding(
                me,
                f"{node.ref} applies {key[1]} ({group}) whose CRD is installed by {owner.ref}, "
                "but does not depend on it",
                file=file,
                line=line,
                column=col,
                obj=node.ref,
                hint=f"add dependsOn {owner.namespace}/{owner.name} to {node.ref}",
            )
