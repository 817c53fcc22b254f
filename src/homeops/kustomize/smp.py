"""Strategic merge patch, as kustomize v5.7.1 applies it (kyaml's merge2 walker).

The walk follows kyaml step by step, including its quirks, because kustomize's output depends on them:

* maps merge recursively; a ``null`` in the patch deletes the key; a ``null`` already in the target stays
  when the patch does not mention the key;
* a list merges element by element only when the built-in schema gives it a ``merge`` patch strategy
  (see ``openapi.py``); every other list (and every list of a CRD or unknown kind) is replaced whole;
* merged lists put the patch's elements first (kustomize merges with "prepend"), then the target's others;
* ``$patch: delete|replace|merge`` work on maps and lists; on a list element ``replace`` has no effect and
  ``delete`` removes it; ``$setElementOrder/...``, ``$retainKeys`` and ``$deleteFromPrimitiveList/...`` are
  not directives for kyaml and stay in the output as ordinary fields.

The target is modified in place; the patch is copied first, never modified.
"""

from __future__ import annotations

from typing import Any, Final

import yaml
from homeops.errors import BuildError
from homeops.kustomize.kyamlpath import go_text, node_kind
from homeops.kustomize.openapi import Schema, schema_for
from homeops.yaml.nodes import YMap, YSeq, deep_copy, to_plain


class _Missing:
    """Marker for "no node here" (as opposed to a YAML null, which is ``None``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
_DIRECTIVE = "$patch"
_DIRECTIVES = ("delete", "replace", "merge")


class SmpError(BuildError):
    """A strategic merge patch cannot be applied."""


def strategic_merge(target: YMap, patch: YMap, gvk: tuple[str, str] | None = None) -> YMap | None:
    """Merge ``patch`` into ``target`` (modified in place) and return it; None when the patch deletes it.

    ``gvk`` (apiVersion, kind) selects the schema; by default it is read from the target, then the patch.
    """
    schema = schema_for(*gvk) if gvk else None
    result = _walk(target, deep_copy(patch), schema)
    if isinstance(result, YMap):
        return result
    if isinstance(result, dict):
        return YMap(result.items())
    return None


# -- node helpers ---------------------------------------------------------------------------------------


def _null(v: Any) -> bool:
    return v is MISSING or v is None


def _text(v: Any) -> str:
    """The text of a scalar node as kyaml compares it ("" for maps, lists and missing nodes)."""
    return "" if v is MISSING else go_text(v)


def _from_text(text: str) -> Any:
    """A tagless scalar set by kyaml, as it reads back."""
    try:
        return int(text, 10)
    except ValueError:
        return {"true": True, "false": False}.get(text, text)


def _nil_or_empty(v: Any) -> bool:
    return _null(v) or (isinstance(v, (dict, list)) and not v)


def _get_schema(dest: Any, origin: Any, schema: Schema | None) -> Schema | None:
    if schema is not None:
        return schema
    for src in (dest, origin):
        if isinstance(src, dict):
            api_version, kind = src.get("apiVersion"), src.get("kind")
            if isinstance(api_version, str) and isinstance(kind, str) and api_version and kind:
                found = schema_for(api_version, kind)
                if found is not None:
                    return found
    return None


def _check_kinds(kind: str, *sources: Any) -> None:
    for src in sources:
        if not _null(src) and node_kind(src) != kind:
            raise SmpError(
                f"wrong node kind: expected {kind} but got {node_kind(src)}: node contents:\n{_dump(src)}"
            )


def _dump(v: Any) -> str:
    return yaml.safe_dump(to_plain(v), default_flow_style=False, sort_keys=False)


# -- the walker -----------------------------------------------------------------------------------------


def _walk(dest: Any, origin: Any, schema: Schema | None) -> Any:
    """Merge ``origin`` into ``dest``; returns the new value, MISSING to clear it."""
    schema = _get_schema(dest, origin, schema)
    first = dest if not _null(dest) else origin
    if _null(first):
        return _walk_map(dest, origin, schema)
    kind = node_kind(first)
    _check_kinds(kind, dest, origin)
    if kind == "MappingNode":
        return _walk_map(dest, origin, schema)
    if kind == "SequenceNode":
        if schema is not None and schema.is_associative():
            return _walk_assoc(dest, origin, schema)
        return origin if origin is not MISSING else dest
    return origin if origin is not MISSING else dest


def _directive(patch: Any, strict: bool) -> str:
    """kyaml's determineSmpDirective: read and remove a ``$patch`` directive from a map or list patch."""
    if patch is MISSING:
        return "merge"
    if isinstance(patch, dict):
        if _DIRECTIVE not in patch:
            return "merge"
        value = _text(patch[_DIRECTIVE])
        if value in _DIRECTIVES:
            del patch[_DIRECTIVE]
            return value
        if strict:
            raise SmpError(f"unknown patch strategy '{value}'")
        return "unknown"
    if isinstance(patch, list):
        node = next((e for e in patch if isinstance(e, dict) and _DIRECTIVE in e), None)
        if node is None or len(node) > 1:
            return "merge"
        value = _text(node[_DIRECTIVE])
        if value in _DIRECTIVES:
            _element_setter(patch, MISSING, [_DIRECTIVE], [value])
            return value
        if strict:
            raise SmpError(f"unknown patch strategy '{value}'")
        return "unknown"
    if strict:
        raise SmpError(f"no implemented strategic merge patch strategy for ('{_text(patch)}')")
    return "unknown"


def _patched(dest: Any, origin: Any) -> Any:
    """What a patch node's ``$patch`` directive leaves of ``dest``: MISSING (delete), ``origin`` (replace)."""
    ps = _directive(origin, strict=True)
    if ps == "delete":
        return MISSING
    return origin if ps == "replace" else dest


def _walk_map(dest: Any, origin: Any, schema: Schema | None) -> Any:
    # VisitMap
    if _null(dest):
        if _directive(origin, strict=False) == "delete":
            return MISSING
        if origin is MISSING and dest is None:
            return None  # an explicit null in the target is preserved
        new = origin
    elif origin is None:
        return MISSING
    else:
        new = _patched(dest, origin)
    if not isinstance(new, dict):
        return new
    names = set(new)
    if isinstance(origin, dict):
        names.update(origin)
    for key in sorted(names):
        child_schema = schema.field(key) if schema is not None else None
        child_origin = origin.get(key, MISSING) if isinstance(origin, dict) else MISSING
        val = _walk(new.get(key, MISSING), child_origin, child_schema)
        kept_null = val is None and key in new and child_origin is MISSING and not _written_empty(new, key)
        if _null(val) and not kept_null:
            new.pop(key, None)
        else:
            if key not in new and isinstance(new, YMap) and isinstance(origin, YMap) and key in origin.kpos:
                new.kpos[key] = origin.kpos[key]
            new[key] = val
    return new


def _written_empty(m: dict[str, Any], key: str) -> bool:
    """``key:`` written with no value: kyaml's walk clears it, where an explicit ``null`` or ``~`` stays."""
    return isinstance(m, YMap) and bool(m.empty) and key in (m.empty or ())


def _walk_assoc(dest: Any, origin: Any, schema: Schema) -> Any:
    # VisitList (associative)
    if _null(dest):
        new = origin
    elif origin is None:
        return MISSING
    else:
        new = _patched(dest, origin)
    if not isinstance(new, list):
        return MISSING if new is MISSING else new
    sources = [new, origin]
    keys = schema.keys
    values = _element_values(sources, keys)
    if values or keys:
        return _set_elements(values, keys, new, sources, schema)
    return _set_elements(_primitive_values(sources), [""], new, sources, schema)


def _element_values(sources: list[Any], keys: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    for src in (sources[1], sources[0]):  # prepend: the patch's elements come first
        if not isinstance(src, list):
            continue
        for elem in src:
            vals = [_key_text(elem, k) for k in keys]
            if vals and vals not in out:
                out.append(vals)
    return out


def _key_text(elem: Any, key: str) -> str:
    if not isinstance(elem, dict) or key not in elem or _nil_or_empty(elem[key]):
        return ""
    return _text(elem[key])


def _primitive_values(sources: list[Any]) -> list[list[str]]:
    out: list[list[str]] = []
    seen: set[str] = set()
    for src in (sources[1], sources[0]):
        if not isinstance(src, list):
            continue
        for item in src:
            t = _text(item)
            if t not in seen:
                seen.add(t)
                out.append([t])
    return out


def _validate_keys(
    values_list: list[list[str]], values: list[str], keys: list[str]
) -> tuple[list[str], list[str]]:
    valid = {keys[i] for vals in values_list for i, v in enumerate(vals) if v != "" and i < len(keys)}
    if not valid:
        return keys, values
    vk = [k for k in keys if k in valid]
    vv = [v for i, v in enumerate(values) if v != "" or (i < len(keys) and keys[i] in valid)]
    return vk, vv


def _match(v1: list[str], v2: list[str]) -> tuple[bool, list[str]]:
    if len(v1) != len(v2):
        return False, []
    common = False
    res: list[str] = []
    for a, b in zip(v1, v2, strict=True):
        if a == b:
            common = True
            res.append(a)
            continue
        if a != "" and b != "":
            return False, []
        res.append(a if a != "" else b)
    return common, res


def _merge_values(values_list: list[list[str]]) -> list[list[str]]:
    vl = [list(v) for v in values_list]
    for i in range(len(vl)):
        v1 = vl[i]
        for j in range(len(vl)):
            matched, res = _match(v1, vl[j])
            if matched:
                vl[i] = res
                vl[j] = res
    return vl


def _element_list(src: Any, keys: list[str], values: list[str]) -> Any:
    """kyaml's ElementMatcher: the first element whose ``keys`` fields hold ``values``."""
    if not isinstance(src, list):
        return MISSING
    keys = keys or [""]
    values = values or [""]
    if keys[0] == "":
        return next((item for item in src if _text(item) == values[0]), MISSING)
    if len(keys) != len(values):
        return MISSING
    for elem in src:
        if isinstance(elem, dict) and all(
            k in elem and _text(elem[k]) == v for k, v in zip(keys, values, strict=True)
        ):
            return elem
    return MISSING


def _field_matches(elem: Any, name: str, value: str) -> bool:
    """kyaml's FieldMatcher{Name, StringValue}: an empty value matches any value of a present field."""
    if elem is None:
        return False
    if name == "":
        if isinstance(elem, (dict, list)):
            raise SmpError(f"wrong node kind: expected ScalarNode but got {node_kind(elem)}")
        return _text(elem) == value
    if not isinstance(elem, dict):
        raise SmpError(f"wrong node kind: expected MappingNode but got {node_kind(elem)}")
    return name in elem and (value == "" or _text(elem[name]) == value)


def _element_setter(seq: list[Any], element: Any, keys: list[str], values: list[str]) -> None:
    """kyaml's ElementSetter: replace (or append) the element matching keys/values; MISSING deletes it.

    Like kyaml it also drops empty and null elements, and keeps no unmatched element when no values are
    given.
    """
    keys = keys or [""]
    mapping_setter = keys[0] != "" and bool(values) and values[0] != ""
    new: list[Any] = []
    found_any = False
    for elem in seq:
        if _null(elem) or (isinstance(elem, dict) and not elem):
            continue
        if not isinstance(elem, dict) and mapping_setter:
            new.append(elem)
            continue
        matched = False
        found = True
        for j, key in enumerate(keys):
            if j < len(values):
                matched = _field_matches(elem, key, values[j])
            if not matched:
                found = False
                break
        if not found:
            if values:
                new.append(elem)
            continue
        found_any = True
        if element is MISSING:
            continue
        new.append(element)
    seq[:] = new
    if _null(element):
        return
    if not found_any:
        seq.append(element)


def _set_elements(
    values_list: list[list[str]], keys: list[str], dest: list[Any], sources: list[Any], schema: Schema
) -> Any:
    items: list[Any] = YSeq()
    elem_schema = schema.elements()
    if len(keys) > 1:
        values_list = _merge_values(values_list)
    valid_keys: list[str] = []
    valid_values: list[str] = []
    for values in values_list:
        if not values:
            continue
        valid_keys, valid_values = _validate_keys(values_list, values, keys)
        ek, ev = _validate_keys([valid_values], valid_values, valid_keys)
        found = [_element_list(s, ek, ev) if s is not MISSING else MISSING for s in (dest, sources[1])]
        val = _walk(found[0], found[1], elem_schema)
        removed = False
        for i, key in enumerate(valid_keys):
            if _null(val) or (isinstance(val, dict) and not val):
                _element_setter(dest, MISSING, valid_keys, valid_values)
                removed = True
            elif isinstance(val, dict) and key not in val and i < len(valid_values) and valid_values[i]:
                val[key] = _from_text(valid_values[i])
        if removed:
            continue
        _element_setter(items, val, valid_keys, valid_values)
    if values_list:
        _append_list_node(items, dest, valid_keys)
        return items
    return dest


def _append_list_node(dst: list[Any], src: list[Any], keys: list[str]) -> None:
    """Add the target's elements after the patch's (kustomize's "prepend" direction)."""
    for elem in list(src):
        if not keys or keys[0] == "":
            _element_setter(dst, elem, [""], [_text(elem)])
            continue
        v: list[str] = []
        for key in keys:
            if elem is not None and not isinstance(elem, dict):
                raise SmpError(f"wrong node kind: expected MappingNode but got {node_kind(elem)}")
            if elem is None or key not in elem:
                dst.append(elem)
                continue
            v.append(_text(elem[key]))
        if len(keys) > 1:
            _element_setter(dst, MISSING, keys, v)
        _element_setter(dst, elem, keys, v)
