"""The two pattern languages of source-watcher's copy operations (Flux 2.7, source-watcher v2.0.x).

* ``from`` globs go through Go's ``io/fs.Glob`` (internal/builder/builder.go ``applyCopyOperation``), whose
  segments are matched with ``path.Match``: ``*`` and ``?`` never cross ``/``, ``**`` is just ``*``, classes
  are ``[...]`` / ``[^...]`` with ``\\`` escapes. :func:`go_segment_regex` compiles one segment;
  :func:`go_pattern_valid` is ``path.Match(pattern, "")``'s syntax check, done before globbing.
* ``exclude`` patterns go through ``doublestar.MatchUnvalidated`` (bmatcuk/doublestar v4.9.1): ``**`` as a
  whole segment matches zero or more directories (``a/**`` also matches ``a``), ``{a,b}`` alternatives,
  ``[!...]``/``[^...]`` classes. :func:`doublestar_regex` returns None for a malformed pattern (the
  builder's ``invalid exclude pattern`` check, ``doublestar.Match(pattern, ".")``).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "doublestar_match",
    "doublestar_regex",
    "go_has_meta",
    "go_pattern_valid",
    "go_segment_regex",
]


class _Bad(Exception):
    pass


def go_has_meta(pattern: str) -> bool:
    """``io/fs.hasMeta``: whether fs.Glob treats ``pattern`` as a pattern rather than a path."""
    return any(c in pattern for c in "*?[\\")


def _go_class(p: str, i: int) -> tuple[str, int]:
    """A ``path.Match`` class starting after ``[`` at ``p[i]``: its regex and the index after ``]``."""
    negated = i < len(p) and p[i] == "^"
    if negated:
        i += 1
    parts: list[str] = []
    count = 0
    while True:
        if i < len(p) and p[i] == "]" and count > 0:
            i += 1
            break
        lo, i = _go_esc(p, i)
        hi = lo
        if i < len(p) and p[i] == "-":
            hi, i = _go_esc(p, i + 1)
        if lo <= hi:
            parts.append(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}")
        count += 1
    body = "".join(parts)
    if not body:
        return ("[^/]" if negated else "(?!)"), i
    return (f"[^/{body}]" if negated else f"[{body}]"), i


def _go_esc(p: str, i: int) -> tuple[str, int]:
    if i >= len(p) or p[i] in "-]":
        raise _Bad
    if p[i] == "\\":
        i += 1
        if i >= len(p):
            raise _Bad
    if i + 1 >= len(p):  # the class must still be closed after this character
        raise _Bad
    return p[i], i + 1


@lru_cache(maxsize=1024)
def go_segment_regex(pattern: str) -> re.Pattern[str] | None:
    """Go's ``path.Match`` pattern (one path segment) as a regex, or None when it is malformed."""
    out: list[str] = []
    i = 0
    try:
        while i < len(pattern):
            c = pattern[i]
            if c == "*":
                out.append("[^/]*")
                i += 1
            elif c == "?":
                out.append("[^/]")
                i += 1
            elif c == "\\":
                if i + 1 >= len(pattern):
                    raise _Bad
                out.append(re.escape(pattern[i + 1]))
                i += 2
            elif c == "[":
                rx, i = _go_class(pattern, i + 1)
                out.append(rx)
            else:
                out.append(re.escape(c))
                i += 1
    except _Bad:
        return None
    return re.compile("".join(out), re.DOTALL)


def go_pattern_valid(pattern: str) -> bool:
    """``path.Match(pattern, "")`` returns no ErrBadPattern (the whole pattern is checked)."""
    return all(go_segment_regex(seg) is not None for seg in pattern.split("/"))


# --- doublestar ---------------------------------------------------------------------------------------


def _closing_brace(p: str, start: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``start``, honouring nesting and escapes; -1 if none."""
    depth = 0
    i = start
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _alternatives(body: str) -> list[str]:
    out: list[str] = []
    depth = 0
    last = 0
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(body[last:i])
            last = i + 1
        i += 1
    out.append(body[last:])
    return out


def _expand(p: str, budget: list[int]) -> list[str]:
    """Brace expansion, as doublestar tries each alternative in turn."""
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # braces inside a class are literal
            end = p.find("]", i + 2)
            i = end + 1 if end > 0 else len(p)
            continue
        if c == "{":
            end = _closing_brace(p, i)
            if end < 0:
                raise _Bad
            out: list[str] = []
            for alt in _alternatives(p[i + 1 : end]):
                budget[0] -= 1
                if budget[0] < 0:
                    raise _Bad
                out.extend(_expand(p[:i] + alt + p[end + 1 :], budget))
            return out
        i += 1
    return [p]


def _ds_class(p: str, i: int) -> tuple[str, int]:
    """A doublestar class starting after ``[`` at ``p[i]``."""
    negated = i < len(p) and p[i] in "!^"
    if negated:
        i += 1
    if i >= len(p) or p[i] == "]":
        raise _Bad
    parts: list[str] = []
    while i < len(p) and p[i] != "]":
        c = p[i]
        if c == "\\":
            i += 1
            if i >= len(p):
                raise _Bad
            c = p[i]
        i += 1
        if i + 1 < len(p) and p[i] == "-" and p[i + 1] != "]":
            hi = p[i + 1]
            i += 2
            if hi == "\\" and i < len(p):
                hi = p[i]
                i += 1
            parts.append(f"{re.escape(c)}-{re.escape(hi)}" if c <= hi else "")
        else:
            parts.append(re.escape(c))
    if i >= len(p):
        raise _Bad
    body = "".join(parts)
    if not body:
        return ("." if negated else "(?!)"), i + 1
    return (f"[^{body}]" if negated else f"[{body}]"), i + 1


def _ds_regex(p: str) -> str:
    out: list[str] = []
    i = 0
    n = len(p)
    while i < n:
        c = p[i]
        start = i == 0 or p[i - 1] == "/"
        if c == "*":
            if i + 1 < n and p[i + 1] == "*":
                if start and i + 2 == n:  # a trailing ``**``: everything, and (after ``/``) the dir itself
                    if out and out[-1] == "/":
                        out[-1] = "(?:/.*)?"
                    else:
                        out.append(".*")
                    return "".join(out)
                if start and i + 2 < n and p[i + 2] == "/":  # ``**/``: zero or more directories
                    out.append("(?:[^/]*/)*")
                    i += 3
                    continue
                out.append("[^/]*")
                i += 2
                continue
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            rx, i = _ds_class(p, i + 1)
            out.append(rx)
        elif c == "\\":
            if i + 1 >= n:
                raise _Bad
            out.append(re.escape(p[i + 1]))
            i += 2
        elif c == "/":
            out.append("/")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def doublestar_regex(pattern: str) -> re.Pattern[str] | None:
    """A doublestar v4 pattern as one regex, or None when it is malformed."""
    try:
        alts = _expand(pattern, [1024])
        return re.compile("|".join(f"(?:{_ds_regex(a)})" for a in alts), re.DOTALL)
    except _Bad:
        return None


def doublestar_match(pattern: str, name: str) -> bool:
    """``doublestar.MatchUnvalidated(pattern, name)``: a malformed pattern never matches."""
    rx = doublestar_regex(pattern)
    return rx is not None and rx.fullmatch(name) is not None
