"""YAML output byte-identical to ``kustomize build``.

kustomize prints a resource by encoding it to JSON and converting that JSON to YAML with go-yaml v2
(``sigs.k8s.io/yaml``). So the output has: mapping keys in go-yaml v2's "natural" key order, numbers as
``encoding/json`` and go-yaml v2 print them, strings double-quoted when go-yaml v2's YAML 1.1 resolver
would read them as something else, literal block style for multi-line strings and libyaml's layout for the
rest. go-yaml v2's emitter is a port of libyaml's: a fast writer here lays out what it can exactly as
libyaml would and hands the rest to libyaml's C emitter (shipped with PyYAML). The scalar rules themselves
(quoting, numbers, key order) live in ``homeops.yaml.goscalars``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from typing import Any

from homeops.errors import BuildError
from homeops.yaml.goscalars import V2_HINTS, go_format_float, needs_quotes, number_text, sort_keys
from homeops.yaml.nodes import YMap
from yaml import events as ev
from yaml._yaml import CEmitter

__all__ = [
    "dump_document",
    "dump_documents",
    "go_format_float",
    "needs_quotes",
    "reads_as_plain",
    "sort_keys",
    "string_style",
]

_WIDTH = 80
_MAX_SIMPLE_KEY = 128
_MAX_FAST_INDENT = 128  # the fast writer recurses about once per indentation step
_BAD_FIRST = frozenset("#,[]{}&*!|>'\"%@`")
_INDICATOR_FIRST = frozenset("?:-")
_RISKY_FIRST = _BAD_FIRST | frozenset("?:-. ")
# Characters libyaml prints as they are (printable, not a line break) with unicode output on: U+0020-U+007E,
# U+00A0-U+2027, U+202A-U+D7FF, U+E000-U+FEFE, U+FF00-U+FFFD, written as the complement (compiled in a tenth
# of the time the ranges take, at every start).
_EASY_TEXT = re.compile("[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe-\U0010ffff]*")
# Characters encoding/json writes raw that go-yaml v2's reader then refuses.
_JSON_RAW_CONTROL = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")
_PLAIN, _SINGLE, _DOUBLE, _LITERAL, _HARD, _ALL_ESCAPED, _HAS_NEL = range(7)
_NEL_RUN = re.compile("[ \t]*((?:\x85[ \t]*)+)")


def _fold_nel(text: str) -> str:
    """encoding/json leaves U+0085 raw, so go-yaml v2 reads it back as a line break inside a double-quoted
    scalar and folds it: one break becomes a space, n breaks n - 1 newlines, spaces around them go."""

    def fold(match: re.Match[str]) -> str:
        count = match.group(1).count("\x85")
        return " " if count == 1 else "\n" * (count - 1)

    return _NEL_RUN.sub(fold, text)


_SHORT_ESCAPES = {
    0x00: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r", 0x1B: "e",
    0x22: '"', 0x5C: "\\", 0x85: "N", 0xA0: "_", 0x2028: "L", 0x2029: "P",
}  # fmt: skip


def _escape_all(text: str) -> str:
    """go-yaml v2 escapes every character of a string that starts with a byte order mark (its BOM test
    looks at the start of the string, not at the current character)."""
    out = []
    for ch in text:
        code = ord(ch)
        short = _SHORT_ESCAPES.get(code)
        if short is not None:
            out.append("\\" + short)
        elif code <= 0xFF:
            out.append(f"\\x{code:02X}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(f"\\U{code:08X}")
    return '"' + "".join(out) + '"'


class _Hard(Exception):
    """A document the fast writer leaves to libyaml (complex keys, scalars it does not lay out itself)."""


def _easy_chars(text: str) -> bool:
    if text.isascii():
        return text.isprintable()
    return _EASY_TEXT.fullmatch(text) is not None


def _classify(text: str) -> int:
    """The style libyaml ends up using for ``text`` as go-yaml v2 requests it, or _HARD."""
    if not text:
        return _DOUBLE
    if not (text.isprintable() and (text.isascii() or _EASY_TEXT.fullmatch(text))):
        if _JSON_RAW_CONTROL.search(text):
            raise BuildError("yaml: control characters are not allowed")
        if text[0] == "\ufeff":
            return _ALL_ESCAPED
        if "\x85" in text:
            return _HAS_NEL
        if "\n" not in text:
            return _HARD
        if text[0] in " \n" or text[-1] == " " or " \n" in text or not _easy_chars(text.replace("\n", "")):
            return _HARD
        return _LITERAL
    if text[0] in V2_HINTS and needs_quotes(text):
        return _DOUBLE
    return _PLAIN if _plain_safe(text) else _SINGLE


def _plain_safe(text: str) -> bool:
    """Whether non-empty printable ``text`` written plain reads back as one scalar holding it: it starts
    with no indicator and holds no ``: ``, `` #`` nor a trailing ``:`` or space."""
    first = text[0]
    return not (
        (first in _RISKY_FIRST or text[-1] in " :" or ": " in text or " #" in text)
        and (
            first in _BAD_FIRST
            or (first in _INDICATOR_FIRST and (len(text) == 1 or text[1] == " "))
            or first == " "
            or text[-1] in " :"
            or ": " in text
            or " #" in text
            or text.startswith(("---", "..."))
        )
    )


_STYLE_NAMES = {_PLAIN: "plain", _SINGLE: "single", _DOUBLE: "double", _LITERAL: "literal"}


def string_style(text: str) -> str:
    """How a string value is printed: ``plain``, ``single`` or ``double`` (quoted), ``literal`` (a block),
    or ``other`` (escapes or line breaks libyaml lays out). Raises BuildError as printing it would."""
    return _STYLE_NAMES.get(_classify(text), "other")


def reads_as_plain(text: str) -> bool:
    """Whether ``text`` written plain (whatever type go-yaml v2 then gives it) reads back as one scalar of
    that text: empty, or single-line printable text that ``_classify`` would not quote for its layout."""
    if not text:
        return True
    return (
        text.isprintable()
        and (text.isascii() or _EASY_TEXT.fullmatch(text) is not None)
        and _plain_safe(text)
    )


def _fold(text: str, column: int, indent: int, mode: int) -> str:
    """Break a long scalar at spaces past the line width as libyaml does; mode 0 plain, 1 single, 2 double."""
    out: list[str] = []
    spaces = False
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch == " ":
            nxt_space = i < last and text[i + 1] == " "
            if not spaces and column > _WIDTH and (not mode or 0 < i < last) and (mode == 2 or not nxt_space):
                out.append("\n" + " " * indent)
                column = indent
                if mode == 2 and nxt_space:
                    out.append("\\")
                    column += 1
            else:
                out.append(" ")
                column += 1
            spaces = True
        else:
            out.append(ch)
            column += 1
            spaces = False
    return "".join(out)


class _Writer:
    """Lays out block mappings and sequences as libyaml does (indent 2, sequences in mappings not indented).

    Across the documents of one call it caches each string's style (``styles``), each key's printed text
    (``keys``) and the printing order of each set of keys (``orders``).
    """

    __slots__ = ("keys", "orders", "out", "styles")

    def __init__(self) -> None:
        self.out: list[str] = []
        self.styles: dict[str, int] = {}
        self.keys: dict[str, str] = {}
        self.orders: dict[tuple[str, ...], list[str]] = {}

    def key(self, key: str) -> str:
        text = key if isinstance(key, str) else str(key)
        style = self.styles.get(text)
        if style is None:
            style = self.styles[text] = _classify(text)
        if style == _PLAIN:
            rendered = text
        elif style == _DOUBLE:
            rendered = '"' + text + '"'
        elif style == _SINGLE:
            rendered = "'" + text.replace("'", "''") + "'"
        elif style == _ALL_ESCAPED:
            rendered = _escape_all(text)
        elif style == _HAS_NEL:
            return self.key(_fold_nel(text))
        else:
            raise _Hard
        if len(text) > 40 and len(text.encode("utf-8")) > _MAX_SIMPLE_KEY:
            raise _Hard
        self.keys[key] = rendered
        return rendered

    def string(self, value: str, indent: int, column: int) -> str:
        """Text of a string scalar written at ``column`` inside block indent ``indent``."""
        style = self.styles.get(value)
        if style is None:
            style = self.styles[value] = _classify(value)
        if style == _PLAIN:
            if column + len(value) > _WIDTH and " " in value:
                return _fold(value, column, indent, 0)
            return value
        if style == _DOUBLE:
            if column + len(value) + 1 > _WIDTH and " " in value:
                return '"' + _fold(value, column + 1, indent, 2) + '"'
            return '"' + value + '"'
        if style == _SINGLE:
            quoted = value.replace("'", "''")
            if column + len(quoted) + 1 > _WIDTH and " " in value:
                return "'" + _fold(quoted, column + 1, indent, 1) + "'"
            return "'" + quoted + "'"
        if style == _LITERAL:
            return _literal(value, indent)
        if style == _ALL_ESCAPED:
            return _escape_all(value)
        if style == _HAS_NEL:
            return self.string(_fold_nel(value), indent, column)
        return _render_alone(value, indent, column)

    def scalar(self, value: Any, indent: int, column: int) -> str:
        """Text of a scalar (or empty container) written at ``column`` inside block indent ``indent``."""
        if isinstance(value, str):
            return self.string(value, indent, column)
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return number_text(value)
        if isinstance(value, dict):
            return "{}"
        if isinstance(value, list):
            return "[]"
        raise BuildError(f"cannot print a value of type {type(value).__name__} as YAML")

    def mapping(self, value: dict[str, Any], indent: int, inline: bool) -> None:
        if indent > _MAX_FAST_INDENT:  # deeply nested: libyaml's emitter, driven without recursion
            raise _Hard
        out = self.out
        append = out.append
        pad = " " * indent
        known = self.keys
        styles = self.styles
        keys: Iterable[str] = value
        if len(value) > 1:
            names = tuple(value)
            keys = self.orders.get(names) or self.orders.setdefault(names, sort_keys(names))
        inner = indent + 2
        for key in keys:
            item = value[key]
            text = known.get(key) or self.key(key)
            if not inline:
                append(pad)
            inline = False
            if type(item) is str:
                column = inner + len(text)
                if styles.get(item) == _PLAIN and (column + len(item) <= _WIDTH or " " not in item):
                    append(text + ": " + item + "\n")
                else:
                    append(text + ": " + self.string(item, inner, column) + "\n")
            elif type(item) is YMap or isinstance(item, dict):
                if item:
                    append(text + ":\n")
                    self.mapping(item, inner, False)
                else:
                    append(text + ": {}\n")
            elif isinstance(item, list) and item:
                append(text + ":\n")
                self.sequence(item, indent, False)
            else:
                append(text + ": " + self.scalar(item, inner, inner + len(text)) + "\n")

    def sequence(self, value: list[Any], indent: int, inline: bool) -> None:
        if indent > _MAX_FAST_INDENT:
            raise _Hard
        out = self.out
        pad = " " * indent
        for item in value:
            out.append("- " if inline else pad + "- ")
            inline = False
            if isinstance(item, dict) and item:
                self.mapping(item, indent + 2, True)
            elif isinstance(item, list) and item:
                self.sequence(item, indent + 2, True)
            else:
                out.append(self.scalar(item, indent + 2, indent + 2) + "\n")

    def document(self, obj: Any) -> str:
        """Print one document, falling back to libyaml for what this writer does not lay out itself."""
        if isinstance(obj, (dict, list)) and obj:
            self.out = []
            try:
                if isinstance(obj, dict):
                    self.mapping(obj, 0, False)
                else:
                    self.sequence(obj, 0, False)
                return "".join(self.out)
            except _Hard:
                pass
        return dump_document_libyaml(obj)


def _literal(text: str, indent: int) -> str:
    if not text.endswith("\n"):
        header = "|-\n"
    elif text.endswith("\n\n"):
        header, text = "|+\n", text[:-1]
    else:
        header, text = "|\n", text[:-1]
    pad = " " * indent
    return header + "\n".join(pad + line if line else "" for line in text.split("\n"))


_MAP_START = ev.MappingStartEvent(None, None, True, flow_style=False)
_MAP_END = ev.MappingEndEvent()
_SEQ_START = ev.SequenceStartEvent(None, None, True, flow_style=False)
_SEQ_END = ev.SequenceEndEvent()
_IMPLICIT = (True, True)


def _scalar_event(value: Any) -> ev.ScalarEvent:
    if isinstance(value, str):
        if _JSON_RAW_CONTROL.search(value):
            raise BuildError("yaml: control characters are not allowed")
        style = "|" if "\n" in value else '"' if needs_quotes(value) else None
        return ev.ScalarEvent(None, None, _IMPLICIT, value, style=style)
    return ev.ScalarEvent(None, None, _IMPLICIT, _Writer().scalar(value, 0, 0))


def _events(emit: Any, value: Any) -> None:
    """Send the events of ``value`` to ``emit``, as go-yaml v2 marshals the JSON-decoded value.

    Iterative (a stack of pending items), so any nesting depth works."""
    stack: list[Any] = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        if item is _MAP_END or item is _SEQ_END:
            emit(item)
        elif isinstance(item, _Key):
            emit(_scalar_event(item.text))
        elif isinstance(item, dict):
            emit(_MAP_START)
            push(_MAP_END)
            for key in reversed(sort_keys(item.keys())):
                push(item[key])
                push(_Key(key if isinstance(key, str) else str(key)))
        elif isinstance(item, list):
            emit(_SEQ_START)
            push(_SEQ_END)
            for child in reversed(item):
                push(child)
        else:
            emit(_scalar_event(item))


class _Key:
    """A mapping key waiting on the event stack (so it is not taken for a string value)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _run_libyaml(events: Iterable[ev.Event]) -> str:
    out = io.BytesIO()
    emitter = CEmitter(out, width=_WIDTH, allow_unicode=True, encoding="utf-8")
    emitter.emit(ev.StreamStartEvent(encoding="utf-8"))
    emitter.emit(ev.DocumentStartEvent(explicit=False))
    for event in events:
        emitter.emit(event)
    emitter.emit(ev.DocumentEndEvent(explicit=False))
    emitter.emit(ev.StreamEndEvent())
    text = out.getvalue().decode("utf-8")
    # go-yaml v2 closes the stream without libyaml's "..." after a keep-chomped (|+) block scalar.
    return text[:-4] if text.endswith("\n...\n") else text


def _render_alone(value: str, indent: int, column: int) -> str:
    """Have libyaml lay out one scalar in the same place: inside block indent ``indent``, from ``column``.

    A mapping value starts after its key (column > indent), a sequence item right after its dash.
    """
    key = _scalar_event("k")
    events: list[ev.Event]
    if column > indent:  # the value of a key in a mapping indented by indent - 2
        depth = (indent - 2) // 2
        width = column - indent
        events = [*([_MAP_START, key] * depth), _MAP_START, _scalar_event("k" * width), _scalar_event(value)]
        events += [_MAP_END] * (depth + 1)
        prefix_len = sum(2 * i + 3 for i in range(depth)) + indent - 2 + width + 1
    else:  # an item of a sequence whose dash is at indent - 2, under a key at the same column
        depth = (indent - 2) // 2 + 1
        events = [*([_MAP_START, key] * depth), _SEQ_START, _scalar_event(value), _SEQ_END]
        events += [_MAP_END] * depth
        prefix_len = sum(2 * i + 3 for i in range(depth)) + indent - 2 + 1
    text = _run_libyaml(events)
    return text[prefix_len + 1 : -1]


def dump_document_libyaml(obj: Any) -> str:
    """Print one document through libyaml's emitter event by event (the reference path)."""
    events: list[ev.Event] = []
    _events(events.append, obj)
    return _run_libyaml(events)


def dump_document(obj: Any) -> str:
    """Print one resource exactly as kustomize does (ends with a newline).

    Raises BuildError for values JSON cannot carry (NaN, infinities), as kustomize does.
    """
    return _Writer().document(obj)


def dump_documents(objs: Iterable[Any]) -> str:
    """Print resources as kustomize does: each document, separated by ``---`` lines."""
    return documents_printer()(objs)


def documents_printer() -> Callable[[Iterable[Any]], str]:
    """A ``dump_documents`` whose caches (each string's style, each key's text, each key set's order: all
    functions of the text alone) last across its calls, for printing many builds."""
    writer = _Writer()

    def dump(objs: Iterable[Any]) -> str:
        return "---\n".join(writer.document(obj) for obj in objs)

    return dump
