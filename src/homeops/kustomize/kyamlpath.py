"""kyaml's field-path engine, as kustomize v5.7.1's replacements use it.

A field path is a dotted path (``spec.template.spec.containers.[name=app].image``) split by kyaml's
SmarterPathSplitter. ``lookup`` walks it as kyaml's PathGetter does (reading a replacement source);
``match_paths`` as its PathMatcher does (finding, and with ``create`` creating, replacement targets), where
``[key=value]`` is an *unanchored regular expression* on the value and ``*`` visits every list item.

Decoded documents have lost go-yaml's node text and tags, so ``go_text`` gives the text a scalar node would
hold and ``scalar_with_type`` the value a node of a given type holds once its text changes.
"""

from __future__ import annotations

import re
from typing import Any

from homeops.yaml.nodes import YMap, YSeq
from homeops.yaml.resolver import resolve_plain

__all__ = [
    "Mistyped",
    "PathError",
    "Slot",
    "go_quote",
    "go_text",
    "lookup",
    "match_paths",
    "node_kind",
    "scalar_with_type",
    "split_field_path",
]

_GO_INT = re.compile(r"^[+-]?[0-9]+$")


class PathError(Exception):
    """A field path cannot be walked (wrong node kind, bad index, bad list selector...)."""


class Slot:
    """A place holding one node: ``parent[key]``. ``fresh`` marks a scalar the walk has just created."""

    __slots__ = ("fresh", "key", "parent")

    def __init__(self, parent: Any, key: Any, fresh: bool = False) -> None:
        self.parent = parent
        self.key = key
        self.fresh = fresh

    def get(self) -> Any:
        """The node held."""
        return self.parent[self.key]

    def set(self, value: Any) -> None:
        """Replace the node held."""
        self.parent[self.key] = value


# -- scalars ------------------------------------------------------------------------------------------
def go_text(value: Any) -> str:
    """The text of a scalar as go-yaml holds it (``Node.Value``), as near as a decoded value allows.

    Null is ``""`` (as in ``key:``), booleans are ``true``/``false``, special floats ``.nan``/``.inf``/
    ``-.inf``; a mapping or a sequence has no text (``""``).
    """
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
    return str(value)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(text: str) -> str:
    """Go's ``%q`` of a string (quotes, backslashes and ASCII control characters escaped)."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def node_kind(value: Any) -> str:
    """The YAML node kind of a value, in kyaml's words (``MappingNode``, ``SequenceNode``, ``ScalarNode``)."""
    if isinstance(value, dict):
        return "MappingNode"
    if isinstance(value, list):
        return "SequenceNode"
    return "ScalarNode"


def _yaml_tag(value: Any) -> str:
    if value is None:
        return "!!null"
    if isinstance(value, bool):
        return "!!bool"
    if isinstance(value, int):
        return "!!int"
    if isinstance(value, float):
        return "!!float"
    return "!!str"


class Mistyped(str):
    """Text held by a scalar whose YAML tag it does not fit (e.g. ``abc`` in an ``!!int`` node).

    kustomize only fails when it decodes the resource for output, so a later replacement may still fix
    the value; ``apply_replacements`` raises ``message`` if one is left at the end.
    """

    __slots__ = ("message", "tag")

    def __new__(cls, text: str, tag: str, message: str) -> Mistyped:
        obj = super().__new__(cls, text)
        obj.tag = tag
        obj.message = message
        return obj

    tag: str
    message: str


def scalar_with_type(text: str, current: Any, *, fresh: bool = False) -> Any:
    """The value a scalar node of ``current``'s type holds once its text becomes ``text``.

    kustomize copies only the text into an existing scalar; the node keeps its tag, and decoding then
    fails when the text does not fit it (``cannot decode !!str `x` as a !!int``): such a value comes back
    as ``Mistyped``. A fresh node has no tag, so the text resolves as a plain scalar would.
    """
    if fresh:
        return resolve_plain(text)
    tag = current.tag if isinstance(current, Mistyped) else _yaml_tag(current)
    if tag == "!!str":
        return text
    resolved = resolve_plain(text)
    rtag = _yaml_tag(resolved)
    if tag == "!!float" and rtag in ("!!int", "!!float"):
        return float(resolved)
    if rtag == tag:
        return resolved
    message = f"map[string]interface {{}}(nil): yaml: cannot decode {rtag} `{text}` as a {tag}"
    return Mistyped(text, tag, message)


# -- paths --------------------------------------------------------------------------------------------
def split_field_path(path: str) -> list[str]:
    """kyaml's SmarterPathSplitter on ``.``: ``\\.`` escapes a dot, ``[a=b.c]`` stays one part."""
    raw = path.split(".")
    if len(raw) > 1 and raw[0] == "":
        raw = raw[1:]
    parts: list[str] = [raw[0]]
    for piece in raw[1:]:
        if parts[-1].endswith("\\"):
            parts[-1] = parts[-1][:-1] + "." + piece
        else:
            parts.append(piece)
    result: list[str] = []
    i = 0
    while i < len(parts):
        elem = parts[i]
        if elem.startswith("[") and not elem.endswith("]"):
            bracketed = [elem]
            while i < len(parts) - 1:
                i += 1
                bracketed.append(parts[i])
                if parts[i].endswith("]"):
                    break
            joined = ".".join(bracketed)
            result.append(joined if "=" in joined else joined.strip("[]"))
        else:
            result.append(elem)
        i += 1
    return result


def _split_index(part: str) -> tuple[str, str]:
    inner = part[1:-1]
    if "=" not in inner:
        raise PathError("list path element must contain fieldName=fieldValue for element to match")
    name, _, value = inner.partition("=")
    return name, value


def lookup(node: Any, parts: list[str]) -> tuple[Any] | None:
    """kyaml's PathGetter without create: ``(value,)`` at the path, or None when it is missing."""
    done: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        is_elem = part.startswith("[") and part.endswith("]")
        name, value = _split_index(part) if is_elem else ("", "")
        if node is None:
            return None
        if _GO_INT.match(part) or part == "-" or is_elem:
            if not isinstance(node, list):
                raise PathError(
                    f"wrong Node Kind for {'.'.join(done)} expected: SequenceNode was {node_kind(node)}"
                )
            if part == "-":
                if not node:
                    return None
                node = node[-1]
            elif is_elem:
                node = _first_element(node, name, value)
                if node is None:
                    return None
                node = node[0]
            else:
                idx = int(part)
                if idx < 0:
                    raise PathError(f"array index {idx} cannot be negative")
                if idx >= len(node):
                    return None
                node = node[idx]
            continue
        if not isinstance(node, dict):
            raise PathError(
                f"wrong Node Kind for {'.'.join(done)} expected: MappingNode was {node_kind(node)}"
            )
        if part not in node:
            return None
        done.append(part)
        node = node[part]
    return (node,)


def _first_element(seq: list[Any], name: str, value: str) -> tuple[Any] | None:
    for elem in seq:
        if not name:
            if not isinstance(elem, (dict, list)) and go_text(elem) == value:
                return (elem,)
        elif isinstance(elem, dict) and name in elem and go_text(elem[name]) == value:
            return (elem,)
    return None


def _match_text(node: Any) -> str:
    return "null" if node is None else go_text(node)


def _new_node(next_part: str, create: str) -> Any:
    if (next_part.startswith("[") and next_part.endswith("]")) or (
        _GO_INT.match(next_part) and int(next_part) >= 0
    ):
        return YSeq()
    if next_part == "":
        return YMap() if create == "map" else YSeq() if create == "seq" else None
    return YMap()


def match_paths(root: YMap, parts: list[str], create: str | None) -> list[Slot]:
    """kyaml's PathMatcher: every place matching ``parts`` (``[k=regex]``, ``*``, indexes, fields).

    With ``create`` (``"scalar"``, ``"map"`` or ``"seq"``: the kind of the value to write), missing fields
    and unmatched list entries are created as kustomize creates them.
    """
    holder: list[Any] = [root]
    out: list[Slot] = []
    _walk(Slot(holder, 0), parts, create, out)
    return out


def _elements(slot: Slot) -> list[Any]:
    node = slot.get()
    if node is None:
        return []
    if not isinstance(node, list):
        raise PathError(f"wrong node kind: expected SequenceNode but got {node_kind(node)}")
    return node


def _walk(slot: Slot, parts: list[str], create: str | None, out: list[Slot]) -> None:
    if not parts:
        out.append(slot)
        return
    part, rest = parts[0], parts[1:]
    nxt = rest[0] if rest else ""
    if _GO_INT.match(part) and int(part) >= 0:
        elems = _elements(slot)
        idx = int(part)
        fresh = False
        if len(elems) == idx and create is not None:
            elems = _ensure_seq(slot)
            elems.append(_new_node(nxt, create))
            fresh = not rest and create == "scalar"
        if len(elems) < idx + 1:
            raise PathError(f"index {idx} specified but only {len(elems)} elements found")
        _walk(Slot(elems, idx, fresh), rest, create, out)
    elif part.startswith("[") and part.endswith("]"):
        _walk_seq(slot, part, rest, create, out)
    elif part == "*":
        elems = _elements(slot)
        for i in range(len(elems)):
            _walk(Slot(elems, i), rest, create, out)
    else:
        node = slot.get()
        if node is None and create is not None:
            node = YMap()
            slot.set(node)
        if node is None:
            return
        if not isinstance(node, dict):
            raise PathError(f"wrong Node Kind for {part} expected: MappingNode was {node_kind(node)}")
        if part in node:
            _walk(Slot(node, part), rest, create, out)
        elif create is not None:
            node[part] = _new_node(nxt, create)
            _walk(Slot(node, part, not rest and create == "scalar"), rest, create, out)


def _ensure_seq(slot: Slot) -> list[Any]:
    node = slot.get()
    if node is None:
        node = YSeq()
        slot.set(node)
    return node  # type: ignore[no-any-return]


def _walk_seq(slot: Slot, part: str, rest: list[str], create: str | None, out: list[Slot]) -> None:
    name, pattern = _split_index(part)
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise PathError(f"error parsing regexp: {exc}") from None
    for attempt in range(2):
        elems = _elements(slot)
        before = len(out)
        for i, elem in enumerate(elems):
            if not name:
                if regex.search(_match_text(elem)):
                    out.append(Slot(elems, i, attempt == 1 and create == "scalar" and not rest))
            elif isinstance(elem, dict) and name in elem and regex.search(_match_text(elem[name])):
                _walk(Slot(elems, i), rest, create, out)
        if len(out) > before or create is None or attempt == 1:
            return
        new_value = resolve_plain(pattern)
        _ensure_seq(slot).append(new_value if not name else YMap([(name, new_value)]))
