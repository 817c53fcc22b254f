"""Reading rendered ResourceSet documents as flux-operator does: Kubernetes' YAML reader then go-yaml v2.

flux-operator decodes what a template rendered with ``k8s.io/apimachinery``'s YAMLOrJSONDecoder: the stream is
split on lines starting with ``---``, each document is turned into JSON by ``sigs.k8s.io/yaml`` (go-yaml v2,
a YAML 1.1 resolver: ``yes``/``on``/``off`` are booleans, ``1_000`` is an int, timestamps stay strings), and
the JSON is decoded with integral numbers as int64. The composer here does the same and positions every
mapping, key and item through a caller-supplied function (rendered line and column to a source ``Pos``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import yaml
from homeops.errors import HomeopsError
from homeops.flux.gotemplate_nodes import LimitError, TemplateError
from homeops.yaml.goscalars import go_format_float, go_int_value
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import Pos, YMap, YSeq, deep_copy
from yaml._yaml import CParser
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

__all__ = [
    "MAX_ALIAS_NODES",
    "JSONValueError",
    "emitted_positions",
    "load_v2",
    "source_positions",
    "split_documents",
    "v2_plain",
]


class JSONValueError(TemplateError):
    """A decoded value JSON cannot carry (NaN, infinities), at ``pos`` in the source."""

    def __init__(self, message: str, pos: Pos | None) -> None:
        super().__init__(message)
        self.pos = pos


MAX_ALIAS_NODES = 100_000
MAX_DEPTH = 200

_TRUE = frozenset("y Y yes Yes YES true True TRUE on On ON".split())
_FALSE = frozenset("n N no No NO false False FALSE off Off OFF".split())
_NULL = frozenset(["", "~", "null", "Null", "NULL"])
_SPECIAL_FLOATS = {
    **dict.fromkeys([".nan", ".NaN", ".NAN"], math.nan),
    **dict.fromkeys([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"], math.inf),
    **dict.fromkeys(["-.inf", "-.Inf", "-.INF"], -math.inf),
}
_V2_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_YAML_TAG = "tag:yaml.org,2002:"
Where = Callable[[int, int], Pos]


def _go_int(text: str) -> int | None:
    """go-yaml v2's int (int64 or uint64) for ``text``, else None."""
    value = go_int_value(text)
    return value if value is not None and -(2**63) <= value < 2**64 else None


def v2_plain(text: str) -> Any:
    """A plain scalar as go-yaml v2 decodes it into ``interface{}``."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if text[0] not in "+-0123456789.":
        return text
    plain = text.replace("_", "")
    as_int = _go_int(plain)
    if as_int is not None and text[0] != ".":
        return as_int
    if _V2_FLOAT.fullmatch(plain):
        value = float(plain)
        if math.isfinite(value):
            return value
    return text


def _json_value(value: Any) -> Any:
    """A scalar after the JSON round trip: integral floats come back as ints; NaN and infinities fail."""
    if isinstance(value, float):
        if not math.isfinite(value):
            name = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
            raise ValueError(f"json: unsupported value: {name}")
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
    return value


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return go_format_float(key)
    return str(key)


def split_documents(text: str) -> list[tuple[int, str]]:
    """Documents as Kubernetes' YAMLReader cuts them: (0-based first line, text); empty ones are skipped."""
    docs: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines):
        if line.startswith("---"):
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):
                raise TemplateError(f"invalid Yaml document separator: {rest}", number + 1, 1)
            if buf:
                docs.append((start, "\n".join(buf) + "\n"))
            buf, start = [], number + 1
            continue
        if not buf:
            start = number
        buf.append(line)
    if buf:
        docs.append((start, "\n".join(buf) + "\n"))
    return docs


class _Composer:
    def __init__(self, parser: Any, where: Where, line0: int) -> None:
        self.get = parser.get_event
        self.where = where
        self.line0 = line0
        self.anchors: dict[str, Any] = {}
        self.budget = MAX_ALIAS_NODES
        self.depth = 0

    def pos(self, mark: Any) -> Pos:
        return self.where(self.line0 + mark.line + 1, mark.column + 1)

    def fail(self, message: str, mark: Any) -> TemplateError:
        return TemplateError(message, self.line0 + mark.line + 1, mark.column + 1)

    def node(self, event: Any) -> Any:
        if isinstance(event, AliasEvent):
            if event.anchor not in self.anchors:
                raise self.fail(f"unknown anchor '{event.anchor}' referenced", event.start_mark)
            self.budget -= 1
            if self.budget < 0:
                raise LimitError(
                    "too many alias expansions (homeops limit)", self.line0 + event.start_mark.line + 1
                )
            return deep_copy(self.anchors[event.anchor])
        if isinstance(event, ScalarEvent):
            value = self.scalar(event)
        elif isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise LimitError(
                    f"documents nested deeper than {MAX_DEPTH} levels (homeops limit)",
                    self.line0 + event.start_mark.line + 1,
                )
            value = self.sequence(event) if isinstance(event, SequenceStartEvent) else self.mapping(event)
            self.depth -= 1
        else:
            raise self.fail("unexpected YAML event", event.start_mark)
        if event.anchor is not None:
            self.anchors[event.anchor] = value
        return value

    def scalar(self, event: Any) -> Any:
        text: str = event.value
        tag = event.tag
        if tag is not None and tag != "!":
            if not tag.startswith(_YAML_TAG) or tag[len(_YAML_TAG) :] in ("str", "binary"):
                return text
            value = v2_plain(text) if text else None
            want = tag[len(_YAML_TAG) :]
            got = {bool: "bool", int: "int", float: "float", type(None): "null"}.get(type(value), "str")
            if (
                want in ("bool", "int", "float", "null")
                and got != want
                and not (want == "float" and got == "int")
            ):
                raise self.fail(f"cannot decode !!{got} `{text}` as a !!{want}", event.start_mark)
            return float(value) if want == "float" and value is not None else value
        if event.style:
            return text
        return v2_plain(text)

    def sequence(self, start: Any) -> YSeq:
        seq = YSeq(pos=self.pos(start.start_mark))
        while True:
            event = self.get()
            if isinstance(event, SequenceEndEvent):
                return seq
            seq.ipos.append(self.pos(event.start_mark))
            seq.append(self.node(event))

    def mapping(self, start: Any) -> YMap:
        m = YMap(pos=self.pos(start.start_mark))
        while True:
            event = self.get()
            if isinstance(event, MappingEndEvent):
                return m
            key_mark = event.start_mark
            is_merge = (
                isinstance(event, ScalarEvent)
                and event.value == "<<"
                and not event.style
                and event.tag in (None, _YAML_TAG + "merge")
            )
            key = self.node(event)
            if isinstance(key, (dict, list)):
                raise self.fail("mapping keys must be scalars", key_mark)
            value = self.node(self.get())
            if is_merge:
                for source in value if isinstance(value, list) else [value]:
                    if not isinstance(source, YMap):
                        raise self.fail("map merge requires map or sequence of maps as the value", key_mark)
                    for k, v in source.items():
                        m[k] = v
                        m.kpos[k] = source.kpos.get(k) or self.pos(key_mark)
                continue
            skey = _key_text(key)
            m[skey] = value
            m.kpos[skey] = self.pos(key_mark)

    def document(self) -> Any:
        event = self.get()
        if isinstance(event, StreamStartEvent):
            event = self.get()
        if isinstance(event, StreamEndEvent):
            return None
        if not isinstance(event, DocumentStartEvent):
            raise self.fail("expected a document", event.start_mark)
        value = self.node(self.get())
        end = self.get()
        if not isinstance(end, DocumentEndEvent):
            raise self.fail("unexpected content after the document", end.start_mark)
        nxt = self.get()
        if not isinstance(nxt, StreamEndEvent):
            raise self.fail("more than one document in a document chunk", nxt.start_mark)
        return value


def _jsonify(value: Any, where_pos: Pos | None) -> Any:
    if isinstance(value, YMap):
        for k in list(value):
            value[k] = _jsonify(value[k], value.kpos.get(k))
        return value
    if isinstance(value, YSeq):
        for i, item in enumerate(value):
            value[i] = _jsonify(item, value.item_pos(i))
        return value
    try:
        return _json_value(value)
    except ValueError as exc:
        raise JSONValueError(f"error converting YAML to JSON: {exc}", where_pos) from None


def load_v2(chunk: str, line0: int, where: Where) -> Any:
    """Decode one document chunk (its first line is rendered line ``line0 + 1``) as flux-operator does.

    Raises TemplateError (rendered line and column) for malformed YAML or values JSON cannot carry.
    """
    parser = CParser(chunk)
    try:
        value = _Composer(parser, where, line0).document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        line = line0 + mark.line + 1 if mark else line0 + 1
        raise TemplateError(
            f"error converting YAML to JSON: yaml: {problem}", line, mark.column + 1 if mark else 0
        ) from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"error converting YAML to JSON: {exc}", line0 + 1) from None
    finally:
        parser.dispose()
    return _jsonify(value, None)


def emitted_positions(entry: YMap, emitted: str, fallback: Pos) -> list[Pos]:
    """For each line of ``emitted`` (``entry`` printed as YAML), where that line's node was written."""
    table: dict[int, Pos] = {}

    def walk(e: Any, s: Any) -> None:
        if isinstance(e, YMap) and isinstance(s, YMap):
            for k, v in e.items():
                ep, sp = e.kpos.get(k), s.kpos.get(k)
                if ep is not None and sp is not None:
                    table.setdefault(ep.line, sp)
                walk(v, s.get(k))
        elif isinstance(e, YSeq) and isinstance(s, YSeq):
            for i, v in enumerate(e):
                ep, sp = e.item_pos(i), s.item_pos(i)
                if ep is not None and sp is not None and i < len(s):
                    table.setdefault(ep.line, sp)
                if i < len(s):
                    walk(v, s[i])

    try:
        docs = load_documents(emitted, "<emitted>")
    except HomeopsError:
        docs = []
    if docs:
        walk(docs[0], entry)
    out: list[Pos] = []
    current = entry.pos or fallback
    for line in range(1, emitted.count("\n") + 2):
        current = table.get(line, current)
        out.append(current)
    return out


def source_positions(origins: tuple[int, ...], at: Callable[[int], Pos]) -> Where:
    """Positions of rendered text: its line's template line, then where that line was written."""

    def where(line: int, _col: int) -> Pos:
        if not origins:
            return at(1)
        return at(origins[min(max(line, 1), len(origins)) - 1])

    return where
