"""Walking a field spec's path through an object, as kustomize's field-spec filter does.

A path is ``/``-separated (``\\/`` escapes a slash inside a key). Sequences met on the way are traversed
implicitly: every element gets the rest of the path. A ``[]`` suffix on a segment only hints that the
field is a list (a null value there becomes an empty list, and such a field is never created). With
``create``, missing maps along the path are created and the last field is created as the caller's kind;
a null field on the way becomes an empty map (or list).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from homeops.kustomize.tconfig import FieldSpec
from homeops.yaml.nodes import YMap, YSeq

SetFn = Callable[[Any], Any]
"""Receives the current value of the field (``None`` when just created or null) and returns the new one."""


class CreateKind(Enum):
    """What a missing last field is created as (kustomize's ``CreateKind``)."""

    NONE = 0  # never create
    SCALAR = 1  # created as null; the setter supplies the value
    MAP = 2  # created as an empty map


class FieldPathError(ValueError):
    """The object's shape does not allow following the path (a scalar where a map or list is needed)."""


def split_path(path: str) -> list[str]:
    """Split a field-spec path on ``/``; a segment ending in a backslash is joined with the next one."""
    out: list[str] = []
    for i, part in enumerate(path.split("/")):
        if i > 0 and out[-1].endswith("\\"):
            out[-1] = out[-1][:-1] + "/" + part
        else:
            out.append(part)
    return out


def _looks_like_core_version(s: str) -> bool:
    return len(s) >= 2 and s[0] == "v" and s[1] in "12"


def parse_gv(api_version: str) -> tuple[str, str]:
    """Group and version of an ``apiVersion`` as the field-spec filter reads them.

    ``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``); a bare word that does not look like a
    core version (``foo``) is taken as a group with no version.
    """
    group, sep, version = api_version.partition("/")
    if not sep and _looks_like_core_version(group):
        return "", group
    return group, version


def fieldspec_matches(fs: FieldSpec, obj: YMap) -> bool:
    """Whether ``fs`` applies to ``obj``: each non-empty group/version/kind of the spec must match."""
    kind = obj.get("kind")
    api_version = obj.get("apiVersion")
    kind_s = kind if isinstance(kind, str) else ""
    group, version = parse_gv(api_version if isinstance(api_version, str) else "")
    if fs.kind and fs.kind != kind_s:
        return False
    if fs.group and fs.group != group:
        return False
    return not (fs.version and fs.version != version)


def apply_fieldspec(
    obj: YMap, fs: FieldSpec, set_value: SetFn, create_kind: CreateKind = CreateKind.NONE
) -> None:
    """Apply ``set_value`` at every place ``fs.path`` reaches in ``obj`` (if ``fs`` matches its GVK).

    Raises ``FieldPathError`` when a scalar stands where the path needs a map or a list; errors raised by
    ``set_value`` propagate unchanged.
    """
    if not fieldspec_matches(fs, obj):
        return
    _walk(obj, split_path(fs.path), fs.create, set_value, create_kind)


def _walk(node: Any, path: list[str], create: bool, set_value: SetFn, create_kind: CreateKind) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, path, create, set_value, create_kind)
        return
    if not isinstance(node, dict):
        raise FieldPathError("expected sequence or mapping node")
    segment = path[0]
    is_seq = segment.endswith("[]")
    name = segment[:-2] if is_seq else segment
    last = len(path) == 1
    if name not in node:
        if not create or create_kind is CreateKind.NONE or is_seq:
            return
        node[name] = YMap() if not last or create_kind is CreateKind.MAP else None
    elif node[name] is None:
        # a null field takes the kind the path expects
        if is_seq:
            node[name] = YSeq()
        elif create and create_kind is not CreateKind.NONE and (not last or create_kind is CreateKind.MAP):
            node[name] = YMap()
    if last:
        node[name] = set_value(node[name])
        return
    child = node[name]
    if child is None:
        raise FieldPathError("expected sequence or mapping node")
    _walk(child, path[1:], create, set_value, create_kind)
