"""YAML output as sops 3.x writes it: go-yaml v3's encoder with ``SetIndent(4)`` (or the
``stores.yaml.indent`` of ``.sops.yaml``) over sops' tree.

The layout follows go-yaml v3's emitter: a block nested under a mapping key goes to the next multiple of
the indent, a block inside a sequence item skips the ``- `` (two columns); sequences under a key are
indented; empty containers are ``{}`` and ``[]``; lines are never folded. Strings are plain unless go-yaml v3
would read them back as something else (or as a YAML 1.1 bool or base-60 number): then double-quoted;
libyaml's scalar analysis then demotes plain to single-quoted and single-quoted or literal to
double-quoted where they cannot hold the text. Multi-line strings are literal blocks. Floats are Go's
``%g``, timestamps RFC 3339. Comments are written on their own lines, before the item they precede or after
the last item of their block.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from homeops.sops.tree import Branch, Comment, GoTime
from homeops.yaml.resolver import resolve_plain_tagged

__all__ = ["emit_yaml", "format_go_float_g"]

_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_OLD_BOOLS = frozenset("y Y yes Yes YES on On ON n N no No NO off Off OFF".split())
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_BREAKS = frozenset("\r\n\x85\u2028\u2029")
_ESCAPES = {
    0x00: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r", 0x1B: "e",
    0x22: '"', 0x5C: "\\", 0x85: "N", 0x2028: "L", 0x2029: "P",
}  # fmt: skip


def _printable(ch: str) -> bool:
    """libyaml's IS_PRINTABLE."""
    c = ord(ch)
    return (
        c == 0x0A
        or 0x20 <= c <= 0x7E
        or c == 0x85
        or 0xA0 <= c <= 0xD7FF
        or (0xE000 <= c <= 0xFFFD and c != 0xFEFF)
        or 0x10000 <= c <= 0x10FFFF
    )


def _analyze(text: str) -> tuple[bool, bool, bool]:
    """libyaml's yaml_emitter_analyze_scalar: (block plain allowed, single quotes allowed, block allowed)."""
    if not text:
        return True, True, False
    indicators = text.startswith(("---", "..."))
    special = breaks = False
    leading = trailing = break_space = space_break = False
    prev_space = prev_break = False
    preceded_ws = True
    last = len(text) - 1
    for i, ch in enumerate(text):
        followed_ws = i == last or text[i + 1] in " \t" or text[i + 1] in _BREAKS
        if i == 0:
            if ch in _FIRST_INDICATORS or (ch in "?:-" and followed_ws):
                indicators = True
        elif (ch == ":" and followed_ws) or (ch == "#" and preceded_ws):
            indicators = True
        if not _printable(ch):
            special = True
        if ch in _BREAKS:
            breaks = True
        if ch == " ":
            leading = leading or i == 0
            trailing = trailing or i == last
            break_space = break_space or prev_break
            prev_space, prev_break = True, False
        elif ch in _BREAKS:
            leading = leading or i == 0
            trailing = trailing or i == last
            space_break = space_break or prev_space
            prev_space, prev_break = False, True
        else:
            prev_space = prev_break = False
        preceded_ws = ch in " \t" or ch in _BREAKS
    plain = single = block = True
    if leading or trailing:
        plain = False
    if text[-1] == " ":
        block = False
    if break_space:
        plain = single = False
    if space_break or special:
        plain = single = block = False
    if breaks or indicators:
        plain = False
    return plain, single, block


def _needs_quotes(text: str) -> bool:
    """go-yaml v3: a string is quoted when it would not read back as the same string."""
    return resolve_plain_tagged(text)[0] != "str" or bool(_BASE60.match(text)) or text in _OLD_BOOLS


def _double(text: str) -> str:
    out = []
    for ch in text:
        c = ord(ch)
        if not _printable(ch) or c == 0xFEFF or ch in _BREAKS or ch in '"\\':
            short = _ESCAPES.get(c)
            if short is not None:
                out.append("\\" + short)
            elif c <= 0xFF:
                out.append(f"\\x{c:02X}")
            elif c <= 0xFFFF:
                out.append(f"\\u{c:04X}")
            else:
                out.append(f"\\U{c:08X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _literal(text: str, indent: int, best: int) -> str:
    hint = str(best) if text[0] == " " or text[0] in _BREAKS else ""
    if text[-1] not in _BREAKS:
        chomp = "-"
    elif len(text) == 1 or text[-2] in _BREAKS:
        chomp = "+"
    else:
        chomp = ""
    body = text[:-1] if text[-1] == "\n" else text
    pad = " " * indent
    lines = "\n".join(pad + line if line else "" for line in body.split("\n"))
    return f"|{hint}{chomp}\n{lines}"


def _string(text: str, indent: int, best: int, key: bool) -> str:
    if "\n" in text and not key:
        _, _, block = _analyze(text)
        return _literal(text, indent, best) if block else _double(text)
    if not text or _needs_quotes(text):
        return _double(text)
    plain, single, _ = _analyze(text)
    if plain:
        return text
    if single:
        return "'" + text.replace("'", "''") + "'"
    return _double(text)


def format_go_float_g(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 64), with go-yaml's ``.inf``/``-.inf``/``.nan``."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    exp = len(text) + exponent - 1  # decimal exponent of the first digit
    minus = "-" if sign else ""
    if exp < -4 or exp >= 6:  # shortest %g decides with precision 6
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{minus}0.{'0' * (-exp - 1)}{text}"
    if len(text) <= exp + 1:
        return minus + text + "0" * (exp + 1 - len(text))
    return f"{minus}{text[: exp + 1]}.{text[exp + 1 :]}"


def _scalar(value: Any, indent: int, best: int) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_go_float_g(value)
    if isinstance(value, GoTime):
        return value.text
    if isinstance(value, str):
        return _string(value, indent, best, key=False)
    raise TypeError(f"cannot write a {type(value).__name__} as YAML")


class _Writer:
    def __init__(self, best: int) -> None:
        self.best = best
        self.out: list[str] = []

    def nested(self, indent: int) -> int:
        return self.best * ((indent + self.best) // self.best)

    def comments(self, comments: list[Comment], indent: int) -> None:
        self.out.extend(" " * indent + "#" + c.value + "\n" for c in comments)

    def value(self, head: str, value: Any, indent: int, in_sequence: bool) -> None:
        """Write ``head`` (``key:`` or ``-``) and its value; ``indent`` is where the head starts."""
        inner = indent + 2 if in_sequence else self.nested(indent)
        if isinstance(value, Branch) and any(isinstance(k, str) for k, _ in value):
            if in_sequence:
                self.out.append(head + " ")
                self.mapping(value, inner, inline=True)
            else:
                self.out.append(head + "\n")
                self.mapping(value, inner, inline=False)
        elif isinstance(value, list) and not isinstance(value, Branch) and _has_items(value):
            if in_sequence:
                self.out.append(head + " ")
                self.sequence(value, inner, inline=True)
            else:
                self.out.append(head + "\n")
                self.sequence(value, inner, inline=False)
        elif isinstance(value, Branch):
            self.out.append(head + " {}\n")
            self.comments([k for k, _ in value], inner)
        elif isinstance(value, list):
            self.out.append(head + " []\n")
            self.comments(list(value), inner)
        else:
            self.out.append(head + " " + _scalar(value, inner, self.best) + "\n")

    def mapping(self, branch: Branch, indent: int, inline: bool) -> None:
        pending: list[Comment] = []
        for key, value in branch:
            if isinstance(key, Comment):
                pending.append(key)
                continue
            if inline and pending:  # a head comment of a mapping in a sequence item: before the key
                self.out.append("\n")
                inline = False
            self.comments(pending, indent)
            pending = []
            head = _string(key, indent, self.best, key=True) + ":"
            self.value(head if inline else " " * indent + head, value, indent, in_sequence=False)
            inline = False
        self.comments(pending, indent)

    def sequence(self, items: list[Any], indent: int, inline: bool) -> None:
        pending: list[Comment] = []
        for item in items:
            if isinstance(item, Comment):
                pending.append(item)
                continue
            if inline and pending:
                self.out.append("\n")
                inline = False
            self.comments(pending, indent)
            pending = []
            self.value("-" if inline else " " * indent + "-", item, indent, in_sequence=True)
            inline = False
        self.comments(pending, indent)


def _has_items(items: list[Any]) -> bool:
    return any(not isinstance(i, Comment) for i in items)


def emit_yaml(branches: list[Branch], indent: int = 4) -> str:
    """The documents as sops writes them, separated by ``---``."""
    docs: list[str] = []
    for branch in branches:
        writer = _Writer(indent)
        if any(isinstance(k, str) for k, _ in branch):
            writer.mapping(branch, 0, inline=False)
        else:
            writer.comments([k for k, _ in branch], 0)
            writer.out.append("{}\n")
        docs.append("".join(writer.out))
    return "---\n".join(docs)
