"""Shell patterns for envsubst's ``${var#pat}`` family: Go's ``path.Match`` as forked by Flux.

The fork treats ``/`` as an ordinary character (``*`` and ``?`` match it), so ``${f##*/}`` of ``a/b/c`` is
``c`` as in bash. ``[...]`` classes (with ``^`` negation and ``a-z`` ranges) and ``\\`` escapes work as in
Go. A malformed pattern makes :func:`match` return ``None`` (Go's ``ErrBadPattern``).
"""

from __future__ import annotations

__all__ = ["match"]


class _BadPattern(Exception):
    pass


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif c == "[":
            in_range = True
        elif c == "]":
            in_range = False
        elif c == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _get_esc(chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise _BadPattern
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise _BadPattern
    r, rest = chunk[0], chunk[1:]
    if not rest:
        raise _BadPattern
    return r, rest


def _match_chunk(chunk: str, s: str) -> str | None:
    """Match ``chunk`` at the start of ``s``: the rest of ``s``, or None. Raises _BadPattern."""
    failed = False
    while chunk:
        if not failed and not s:
            failed = True
        c = chunk[0]
        if c == "[":
            r = ""
            if not failed:
                r, s = s[0], s[1:]
            chunk = chunk[1:]
            negated = False
            if chunk.startswith("^"):
                negated, chunk = True, chunk[1:]
            matched = False
            nrange = 0
            while True:
                if chunk.startswith("]") and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = _get_esc(chunk[1:])
                if lo <= r <= hi and r:
                    matched = True
                nrange += 1
            if matched == negated:
                failed = True
        elif c == "?":
            if not failed:
                s = s[1:]
            chunk = chunk[1:]
        elif c == "\\":
            chunk = chunk[1:]
            if not chunk:
                raise _BadPattern
            if not failed:
                if chunk[0] != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
        else:
            if not failed:
                if c != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
    return None if failed else s


def _match(pattern: str, name: str) -> bool:
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            return True
        rest = _match_chunk(chunk, name)
        if rest is not None and (not rest or pattern):
            name = rest
            continue
        if star:
            advanced = False
            for i in range(len(name)):
                rest = _match_chunk(chunk, name[i + 1 :])
                if rest is not None:
                    if not pattern and rest:
                        continue
                    name = rest
                    advanced = True
                    break
            if advanced:
                continue
        while pattern:
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, "")
        return False
    return not name


def match(pattern: str, name: str) -> bool | None:
    """Whether ``name`` matches the whole ``pattern``; None when the pattern is malformed."""
    try:
        return _match(pattern, name)
    except _BadPattern:
        return None
