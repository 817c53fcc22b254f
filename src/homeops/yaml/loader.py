"""Multi-document YAML loading with positions, typed as kustomize (go-yaml v3) types scalars.

Uses libyaml's C parser for events and composes the tree here, so that what kustomize accepts loads too:
duplicate anchors (the latest wins), unknown tags such as ``!env_var`` (the value stays a string) and plain
scalars such as ``=`` (a string). Aliases are expanded into copies under a node budget, so a
"billion laughs" document fails with a clear error instead of exhausting memory.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
from homeops.errors import InputError, Location
from homeops.yaml.nodes import Pos, YMap, YSeq, deep_copy
from yaml import events as ev
from yaml._yaml import CParser

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest YAML file homeops reads (16 MiB): real manifests, even CRD bundles, stay well below it."""

MAX_ALIAS_NODES = 200_000
"""Most nodes that alias expansion may add to one file before it is treated as a YAML bomb."""

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
_NANS = frozenset({".nan", ".NaN", ".NAN"})
_POS_INFS = frozenset({".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})
_NEG_INFS = frozenset({"-.inf", "-.Inf", "-.INF"})
_HINT_CHARS = frozenset("0123456789+-.nNtTfF~")
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1

_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_MERGE_KEY = "<<"


def _go_parse_int(text: str) -> int | None:
    """Go's strconv.ParseInt/ParseUint with base 0 (prefixes 0x, 0o, 0b and a leading-0 octal)."""
    s = text
    sign = 1
    if s[:1] in "+-":
        if s[0] == "-":
            sign = -1
        s = s[1:]
    if not s:
        return None
    base = 10
    digits = s
    lower = s.lower()
    if lower.startswith("0x"):
        base, digits = 16, s[2:]
    elif lower.startswith("0o"):
        base, digits = 8, s[2:]
    elif lower.startswith("0b"):
        base, digits = 2, s[2:]
    elif len(s) > 1 and s[0] == "0":
        base, digits = 8, s[1:]
    if not digits or not all(c in "0123456789abcdefABCDEF"[: base if base <= 10 else 22] for c in digits):
        return None
    try:
        value = sign * int(digits, base)
    except ValueError:
        return None
    if value < _INT64_MIN or value > _UINT64_MAX:
        return None
    return value


_GO_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]+))?(Z|[-+][0-9]{2}:[0-9]{2}))"
    r"|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]+))?))?"
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_go_timestamp(text: str) -> tuple[int, ...] | None:
    """Parse ``text`` with go-yaml's timestamp layouts (Go ``time.Parse``), or None.

    Returns (year, month, day, hour, minute, second, nanosecond, offset_seconds).
    """
    m = _GO_TIMESTAMP.fullmatch(text)
    if m is None:
        return None
    g = m.groups()
    year, month, day = int(g[0]), int(g[1]), int(g[2])
    if g[3] is not None:
        clock, frac, zone = g[3:6], g[6], g[7]
    elif g[8] is not None:
        clock, frac, zone = g[8:11], g[11], None
    else:
        clock, frac, zone = ("0", "0", "0"), None, None
    hour, minute, second = (int(x) for x in clock)
    if not 1 <= month <= 12 or hour > 23 or minute > 59 or second > 59:
        return None
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if day < 1 or day > _DAYS_IN_MONTH[month - 1] + (1 if month == 2 and leap else 0):
        return None
    nanos = int((frac or "0")[:9].ljust(9, "0"))
    offset = 0
    if zone is not None and zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 24 or zm > 60:
            return None
        offset = (zh * 3600 + zm * 60) * (-1 if zone[0] == "-" else 1)
    return (year, month, day, hour, minute, second, nanos, offset)


def format_rfc3339nano(parts: tuple[int, ...]) -> str:
    """Format parsed timestamp parts as Go's ``time.RFC3339Nano`` (as encoding/json prints a time)."""
    year, month, day, hour, minute, second, nanos, offset = parts
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    if offset == 0:
        return text + "Z"
    sign = "-" if offset < 0 else "+"
    hh, rem = divmod(abs(offset), 3600)
    return f"{text}{sign}{hh:02d}:{rem // 60:02d}"


def resolve_plain_tagged(text: str) -> tuple[str, Any]:
    """Resolve a plain scalar as go-yaml v3 does: its short tag and its value.

    The tag is one of str, null, bool, int, float, timestamp and merge. A timestamp's value is its text as
    kustomize prints it (Go's RFC 3339 with nanoseconds).
    """
    if not text:
        return "null", None
    first = text[0]
    if first not in _HINT_CHARS and text != "<<":
        return "str", text
    if text in _NULLS:
        return "null", None
    if text in _TRUES:
        return "bool", True
    if text in _FALSES:
        return "bool", False
    if text in _NANS:
        return "float", math.nan
    if text in _POS_INFS:
        return "float", math.inf
    if text in _NEG_INFS:
        return "float", -math.inf
    if text == "<<":
        return "merge", text
    if first == ".":
        if _DOT_FLOAT.fullmatch(text):
            return "float", float(text)
        return "str", text
    if first in "0123456789+-":
        if first.isdigit():
            stamp = parse_go_timestamp(text)
            if stamp is not None:
                return "timestamp", format_rfc3339nano(stamp)
        plain = text.replace("_", "")
        as_int = _go_parse_int(plain)
        if as_int is not None:
            return "int", as_int
        if _YAML_FLOAT.match(plain):
            value = float(plain)
            if math.isfinite(value):  # Go's ParseFloat fails on overflow: the scalar stays a string
                return "float", value
    return "str", text


def resolve_plain(text: str) -> Any:
    """Type a plain (unquoted, untagged) scalar as go-yaml v3 does when decoding into ``interface{}``."""
    return resolve_plain_tagged(text)[1]


_CHECKED_TAGS = frozenset({"bool", "int", "float", "null", "timestamp"})


def _resolve_tagged(tag: str, text: str) -> Any:
    """Value of a scalar with an explicit tag; raises ValueError (go-yaml's message) on a mismatch."""
    if not tag.startswith(_YAML_TAG_PREFIX):
        return text  # "!", !!str and unknown (local) tags such as !env_var keep the string value
    short = tag[len(_YAML_TAG_PREFIX) :]
    if short not in _CHECKED_TAGS:
        return text
    rtag, value = resolve_plain_tagged(text)
    if rtag == short:
        return value
    if short == "float" and rtag == "int":
        return float(value)
    raise ValueError(f"cannot decode !!{rtag} `{text}` as a !!{short}")


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
    """

    def __init__(self, parser: CParser, file: str, max_alias_nodes: int) -> None:
        self.parser = parser
        self.file = file
        self.anchors: dict[str, Any] = {}
        self.anchor_text: dict[str, str] = {}
        self.alias_budget = max_alias_nodes
        self.max_alias_nodes = max_alias_nodes

    def pos(self, mark: Any) -> Pos:
        return Pos(self.file, mark.line + 1, mark.column + 1)

    def where(self, mark: Any) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def documents(self) -> list[Any]:
        p = self.parser
        p.get_event()  # StreamStart
        docs: list[Any] = []
        while not p.check_event(ev.StreamEndEvent):
            p.get_event()  # DocumentStart
            self.anchors = {}
            self.anchor_text = {}
            docs.append(self.node(_ROOT))
            p.get_event()  # DocumentEnd
        p.get_event()
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

    def node(self, ctx: int) -> Any:
        p = self.parser
        event = p.get_event()
        if isinstance(event, ev.AliasEvent):
            anchor = event.anchor or ""
            if anchor not in self.anchors:
                raise InputError(f"unknown YAML alias *{anchor}", location=self.where(event.start_mark))
            if ctx == _ANNOTATIONS and anchor in self.anchor_text:
                return self.anchor_text[anchor]
            return self._copy_alias(self.anchors[anchor], anchor, event.start_mark)
        value: Any
        if isinstance(event, ev.ScalarEvent):
            tag = event.tag
            if ctx == _ANNOTATIONS:
                value = event.value
            elif tag is not None and tag != "!":
                try:
                    value = _resolve_tagged(tag, event.value)
                except ValueError as exc:
                    raise InputError(str(exc), location=self.where(event.start_mark)) from None
            elif event.style == ">":
                value = _go_folded(event.value)
            elif event.style:  # quoted or literal: a string
                value = event.value
            else:
                value = resolve_plain(event.value)
            if event.anchor is not None:
                self.anchor_text[event.anchor] = event.value
        elif isinstance(event, ev.SequenceStartEvent):
            seq = YSeq(pos=self.pos(event.start_mark))
            while not p.check_event(ev.SequenceEndEvent):
                item_start: Any = p.peek_event()
                seq.ipos.append(self.pos(item_start.start_mark))
                seq.append(self.node(_OTHER))
            p.get_event()
            value = seq
        elif isinstance(event, ev.MappingStartEvent):
            value = self.mapping(event, ctx)
        else:  # pragma: no cover - libyaml guarantees the event order
            raise InputError(f"unexpected YAML event {event}", location=Location(self.file))
        if event.anchor is not None:
            self.anchors[event.anchor] = value
        return value

    def mapping(self, start: Any, ctx: int) -> YMap:
        p = self.parser
        m = YMap(pos=self.pos(start.start_mark))
        merges: list[Any] = []
        while not p.check_event(ev.MappingEndEvent):
            key_event: Any = p.peek_event()
            key_pos = self.pos(key_event.start_mark)
            is_merge = (
                isinstance(key_event, ev.ScalarEvent)
                and key_event.value == _MERGE_KEY
                and not key_event.style
                and key_event.tag in (None, "tag:yaml.org,2002:merge")
            )
            key = self.node(_OTHER)
            skey = key if isinstance(key, str) else _key_text(key)
            child = _OTHER
            if ctx == _ROOT and skey == "metadata":
                child = _METADATA
            elif (ctx == _METADATA and skey == "annotations") or ctx == _ANNOTATIONS:
                child = _ANNOTATIONS
            value = self.node(child)
            if is_merge:
                merges.append(value)
                continue
            if skey in m.kpos:
                raise InputError(
                    f'mapping key "{skey}" already defined at line {m.kpos[skey].line}',
                    location=Location(self.file, key_pos.line, key_pos.column),
                )
            m[skey] = value
            m.kpos[skey] = key_pos
        p.get_event()
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


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if key is True:
        return "true"
    if key is False:
        return "false"
    return str(key)


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
