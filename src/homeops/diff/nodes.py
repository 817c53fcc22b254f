"""Pairing the Flux Kustomizations of the two sides, and what cannot be compared.

A Kustomization is matched across sides by (cluster, namespace, name). One that fails to build on a side
(or, on a side, takes its source from outside the repository) cannot be compared: the objects it applies
on the other side, its descendants' included, are left out of the comparison, so that none of them is
reported as added or removed because of it. The failure itself is reported (rule HO308).
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.diff.objects import ObjKey, key_of
from homeops.errors import BuildError
from homeops.flux.cluster import ClusterBuild, KsNode

BASE, HEAD, BOTH = "base", "head", "both"
FAILED, EXTERNAL = "failed", "external"

NodeKey = tuple[str, str, str]  # (cluster, namespace, name)


def node_key(node: KsNode) -> NodeKey:
    return (node.cluster, node.namespace, node.name)


def node_id(node: KsNode) -> str:
    """``Kustomization/namespace/name``, with ``@cluster`` in a multi-cluster repository (as graph ids)."""
    return f"{node.ref}@{node.cluster}" if node.cluster else node.ref


@dataclass(frozen=True, slots=True)
class NotCompared:
    """A Flux Kustomization whose objects are not compared: it failed to build on a side (``failed``), or
    its source is not this repository (``external``)."""

    ref: str
    cluster: str
    side: str  # base | head | both: where it failed (or is external)
    status: str  # failed | external
    error: str
    objects: int  # objects under it (descendants included) on the side that built it
    built: str  # the side that built it: base | head, "" when neither did
    file: str
    line: int

    @property
    def id(self) -> str:
        return f"{self.ref}@{self.cluster}" if self.cluster else self.ref

    @property
    def key(self) -> NodeKey:
        _, namespace, name = self.ref.split("/", 2)
        return (self.cluster, namespace, name)

    @property
    def problem(self) -> str:
        """What failed where (or which side's source is not this repository)."""
        where = "on both sides" if self.side == BOTH else f"on the {self.side}"
        if self.status == EXTERNAL:
            return f"{self.id}: its source is not this repository {where} ({self.error})"
        return f"{self.id} fails to build {where}: {self.error}"

    @property
    def summary(self) -> str:
        """One line: the problem, and what was not compared because of it."""
        if self.built:
            tail = f"could not compare {self.objects} object{'s' if self.objects != 1 else ''} under it"
        elif self.side == BOTH:
            tail = "its objects could not be compared"
        else:
            other = HEAD if self.side == BASE else BASE
            tail = f"it does not exist on the {other}"
        return f"{self.problem} — {tail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.id,
            "cluster": self.cluster,
            "side": self.side,
            "status": self.status,
            "error": self.error,
            "objects": self.objects,
            "file": self.file,
            "line": self.line,
        }


@dataclass
class Pairing:
    """What is left out of the comparison, and why."""

    not_compared: list[NotCompared] = field(default_factory=list)
    excluded: set[ObjKey] = field(default_factory=set)

    @property
    def failures(self) -> list[NotCompared]:
        return [n for n in self.not_compared if n.status == FAILED]


def in_cluster(build: ClusterBuild, cluster: str | None) -> ClusterBuild:
    """The part of a side that belongs to ``cluster`` (the whole side when None)."""
    if cluster is None:
        return build
    nodes = [n for n in build.nodes if n.cluster == cluster]
    kept = {id(n) for n in nodes}
    hrs = [h for h in build.helmreleases if id(h.parent) in kept]
    return dataclasses.replace(build, nodes=nodes, helmreleases=hrs)


def require_built(base: ClusterBuild, head: ClusterBuild, base_label: str, head_label: str) -> None:
    """BuildError when a side builds nothing at all (no Kustomization reached, or none built)."""
    empty = [
        (side, label, why)
        for side, label, build in ((BASE, base_label, base), (HEAD, head_label, head))
        for why in [_nothing_built(build)]
        if why
    ]
    if not empty:
        return
    what = "; ".join(f"the {side} ({label}) {why}" for side, label, why in empty)
    if any(not build.nodes for build in (base, head)):
        hint = "pass --root PATH (the directory holding the root Flux Kustomizations) or check --cluster"
    else:
        hint = "run `homeops build all` on that revision to see every error"
    raise BuildError(f"nothing to compare: {what}", hint=hint)


def _nothing_built(build: ClusterBuild) -> str:
    if not build.nodes:
        return "reaches no Flux Kustomization"
    if any(n.status == "ok" for n in build.nodes):
        return ""
    failed = [n for n in build.nodes if n.status == FAILED]
    if not failed:
        return "builds nothing: every Flux Kustomization's source is outside the repository"
    shown = "; ".join(f"{node_id(n)}: {n.error}" for n in failed[:3])
    more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
    return f"builds nothing: every Flux Kustomization fails ({shown}{more})"


def pair(base: ClusterBuild, head: ClusterBuild) -> Pairing:
    """Match the Kustomizations of both sides; record those that cannot be compared and the object keys
    to leave out because of them."""
    base_nodes, head_nodes = _first_by_key(base.nodes), _first_by_key(head.nodes)
    keys = list(head_nodes) + [k for k in base_nodes if k not in head_nodes]
    pairing = Pairing()
    for key in keys:
        b, h = base_nodes.get(key), head_nodes.get(key)
        entry = _not_compared(b, h, base, head)
        if entry is None:
            continue
        pairing.not_compared.append(entry)
        built = b if entry.built == BASE else h if entry.built == HEAD else None
        if built is not None:
            side = base if entry.built == BASE else head
            pairing.excluded |= _keys(subtree(side, built))
    return pairing


def _first_by_key(nodes: list[KsNode]) -> dict[NodeKey, KsNode]:
    out: dict[NodeKey, KsNode] = {}
    for node in nodes:
        out.setdefault(node_key(node), node)
    return out


def _not_compared(
    b: KsNode | None, h: KsNode | None, base: ClusterBuild, head: ClusterBuild
) -> NotCompared | None:
    b_status = b.status if b is not None else ""
    h_status = h.status if h is not None else ""
    if FAILED in (b_status, h_status):
        status = FAILED
    elif EXTERNAL in (b_status, h_status):
        status = EXTERNAL
    else:
        return None
    bad_b, bad_h = b_status == status, h_status == status
    side = BOTH if bad_b and bad_h else BASE if bad_b else HEAD
    b_error = _relative(b.error, base) if b is not None else ""
    h_error = _relative(h.error, head) if h is not None else ""
    if side == BOTH:
        error = b_error if b_error == h_error else f"base: {b_error}; head: {h_error}"
    else:
        error = b_error if bad_b else h_error
    built = ""
    objects = 0
    if b_status == "ok" or h_status == "ok":
        built = BASE if b_status == "ok" else HEAD
        node = b if built == BASE else h
        assert node is not None
        objects = sum(n.object_count for n in subtree(base if built == BASE else head, node))
    shown = h if bad_h else b
    assert shown is not None
    return NotCompared(
        shown.ref,
        shown.cluster,
        side,
        status,
        error,
        objects,
        built,
        shown.defined_at.file,
        shown.defined_at.line,
    )


def _relative(error: str, build: ClusterBuild) -> str:
    """An error with the side's directory (a temporary extraction for a revision) left out of its paths,
    so that both sides say the same thing about the same file."""
    root = build.repo.root
    prefixes = {f"{root}{os.sep}"}
    if root.is_relative_to(Path.cwd()):
        shown = os.path.relpath(root)
        if shown != ".":
            prefixes.add(f"{shown}{os.sep}")
    for prefix in sorted(prefixes, key=len, reverse=True):
        error = re.sub(r"(?<![\w.~/-])" + re.escape(prefix), "", error)
    return error


def subtree(build: ClusterBuild, top: KsNode) -> list[KsNode]:
    """``top`` and every Kustomization below it (applied by it, directly or not), in build order."""
    out: list[KsNode] = []
    for node in build.nodes:
        cursor: KsNode | None = node
        while cursor is not None and cursor is not top:
            cursor = cursor.parent
        if cursor is top:
            out.append(node)
    return out


def _keys(nodes: list[KsNode]) -> set[ObjKey]:
    return {k for n in nodes for obj in n.objects for k in [key_of(obj, n.cluster)] if k is not None}


__all__ = [
    "BASE",
    "BOTH",
    "EXTERNAL",
    "FAILED",
    "HEAD",
    "NotCompared",
    "Pairing",
    "in_cluster",
    "node_id",
    "node_key",
    "pair",
    "require_built",
    "subtree",
]
