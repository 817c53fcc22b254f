"""dependsOn edges form no cycle.

Why:
  Flux reconciles a Kustomization only when its dependencies are Ready; in a cycle each waits for the other
  and none is ever applied.

Bad:
  # a.yaml                      # b.yaml
  spec:                         spec:
    dependsOn: [{name: b}]        dependsOn: [{name: a}]

Good:
  # a.yaml                      # b.yaml
  spec:                         spec:
    dependsOn: [{name: b}]        dependsOn: []
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from homeops.findings import Finding, Severity
from homeops.graph import build_graph, find_cycles
from homeops.rules.base import finding

if TYPE_CHECKING:
    from homeops.validate.context import ValidateContext

CODE = "HO202"
NAME = "depends-on-acyclic"
SEVERITY = Severity.ERROR
KIND = "validate"


def check(ctx: ValidateContext) -> Iterator[Finding]:
    me = sys.modules[__name__]
    graph = build_graph(ctx.cluster)
    for cycle in find_cycles(graph):
        first = graph.nodes[cycle[0]]
        yield finding(
            me,
            "dependency cycle: " + " -> ".join([*cycle, cycle[0]]),
            file=ctx.rel(first.file),
            line=first.line,
            obj=first.id,
            hint="remove one dependsOn edge of the cycle; none of these will ever be applied",
        )
