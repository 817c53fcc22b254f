"""What diff rules read: both builds, their object indexes, the differences, and helpers for locations."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from homeops.diff.compare import ResourceChange
from homeops.diff.nodes import NotCompared, node_key
from homeops.diff.objects import Item, ObjKey, pos_of
from homeops.diff.values import HrValues
from homeops.flux.cluster import ClusterBuild, KsNode
from homeops.yaml.nodes import Pos, YMap

BASE, HEAD = "base", "head"


@dataclass
class DiffContext:
    """The two sides of a change, built, and the differences between them (before any scope filter)."""

    base: ClusterBuild
    head: ClusterBuild
    base_index: dict[ObjKey, Item]
    head_index: dict[ObjKey, Item]
    base_values: dict[ObjKey, HrValues]
    head_values: dict[ObjKey, HrValues]
    changes: list[ResourceChange]
    changed_files: tuple[str, ...] = ()
    not_compared: list[NotCompared] = field(default_factory=list)  # failed or external Kustomizations
    _files: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def root(self, side: str) -> Path:
        """The directory a side was built from."""
        return (self.base if side == BASE else self.head).repo.root

    def rel(self, file: str, side: str) -> str:
        """A path of ``side`` as findings show it: relative to that side's root, ``/``-separated."""
        if not file:
            return ""
        path = Path(file)
        if not path.is_absolute():
            path = Path(os.path.abspath(file))
        try:
            return path.relative_to(self.root(side)).as_posix()
        except ValueError:
            return file

    def where(self, pos: Pos | None, side: str) -> tuple[str, int, int]:
        """(file, line, column) of a position of ``side``, the file relative to its root."""
        if pos is None:
            return "", 0, 0
        return self.rel(pos.file, side), pos.line, pos.column

    def field_where(self, obj: YMap, side: str, *path: str | int) -> tuple[str, int, int]:
        """Where the field at ``path`` of ``obj`` is written (its deepest existing key)."""
        return self.where(pos_of(obj, *path), side)

    def uncompared(self, node: KsNode) -> bool:
        """Whether ``node`` (of either side) is, or is below, a Kustomization that cannot be compared (it
        fails to build, or its source is elsewhere, on a side): what it defines is unknown on that side."""
        keys = {n.key for n in self.not_compared}
        cursor: KsNode | None = node
        while cursor is not None:
            if node_key(cursor) in keys:
                return True
            cursor = cursor.parent
        return False

    def changed(self) -> list[ResourceChange]:
        """The objects present on both sides whose content differs."""
        return [c for c in self.changes if c.base is not None and c.head is not None]

    def removed(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.head is None]

    def node(self, side: str, namespace: str, name: str) -> KsNode | None:
        """The Flux Kustomization ``namespace/name`` of a side (the first of duplicates)."""
        cluster = self.base if side == BASE else self.head
        found = cluster.find(name, namespace)
        return found[0] if found else None

    def text(self, side: str, rel: str) -> str:
        """A text file of ``side`` ("" when it does not exist or is not UTF-8)."""
        key = (side, rel)
        if key not in self._files:
            try:
                self._files[key] = (self.root(side) / rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._files[key] = ""
        return self._files[key]
