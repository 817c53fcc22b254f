"""Flux's substitution round trip computed on the resource itself, when it can only replace scalars.

kustomize-controller substitutes by printing every resource (JSON, then YAML through go-yaml v2), running
envsubst on that text and reading the result back (``homeops.flux.varsub``), once a Kustomization has
variables. Printing and reading back cost far more than the substitution, and for nearly every resource
they change nothing but the scalars that held an expression. ``round_trip_changes`` tells the resources
whose values the round trip keeps (only their key order changes). For the others, ``substitute_tree``
gives the round trip's result without the text, or None when it cannot be sure, and then the caller runs
the real round trip. It is sure when:

- no mapping key holds a ``$``;
- every ``${`` opens a self-contained ``${...}`` expression of printable ASCII without spaces, quotes,
  backslashes, ``$`` or braces inside: the printed text holds it verbatim, envsubst sees it alone (no
  nesting across scalars), and it evaluates as it would in the whole text; no ``$$`` (an escape) appears,
  and any other ``$`` (``$labels``, ``$(VAR)``, a ``$`` last) stays as it is, as in Flux's envsubst;
- each expression resolves (strict mode: no unset variable) to printable ASCII without whitespace, quotes
  or backslashes, so it cannot end a quoted scalar, break a line or start a comment;
- every string prints in one of the writer's own styles (``homeops.yaml.emitter.string_style``): plain,
  single- or double-quoted, or a literal block (non-empty replacements only, so no line becomes empty and
  the block keeps its indentation and chomping); a plain one must still read as one plain scalar after
  the replacement (``homeops.yaml.emitter.reads_as_plain``), and is then typed by go-yaml v2's YAML 1.1
  rules, as the round trip types it.

What the round trip does to everything else is done here too: mappings come back in go-yaml v2's key
order, numbers pass through float64 (``json_number``) and plain scalars are typed as the composer of
``varsub`` types them. ``tests/flux/test_substtree.py`` checks both functions against the round trip on
generated resources and on every resource of the fixtures and of the corpus.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from homeops.errors import BuildError, HomeopsError, Location
from homeops.flux.variables import MAX_NODES
from homeops.yaml.goscalars import V2_HINTS, go_format_float, key_text, number_text, sort_keys, v2_scalar
from homeops.yaml.loader import MAX_DEPTH
from homeops.yaml.nodes import YMap, YSeq
from homeops.yaml.resolver import resolve_plain

_MAX_SIMPLE_KEY = 128  # a longer key is laid out by libyaml

_SAFE = "!#%&()*+,\\-./0-9:;<=>?@A-Z\\[\\]^_`a-z|~"  # printable ASCII but space, quotes, \, $, { and }
_EXPRESSION = re.compile(r"\$\{[" + _SAFE + r"]*\}")
_REFERENCE = re.compile(r"\$\{([_A-Za-z][_A-Za-z0-9]*)\}")
_SAFE_VALUE = re.compile(r"[" + _SAFE + r"${}]*")
_E6 = 10**6  # Go's shortest format writes whole numbers from here on with an exponent
_CHANGED = re.compile("[\x7f-\x9f\ufffe\uffff]")  # U+0085 and what homeops.yaml.emitter refuses


class _NotSure(Exception):
    """The round trip may do more than this module does: the caller runs it."""


def json_number(value: Any, where: Location | None) -> Any:
    """A number after encoding/json, json.Unmarshal into float64 and go-yaml v3 (kyaml) printing."""
    as_float = float(value)
    if as_float != as_float or as_float in (float("inf"), float("-inf")):
        raise BuildError("YAMLToJSON: json: unsupported value in the substituted resource", location=where)
    return resolve_plain(go_format_float(as_float))


def json_value(raw: Any, where: Location | None) -> Any:
    """A go-yaml v2 scalar value as it comes out of JSON (numbers through float64)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return json_number(raw, where)
    return raw


def _plain_raw(text: str) -> Any:
    """An untagged plain scalar as go-yaml v2 reads it."""
    if text and text[0] not in V2_HINTS:
        return text
    return v2_scalar(None, True, text)


def _changed(text: str) -> bool:
    """Whether the round trip can make another string of ``text``: a ``$`` for envsubst, U+0085 (a line
    break to go-yaml, folded) or a control character the printer refuses; any other string comes back as
    it was, whatever style prints it."""
    return "$" in text or (not (text.isascii() and text.isprintable()) and _CHANGED.search(text) is not None)


def round_trip_changes(obj: Any) -> bool:
    """Whether the round trip can give ``obj`` other values: a key or string is ``_changed``, or a number
    is a float or an integer of a million or more in magnitude (through float64 and Go's shortest format,
    ``3.0`` becomes ``3`` and ``1000000`` becomes ``1e+06``, read back as a float). Otherwise only the order
    of its keys changes, which nothing reads (output is printed in go-yaml v2's order anyway)."""
    stack: list[Any] = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if _changed("".join(node)):  # any key (each test looks at one character at a time)
                return True
            values: Any = node.values()
        else:
            values = node
        for value in values:
            if isinstance(value, str):
                if _changed(value):
                    return True
            elif isinstance(value, (dict, list)):
                stack.append(value)
            elif isinstance(value, float) or (
                isinstance(value, int) and not isinstance(value, bool) and not -_E6 < value < _E6
            ):
                return True
    return False


@lru_cache(maxsize=4096)
def _key(text: str) -> str | None:
    """What the round trip makes of mapping key ``text`` (keys repeat across resources: memoised), or None
    when only the round trip can tell (a ``$``, a key libyaml lays out as a complex key, a style other
    than plain or quoted)."""
    from homeops.yaml.emitter import string_style

    if "$" in text or (len(text) > 40 and len(text.encode("utf-8")) > _MAX_SIMPLE_KEY):
        return None
    try:
        style = string_style(text)
    except HomeopsError:
        return None
    if style == "plain":
        return key_text(_plain_raw(text))
    if style not in ("single", "double"):
        return None
    return text


def substitute_tree(obj: YMap, variables: Mapping[str, str], *, strict: bool) -> YMap | None:
    """What printing ``obj``, substituting and reading it back gives (positions not yet copied), or None
    when only the round trip itself can tell (see the module docstring)."""
    from homeops.flux.envsubst import substitute
    from homeops.yaml.emitter import reads_as_plain, string_style

    budget = [MAX_NODES]
    values: dict[str, str] = {}  # each expression's replacement

    def replace(text: str) -> str:
        found = _EXPRESSION.findall(text)
        if len(found) != text.count("${") or "$$" in text:  # an expression it cannot take, or an escape
            raise _NotSure
        for expression in found:
            if expression not in values:
                simple = _REFERENCE.fullmatch(expression)
                if simple is not None:  # ${NAME}: its value, or "" when unset (strict mode: reported)
                    value = variables.get(simple.group(1))
                    if value is None and strict:
                        raise _NotSure
                    value = value or ""
                else:
                    result = substitute(expression, variables, strict=strict)
                    if result.unresolved:
                        raise _NotSure
                    value = result.text
                if not _SAFE_VALUE.fullmatch(value):
                    raise _NotSure
                values[expression] = value
        return _EXPRESSION.sub(lambda m: values[m.group(0)], text)

    def string(text: str) -> Any:
        style = string_style(text)
        if "$" not in text:
            if style == "plain":
                return json_value(_plain_raw(text), None)
            if style == "other":
                raise _NotSure
            return text
        new = replace(text)
        if style == "plain":
            if not reads_as_plain(new):  # the new text must still read as one plain scalar
                raise _NotSure
            return json_value(_plain_raw(new), None)
        if style == "literal":
            if any(not values[e] for e in _EXPRESSION.findall(text)):
                raise _NotSure
            return new
        if style == "other":
            raise _NotSure
        return new

    def key(text: str) -> str:
        found = _key(text)
        if found is None:
            raise _NotSure
        return found

    def value(node: Any, depth: int) -> Any:
        """The round trip's result for ``node``: ``node`` itself when the round trip keeps its values
        (see ``round_trip_changes``: only the order of its keys would change), else a new value. A string
        the round trip keeps is passed over inline, without a call (most of a resource's leaves)."""
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise _NotSure
        if isinstance(node, str):
            return string(node) if _changed(node) else node
        if isinstance(node, (dict, list)) and node and depth >= MAX_DEPTH:
            raise _NotSure  # as its items would
        if isinstance(node, dict):
            changed: dict[str, Any] | None = None  # the new values, by key
            for k, v in node.items():
                if v.__class__ is str and not _changed(v):
                    budget[0] -= 1
                    continue
                new = value(v, depth + 1)
                if new is not v:
                    if changed is None:
                        changed = {}
                    changed[k] = new
            if budget[0] < 0:
                raise _NotSure
            if changed is None and not _changed("".join(node)):
                return node
            items = dict(node)
            if changed is not None:
                items.update(changed)
            keyed = {key(k): v for k, v in items.items()}
            if len(keyed) != len(node):
                raise _NotSure  # two keys read back the same
            return YMap((k, keyed[k]) for k in sort_keys(keyed))
        if isinstance(node, list):
            seq: list[Any] | None = None
            for i, v in enumerate(node):
                if v.__class__ is str and not _changed(v):
                    budget[0] -= 1
                    continue
                new = value(v, depth + 1)
                if new is not v:
                    if seq is None:
                        seq = list(node)
                    seq[i] = new
            if budget[0] < 0:
                raise _NotSure
            return node if seq is None else YSeq(seq)
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, int):
            return node if -_E6 < node < _E6 else json_value(_plain_raw(str(node)), None)
        if isinstance(node, float):
            return json_value(_plain_raw(number_text(node)), None)
        raise _NotSure

    try:
        new = value(obj, 0)
    except (_NotSure, HomeopsError, RecursionError):  # nested deeper than Python's stack: the round trip
        return None
    return new if isinstance(new, YMap) else None
