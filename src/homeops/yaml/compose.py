"""The YAML composer behind ``homeops.yaml.loader.load_documents``: libyaml's C parser gives the events,
the tree is composed here (imported on the first parse, so a run served from the caches never loads PyYAML).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from homeops.errors import InputError, Location
from homeops.yaml.nodes import Pos, YMap, YSeq, deep_copy
from homeops.yaml.resolver import HINT_CHARS, key_text, resolve_plain, resolve_tagged
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
from yaml.reader import ReaderError

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


class _Seq:
    """A sequence being composed."""

    __slots__ = ("anchor", "depth", "seq")

    def __init__(self, seq: YSeq, anchor: str | None, depth: int) -> None:
        self.seq = seq
        self.anchor = anchor
        self.depth = depth


class _Map:
    """A mapping being composed: its keys so far, the pending key, its merge keys (kyaml's rules)."""

    __slots__ = (
        "anchor", "child", "cleared", "ctx", "depth", "has_key", "is_merge", "key", "key_pos", "m",
        "merges", "where",
    )  # fmt: skip

    def __init__(self, m: YMap, anchor: str | None, ctx: int, depth: int) -> None:
        self.m = m
        self.anchor = anchor
        self.ctx = ctx
        self.depth = depth
        self.merges: list[tuple[Any, Location]] = []
        self.cleared = False  # kyaml has removed the first key written "<<" (whatever its tag or quotes)
        self.has_key = False
        self.key = ""
        self.key_pos: Pos | None = None
        self.is_merge = False
        self.child = _OTHER
        self.where: Location | None = None


class _Composer:
    """Builds YMap/YSeq trees from libyaml events, with positions, a depth limit and an alias budget.

    kustomize reads a resource's ``metadata.annotations`` as strings of their source text (``a: 0755`` stays
    ``"0755"``), so scalars there keep their text instead of being typed.

    Composition is iterative (an explicit stack of open containers), so no nesting depth reaches Python's
    recursion limit; documents nested deeper than ``max_depth`` are refused. Each event is fetched once (no
    peeking); plain scalars, by far the most common nodes, are typed inline. Positions are shared between
    nodes that start at the same place (a mapping and its first key, a sequence item and the mapping it
    holds).
    """

    __slots__ = (
        "alias_budget", "anchor_text", "anchors", "file", "get", "max_alias_nodes", "max_depth", "positions",
    )  # fmt: skip

    def __init__(self, parser: CParser, file: str, max_alias_nodes: int, max_depth: int) -> None:
        self.get: Callable[[], Any] = parser.get_event
        self.file = file
        self.anchors: dict[str, Any] = {}
        self.anchor_text: dict[str, str] = {}
        self.alias_budget = max_alias_nodes
        self.max_alias_nodes = max_alias_nodes
        self.max_depth = max_depth
        self.positions: dict[int, Pos] = {}

    def pos(self, mark: Any) -> Pos:
        """The (shared) position of a libyaml mark."""
        pos = self.positions.get(mark.index)
        if pos is None:
            pos = self.positions[mark.index] = Pos(self.file, mark.line + 1, mark.column + 1)
        return pos

    def where(self, mark: Any) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def too_deep(self, mark: Any) -> InputError:
        return InputError(
            f"invalid YAML: exceeded max depth of {self.max_depth} (nested mappings and sequences)",
            location=self.where(mark),
        )

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

    def _copy_alias(self, value: Any, anchor: str, mark: Any, depth: int) -> Any:
        count = 0
        deepest = depth
        stack = [(value, depth)]
        while stack:
            item, level = stack.pop()
            count += 1
            if isinstance(item, dict):
                level += 1
                stack.extend((v, level) for v in item.values())
            elif isinstance(item, list):
                level += 1
                stack.extend((v, level) for v in item)
            deepest = max(deepest, level)
        self.alias_budget -= count
        if self.alias_budget < 0:
            raise InputError(
                f"YAML alias expansion is too large (alias *{anchor} pushes it over {self.max_alias_nodes} "
                "nodes); this looks like a YAML bomb",
                location=self.where(mark),
            )
        if deepest > self.max_depth:
            raise self.too_deep(mark)
        return deep_copy(value)

    def leaf(self, event: Any, ctx: int, depth: int) -> Any:
        """The value of a scalar or alias event inside ``depth`` open containers."""
        if event.__class__ is ScalarEvent:
            return self.scalar(event, ctx)
        if event.__class__ is not AliasEvent:  # pragma: no cover - libyaml guarantees the event order
            raise InputError(f"unexpected YAML event {event}", location=Location(self.file))
        anchor = event.anchor or ""
        if anchor not in self.anchors:
            raise InputError(f"unknown YAML alias *{anchor}", location=self.where(event.start_mark))
        if ctx == _ANNOTATIONS and anchor in self.anchor_text:
            return self.anchor_text[anchor]
        return self._copy_alias(self.anchors[anchor], anchor, event.start_mark, depth)

    def node(self, event: Any, ctx: int) -> Any:
        """The value of the node that starts with ``event``, however deep (no recursion)."""
        stack: list[_Map | _Seq] = []
        max_depth = self.max_depth
        while True:
            cls = event.__class__
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                if len(stack) >= max_depth:
                    raise self.too_deep(event.start_mark)
                pos = self.pos(event.start_mark)
                if cls is MappingStartEvent:
                    stack.append(_Map(YMap(pos=pos), event.anchor, ctx, len(stack) + 1))
                else:
                    stack.append(_Seq(YSeq(pos=pos), event.anchor, len(stack) + 1))
            else:
                value = self.leaf(event, ctx, len(stack))
                if not stack:
                    return value
                self.put(stack[-1], value)
            while True:
                top = stack[-1]
                child = self.run_map(top) if top.__class__ is _Map else self.run_seq(top)  # type: ignore[arg-type]
                if child is not None:
                    event, ctx = child
                    break
                stack.pop()
                value = self.finish(top)
                if not stack:
                    return value
                self.put(stack[-1], value)

    def finish(self, frame: _Map | _Seq) -> Any:
        value: Any
        if isinstance(frame, _Seq):
            value = frame.seq
        else:
            value = frame.m
            for merged, where in frame.merges:
                _merge_into(value, merged, where)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = value
        return value

    def put(self, frame: _Map | _Seq, value: Any) -> None:
        """Add a finished child (a container, or a tagged, quoted or alias scalar) to an open container."""
        if isinstance(frame, _Seq):
            frame.seq.append(value)
        elif frame.has_key:
            self.put_value(frame, value)
        else:
            self.put_key(frame, value if isinstance(value, str) else key_text(value), False)

    def put_key(self, frame: _Map, skey: str, is_merge: bool) -> None:
        frame.has_key = True
        frame.key = skey
        frame.is_merge = is_merge
        ctx = frame.ctx
        child = _OTHER
        if ctx == _ROOT:
            if skey == "metadata":
                child = _METADATA
        elif (ctx == _METADATA and skey == "annotations") or ctx == _ANNOTATIONS:
            child = _ANNOTATIONS
        frame.child = child

    def put_value(self, frame: _Map, value: Any) -> None:
        frame.has_key = False
        skey = frame.key
        key_pos = frame.key_pos
        assert key_pos is not None
        where = Location(self.file, key_pos.line, key_pos.column)
        if skey == _MERGE_KEY and (frame.is_merge or not frame.cleared):
            # kyaml's DeAnchor: the value of the merge key (plain or !!merge) is merged, and the first key
            # written "<<" goes away, even a quoted or custom-tagged one.
            if frame.is_merge:
                if frame.merges:
                    raise InputError("duplicate merge key", location=where)
                frame.merges.append((value, where))
            frame.cleared = True
            return
        m = frame.m
        if skey in m.kpos:
            raise InputError(
                f'mapping key "{skey}" already defined at line {m.kpos[skey].line}', location=where
            )
        m[skey] = value
        m.kpos[skey] = key_pos

    def run_seq(self, frame: _Seq) -> tuple[Any, int] | None:
        """Read the items of an open sequence until its end (None) or a nested container (its event)."""
        get = self.get
        positions = self.positions
        seq = frame.seq
        ipos = seq.ipos
        append = seq.append
        while True:
            event = get()
            cls = event.__class__
            if cls is SequenceEndEvent:
                return None
            mark = event.start_mark
            ipos.append(positions.get(mark.index) or self.pos(mark))
            if cls is ScalarEvent and event.tag is None and not event.style and event.anchor is None:
                text = event.value
                append(text if text and text[0] not in HINT_CHARS else resolve_plain(text))
            elif cls is ScalarEvent or cls is AliasEvent:
                append(self.leaf(event, _OTHER, frame.depth))
            else:
                return event, _OTHER

    def run_map(self, frame: _Map) -> tuple[Any, int] | None:
        """Read the entries of an open mapping until its end (None) or a nested container (its event)."""
        get = self.get
        positions = self.positions
        m = frame.m
        kpos = m.kpos
        ctx = frame.ctx
        while True:
            if frame.has_key:  # resumed after a key that is a container
                event = get()
                if event.__class__ is MappingStartEvent or event.__class__ is SequenceStartEvent:
                    return event, frame.child
                self.put_value_event(frame, event)
                continue
            event = get()
            cls = event.__class__
            if cls is MappingEndEvent:
                return None
            mark = event.start_mark
            key_pos = positions.get(mark.index) or self.pos(mark)
            frame.key_pos = key_pos
            if cls is ScalarEvent and event.tag is None and not event.style and event.anchor is None:
                text = event.value
                if text and text[0] not in HINT_CHARS:
                    skey = text
                else:
                    key = resolve_plain(text)
                    skey = key if isinstance(key, str) else key_text(key)
                is_merge = text == _MERGE_KEY
            elif cls is ScalarEvent or cls is AliasEvent:
                is_merge = (
                    cls is ScalarEvent
                    and event.value == _MERGE_KEY
                    and not event.style
                    and event.tag in (None, _MERGE_TAG)
                )
                key = self.leaf(event, _OTHER, frame.depth)
                skey = key if isinstance(key, str) else key_text(key)
            else:
                return event, _OTHER
            child = _OTHER
            if ctx == _ROOT:
                if skey == "metadata":
                    child = _METADATA
            elif (ctx == _METADATA and skey == "annotations") or ctx == _ANNOTATIONS:
                child = _ANNOTATIONS
            event = get()
            cls = event.__class__
            if (
                cls is ScalarEvent
                and event.tag is None
                and not event.style
                and event.anchor is None
                and child != _ANNOTATIONS
                and skey != _MERGE_KEY
                and skey not in kpos
            ):
                text = event.value
                m[skey] = text if text and text[0] not in HINT_CHARS else resolve_plain(text)
                kpos[skey] = key_pos
                if not text:  # ``key:`` with nothing after it: kyaml's walks drop it, an explicit null stays
                    if m.empty is None:
                        m.empty = set()
                    m.empty.add(skey)
                continue
            frame.has_key = True
            frame.key = skey
            frame.is_merge = is_merge
            frame.child = child
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                return event, child
            self.put_value_event(frame, event)

    def put_value_event(self, frame: _Map, event: Any) -> None:
        """Add the value of the pending key when it is a scalar or an alias (kyaml's merge-key checks)."""
        anchors = self.anchors
        if frame.is_merge and (
            event.__class__ is ScalarEvent
            or (event.anchor in anchors and not isinstance(anchors[event.anchor], dict))
        ):
            raise InputError(
                "map merge requires map or sequence of maps as the value"
                if event.__class__ is ScalarEvent
                else "invalid map merge: received alias for a non-map value",
                location=self.where(event.start_mark),
            )
        self.put_value(frame, self.leaf(event, frame.child, frame.depth))

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


def _merge_into(m: YMap, merged: Any, where: Location) -> None:
    """Merge the value of a merge key into ``m`` as kyaml does: ``m``'s own keys win, then the earlier maps of
    a sequence."""
    sources = merged if isinstance(merged, list) else [merged]
    for source in sources:
        if isinstance(source, list):
            raise InputError("invalid map merge: received a nested sequence", location=where)
        if not isinstance(source, YMap):
            raise InputError("map merge requires map or sequence of maps as the value", location=where)
        for k, v in source.items():
            if k not in m:
                m[k] = v
                if k in source.kpos:
                    m.kpos[k] = source.kpos[k]


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of byte ``offset`` of ``data``."""
    before = data[: max(offset, 0)]
    line_start = before.rfind(b"\n") + 1
    return before.count(b"\n") + 1, len(before[line_start:].decode("utf-8", "replace")) + 1


def compose_documents(text: str | bytes, file: str, max_alias_nodes: int, max_depth: int) -> list[Any]:
    """Parse every document of ``text``. ``file`` names the source in positions and errors.

    Empty documents come back as ``None``. Raises InputError (with the line and column) on malformed YAML,
    invalid UTF-8 or control characters, nesting deeper than ``max_depth`` or a YAML bomb.
    """
    parser = CParser(text)
    try:
        return _Composer(parser, file, max_alias_nodes, max_depth).documents()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"invalid YAML: {problem}", location=loc) from None
    except ReaderError as exc:  # libyaml's position is a byte offset in the UTF-8 input
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        line, col = _line_col(data, exc.position)
        char = exc.character
        code = char if isinstance(char, int) else (char[0] if char else 0)
        raise InputError(
            f"invalid YAML: unacceptable character #x{code:04x}: {exc.reason}",
            location=Location(file, line, col),
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", location=Location(file)) from None
    finally:
        parser.dispose()
