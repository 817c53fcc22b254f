"""Go ``text/template``'s builtin functions (``and``/``or`` live in the executor), with ``fmt`` helpers.

Argument typing follows Go where it is cheap to: a function whose Go parameter is a ``string`` rejects other
values ("wrong type for value"), comparisons reject incompatible kinds as Go's ``eq``/``lt`` do.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from homeops.flux.gotemplate_exec import FuncError, go_str, go_type, truth
from homeops.yaml.goscalars import go_format_float

__all__ = ["BUILTINS", "as_int", "as_str", "go_quote", "go_sprint", "sprintf"]

_SIMPLE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(text: str) -> str:
    """``strconv.Quote``: a double-quoted Go string literal."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def as_str(value: Any) -> str:
    """A value passed to a Go ``string`` parameter."""
    if isinstance(value, str):
        return value
    raise FuncError(f"wrong type for value; expected string; got {go_type(value)}")


def as_int(value: Any) -> int:
    """A value passed to a Go ``int`` parameter (template number constants and decoded integers)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise FuncError(f"wrong type for value; expected int; got {go_type(value)}")


def go_sprint(args: tuple[Any, ...], always_space: bool = False) -> str:
    """``fmt.Sprint`` (spaces between operands when neither is a string) or ``fmt.Sprintln``'s body."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if i > 0 and (always_space or not (isinstance(arg, str) or isinstance(args[i - 1], str))):
            out.append(" ")
        out.append(go_str(arg))
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])")


def _format_one(flags: str, width: str | None, prec: str | None, verb: str, arg: Any) -> str:
    if verb in "vs":
        text = go_str(arg)
        if verb == "s" and not isinstance(arg, str):
            text = go_str(arg) if isinstance(arg, (list, dict)) else text
        if prec is not None and verb == "s":
            text = text[: int(prec or 0)]
    elif verb == "q" and isinstance(arg, str):
        text = go_quote(arg)
    elif verb == "t" and isinstance(arg, bool):
        text = go_str(arg)
    elif verb in "dxXob" and isinstance(arg, int) and not isinstance(arg, bool):
        base = {"d": "d", "x": "x", "X": "X", "o": "o", "b": "b"}[verb]
        text = format(arg, base)
        if "+" in flags and arg >= 0:
            text = "+" + text
    elif verb in "xX" and isinstance(arg, str):
        text = arg.encode().hex()
        text = text.upper() if verb == "X" else text
    elif verb in "feEgG" and isinstance(arg, (int, float)) and not isinstance(arg, bool):
        value = float(arg)
        if verb in "gG" and prec is None:
            text = go_format_float(value)
        else:
            text = format(value, f".{int(prec) if prec else (6 if prec is None else 0)}{verb}")
            if verb in "eE":
                text = re.sub(r"([eE][+-])(\d)$", r"\g<1>0\2", text)
    else:
        return f"%!{verb}({go_type(arg)}={go_str(arg)})"
    if width is not None and width != "*" and len(text) < int(width):
        pad = int(width) - len(text)
        if "-" in flags:
            text += " " * pad
        elif "0" in flags and verb not in "sqvt":
            sign = text[0] if text[:1] in "+-" else ""
            text = sign + "0" * pad + text[len(sign) :]
        else:
            text = " " * pad + text
    return text


def sprintf(fmt: Any, *args: Any) -> str:
    """``fmt.Sprintf`` for the common verbs (``%v %s %q %d %t %x %X %o %b %f %e %g %%``)."""
    fmt = as_str(fmt)
    out: list[str] = []
    pos = 0
    argi = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width, prec, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_format_one(flags, width, prec, verb, args[argi]))
        argi += 1
    out.append(fmt[pos:])
    if argi < len(args):
        extra = ", ".join(f"{go_type(a)}={go_str(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _kind(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "other"


def _eq2(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka == "nil" or kb == "nil":
        return a is None and b is None
    if ka == "other" or kb == "other":
        raise FuncError("non-comparable types" if ka == kb else "incompatible types for comparison")
    if ka != kb:
        raise FuncError("incompatible types for comparison")
    return bool(a == b)


def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise FuncError("missing argument for comparison")
    return any(_eq2(a, b) for b in others)


def _lt(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka not in ("int", "float", "string") or kb not in ("int", "float", "string"):
        raise FuncError("invalid type for comparison")
    if ka != kb:
        raise FuncError("incompatible types for comparison")
    return bool(a < b)


def _len(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (list, dict)):
        return len(value)
    if value is None:
        raise FuncError("len of nil pointer")
    raise FuncError(f"len of type {go_type(value)}")


def _index(item: Any, *indexes: Any) -> Any:
    if item is None:
        raise FuncError("index of untyped nil")
    for idx in indexes:
        if isinstance(item, dict):
            if not isinstance(idx, str):
                raise FuncError(f"value has type {go_type(idx)}; should be string")
            item = item.get(idx)
        elif isinstance(item, (list, str)):
            if not isinstance(idx, int) or isinstance(idx, bool):
                raise FuncError(f"cannot index slice/array with type {go_type(idx)}")
            seq = item.encode() if isinstance(item, str) else item
            if not 0 <= idx < len(seq):
                raise FuncError(f"index out of range: {idx}")
            item = seq[idx]
        elif item is None:
            raise FuncError("index of untyped nil")
        else:
            raise FuncError(f"can't index item of type {go_type(item)}")
    return item


def _slice(item: Any, *indexes: Any) -> Any:
    if not isinstance(item, (list, str)):
        raise FuncError(f"can't slice item of type {go_type(item)}")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    bounds = [as_int(i) for i in indexes]
    start = bounds[0] if bounds else 0
    end = bounds[1] if len(bounds) > 1 else len(item)
    if not 0 <= start <= end <= len(item):
        raise FuncError(
            f"invalid slice index: {start} > {end}" if start > end else f"index out of range: {end}"
        )
    return item[start:end]


def _unsupported(name: str) -> Callable[..., Any]:
    def fail(*_args: Any) -> Any:
        raise FuncError(f"function {name} is not supported by homeops")

    return fail


BUILTINS: dict[str, Callable[..., Any]] = {
    "and": _unsupported("and"),  # evaluated by the executor (short-circuit)
    "or": _unsupported("or"),
    "not": lambda v: not truth(v),
    "len": _len,
    "index": _index,
    "slice": _slice,
    "print": lambda *a: go_sprint(a),
    "println": lambda *a: go_sprint(a, always_space=True) + "\n",
    "printf": sprintf,
    "eq": _eq,
    "ne": lambda a, b: not _eq2(a, b),
    "lt": _lt,
    "le": lambda a, b: _lt(a, b) or _eq2(a, b),
    "gt": lambda a, b: not (_lt(a, b) or _eq2(a, b)),
    "ge": lambda a, b: not _lt(a, b),
    "html": lambda *a: html.escape(go_sprint(a)).replace("&#x27;", "&#39;").replace("\0", "\ufffd"),
    "urlquery": lambda *a: urllib.parse.quote_plus(go_sprint(a)),
    "js": _unsupported("js"),
    "call": _unsupported("call"),
}
