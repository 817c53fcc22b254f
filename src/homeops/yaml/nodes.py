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
from typing import Any, NamedTuple


class Pos(NamedTuple):
    """A 1-based position in a source file (a named tuple: tens of thousands are made per run, and the
    build cache restores them without running Python code, see ``homeops.cache.nodes``)."""

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


def _shell(value: dict[str, Any] | list[Any]) -> YMap | YSeq:
    """An empty copy of a container, with its positions."""
    if isinstance(value, YMap):
        m = YMap(pos=value.pos)
        m.kpos = dict(value.kpos)
        if value.empty:
            m.empty = set(value.empty)
        return m
    if isinstance(value, dict):
        return YMap()
    if isinstance(value, YSeq):
        s = YSeq(pos=value.pos)
        s.ipos = list(value.ipos)
        return s
    return YSeq()


_RECURSIVE_DEPTH = 64
"""Subtrees this deep are copied recursively (fast); deeper ones with an explicit stack."""


def deep_copy(value: Any) -> Any:
    """Copy a document tree, keeping positions. Scalars are immutable and shared. Any depth is fine."""
    return _copy(value, 0)


_new_map = dict.__new__
_new_seq = list.__new__
_update: Any = dict.update


def _copy(value: Any, depth: int) -> Any:
    if depth > _RECURSIVE_DEPTH:
        return _copy_iterative(value)
    depth += 1
    if isinstance(value, YMap):
        # made without __init__, its items copied at C speed and then its containers replaced by copies (a
        # build copies every document it loads: tens of thousands of maps)
        m: YMap = _new_map(YMap)
        _update(m, value)
        for k, v in value.items():
            if isinstance(v, (dict, list)):
                m[k] = _copy(v, depth)
        m.pos = value.pos
        m.kpos = value.kpos.copy()
        m.empty = set(value.empty) if value.empty else None
        return m
    if isinstance(value, YSeq):
        s: YSeq = _new_seq(YSeq)
        s.extend([_copy(v, depth) if isinstance(v, (dict, list)) else v for v in value])
        s.pos = value.pos
        s.ipos = value.ipos.copy()
        return s
    if isinstance(value, dict):
        return YMap((k, _copy(v, depth)) for k, v in value.items())
    if isinstance(value, list):
        return YSeq(_copy(v, depth) for v in value)
    return value


def _copy_iterative(value: Any) -> Any:
    if not isinstance(value, (dict, list)):
        return value
    root = _shell(value)
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        src, dst = stack.pop()
        if isinstance(src, dict):
            for k, v in src.items():
                if isinstance(v, (dict, list)):
                    c = dst[k] = _shell(v)
                    stack.append((v, c))
                else:
                    dst[k] = v
        else:
            for v in src:
                if isinstance(v, (dict, list)):
                    c = _shell(v)
                    dst.append(c)
                    stack.append((v, c))
                else:
                    dst.append(v)
    return root


def _convert(value: Any, make_map: Any, make_seq: Any, key: Any) -> Any:
    """Rebuild a tree with other container types (iterative: any depth)."""
    if not isinstance(value, (dict, list)):
        return value
    root = make_map() if isinstance(value, dict) else make_seq()
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        src, dst = stack.pop()
        if isinstance(src, dict):
            for k, v in src.items():
                if isinstance(v, (dict, list)):
                    c = dst[key(k)] = make_map() if isinstance(v, dict) else make_seq()
                    stack.append((v, c))
                else:
                    dst[key(k)] = v
        else:
            for v in src:
                if isinstance(v, (dict, list)):
                    c = make_map() if isinstance(v, dict) else make_seq()
                    dst.append(c)
                    stack.append((v, c))
                else:
                    dst.append(v)
    return root


def _same(key: Any) -> Any:
    return key


def to_plain(value: Any) -> Any:
    """Convert a tree into builtin dicts and lists (for JSON output and comparisons)."""
    return _convert(value, dict, list, _same)


def from_plain(value: Any) -> Any:
    """Convert builtin dicts and lists into YMap/YSeq (without positions)."""
    return _convert(value, YMap, YSeq, str)
