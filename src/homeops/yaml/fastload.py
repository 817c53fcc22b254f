"""A fast, line-based reader for the plain block YAML that Kubernetes manifests are made of.

Building Python event objects through PyYAML costs several times what libyaml's parsing itself does, so
documents made only of the common constructs are read here line by line instead: block mappings with
plain keys, block sequences, plain and single-line quoted scalars, literal block scalars, empty ``[]`` and
``{}``, comments and ``---`` separators. The text is first checked by libyaml (a parse without building
any object), so only valid YAML gets here; anything else (anchors, tags, flow collections, folded or
multi-line scalars, escapes, tabs...) makes ``fast_documents`` return None and the caller falls back to the
event-based loader. The trees, positions and errors are the same as that loader's.
"""

from __future__ import annotations

import re
from typing import Any

from homeops.errors import InputError, Location
from homeops.yaml.nodes import Pos, YMap, YSeq
from homeops.yaml.resolver import HINT_CHARS, key_text, resolve_plain
from yaml import YAMLError
from yaml._yaml import CParser

__all__ = ["fast_documents"]

# Characters that make libyaml see line breaks or indentation differently from a plain split on "\n".
_UNSUPPORTED_TEXT = re.compile("[\t\r\x85\u2028\u2029\ufeff]")
# First characters of a value handled by the fallback loader (or invalid there).
_OTHER_VALUE_START = frozenset("!&*%@`,]}?:>")
# First characters that a plain key cannot start with here.
_OTHER_KEY_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_ANCHOR_NAME = re.compile("[0-9A-Za-z_-]+")
_ROOT, _METADATA, _ANNOTATIONS, _OTHER = range(4)


class _Decline(Exception):
    """The text uses something this reader leaves to the event-based loader."""


def _is_valid_yaml(data: str | bytes) -> bool:
    parser = CParser(data)
    try:
        parser.raw_parse()
    except YAMLError:
        return False
    finally:
        parser.dispose()
    return True


def fast_documents(data: str | bytes, file: str, max_alias_nodes: int) -> list[Any] | None:
    """The documents of ``data`` when it is valid YAML this reader handles, else None.

    Raises InputError only for what the event-based loader also refuses in valid YAML (duplicate keys).
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    else:
        text = data
    if _UNSUPPORTED_TEXT.search(text) or "\x00" in text or not _is_valid_yaml(data):
        return None
    try:
        return _Reader(text, file, max_alias_nodes).documents()
    except _Decline:
        return None


class _Reader:
    """Reads the documents of one text; ``i`` is the index of the line after the node just read."""

    __slots__ = (
        "alias_budget",
        "anchor_text",
        "anchors",
        "ends_with_break",
        "file",
        "i",
        "indents",
        "lines",
        "n",
    )

    def __init__(self, text: str, file: str, max_alias_nodes: int) -> None:
        self.file = file
        self.anchors: dict[str, Any] = {}
        self.anchor_text: dict[str, str] = {}
        self.alias_budget = max_alias_nodes
        self.lines = text.split("\n")
        self.ends_with_break = text.endswith("\n")
        if self.ends_with_break:
            self.lines.pop()
        self.indents = [len(line) - len(line.lstrip(" ")) for line in self.lines]
        self.n = 0
        self.i = 0

    def documents(self) -> list[Any]:
        lines = self.lines
        bounds: list[tuple[int, int, bool]] = []
        start, explicit = 0, False
        for index, line in enumerate(lines):
            if line.startswith(("---", "...", "%")):
                rest = line[3:].strip(" ")
                if not line.startswith("---") or (rest and rest[0] != "#") or line[3:4] not in ("", " "):
                    raise _Decline
                bounds.append((start, index, explicit))
                start, explicit = index + 1, True
        bounds.append((start, len(lines), explicit))
        docs: list[Any] = []
        for first, end, explicit in bounds:
            self.n = end
            self.anchors = {}
            self.anchor_text = {}
            i = self.next_content(first)
            if i >= end:
                if explicit:
                    docs.append(None)
                continue
            indent = self.indents[i]
            if self.is_dash(i, indent):
                docs.append(self.sequence(i, indent))
            elif self.is_key_line(lines[i][indent:]):
                docs.append(self.mapping(i, indent, _ROOT, None))
            else:
                raise _Decline
            if self.next_content(self.i) < end:
                raise _Decline
        return docs

    def next_content(self, i: int) -> int:
        """Index of the first line from ``i`` that is neither blank nor a comment (or the end)."""
        lines, indents, n = self.lines, self.indents, self.n
        while i < n:
            line = lines[i]
            indent = indents[i]
            if indent < len(line) and line[indent] != "#":
                return i
            i += 1
        return n

    def is_dash(self, i: int, indent: int) -> bool:
        line = self.lines[i]
        return line[indent : indent + 1] == "-" and line[indent + 1 : indent + 2] in ("", " ")

    @staticmethod
    def is_key_line(content: str) -> bool:
        cut = content.find(" #")
        head = content if cut < 0 else content[:cut]
        return ": " in head or head.rstrip(" ").endswith(":")

    def block(self, i: int, ctx: int) -> Any:
        """The block collection starting at line ``i``."""
        indent = self.indents[i]
        if self.is_dash(i, indent):
            return self.sequence(i, indent)
        return self.mapping(i, indent, ctx, None)

    def mapping(self, i: int, indent: int, ctx: int, first_pos: Pos | None) -> YMap:
        lines, indents, file = self.lines, self.indents, self.file
        m = YMap(pos=first_pos or Pos(file, i + 1, indent + 1))
        kpos = m.kpos
        key_pos = m.pos
        while True:
            content = lines[i][indent:]
            colon = content.find(": ")
            if colon < 0:
                if not content.endswith(":"):
                    raise _Decline
                colon = len(content) - 1
            text = content[:colon].rstrip(" ")
            if not text or text[0] in _OTHER_KEY_START or " #" in text or text == "<<":
                raise _Decline
            if text[0] in HINT_CHARS:
                key = resolve_plain(text)
                text = key if isinstance(key, str) else key_text(key)
            if key_pos is None:
                key_pos = Pos(file, i + 1, indent + 1)
            child = _OTHER
            if ctx == _ROOT:
                if text == "metadata":
                    child = _METADATA
            elif (ctx == _METADATA and text == "annotations") or ctx == _ANNOTATIONS:
                child = _ANNOTATIONS
            rest = content[colon + 1 :].lstrip(" ")
            if not rest or rest[0] == "#":
                j = self.next_content(i + 1)
                if j < self.n and (indents[j] > indent or (indents[j] == indent and self.is_dash(j, indent))):
                    value = self.block(j, child)
                else:
                    value = "" if child == _ANNOTATIONS else None
                    self.i = i + 1
            else:
                value = self.inline(rest, child, i, indent, len(lines[i]) - len(rest))
            if text in kpos:
                raise InputError(
                    f'mapping key "{text}" already defined at line {kpos[text].line}',
                    location=Location(file, key_pos.line, key_pos.column),
                )
            m[text] = value
            kpos[text] = key_pos
            key_pos = None
            i = self.next_content(self.i)
            if i >= self.n or indents[i] < indent:
                break
            if indents[i] > indent or self.is_dash(i, indent):
                raise _Decline
        self.i = i
        return m

    def sequence(self, i: int, indent: int) -> YSeq:
        lines, indents, file = self.lines, self.indents, self.file
        seq = YSeq(pos=Pos(file, i + 1, indent + 1))
        ipos = seq.ipos
        while True:
            line = lines[i]
            rest = line[indent + 1 :].lstrip(" ")
            if not rest or rest[0] == "#":
                raise _Decline
            column = len(line) - len(rest)
            pos = Pos(file, i + 1, column + 1)
            first = rest[0]
            value: Any
            if first == "-" and rest[1:2] in ("", " "):
                lines[i] = " " * column + rest
                indents[i] = column
                value = self.sequence(i, column)
                value.pos = pos
            elif first not in _OTHER_VALUE_START and first not in "'\"[{|#" and self.is_key_line(rest):
                lines[i] = " " * column + rest
                indents[i] = column
                value = self.mapping(i, column, _OTHER, pos)
            else:
                value = self.inline(rest, _OTHER, i, indent, column)
            seq.append(value)
            ipos.append(pos)
            i = self.next_content(self.i)
            if i >= self.n or indents[i] < indent or not self.is_dash(i, indent):
                break
        if i < self.n and indents[i] > indent:
            raise _Decline
        self.i = i
        return seq

    def inline(self, rest: str, ctx: int, i: int, indent: int, column: int) -> Any:
        """A value written on its line at ``column`` (``rest`` is the line from there), inside the block
        collection indented by ``indent``. Anchors and aliases are handled for scalars only."""
        first = rest[0]
        self.i = i + 1
        if first == "*":
            name = self.anchor_name(rest)
            self.check_tail(rest[len(name) + 1 :])
            if name not in self.anchors:
                raise _Decline
            self.alias_budget -= 1
            if self.alias_budget < 0:
                raise _Decline
            return self.anchor_text[name] if ctx == _ANNOTATIONS else self.anchors[name]
        anchor = None
        if first == "&":
            anchor = self.anchor_name(rest)
            rest = rest[len(anchor) + 1 :].lstrip(" ")
            if not rest:
                raise _Decline
            first = rest[0]
        if first == "[" or first == "{":
            self.check_tail(rest[2:])
            if anchor is not None or rest[1:2] != ("]" if first == "[" else "}"):
                raise _Decline
            pos = Pos(self.file, i + 1, column + 1)
            return YSeq(pos=pos) if first == "[" else YMap(pos=pos)
        text, plain = self.scalar(rest, first, i, indent)
        value = resolve_plain(text) if plain and ctx != _ANNOTATIONS and text[0] in HINT_CHARS else text
        if anchor is not None:
            self.anchors[anchor] = value
            self.anchor_text[anchor] = text
        return value

    @staticmethod
    def anchor_name(rest: str) -> str:
        """The name of the anchor or alias that ``rest`` starts with."""
        end = rest.find(" ")
        name = rest[1:] if end < 0 else rest[1:end]
        if not name or not _ANCHOR_NAME.fullmatch(name):
            raise _Decline
        return name

    def scalar(self, rest: str, first: str, i: int, indent: int) -> tuple[str, bool]:
        """The text of the scalar ``rest`` starts with, and whether it is plain."""
        if first == '"' or first == "'":
            if first == '"':
                end = rest.find('"', 1)
                if end < 0 or "\\" in rest[1:end]:
                    raise _Decline
                text = rest[1:end]
            else:
                end = 1
                while True:
                    end = rest.find("'", end)
                    if end < 0:
                        raise _Decline
                    if rest[end + 1 : end + 2] != "'":
                        break
                    end += 2
                text = rest[1:end].replace("''", "'")
            self.check_tail(rest[end + 1 :])
            return text, False
        if first == "|":
            return self.literal(rest, i, indent), False
        if first in _OTHER_VALUE_START or first in "#&*[{" or (first == "-" and rest[1:2] in ("", " ")):
            raise _Decline
        cut = rest.find(" #")
        text = (rest if cut < 0 else rest[:cut]).rstrip(" ")
        # A more indented line that follows (blank lines aside) would continue the scalar.
        j, n, lines, indents = i + 1, self.n, self.lines, self.indents
        while j < n and indents[j] == len(lines[j]):
            j += 1
        if j < n and indents[j] > indent and lines[j][indents[j]] != "#":
            raise _Decline
        return text, True

    @staticmethod
    def check_tail(tail: str) -> None:
        """What follows a complete scalar on its line must be nothing or a comment."""
        if tail and (tail[0] != " " or tail.lstrip(" ")[:1] not in ("", "#")):
            raise _Decline

    def literal(self, rest: str, i: int, indent: int) -> str:
        """A literal block scalar whose header ``rest`` is on line ``i``."""
        cut = rest.find(" #")
        header = (rest if cut < 0 else rest[:cut]).rstrip(" ")
        if header not in ("|", "|-", "|+"):
            raise _Decline
        lines, indents, n = self.lines, self.indents, self.n
        j = i + 1
        longest_blank = 0
        while j < n and indents[j] == len(lines[j]):
            longest_blank = max(longest_blank, len(lines[j]))
            j += 1
        if j >= n:
            raise _Decline
        body_indent = indents[j]
        if body_indent <= indent or longest_blank > body_indent:
            raise _Decline
        last = j
        k = j + 1
        while k < n:
            line_indent = indents[k]
            if line_indent == len(lines[k]):  # blank, or spaces only
                if line_indent > body_indent:
                    last = k
            elif line_indent < body_indent:
                break
            else:
                last = k
            k += 1
        if k >= len(lines) and not self.ends_with_break:
            raise _Decline
        self.i = k
        body = "\n".join(line[body_indent:] for line in lines[i + 1 : last + 1])
        if header == "|-":
            return body
        if header == "|":
            return body + "\n"
        return body + "\n" * (k - last)
