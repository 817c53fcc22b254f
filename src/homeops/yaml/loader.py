"""Multi-document YAML loading with positions, typed as kustomize (go-yaml v3) types scalars.

Uses libyaml's C parser for events and composes the tree here, so that what kustomize accepts loads too:
duplicate anchors (the latest wins), unknown tags such as ``!env_var`` (the value stays a string) and plain
scalars such as ``=`` (a string). Aliases are expanded into copies under a node budget, so a
"billion laughs" document fails with a clear error instead of exhausting memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from homeops.errors import InputError, Location
from homeops.yaml.nodes import Pos, YMap, YSeq, deep_copy
from homeops.yaml.resolver import HINT_CHARS, key_text, resolve_plain, resolve_plain_tagged, resolve_tagged
from yaml._yaml import CParser
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_FILE_BYTES",
    "load_documents",
    "load_file",
    "read_limited",
    "resolve_plain",
    "resolve_plain_tagged",
]

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest YAML file homeops reads (16 MiB): real manifests, even CRD bundles, stay well below it."""

MAX_ALIAS_NODES = 200_000
"""Most nodes that alias expansion may add to one file before it is treated as a YAML bomb."""

_MERGE_KEY = "<<"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_ROOT, _METADATA, _ANNOTATIONS, _OTHER = range(4)


def _go_folded(text: str) -> str:
    """A folded scalar as kustomize reads it: go-yaml v3 keeps an extra line break before a more-indented
    line whose last non-empty predecessor is a normal line (libyaml does not), e.g. ``a\n  b`` becomes
    ``a\n\n  b`` and ``a\n\n  b`` becomes ``a\n\n\n  b``."""
    if "\n " not in text and "\n\t" not in text:
        return text
    lines = text.split("\n")
    out = [lines[0]]
    last = lines[0]  # the last non-empty line
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and last and last[:1] not in (" ", "\t"):
            out.append("")
        out.append(line)
        if line:
            last = line
    return "\n".join(out)


class _Composer:
    """Builds YMap/YSeq trees from libyaml events, with positions and an alias budget.

    kustomize reads a resource's ``metadata.annotations`` as strings of their source text (``a: 0755`` stays
    ``"0755"``), so scalars there keep their text instead of being typed.

    Each event is fetched once (no peeking); plain scalars, by far the most common nodes, are typed inline.
    Positions are shared between nodes that start at the same place (a mapping and its first key, a
    sequence item and the mapping it holds).
    """

    __slots__ = ("alias_budget", "anchor_text", "anchors", "file", "get", "max_alias_nodes", "positions")

    def __init__(self, parser: CParser, file: str, max_alias_nodes: int) -> None:
        self.get: Callable[[], Any] = parser.get_event
        self.file = file
        self.anchors: dict[str, Any] = {}
        self.anchor_text: dict[str, str] = {}
        self.alias_budget = max_alias_nodes
        self.max_alias_nodes = max_alias_nodes
        self.positions: dict[int, Pos] = {}

    def pos(self, mark: Any) -> Pos:
        """The (shared) position of a libyaml mark."""
        pos = self.positions.get(mark.index)
        if pos is None:
            pos = self.positions[mark.index] = Pos(self.file, mark.line + 1, mark.column + 1)
        return pos

    def where(self, mark: Any) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def documents(self) -> list[Any]:
        get = self.get
        get()  # StreamStart
        docs: list[Any] = []
        while get().__class__ is not StreamEndEvent:  # DocumentStart
            self.anchors = {}
            self.anchor_text = {}
            docs.append(self.node(get(), _ROOT))
            get()  # DocumentEnd
        return docs

    def _copy_alias(self, value: Any, anchor: str, mark: Any) -> Any:
        count = 0
        stack = [value]
        while stack:
            item = stack.pop()
            count += 1
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        self.alias_budget -= count
        if self.alias_budget < 0:
            raise InputError(
                f"YAML alias expansion is too large (alias *{anchor} pushes it over {self.max_alias_nodes} "
                "nodes); this looks like a YAML bomb",
                location=self.where(mark),
            )
        return deep_copy(value)

    def node(self, event: Any, ctx: int) -> Any:
        """The value of the node that starts with ``event``."""
        cls = event.__class__
        if cls is ScalarEvent:
            return self.scalar(event, ctx)
        value: Any
        if cls is MappingStartEvent:
            value = self.mapping(event, ctx)
        elif cls is SequenceStartEvent:
            value = self.sequence(event)
        elif cls is AliasEvent:
            anchor = event.anchor or ""
            if anchor not in self.anchors:
                raise InputError(f"unknown YAML alias *{anchor}", location=self.where(event.start_mark))
            if ctx == _ANNOTATIONS and anchor in self.anchor_text:
                return self.anchor_text[anchor]
            return self._copy_alias(self.anchors[anchor], anchor, event.start_mark)
        else:  # pragma: no cover - libyaml guarantees the event order
            raise InputError(f"unexpected YAML event {event}", location=Location(self.file))
        if event.anchor is not None:
            self.anchors[event.anchor] = value
        return value

    def scalar(self, event: Any, ctx: int) -> Any:
        """The value of a scalar event: typed, unless it sits in annotations or is quoted or a block."""
        text: str = event.value
        tag = event.tag
        value: Any
        if ctx == _ANNOTATIONS:
            value = text
        elif tag is not None and tag != "!":
            try:
                value = resolve_tagged(tag, text)
            except ValueError as exc:
                raise InputError(str(exc), location=self.where(event.start_mark)) from None
        elif event.style == ">":
            value = _go_folded(text)
        elif event.style:  # quoted or literal: a string
            value = text
        else:
            value = resolve_plain(text)
        if event.anchor is not None:
            self.anchor_text[event.anchor] = text
            self.anchors[event.anchor] = value
        return value

    def sequence(self, start: Any) -> YSeq:
        get = self.get
        positions = self.positions
        seq = YSeq(pos=self.pos(start.start_mark))
        ipos = seq.ipos
        append = seq.append
        while True:
            event = get()
            cls = event.__class__
            if cls is SequenceEndEvent:
                return seq
            mark = event.start_mark
            pos = positions.get(mark.index) or self.pos(mark)
            ipos.append(pos)
            if cls is ScalarEvent and event.tag is None and not event.style and event.anchor is None:
                text = event.value
                append(text if text and text[0] not in HINT_CHARS else resolve_plain(text))
            else:
                append(self.node(event, _OTHER))

    def mapping(self, start: Any, ctx: int) -> YMap:
        get = self.get
        positions = self.positions
        m = YMap(pos=self.pos(start.start_mark))
        kpos = m.kpos
        merges: list[Any] = []
        while True:
            event = get()
            cls = event.__class__
            if cls is MappingEndEvent:
                break
            mark = event.start_mark
            key_pos = positions.get(mark.index) or self.pos(mark)
            skey: str
            if cls is ScalarEvent and event.tag is None and not event.style and event.anchor is None:
                text = event.value
                is_merge = text == _MERGE_KEY
                if text and text[0] not in HINT_CHARS:
                    skey = text
                else:
                    key = resolve_plain(text)
                    skey = key if isinstance(key, str) else key_text(key)
            else:
                is_merge = (
                    cls is ScalarEvent
                    and event.value == _MERGE_KEY
                    and not event.style
                    and event.tag in (None, _MERGE_TAG)
                )
                key = self.node(event, _OTHER)
                skey = key if isinstance(key, str) else key_text(key)
            child = _OTHER
            if ctx == _ROOT:
                if skey == "metadata":
                    child = _METADATA
            elif (ctx == _METADATA and skey == "annotations") or ctx == _ANNOTATIONS:
                child = _ANNOTATIONS
            event = get()
            if (
                event.__class__ is ScalarEvent
                and event.tag is None
                and not event.style
                and event.anchor is None
                and child != _ANNOTATIONS
            ):
                text = event.value
                value = text if text and text[0] not in HINT_CHARS else resolve_plain(text)
                if not text:  # ``key:`` with nothing after it: kyaml's walks drop it, an explicit null stays
                    if m.empty is None:
                        m.empty = set()
                    m.empty.add(skey)
            else:
                value = self.node(event, child)
            if is_merge:
                merges.append(value)
                continue
            if skey in kpos:
                raise InputError(
                    f'mapping key "{skey}" already defined at line {kpos[skey].line}',
                    location=Location(self.file, key_pos.line, key_pos.column),
                )
            m[skey] = value
            kpos[skey] = key_pos
        for merged in merges:
            sources = merged if isinstance(merged, list) else [merged]
            for source in sources:
                if isinstance(source, YMap):
                    for k, v in source.items():
                        if k not in m:
                            m[k] = v
                            if k in source.kpos:
                                m.kpos[k] = source.kpos[k]
        return m


def load_documents(text: str | bytes, file: str, *, max_alias_nodes: int = MAX_ALIAS_NODES) -> list[Any]:
    """Parse every document of ``text``. ``file`` names the source in positions and errors.

    Empty documents come back as ``None``. Raises InputError on malformed YAML or a YAML bomb.
    """
    parser = CParser(text)
    try:
        return _Composer(parser, file, max_alias_nodes).documents()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"invalid YAML: {problem}", location=loc) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", location=Location(file)) from None
    finally:
        parser.dispose()


def read_limited(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """Read a file, refusing one over ``max_bytes``."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", location=Location(display)) from None
    if size > max_bytes:
        raise InputError(
            f"file is too large ({size} bytes; the limit is {max_bytes})", location=Location(display)
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", location=Location(display)) from None


def load_file(path: Path, display: str, *, max_bytes: int = MAX_FILE_BYTES) -> list[Any]:
    """Load every document of a YAML file. ``display`` is the path shown in positions and errors."""
    return load_documents(read_limited(path, display, max_bytes), display)
