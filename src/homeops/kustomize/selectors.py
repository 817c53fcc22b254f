"""Kubernetes label selectors, as kustomize v5.7.1 parses and matches them.

kustomize reads a ``labelSelector``/``annotationSelector`` (patch targets, replacement targets) with the
copy of apimachinery v0.17.0's ``labels.Parse`` that kyaml vendors: a lexer (identifiers end at whitespace
or one of ``=!(),<>``), a recursive-descent parser, label key and value validation, and these requirements:

* ``key`` (exists), ``!key`` (does not exist);
* ``key=value``, ``key==value``, ``key!=value`` (an empty value is allowed: ``key=``);
* ``key in (a,b)``, ``key notin (a,b)`` (``in``/``notin`` are keywords only where an operator is due);
* ``key>3``, ``key<3`` (both sides must be integers, else the label does not match).

Requirements are separated by commas and all must hold. Errors carry apimachinery's wording, which
kustomize prints unchanged (``unable to parse requirement: found 'b' expected: '('``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeops.kustomize.kyamlpath import go_quote, go_text

__all__ = ["LabelSelector", "Requirement", "SelectorError", "matches_label_selector", "parse_label_selector"]


class SelectorError(ValueError):
    """The selector text does not parse (the message is apimachinery's)."""


_GO_INT64 = re.compile(r"^[+-]?[0-9]+$")


def _parse_int64(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 10, 64)``, None on error."""
    if not _GO_INT64.match(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One term of a selector: ``key op values`` (ops: ``exists``, ``!``, ``=``, ``==``, ``!=``, ``in``,
    ``notin``, ``>``, ``<``)."""

    key: str
    op: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, Any]) -> bool:
        """Whether a label (or annotation) map satisfies this requirement."""
        has = self.key in labels
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        value = go_text(labels[self.key]) if has else ""
        if self.op in ("=", "==", "in"):
            return has and value in self.values
        if self.op in ("!=", "notin"):
            return not has or value not in self.values
        if not has:
            return False
        have, limit = _parse_int64(value), _parse_int64(next(iter(self.values), ""))
        if have is None or limit is None:
            return False
        return have > limit if self.op == ">" else have < limit


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A parsed selector: the AND of its requirements (none selects everything)."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, Any]) -> bool:
        """Whether a label (or annotation) map satisfies every requirement."""
        return all(r.matches(labels) for r in self.requirements)


def parse_label_selector(text: str) -> LabelSelector:
    """Parse Kubernetes label selector syntax (``a=b,c!=d,e in (f,g),h notin (i),j,!k,n>3``).

    Raises SelectorError with apimachinery's message when the text does not parse.
    """
    return LabelSelector(tuple(_Parser(text).parse()))


def matches_label_selector(text: str, labels: Mapping[str, Any]) -> bool:
    """Whether ``labels`` satisfy the selector ``text`` (kustomize's ``MatchesLabelSelector``)."""
    return parse_label_selector(text).matches(labels)


# -- lexer ----------------------------------------------------------------------------------------------
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
_KEYWORDS = {")": ")", ",": ",", "!": "!", "==": "==", "=": "=", ">": ">", "<": "<", "!=": "!="}
_KEYWORDS |= {"(": "(", "in": "in", "notin": "notin"}
# token kinds: the literal for operators and keywords, "id" for identifiers, "eos" at the end
_EOS, _ID = "eos", "id"


def _lex(text: str) -> list[tuple[str, str]]:
    """All tokens of ``text`` up to the end (a NUL ends the text, as in Go's lexer)."""
    text = text.split("\0", 1)[0]
    tokens: list[tuple[str, str]] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= n:
            tokens.append((_EOS, ""))
            return tokens
        if text[pos] in _SPECIAL:
            buf, last = "", ""
            while pos < n and text[pos] in _SPECIAL:
                buf += text[pos]
                if buf in _KEYWORDS:
                    last = buf
                elif last:
                    break
                pos += 1
            tokens.append((_KEYWORDS[last], last))  # every single special character is a token
            continue
        start = pos
        while pos < n and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
            pos += 1
        word = text[start:pos]
        tokens.append((_KEYWORDS.get(word, _ID), word))


# -- parser ---------------------------------------------------------------------------------------------
class _Parser:
    """apimachinery's label selector parser, one method per Go function."""

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.position = 0

    def _peek(self, values: bool = True) -> tuple[str, str]:
        kind, lit = self.tokens[self.position]
        return (_ID if values and kind in ("in", "notin") else kind), lit

    def _next(self, values: bool = True) -> tuple[str, str]:
        tok = self._peek(values)
        self.position += 1
        return tok

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            kind, lit = self._peek()
            if kind == _EOS:
                return reqs
            if kind not in (_ID, "!"):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self._requirement())
            except SelectorError as exc:
                raise SelectorError(f"unable to parse requirement: {exc}") from None
            kind, lit = self._next()
            if kind == _EOS:
                return reqs
            if kind != ",":
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            kind, lit = self._peek()
            if kind not in (_ID, "!"):
                raise SelectorError(f"found '{lit}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        op = ""
        kind, key = self._next()
        if kind == "!":
            op = "!"
            kind, key = self._next()
        if kind != _ID:
            raise SelectorError(f"found '{key}', expected: identifier")
        _validate_key(key)
        if self._peek()[0] in (_EOS, ","):
            return Requirement(key, op or "exists")
        if op == "!":
            return Requirement(key, op)  # the caller then fails on the operator that follows
        kind, lit = self._next(values=False)
        if kind not in ("in", "notin", "=", "==", "!=", ">", "<"):
            raise SelectorError(f"found '{lit}', expected: '=', '!=', '==', 'in', notin'")
        values = self._set_values() if kind in ("in", "notin") else self._exact_value()
        if kind in (">", "<") and (len(values) != 1 or _parse_int64(next(iter(values))) is None):
            raise SelectorError("for 'Gt', 'Lt' operators, the value must be an integer")
        for value in sorted(values):
            _validate_value(key, value)
        return Requirement(key, kind, frozenset(values))

    def _set_values(self) -> set[str]:
        kind, lit = self._next()
        if kind != "(":
            raise SelectorError(f"found '{lit}' expected: '('")
        kind, lit = self._peek()
        if kind == ")":
            self._next()
            return {""}
        if kind not in (_ID, ","):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        values = self._identifiers()
        if self._next()[0] != ")":
            raise SelectorError(f"found '{lit}', expected: ')'")
        return values

    def _identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            kind, lit = self._next()
            if kind == _ID:
                values.add(lit)
                kind2, lit2 = self._peek()
                if kind2 == ",":
                    continue
                if kind2 == ")":
                    return values
                raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            if kind != ",":
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")
            if not values:
                values.add("")
            kind2 = self._peek()[0]
            if kind2 == ")":
                values.add("")
                return values
            if kind2 == ",":
                self._next()
                values.add("")

    def _exact_value(self) -> set[str]:
        if self._peek()[0] in (_EOS, ","):
            return {""}
        kind, lit = self._next()
        if kind == _ID:
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


# -- validation (apimachinery's IsQualifiedName and IsValidLabelValue) ------------------------------------
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME = re.compile(f"^{_QNAME_FMT}$")
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric"
    " character"
)
_VALUE_FMT = f"({_QNAME_FMT})?"
_VALUE = re.compile(f"^{_VALUE_FMT}$")
_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must"
    " start and end with an alphanumeric character"
)
_DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN_FMT = f"{_DNS_LABEL}(\\.{_DNS_LABEL})*"
_DNS_SUBDOMAIN = re.compile(f"^{_DNS_SUBDOMAIN_FMT}$")
_DNS_SUBDOMAIN_MSG = (
    "a DNS-1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and"
    " end with an alphanumeric character"
)


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def _go_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _validate_key(key: str) -> None:
    errs: list[str] = []
    parts = key.split("/")
    if len(parts) > 2:
        errs.append(
            "a qualified name "
            + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        )
    else:
        name = parts[-1]
        if len(parts) == 2:
            prefix = parts[0]
            if not prefix:
                errs.append("prefix part must be non-empty")
            else:
                if _go_len(prefix) > 253:
                    errs.append("prefix part must be no more than 253 characters")
                if not _DNS_SUBDOMAIN.match(prefix):
                    errs.append(
                        "prefix part " + _regex_error(_DNS_SUBDOMAIN_MSG, _DNS_SUBDOMAIN_FMT, "example.com")
                    )
        if not name:
            errs.append("name part must be non-empty")
        elif _go_len(name) > 63:
            errs.append("name part must be no more than 63 characters")
        if not _QNAME.match(name):
            errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    if errs:
        raise SelectorError(f"invalid label key {go_quote(key)}: {'; '.join(errs)}")


def _validate_value(key: str, value: str) -> None:
    errs: list[str] = []
    if _go_len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _VALUE.match(value):
        errs.append(_regex_error(_VALUE_MSG, _VALUE_FMT, "MyValue", "my_value", "12345"))
    if errs:
        raise SelectorError(
            f"invalid label value: {go_quote(value)}: at key: {go_quote(key)}: {'; '.join(errs)}"
        )
