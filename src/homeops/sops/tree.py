"""The tree sops works on, read from YAML as sops 3.x reads it (go-yaml v3 nodes, comments included).

A document is a ``Branch``: an ordered list of ``(key, value)`` pairs where a key is a ``str`` or a
``Comment`` (a full comment line, its value being the text after ``#``; the value is then None). Values
are ``Branch``, ``list`` (whose items may be ``Comment`` too), ``str``, ``int``, ``float``, ``bool``,
``None`` or ``GoTime`` (a plain timestamp, kept as Go's RFC 3339 text with nanoseconds). Scalars are typed as
go-yaml v3 decodes them into ``interface{}``.

Comments: sops keeps them as items, in document order, next to the item they precede. go-yaml v3 attaches
a comment to a node (head, line or foot comment) and sops flattens them back in that order: a comment on
the line of an item goes before that item; a full-line comment goes before the next item when it is
indented no deeper than it, else after the previous item, in the deepest enclosing block it is indented
into. This matches go-yaml for the layouts YAML files use in practice; odd indentation may place a comment
one level off, which changes only where it is printed (and, when comments are encrypted, its additional
data), never a value or the MAC (comments are not part of the MAC).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import yaml
from homeops.errors import Location
from homeops.sops.document import SopsError
from homeops.yaml.resolver import resolve_plain_tagged, resolve_tagged
from yaml._yaml import CParser
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.tokens import StreamEndToken

__all__ = ["Branch", "Comment", "GoTime", "parse_yaml"]

MAX_DEPTH = 200
MAX_NODES = 200_000
_INT64_MAX = 2**63 - 1
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BINARY_TAG = "tag:yaml.org,2002:binary"


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment line: ``value`` is the text after the ``#``."""

    value: str


@dataclass(frozen=True, slots=True)
class GoTime:
    """A YAML timestamp as Go's ``time.Time`` marshals it (RFC 3339 with nanoseconds)."""

    text: str


class Branch(list[tuple[Any, Any]]):
    """An ordered mapping: ``(key, value)`` pairs; a ``Comment`` key has the value None."""

    def get(self, key: str) -> Any:
        """The value of ``key``, or None."""
        for k, v in self:
            if k == key and isinstance(k, str):
                return v
        return None


# --- Intermediate nodes with positions ----------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Slot:
    """One item of a block: a mapping entry (``key`` set) or a sequence item; ``before`` holds the comments
    that precede it."""

    line: int
    col: int
    key: str | None
    node: Any
    block: _Block
    before: list[Comment] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _Block:
    mapping: bool
    parent: _Block | None
    slots: list[_Slot] = field(default_factory=list)
    foot: list[Comment] = field(default_factory=list)
    col: int = -1


@dataclass(slots=True)
class _Comment:
    line: int
    col: int
    text: str
    trailing: bool


def _scan_comments(text: str) -> list[_Comment]:
    """Every comment of ``text`` with its 0-based line and column, from the gaps between YAML tokens."""
    lines = text.split("\n")
    found: list[_Comment] = []
    parser = CParser(text)
    try:
        prev = (0, 0)
        while True:
            token: Any = parser.get_token()
            start = (token.start_mark.line, token.start_mark.column)
            for number in range(prev[0], min(start[0], len(lines) - 1) + 1):
                line = lines[number].rstrip("\r")
                lo = prev[1] if number == prev[0] else 0
                hi = start[1] if number == start[0] else len(line)
                hash_at = line.find("#", lo, max(lo, hi))
                if hash_at >= 0:
                    trailing = line[:hash_at].strip() != ""
                    found.append(_Comment(number, hash_at, line[hash_at + 1 :], trailing))
            if isinstance(token, StreamEndToken):
                return found
            prev = (token.end_mark.line, token.end_mark.column)
    finally:
        parser.dispose()


def _go_folded(text: str) -> str:
    """go-yaml v3 keeps a line break before a more-indented line of a folded scalar that libyaml folds."""
    if "\n " not in text and "\n\t" not in text:
        return text
    out: list[str] = []
    last = ""
    for index, line in enumerate(text.split("\n")):
        if index and line[:1] in (" ", "\t") and last and last[:1] not in (" ", "\t"):
            out.append("")
        out.append(line)
        last = line or last
    return "\n".join(out)


class _Composer:
    def __init__(self, parser: CParser, file: str) -> None:
        self.parser = parser
        self.file = file
        self.anchors: dict[str, Any] = {}
        self.nodes = 0

    def next_event(self) -> Any:
        return self.parser.get_event()

    def where(self, mark: Any) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def scalar(self, event: Any) -> Any:
        text: str = event.value
        tag = event.tag
        if tag is not None and tag != "!":
            if tag == _BINARY_TAG:
                try:
                    return base64.b64decode("".join(text.split()), validate=True).decode(
                        "utf-8", "surrogateescape"
                    )
                except (binascii.Error, ValueError):
                    raise SopsError("invalid !!binary value", location=self.where(event.start_mark)) from None
            try:
                value = resolve_tagged(tag, text)
            except ValueError as exc:
                raise SopsError(str(exc), location=self.where(event.start_mark)) from None
            if tag == _TIMESTAMP_TAG and isinstance(value, str):
                return GoTime(value)
        elif event.style == ">":
            value = _go_folded(text)
        elif event.style:
            value = text
        else:
            kind, value = resolve_plain_tagged(text)
            if kind == "timestamp":
                return GoTime(value)
        if isinstance(value, int) and not isinstance(value, bool) and value > _INT64_MAX:
            raise SopsError(
                "integer out of sops' range (uint64 values cannot be encrypted)",
                location=self.where(event.start_mark),
            )
        return value

    def node(self, event: Any, parent: _Block | None, depth: int) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise SopsError(
                "YAML nested too deeply or too large for sops", location=self.where(event.start_mark)
            )
        cls = event.__class__
        if cls is AliasEvent:
            if event.anchor not in self.anchors:
                raise SopsError(f"unknown alias *{event.anchor}", location=self.where(event.start_mark))
            return self.anchors[event.anchor]
        if cls is ScalarEvent:
            value = self.scalar(event)
        elif cls is SequenceStartEvent:
            value = self.sequence(event, parent, depth)
        else:
            value = self.mapping(event, parent, depth)
        if event.anchor is not None:
            self.anchors[event.anchor] = value
        return value

    def sequence(self, start: Any, parent: _Block | None, depth: int) -> _Block:
        block = _Block(False, parent, col=start.start_mark.column)
        while True:
            event = self.next_event()
            if isinstance(event, SequenceEndEvent):
                return block
            mark = event.start_mark
            col = mark.column if start.flow_style else block.col
            slot = _Slot(mark.line, col, None, None, block)
            block.slots.append(slot)
            slot.node = self.node(event, block, depth + 1)

    def mapping(self, start: Any, parent: _Block | None, depth: int) -> _Block:
        block = _Block(True, parent, col=start.start_mark.column)
        while True:
            event = self.next_event()
            if isinstance(event, MappingEndEvent):
                return block
            mark = event.start_mark
            key = self.node(event, block, depth + 1)
            if not isinstance(key, str):
                raise SopsError(
                    "sops supports string keys only; quote this key", location=self.where(event.start_mark)
                )
            slot = _Slot(mark.line, mark.column, key, None, block)
            block.slots.append(slot)
            slot.node = self.node(self.next_event(), block, depth + 1)


def _walk_slots(block: _Block, out: list[_Slot]) -> None:
    for slot in block.slots:
        out.append(slot)
        if isinstance(slot.node, _Block) and slot.node.parent is block:
            _walk_slots(slot.node, out)


def _place(comment: _Comment, slots: list[_Slot], root: _Block) -> None:
    """Attach one comment of a document to the item it precedes or to the block it ends (see the module)."""
    where = (comment.line, comment.col)
    prev = next((s for s in reversed(slots) if (s.line, s.col) < where), None)
    later = next((s for s in slots if (s.line, s.col) > where), None)
    note = Comment(comment.text)
    if comment.trailing:
        target = prev or later
        if target is None:
            root.foot.append(note)
        else:
            target.before.append(note)
        return
    if later is not None and (prev is None or comment.col <= later.col):
        later.before.append(note)
        return
    if prev is None:
        root.foot.append(note)
        return
    block: _Block | None = prev.block
    while block is not None and block.col > comment.col:
        block = block.parent
    block = block or root
    if later is not None and later.block is block:
        later.before.append(note)
    else:
        block.foot.append(note)


def _to_tree(node: Any) -> Any:
    if not isinstance(node, _Block):
        return node
    if node.mapping:
        branch = Branch()
        for slot in node.slots:
            branch.extend((c, None) for c in slot.before)
            branch.append((slot.key, _to_tree(slot.node)))
        branch.extend((c, None) for c in node.foot)
        return branch
    items: list[Any] = []
    for slot in node.slots:
        items.extend(slot.before)
        items.append(_to_tree(slot.node))
    items.extend(node.foot)
    return items


def parse_yaml(text: str, file: str) -> list[Branch]:
    """Read every document of a YAML file into sops' tree (a document that is empty or null gives an empty
    branch). Raises SopsError for what sops refuses: a document that is a sequence or a scalar, non-string
    keys, integers beyond int64; and for malformed YAML."""
    try:
        comments = _scan_comments(text)
        parser = CParser(text)
        try:
            composer = _Composer(parser, file)
            docs: list[tuple[int, Any]] = []
            while True:
                event: Any = parser.get_event()
                if isinstance(event, StreamEndEvent):
                    break
                if isinstance(event, DocumentStartEvent):
                    line = event.start_mark.line if docs else 0
                    root = composer.node(parser.get_event(), None, 0)
                    parser.get_event()  # DocumentEndEvent
                    docs.append((line, root))
        finally:
            parser.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        raise SopsError(f"invalid YAML: {exc.problem or exc.context or 'malformed'}", location=loc) from None
    except yaml.YAMLError as exc:
        raise SopsError(f"invalid YAML: {exc}", location=Location(file)) from None
    out: list[Branch] = []
    for index, (first_line, root) in enumerate(docs):
        if root is None:
            root = _Block(True, None)
        if not isinstance(root, _Block) or not root.mapping:
            what = "sequences" if isinstance(root, _Block) else "values"
            raise SopsError(
                f"YAML documents that are {what} are not supported by sops", location=Location(file)
            )
        end_line = docs[index + 1][0] if index + 1 < len(docs) else 1 << 62
        slots: list[_Slot] = []
        _walk_slots(root, slots)
        for comment in comments:
            if first_line <= comment.line < end_line:
                _place(comment, slots, root)
        tree = _to_tree(root)
        assert isinstance(tree, Branch)
        out.append(tree)
    return out
