"""The dependency graph of a cluster tree: Flux Kustomizations and HelmReleases, their ``dependsOn`` edges,
the parent edges (a Kustomization exists only once its parent applied it) and the source edges.

``plan`` orders it into apply waves as Flux reconciles: a Kustomization starts once its parent has applied
it and every ``dependsOn`` target is ready; a HelmRelease once its Kustomization applied it and its own
``dependsOn`` HelmReleases are ready. ``blocked_by`` answers "what does a failure of X hold back".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from homeops.flux.cluster import ClusterBuild


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str  # "Kustomization/ns/name" or "HelmRelease/ns/name"
    kind: str
    namespace: str
    name: str
    status: str = ""
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # the dependent
    target: str  # what it waits for
    kind: str  # dependsOn | parent | source | missing


@dataclass
class Graph:
    nodes: dict[str, GraphNode] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def waits_for(self, node_id: str) -> list[str]:
        """What ``node_id`` waits for (dependsOn targets and its parent)."""
        return [e.target for e in self.edges if e.source == node_id and e.kind in ("dependsOn", "parent")]

    def dependents(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == node_id and e.kind in ("dependsOn", "parent")]


def node_id(kind: str, namespace: str, name: str, tree: str = "") -> str:
    """``Kind/namespace/name``; in a multi-cluster repository, suffixed with ``@<cluster root dir>``."""
    base = f"{kind}/{namespace}/{name}"
    return f"{base}@{tree}" if tree else base


def build_graph(cluster: ClusterBuild) -> Graph:
    """The graph of the built tree(s). In a multi-cluster repository every id carries its cluster's root
    directory, so same-named Kustomizations of different clusters stay apart."""
    g = Graph()
    for node in cluster.nodes:
        nid = node_id("Kustomization", node.namespace, node.name, node.tree)
        g.nodes[nid] = GraphNode(
            nid,
            "Kustomization",
            node.namespace,
            node.name,
            node.status,
            node.defined_at.file,
            node.defined_at.line,
        )
    for item in cluster.helmreleases:
        hid = node_id("HelmRelease", item.hr.namespace, item.hr.name, item.parent.tree)
        pos = item.obj.pos
        g.nodes[hid] = GraphNode(
            hid,
            "HelmRelease",
            item.hr.namespace,
            item.hr.name,
            item.parent.status,
            pos.file if pos else "",
            pos.line if pos else 0,
        )
    for node in cluster.nodes:
        nid = node_id("Kustomization", node.namespace, node.name, node.tree)
        if node.parent is not None:
            parent = node_id("Kustomization", node.parent.namespace, node.parent.name, node.tree)
            g.edges.append(Edge(nid, parent, "parent"))
        for dep in node.ks.depends_on:
            target = node_id("Kustomization", dep.namespace, dep.name, node.tree)
            g.edges.append(Edge(nid, target, "dependsOn" if target in g.nodes else "missing"))
        ref = node.ks.source_ref
        if ref is not None:
            g.edges.append(Edge(nid, f"{ref.kind}/{ref.namespace}/{ref.name}", "source"))
    for item in cluster.helmreleases:
        tree = item.parent.tree
        hid = node_id("HelmRelease", item.hr.namespace, item.hr.name, tree)
        parent = node_id("Kustomization", item.parent.namespace, item.parent.name, tree)
        g.edges.append(Edge(hid, parent, "parent"))
        for dep in item.hr.depends_on:
            target = node_id("HelmRelease", dep.namespace, dep.name, tree)
            g.edges.append(Edge(hid, target, "dependsOn" if target in g.nodes else "missing"))
        chart = item.hr.chart
        src = chart.source_ref if chart is not None else item.hr.chart_ref
        if src is not None:
            g.edges.append(Edge(hid, f"{src.kind}/{src.namespace}/{src.name}", "source"))
    return g


def find_cycles(g: Graph) -> list[list[str]]:
    """Every elementary cycle of the dependsOn/parent relation, each reported once (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    succ = {n: g.waits_for(n) for n in g.nodes}

    def strongconnect(v: str) -> None:
        work = [(v, iter(succ.get(v, ())))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in g.nodes:
                    continue
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == node:
                        break
                if len(component) > 1 or node in succ.get(node, ()):
                    out.append(sorted(component))

    for v in sorted(g.nodes):
        if v not in index:
            strongconnect(v)
    return out


@dataclass
class Plan:
    waves: list[list[str]]
    never: list[str]  # in a cycle or waiting for a missing dependency

    def to_json(self) -> dict[str, Any]:
        return {
            "waves": [{"wave": i + 1, "objects": w} for i, w in enumerate(self.waves)],
            "never_ready": self.never,
        }


def plan(g: Graph) -> Plan:
    """Apply waves: wave n holds what can start once waves 1..n-1 are ready."""
    missing = {e.source for e in g.edges if e.kind == "missing"}
    remaining = set(g.nodes)
    done: set[str] = set()
    waves: list[list[str]] = []
    blocked = _closure(g, missing)
    remaining -= blocked
    while remaining:
        wave = sorted(n for n in remaining if all(t in done or t not in g.nodes for t in g.waits_for(n)))
        if not wave:
            break
        waves.append(wave)
        done.update(wave)
        remaining -= set(wave)
    return Plan(waves, sorted(remaining | blocked))


def _closure(g: Graph, start: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(g.dependents(n))
    return seen


def blocked_by(g: Graph, node_id: str) -> list[str]:
    """Everything a failure of ``node_id`` holds back, transitively (not including itself)."""
    return sorted(_closure(g, [node_id]) - {node_id})


def resolve_id(g: Graph, name: str) -> list[str]:
    """Node ids matching ``name``: a full id, ``namespace/name``, or a bare name."""
    if name in g.nodes:
        return [name]
    if "/" in name:
        ns, _, n = name.partition("/")
        return sorted(i for i, node in g.nodes.items() if node.namespace == ns and node.name == n)
    return sorted(i for i, node in g.nodes.items() if node.name == name)


def to_mermaid(g: Graph) -> str:
    ids = {n: f"n{i}" for i, n in enumerate(sorted(g.nodes))}
    lines = ["flowchart TD"]
    for n in sorted(g.nodes):
        node = g.nodes[n]
        shape = (
            f'{ids[n]}["{node.kind}<br/>{node.namespace}/{node.name}"]'
            if node.kind == "Kustomization"
            else f'{ids[n]}(["{node.kind}<br/>{node.namespace}/{node.name}"])'
        )
        lines.append(f"  {shape}")
    sources: dict[str, str] = {}
    for e in g.edges:
        if e.kind == "source" and e.target not in ids and e.target not in sources:
            sources[e.target] = f"s{len(sources)}"
            lines.append(f'  {sources[e.target]}[("{e.target}")]')
    for e in g.edges:
        a = ids.get(e.source)
        b = ids.get(e.target) or sources.get(e.target)
        if a is None or b is None:
            continue
        arrow = {"dependsOn": "-->|dependsOn|", "parent": "-.->|applied by|", "source": "-.->|source|"}.get(
            e.kind, "-->"
        )
        lines.append(f"  {a} {arrow} {b}")
    return "\n".join(lines) + "\n"


def to_dot(g: Graph) -> str:
    lines = ["digraph homeops {", "  rankdir=LR;"]
    for n in sorted(g.nodes):
        shape = "box" if g.nodes[n].kind == "Kustomization" else "ellipse"
        lines.append(f'  "{n}" [shape={shape}];')
    for e in g.edges:
        style = {"dependsOn": "solid", "parent": "dashed", "source": "dotted", "missing": "bold"}[e.kind]
        color = ",color=red" if e.kind == "missing" else ""
        lines.append(f'  "{e.source}" -> "{e.target}" [label="{e.kind}",style={style}{color}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(g: Graph) -> dict[str, Any]:
    return {
        "nodes": [
            {
                "id": n.id,
                "kind": n.kind,
                "namespace": n.namespace,
                "name": n.name,
                "status": n.status,
                "file": n.file,
                "line": n.line,
            }
            for n in (g.nodes[i] for i in sorted(g.nodes))
        ],
        "edges": [{"from": e.source, "to": e.target, "kind": e.kind} for e in g.edges],
    }
