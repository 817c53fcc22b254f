"""Flux post-build substitution applied to resources, the way kustomize-controller does it.

For each resource, kustomize-controller (``fluxcd/pkg/kustomize`` ``SubstituteVariables``):

1. skips it when its label or annotation ``kustomize.toolkit.fluxcd.io/substitute`` is ``disabled``;
2. does nothing at all when there are no variables (no ``substitute`` and nothing from ``substituteFrom``),
   even in strict mode;
3. rejects variable names that do not match ``^[_[:alpha:]][_[:alpha:][:digit:]]*$``;
4. prints the resource as ``kustomize build`` does (JSON, then YAML through go-yaml v2), runs envsubst on
   that text, reads the result back with go-yaml v2 (YAML 1.1: ``yes``/``on``/``y`` are booleans), converts
   it to JSON and decodes that into the resource (every number passes through a float64).

So a substituted ``${REPLICAS}`` becomes the number 3, ``${ENABLED}`` set to ``on`` becomes ``true``, and a
value containing ``: `` or a newline can change the document's structure, all exactly as in the cluster.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from homeops.errors import BuildError, Location
from homeops.flux.envsubst import SubstitutionError, substitute
from homeops.yaml.emitter import dump_document, go_format_float, sort_keys
from homeops.yaml.loader import resolve_plain
from homeops.yaml.nodes import Pos, YMap, YSeq
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "SUBSTITUTE_KEY",
    "ObjectUnresolved",
    "is_substitution_disabled",
    "merge_variables",
    "substitute_object",
    "validate_variable_names",
    "variables_from_resource",
]

SUBSTITUTE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
_VAR_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")  # Go RE2 POSIX classes are ASCII-only
_VAR_NAME_TEXT = "^[_[:alpha:]][_[:alpha:][:digit:]]*$"
_V2_TRUE = frozenset({"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})
_V2_FALSE = frozenset({"n", "N", "no", "No", "NO", "off", "Off", "OFF"})
_PLAIN_TAG = "!homeops-plain"
_MAX_NODES = 1_000_000


@dataclass(frozen=True, slots=True)
class ObjectUnresolved:
    """An unresolved use in a resource: ``line``/``column`` in the printed resource, ``pos`` in the source."""

    name: str
    line: int
    column: int
    pos: Pos | None


def merge_variables(sources: Sequence[Mapping[str, str]], inline: Mapping[str, str] | None) -> dict[str, str]:
    """Merge ``substituteFrom`` sources (in order, a later source wins) and the inline ``substitute`` map
    (which wins over all). Newlines are removed from every value, as Flux does."""
    merged: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            merged[key] = value.replace("\n", "")
    for key, value in (inline or {}).items():
        merged[key] = value.replace("\n", "")
    return merged


def variables_from_resource(obj: YMap) -> dict[str, str]:
    """The variables a ConfigMap or Secret offers to ``substituteFrom``: ConfigMap ``data``; Secret ``data``
    base64-decoded, with ``stringData`` applied on top as the API server would. Values are not merged yet."""
    out: dict[str, str] = {}
    data = obj.get("data")
    is_secret = obj.get("kind") == "Secret"
    if isinstance(data, dict):
        for key, value in data.items():
            text = "" if value is None else str(value)
            if is_secret:
                try:
                    text = base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True).decode(
                        "utf-8", "replace"
                    )
                except (binascii.Error, ValueError):
                    raise BuildError(
                        f"Secret data key {key!r} is not valid base64",
                        location=_location(data.key_pos(key) if isinstance(data, YMap) else None),
                    ) from None
            out[str(key)] = text
    string_data = obj.get("stringData")
    if is_secret and isinstance(string_data, dict):
        for key, value in string_data.items():
            out[str(key)] = "" if value is None else str(value)
    return out


def validate_variable_names(variables: Mapping[str, str], where: Location | None = None) -> None:
    """Raise BuildError for a variable name Flux rejects (it fails the whole Kustomization)."""
    for name in variables:
        if not _VAR_NAME.match(name):
            raise BuildError(f"'{name}' var name is invalid, must match '{_VAR_NAME_TEXT}'", location=where)


def is_substitution_disabled(obj: Any) -> bool:
    """Whether the resource opts out with ``kustomize.toolkit.fluxcd.io/substitute: disabled`` (label or
    annotation)."""
    if not isinstance(obj, dict):
        return False
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return False
    for field in ("labels", "annotations"):
        values = meta.get(field)
        if isinstance(values, dict) and values.get(SUBSTITUTE_KEY) == "disabled":
            return True
    return False


def substitute_object(
    obj: YMap, variables: Mapping[str, str], *, strict: bool, always: bool = False
) -> tuple[YMap, list[ObjectUnresolved]]:
    """Apply Flux's post-build substitution to one resource; returns the new resource and the unresolved uses
    (strict mode only). With no variables nothing happens unless ``always`` (``substituteStrategy:
    Always``). The input is not modified. Raises BuildError (with the resource's location) for an
    invalid variable name, a ``${...}`` Flux cannot parse, or a result that is no longer a valid resource."""
    if is_substitution_disabled(obj) or (not variables and not always):
        return obj, []
    where = _location(obj.pos)
    validate_variable_names(variables, where)
    text = dump_document(obj)
    if "$" not in text:  # envsubst would return the text unchanged
        return obj, []
    try:
        result = substitute(text, variables, strict=strict, file=where.file if where else "")
    except SubstitutionError as exc:
        raise SubstitutionError(
            f"{exc.message} (in the ${{...}} expression at {_scalar_pos_with(obj, '${') or 'unknown place'})",
            location=where,
            hint=exc.hint,
        ) from None
    new = _load_v2(result.text, where)
    _copy_positions(obj, new)
    unresolved = [
        ObjectUnresolved(u.name, u.line, u.column, _scalar_pos_with(obj, "${" + u.name))
        for u in result.unresolved
    ]
    return new, unresolved


# ---------------------------------------------------------------------------------------------------------


def _location(pos: Pos | None) -> Location | None:
    return Location(pos.file, pos.line, pos.column) if pos else None


def _scalar_pos_with(obj: Any, needle: str) -> Pos | None:
    """Where the first key or string value of ``obj`` containing ``needle`` was written."""
    stack: list[Any] = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, YMap):
            found: Pos | None = None
            for key, value in node.items():
                if needle in key or (isinstance(value, str) and needle in value):
                    found = node.key_pos(key)
                    break
            if found:
                return found
            stack.extend(reversed([v for v in node.values() if isinstance(v, YMap | YSeq)]))
        elif isinstance(node, YSeq):
            for i, value in enumerate(node):
                if isinstance(value, str) and needle in value:
                    return node.item_pos(i)
            stack.extend(reversed([v for v in node if isinstance(v, YMap | YSeq)]))
    return None


class _V2Loader(yaml.CSafeLoader):
    """Composes nodes and marks plain untagged scalars so they can be typed with go-yaml v2's rules."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN_TAG
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


def _load_v2(text: str, where: Location | None) -> YMap:
    try:
        node = yaml.compose(text, Loader=_V2Loader)
    except yaml.YAMLError as exc:
        raise BuildError(
            f"YAMLToJSON: the substituted resource is not valid YAML: {exc}", location=where
        ) from None
    budget = [_MAX_NODES]
    value = _to_json_value(node, budget, where) if node is not None else None
    if not isinstance(value, YMap):
        raise BuildError("the substituted resource is not a YAML mapping", location=where)
    return value


def load_yaml11(text: str, where: Location | None = None) -> Any:
    """The first document of ``text`` read as go-yaml v2 (YAML 1.1: ``yes``/``on`` are booleans) and then
    through JSON, as sigs.k8s.io/yaml.Unmarshal reads it (helm's chartutil.ReadValues does so)."""
    try:
        first = next(iter(yaml.compose_all(text, Loader=_V2Loader)), None)
    except yaml.YAMLError as exc:
        raise BuildError(f"invalid YAML: {exc}", location=where) from None
    return _to_json_value(first, [_MAX_NODES], where) if first is not None else None


def _v2_scalar(node: ScalarNode) -> Any:
    text = str(node.value)
    tag = node.tag
    if tag in (_PLAIN_TAG, "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        if text in _V2_TRUE:
            return True
        if text in _V2_FALSE:
            return False
        return resolve_plain(text)
    if tag == "tag:yaml.org,2002:null":
        return None
    return text


def _json_number(value: Any, where: Location | None) -> Any:
    """A number after encoding/json, json.Unmarshal into float64 and go-yaml v3 (kyaml) printing."""
    as_float = float(value)
    if as_float != as_float or as_float in (float("inf"), float("-inf")):
        raise BuildError("YAMLToJSON: json: unsupported value in the substituted resource", location=where)
    return resolve_plain(go_format_float(as_float))


def _json_key(node: Node, where: Location | None) -> str:
    if not isinstance(node, ScalarNode):
        raise BuildError("YAMLToJSON: the substituted resource has a non-scalar mapping key", location=where)
    key = _v2_scalar(node)
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return go_format_float(key)
    if key is None:
        return "null"
    return str(key)


def _to_json_value(node: Node, budget: list[int], where: Location | None) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise BuildError("the substituted resource expands to too many YAML nodes", location=where)
    if isinstance(node, ScalarNode):
        value = _v2_scalar(node)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _json_number(value, where)
        return value
    if isinstance(node, SequenceNode):
        return YSeq(_to_json_value(item, budget, where) for item in node.value)
    if isinstance(node, MappingNode):
        items: dict[str, Any] = {}
        for key_node, value_node in node.value:
            items[_json_key(key_node, where)] = _to_json_value(value_node, budget, where)
        return YMap((k, items[k]) for k in sort_keys(items))
    raise BuildError("the substituted resource holds an unsupported YAML node", location=where)


def _copy_positions(old: Any, new: Any) -> None:
    """Carry source positions over to the parts of the new tree that are still where they were."""
    if isinstance(old, YMap) and isinstance(new, YMap):
        new.pos = old.pos
        for key in new:
            if key in old:
                kpos = old.kpos.get(key)
                if kpos is not None:
                    new.kpos[key] = kpos
                _copy_positions(old[key], new[key])
    elif isinstance(old, YSeq) and isinstance(new, YSeq):
        new.pos = old.pos
        new.ipos = list(old.ipos[: len(new)])
        for a, b in zip(old, new, strict=False):
            _copy_positions(a, b)
