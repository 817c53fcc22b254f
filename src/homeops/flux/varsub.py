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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from homeops.errors import BuildError, Location
from homeops.flux.substtree import json_number, round_trip_changes, substitute_tree
from homeops.flux.variables import (
    MAX_NODES,
    SUBSTITUTE_KEY,
    is_substitution_disabled,
    merge_variables,
    validate_variable_names,
    variables_from_resource,
)
from homeops.yaml.goscalars import V2_HINTS, key_text, sort_keys, v2_scalar
from homeops.yaml.loader import MAX_DEPTH
from homeops.yaml.nodes import Pos, YMap, YSeq, deep_copy
from yaml._yaml import CParser
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

__all__ = [
    "SUBSTITUTE_KEY",
    "ObjectUnresolved",
    "is_substitution_disabled",
    "merge_variables",
    "substitute_object",
    "validate_variable_names",
    "variables_from_resource",
]


@dataclass(frozen=True, slots=True)
class ObjectUnresolved:
    """An unresolved use in a resource: ``line``/``column`` in the printed resource, ``pos`` in the source."""

    name: str
    line: int
    column: int
    pos: Pos | None


def substitute_object(
    obj: YMap, variables: Mapping[str, str], *, strict: bool, always: bool = False, uses_found: bool = False
) -> tuple[YMap, list[ObjectUnresolved]]:
    """Apply Flux's post-build substitution to one resource; returns the new resource and the unresolved uses
    (strict mode only). With no variables nothing happens unless ``always`` (``substituteStrategy:
    Always``). The input is not modified. Raises BuildError (with the resource's location) for an
    invalid variable name, a ``${...}`` Flux cannot parse, or a result that is no longer a valid resource.
    ``uses_found``: the caller found a ``${NAME}`` in it (``homeops.flux.postbuild.variable_uses``), so the
    round trip changes it and ``round_trip_changes`` need not look."""
    if is_substitution_disabled(obj) or (not variables and not always):
        return obj, []
    where = _location(obj.pos)
    validate_variable_names(variables, where)
    if not uses_found and not round_trip_changes(obj):  # the round trip would give the same values: skipped
        return obj, []
    replaced = substitute_tree(obj, variables, strict=strict)
    if replaced is not None:  # the round trip's result, computed on the tree
        _copy_positions(obj, replaced)
        return replaced, []
    return round_trip(obj, variables, strict=strict)


def round_trip(
    obj: YMap, variables: Mapping[str, str], *, strict: bool
) -> tuple[YMap, list[ObjectUnresolved]]:
    """Substitution as kustomize-controller runs it: print ``obj``, run envsubst on the text, read it back
    (``substitute_object`` without its shortcuts)."""
    where = _location(obj.pos)
    from homeops.flux.envsubst import SubstitutionError, substitute  # imported when a round trip runs
    from homeops.yaml.emitter import dump_document

    text = dump_document(obj)
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
            stack.extend(reversed([v for v in node.values() if isinstance(v, (YMap, YSeq))]))
        elif isinstance(node, YSeq):
            for i, value in enumerate(node):
                if isinstance(value, str) and needle in value:
                    return node.item_pos(i)
            stack.extend(reversed([v for v in node if isinstance(v, (YMap, YSeq))]))
    return None


def _load_v2(text: str, where: Location | None) -> YMap:
    value = _compose_v2(text, where, "YAMLToJSON: the substituted resource is not valid YAML: ")
    if not isinstance(value, YMap):
        raise BuildError("the substituted resource is not a YAML mapping", location=where)
    return value


def load_yaml11(text: str, where: Location | None = None) -> Any:
    """The first document of ``text`` read as go-yaml v2 (YAML 1.1: ``yes``/``on`` are booleans) and then
    through JSON, as sigs.k8s.io/yaml.Unmarshal reads it (helm's chartutil.ReadValues does so)."""
    return _compose_v2(text, where, "invalid YAML: ")


class _V2Composer:
    """Composes the first document of a text, as go-yaml v2 then JSON read it, from libyaml's events.

    Iterative (an explicit stack), with a node budget (aliases count each time they are expanded) and a depth
    limit, so a substituted value can neither exhaust the stack nor the memory."""

    def __init__(self, where: Location | None) -> None:
        self.where = where
        self.budget = MAX_NODES
        self.anchors: dict[str, Any] = {}
        self.raw: dict[str, Any] = {}  # scalar anchors: their value before the JSON number conversion

    def spend(self, count: int) -> None:
        self.budget -= count
        if self.budget < 0:
            raise BuildError("the substituted resource expands to too many YAML nodes", location=self.where)

    def leaf(self, event: Any) -> tuple[Any, Any]:
        """(JSON value, go-yaml v2 value) of a scalar or alias event."""
        if event.__class__ is ScalarEvent:
            self.spend(1)
            text = event.value
            if (
                event.tag is None
                and event.anchor is None
                and (not event.implicit[0] or (text and text[0] not in V2_HINTS))
            ):
                return text, text  # quoted, or plain text that reads as no other type: most scalars
            raw = v2_scalar(event.tag, event.implicit[0], text)
            value = (
                json_number(raw, self.where)
                if isinstance(raw, (int, float)) and not isinstance(raw, bool)
                else raw
            )
            if event.anchor is not None:
                self.anchor(event.anchor, value)
                self.raw[event.anchor] = raw
            return value, raw
        if isinstance(event, AliasEvent):
            if event.anchor not in self.anchors:
                raise BuildError(f"YAMLToJSON: found undefined alias {event.anchor!r}", location=self.where)
            value = self.anchors[event.anchor]
            if isinstance(value, (dict, list)):
                self.spend(_count_nodes(value))
                return deep_copy(value), None
            self.spend(1)
            return value, self.raw.get(event.anchor, value)
        raise BuildError("the substituted resource holds an unsupported YAML node", location=self.where)

    def anchor(self, name: str, value: Any) -> None:
        if name in self.anchors:
            raise BuildError(f"YAMLToJSON: found duplicate anchor {name!r}", location=self.where)
        self.anchors[name] = value

    def key(self, event: Any) -> str:
        if not isinstance(event, (ScalarEvent, AliasEvent)):
            raise BuildError(
                "YAMLToJSON: the substituted resource has a non-scalar mapping key", location=self.where
            )
        value, raw = self.leaf(event)
        if isinstance(value, (dict, list)):
            raise BuildError(
                "YAMLToJSON: the substituted resource has a non-scalar mapping key", location=self.where
            )
        return key_text(raw)

    def compose(self, get: Any) -> Any:
        """The JSON value of the node whose first event comes next."""
        # Each open container: [kind, items (dict or list), anchor, pending key or None].
        stack: list[list[Any]] = []
        while True:
            event = get()
            cls = event.__class__
            top = stack[-1] if stack else None
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                assert top is not None
                stack.pop()
                items = top[1]
                value: Any = YMap((k, items[k]) for k in sort_keys(items)) if top[0] == "map" else YSeq(items)
                if top[2] is not None:
                    self.anchor(top[2], value)
            elif top is not None and top[0] == "map" and top[3] is None:
                top[3] = self.key(event)
                continue
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise BuildError(
                        f"the substituted resource is nested deeper than {MAX_DEPTH} levels",
                        location=self.where,
                    )
                self.spend(1)
                is_map = cls is MappingStartEvent
                stack.append(["map" if is_map else "seq", {} if is_map else [], event.anchor, None])
                continue
            else:
                value = self.leaf(event)[0]
            if not stack:
                return value
            parent = stack[-1]
            if parent[0] == "map":
                parent[1][parent[3]] = value
                parent[3] = None
            else:
                parent[1].append(value)


def _count_nodes(value: Any) -> int:
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _compose_v2(text: str, where: Location | None, prefix: str) -> Any:
    """The first document of ``text`` (None when there is none), as go-yaml v2 and JSON read it."""
    parser = CParser(text)
    try:
        get = parser.get_event
        get()  # StreamStart
        if isinstance(get(), StreamEndEvent):
            return None
        return _V2Composer(where).compose(get)
    except yaml.YAMLError as exc:
        raise BuildError(f"{prefix}{exc}", location=where) from None
    finally:
        parser.dispose()


def _copy_positions(old: Any, new: Any) -> None:
    """Carry source positions over to the parts of the new tree that are still where they were (a part
    the new tree took over as it was keeps its own)."""
    stack = [(old, new)]
    while stack:
        old, new = stack.pop()
        if old is new:
            continue
        if isinstance(old, YMap) and isinstance(new, YMap):
            new.pos = old.pos
            for key in new:
                if key in old:
                    kpos = old.kpos.get(key)
                    if kpos is not None:
                        new.kpos[key] = kpos
                    stack.append((old[key], new[key]))
        elif isinstance(old, YSeq) and isinstance(new, YSeq):
            new.pos = old.pos
            new.ipos = list(old.ipos[: len(new)])
            stack.extend(zip(old, new, strict=False))
