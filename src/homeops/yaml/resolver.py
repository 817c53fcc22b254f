"""Scalar typing on input: how kustomize's YAML reader (go-yaml v3) types a scalar read into ``interface{}``.

Plain scalars are resolved by their text (null, bool, int, float, timestamp or string); scalars with an
explicit ``!!`` tag must resolve to that tag. Timestamps come back as the text kustomize prints for them
(Go's RFC 3339 with nanoseconds), because kustomize round-trips them through ``time.Time``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

__all__ = [
    "format_rfc3339nano",
    "key_text",
    "parse_go_timestamp",
    "resolve_plain",
    "resolve_plain_tagged",
    "resolve_tagged",
]

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
_NANS = frozenset({".nan", ".NaN", ".NAN"})
_POS_INFS = frozenset({".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})
_NEG_INFS = frozenset({"-.inf", "-.Inf", "-.INF"})
HINT_CHARS = frozenset("0123456789+-.nNtTfF~")
"""First characters of every plain scalar that does not resolve to a string (besides ``<<``)."""

_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")


def go_int_value(text: str) -> int | None:
    """Value of ``text`` as Go's ``strconv.ParseInt(text, 0, 64)`` or ``ParseUint`` reads it (no underscores),
    or None (not an integer, or out of the int64 and uint64 ranges: Go's range error)."""
    if not _GO_INT.fullmatch(text):
        return None
    sign = -1 if text[0] == "-" else 1
    body = text.lstrip("+-")
    prefix = body[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        digits, base = body[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix]
    elif len(body) > 1 and body[0] == "0":
        digits, base = body[1:], 8
    else:
        digits, base = body, 10
    if len(digits.lstrip("0")) > 64:  # wider than 64 bits in any base (and no 4,300-digit str limit)
        return None
    value = sign * int(digits, base)
    return value if _INT64_MIN <= value <= _UINT64_MAX else None


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
    if text[4:5] != "-":  # every layout starts with a four-digit year and a dash
        return None
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
    if first not in HINT_CHARS:
        return ("merge", text) if text == "<<" else ("str", text)
    if text in _NULLS:
        return "null", None
    if text in _TRUES:
        return "bool", True
    if text in _FALSES:
        return "bool", False
    if first == ".":
        if text in _NANS:
            return "float", math.nan
        if text in _POS_INFS:
            return "float", math.inf
        if _DOT_FLOAT.fullmatch(text):
            return "float", float(text)
        return "str", text
    if first in "0123456789+-":
        if text in _POS_INFS:
            return "float", math.inf
        if text in _NEG_INFS:
            return "float", -math.inf
        if first != "0" and len(text) < 20 and text.isdecimal() and text.isascii():  # the common case
            return "int", int(text)
        if first.isdigit():
            stamp = parse_go_timestamp(text)
            if stamp is not None:
                return "timestamp", format_rfc3339nano(stamp)
        plain = text.replace("_", "")
        as_int = go_int_value(plain)
        if as_int is not None:
            return "int", as_int
        if _YAML_FLOAT.match(plain):
            value_f = float(plain)
            if math.isfinite(value_f):  # Go's ParseFloat fails on overflow: the scalar stays a string
                return "float", value_f
    return "str", text


def resolve_plain(text: str) -> Any:
    """Type a plain (unquoted, untagged) scalar as go-yaml v3 does when decoding into ``interface{}``."""
    if text and text[0] not in HINT_CHARS:
        return text
    return resolve_plain_tagged(text)[1]


_CHECKED_TAGS = frozenset({"bool", "int", "float", "null", "timestamp"})


def resolve_tagged(tag: str, text: str) -> Any:
    """Value of a scalar with an explicit tag; raises ValueError (go-yaml's message) on a mismatch.

    Tags outside ``tag:yaml.org,2002:`` (``!env_var``...), unknown ones (``!!binaaary``) and ``!!str`` keep
    the text as a string, as go-yaml v3 does; ``!!binary`` is base64-decoded.
    """
    if not tag.startswith(_YAML_TAG_PREFIX):
        return text
    short = tag[len(_YAML_TAG_PREFIX) :]
    if short == "binary":
        return _decode_binary(text)
    if short not in _CHECKED_TAGS:
        return text
    rtag, value = resolve_plain_tagged(text)
    if rtag == short:
        return value
    if short == "float" and rtag == "int":
        return float(value)
    raise ValueError(f"cannot decode !!{rtag} `{text}` as a !!{short}")


def _decode_binary(text: str) -> str:
    """A ``!!binary`` scalar as go-yaml v3 decodes it: Go's standard base64 (line breaks skipped, padding
    required), the bytes read as a string."""
    try:
        data = base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("!!binary value contains invalid base64 data") from None
    return data.decode("utf-8", "replace")


def key_text(key: Any) -> str:
    """A mapping key as kustomize keeps it: the text of a non-string key as go-yaml v3 formats it."""
    if key is None:
        return "null"
    if key is True:
        return "true"
    if key is False:
        return "false"
    return str(key)
