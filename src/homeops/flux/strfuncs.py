"""The string functions behind envsubst's operators (``funcs.go`` of Flux's envsubst fork).

Lengths and substring offsets count UTF-8 bytes, as Go does; case mapping is rune by rune.
"""

from __future__ import annotations

import re

from homeops.flux.glob import match

__all__ = ["apply_function"]

_GO_ATOI = re.compile(r"^[+-]?[0-9]+$")


def _go_case(text: str, upper: bool) -> str:
    out = []
    for c in text:
        m = c.upper() if upper else c.lower()
        out.append(m if len(m) == 1 else c)
    return "".join(out)


def _atoi(text: str) -> int | None:
    if not _GO_ATOI.match(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def _to_substr(s: str, args: list[str]) -> str:
    b = s.encode("utf-8", "surrogateescape")
    pos = _atoi(args[0]) if args else None
    if pos is None:
        return s
    if pos < 0:
        pos = max(len(b) + pos, 0)
    if len(args) == 1:
        return b[pos:].decode("utf-8", "surrogateescape") if pos < len(b) else ""
    length = _atoi(args[1])
    if length is None:
        return s
    if length < 0:
        end = len(b) + length
        return "" if end < pos else b[pos:end].decode("utf-8", "surrogateescape")
    if pos + length >= len(b):
        return b[pos:].decode("utf-8", "surrogateescape") if pos < len(b) else ""
    return b[pos : pos + length].decode("utf-8", "surrogateescape")


def _trim_shortest(s: str, pat: str) -> str:
    shortest = ""
    for i in range(len(s)):
        ok = match(pat, s[: len(s) - i])
        if ok is None:
            return s
        if ok:
            shortest = s[: len(s) - i]
    return s[len(shortest) :] if shortest else s


def _trim_longest(s: str, pat: str) -> str:
    for i in range(len(s)):
        ok = match(pat, s[: len(s) - i])
        if ok is None:
            return s
        if ok:
            return s[len(s) - i :]
    return s


def apply_function(name: str, v: str, args: list[str]) -> str:
    """Apply the operator ``name`` (``""``, ``"^^"``, ``":"``, ``"//"``...) to the value ``v``: Go's
    lookupFunc followed by the function it returns."""
    if name == ",":
        return _go_case(v[:1], upper=False) + v[1:]
    if name == ",,":
        return _go_case(v, upper=False)
    if name == "^":
        return _go_case(v[:1], upper=True) + v[1:]
    if name == "^^":
        return _go_case(v, upper=True)
    if name == "#" and not args:
        return str(len(v.encode("utf-8", "surrogateescape")))
    if name in ("#", "##", "%", "%%"):
        if not args:
            return v
        if name == "#":
            return _trim_shortest(v, args[0])
        if name == "##":
            return _trim_longest(v, args[0])
        trim = _trim_shortest if name == "%" else _trim_longest
        return trim(v[::-1], args[0][::-1])[::-1]
    if name == ":":
        return _to_substr(v, args)
    if name in ("/", "//"):
        if not args:
            return v
        new = args[1] if len(args) > 1 else ""
        return v.replace(args[0], new, 1 if name == "/" else -1)
    if name == "/#":
        if len(args) != 2 or not v.startswith(args[0]):
            return v
        return v.replace(args[0], args[1], 1)
    if name == "/%":
        if len(args) != 2 or not v.endswith(args[0]):
            return v
        return v[: len(v) - len(args[0])] + args[1]
    # toDefault, for "" and every default-style operator
    if not v and args:
        return "".join(args)
    return v
