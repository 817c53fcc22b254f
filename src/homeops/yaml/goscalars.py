"""go-yaml v2's scalar rules, as kustomize's output goes through them (``sigs.k8s.io/yaml``).

Which strings go-yaml v2 must double-quote (its YAML 1.1 resolver would read them as something else), how
it prints floats (``strconv.FormatFloat(v, 'g', -1, 64)``, after ``encoding/json``), the "natural" order
it sorts mapping keys in, and how it types a plain scalar and spells a key when it reads YAML back (Flux's
substitution round trip).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import cmp_to_key
from typing import Any

from homeops.errors import BuildError
from homeops.yaml.resolver import go_int_value, parse_go_timestamp, resolve_plain

__all__ = [
    "PLAIN_TAG",
    "V2_FALSE",
    "V2_HINTS",
    "V2_TRUE",
    "go_format_float",
    "go_int_value",
    "key_text",
    "needs_quotes",
    "number_text",
    "sort_keys",
    "v2_scalar",
]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1

# go-yaml v2's resolver: the values it looks up in its table (bools, nulls, special floats).
_V2_SPECIAL = frozenset(
    "y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF "
    "~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF".split()
)
V2_HINTS = frozenset("+-0123456789yYnNtTfFoO~.")
"""First characters of every plain scalar go-yaml v2 reads as no string (YAML 1.1 adds yes/on/off)."""
V2_TRUE = frozenset({"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})
V2_FALSE = frozenset({"n", "N", "no", "No", "NO", "off", "Off", "OFF"})
PLAIN_TAG = "!homeops-plain"
"""The tag ``v2_scalar`` takes for an untagged plain scalar."""
_NUMERIC_HINTS = frozenset("+-0123456789")
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")


def _go_ints_as_int(text: str) -> bool:
    """Whether go-yaml v2 reads ``text`` (underscores removed) as an int64 or a uint64."""
    return go_int_value(text) is not None


def needs_quotes(text: str) -> bool:
    """Whether go-yaml v2 would double-quote ``text``: read plain, it would not be a string."""
    if not text:
        return True
    first = text[0]
    if first not in V2_HINTS:
        return False
    if text in _V2_SPECIAL:
        return True
    if first == ".":
        return _DOT_FLOAT.fullmatch(text) is not None
    if first not in _NUMERIC_HINTS:
        return False
    if first != "+" and first != "-" and parse_go_timestamp(text) is not None:
        return True
    plain = text.replace("_", "")
    if plain and _go_ints_as_int(plain):
        return True
    if _YAML_FLOAT.fullmatch(plain) and math.isfinite(float(plain)):
        return True
    return ":" in text and _BASE60.fullmatch(text) is not None


def go_format_float(value: float) -> str:
    """Format a float as ``strconv.FormatFloat(v, 'g', -1, 64)`` (go-yaml v2's float output)."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    text = repr(abs(value))
    if "e" in text:
        mantissa, exp_text = text.split("e")
        digits = mantissa.replace(".", "")
        point = int(exp_text) + 1
    else:
        whole, frac = text.split(".")
        if whole == "0":
            stripped = frac.lstrip("0")
            digits, point = stripped, len(stripped) - len(frac)
        else:
            digits, point = whole + frac, len(whole)
    digits = digits.rstrip("0") or "0"
    sign = "-" if value < 0 else ""
    exp = point - 1
    if exp < -4 or exp >= 21 or (exp >= 6 and exp >= len(digits)) or exp >= 6:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def number_text(value: float) -> str:
    """A float as it comes out of encoding/json then go-yaml v2 (integral values become ints)."""
    if not math.isfinite(value):
        raise BuildError(
            f"json: unsupported value: {'NaN' if math.isnan(value) else ('+Inf' if value > 0 else '-Inf')}"
        )
    if value.is_integer() and abs(value) < 1e21:
        # encoding/json writes the shortest digits padded with zeros; go-yaml v2 reads that back as an int
        # when it fits 64 bits.
        if abs(value) < 2**53:
            as_int = int(value)
        else:  # the shortest digits, not the binary value (rare: decimal is imported only then)
            from decimal import Decimal

            as_int = int(Decimal(repr(value)))
        if _INT64_MIN <= as_int <= _UINT64_MAX:
            return str(as_int)
    return go_format_float(value)


def _wrap64(value: int) -> int:
    """Wrap an integer like Go's int64 arithmetic."""
    return (value + 2**63) % 2**64 - 2**63


def _key_less(a: str, b: str) -> bool:
    """go-yaml v2's ``keyList.Less`` for two string keys."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            an = _wrap64(an * 10 + ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = _wrap64(bn * 10 + ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _key_cmp(a: str, b: str) -> int:
    if _key_less(a, b):
        return -1
    return 1 if _key_less(b, a) else 0


_KEY_ORDER = cmp_to_key(_key_cmp)


# Key characters where go-yaml v2's order can differ from code-point order (digits are compared by value,
# letters come after every other character): digits, ``[\\]^_`{|}~`` and everything past ASCII, written as the
# complement (a class spanning U+0080-U+10FFFF costs ~5 ms to compile at import; its complement 0.1 ms).
_ORDER_SENSITIVE = re.compile("[^\x00-/:-Za-z\x7f]")


def sort_keys(keys: Iterable[str]) -> list[str]:
    """Sort mapping keys in go-yaml v2's order (letters after other characters, digit runs by value)."""
    ordered = sorted(keys)
    if _ORDER_SENSITIVE.search("".join(ordered)) is None:
        return ordered
    for i in range(len(ordered) - 1):
        if not _key_less(ordered[i], ordered[i + 1]):
            return sorted(ordered, key=_KEY_ORDER)
    return ordered


# -- reading back, as go-yaml v2 does (a plain scalar's type, a mapping key's text) ------------------------


def v2_scalar(tag: str | None, implicit: bool, text: str) -> Any:
    """A scalar as go-yaml v2 types it: plain ones by their text (YAML 1.1), else by their tag."""
    if tag is None or tag == "!":
        tag = PLAIN_TAG if implicit else "tag:yaml.org,2002:str"
    if tag in (PLAIN_TAG, "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        if text in V2_TRUE:
            return True
        if text in V2_FALSE:
            return False
        return resolve_plain(text)
    if tag == "tag:yaml.org,2002:null":
        return None
    return text


def key_text(raw: Any) -> str:
    """A go-yaml v2 mapping key as a JSON object key."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return go_format_float(raw)
    return "null" if raw is None else str(raw)
