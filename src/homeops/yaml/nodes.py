"""The in-memory YAML model shared by every homeops module.

A loaded document is made of plain Python values: ``YMap`` (a ``dict`` with positions), ``YSeq`` (a
``list`` with positions) and scalars (``str``, ``int``, ``float``, ``bool``, ``None``). Scalars are typed the
way kustomize's YAML library (go-yaml v3) types them when it reads a document into Go values, so that the
emitter can reproduce kustomize's output from the values alone.

Positions are 1-based. ``YMap.pos`` is where the mapping starts, ``YMap.kpos[key]`` where each key starts;
``YSeq.pos`` where the sequence starts and ``YSeq.ipos[i]`` where item ``i`` starts. Containers built by code
(not loaded from a file) have ``pos = None`` and empty position tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based position in a source file."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class YMap(dict[str, Any]):
    """A mapping that remembers where it and each of its keys came from."""

    __slots__ = ("empty", "kpos", "pos")

    def __init__(
        self, items: Iterable[tuple[str, Any]] | dict[str, Any] = (), pos: Pos | None = None
    ) -> None:
        super().__init__(items)
        self.pos: Pos | None = pos
        self.kpos: dict[str, Pos] = {}
        self.empty: set[str] | None = None  # keys written with no value at all (``key:``), not ``null``/``~``

    def key_pos(self, key: str) -> Pos | None:
        """Where ``key`` was written, falling back to the mapping itself."""
        return self.kpos.get(key, self.pos)


class YSeq(list[Any]):
    """A sequence that remembers where it and each of its items came from."""

    __slots__ = ("ipos", "pos")

    def __init__(self, items: Iterable[Any] = (), pos: Pos | None = None) -> None:
        super().__init__(items)
        self.pos: Pos | None = pos
        self.ipos: list[Pos | None] = []

    def item_pos(self, index: int) -> Pos | None:
        """Where item ``index`` was written, falling back to the sequence itself."""
        if 0 <= index < len(self.ipos):
            return self.ipos[index] or self.pos
        return self.pos


def as_map(value: Any) -> YMap:
    """``value`` as a mapping (a plain dict is wrapped), else an empty one: lenient reading of documents."""
    if isinstance(value, YMap):
        return value
    return YMap(value) if isinstance(value, dict) else YMap()


def as_seq(value: Any) -> list[Any]:
    """``value`` when it is a sequence, else an empty list."""
    return value if isinstance(value, list) else []


def deep_copy(value: Any) -> Any:
    """Copy a document tree, keeping positions. Scalars are immutable and shared."""
    if isinstance(value, YMap):
        m = YMap(pos=value.pos)
        for k, v in value.items():
            m[k] = deep_copy(v)
        m.kpos = dict(value.kpos)
        if value.empty:
            m.empty = set(value.empty)
        return m
    if isinstance(value, dict):
        return YMap((k, deep_copy(v)) for k, v in value.items())
    if isinstance(value, YSeq):
        s = YSeq((deep_copy(v) for v in value), pos=value.pos)
        s.ipos = list(value.ipos)
        return s
    if isinstance(value, list):
        return YSeq(deep_copy(v) for v in value)
    return value


def to_plain(value: Any) -> Any:
    """Convert a tree into builtin dicts and lists (for JSON output and comparisons)."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def from_plain(value: Any) -> Any:
    """Convert builtin dicts and lists into YMap/YSeq (without positions)."""
    if isinstance(value, dict):
        return YMap((str(k), from_plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return YSeq(from_plain(v) for v in value)
    return value
