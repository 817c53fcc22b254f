"""Flux's post-build steps on each built object: variable uses, ``commonMetadata`` and the ownership labels
``flux build`` adds."""

from __future__ import annotations

import re
from typing import Any

from homeops.errors import Location
from homeops.flux.kinds import FluxKustomization
from homeops.flux.repository import Repository
from homeops.yaml.nodes import Pos, YMap, YSeq, deep_copy

NAME_LABEL = "kustomize.toolkit.fluxcd.io/name"
NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace"


_VAR_USE = re.compile(r"(?<!\$)\$\{([_A-Za-z][_A-Za-z0-9]*)(?:(:?[=\-])([^}]*))?")


def variable_uses(obj: Any) -> list[tuple[str, Pos | None, str | None]]:
    """Every ``${NAME...}`` in the keys and string values of ``obj``: the name, where it is written, and
    its default (``${NAME:=default}`` and the like), ``$${NAME}`` escapes excluded."""
    found: list[tuple[str, Pos | None, str | None]] = []
    stack: list[tuple[Any, Pos | None]] = [(obj, getattr(obj, "pos", None))]
    while stack:
        node, pos = stack.pop()
        # only containers and strings holding "${" are stacked: the other values record nothing, and the
        # uses keep their order
        if isinstance(node, YMap):
            kpos_of, map_pos = node.kpos.get, node.pos
            for key, value in node.items():
                if "${" in key:
                    _record_uses(key, kpos_of(key, map_pos), found)
                if isinstance(value, (YMap, YSeq)) or (isinstance(value, str) and "${" in value):
                    stack.append((value, kpos_of(key, map_pos)))
        elif isinstance(node, YSeq):
            for i, value in enumerate(node):
                if isinstance(value, (YMap, YSeq)) or (isinstance(value, str) and "${" in value):
                    stack.append((value, node.item_pos(i)))
        elif isinstance(node, str):
            _record_uses(node, pos, found)
    return found


def _record_uses(text: str, pos: Pos | None, found: list[tuple[str, Pos | None, str | None]]) -> None:
    for match in _VAR_USE.finditer(text):
        default = match.group(3) if match.group(2) else None
        found.append((match.group(1), pos, default))


def pos_location(pos: Any, repo: Repository) -> Location | None:
    if pos is None:
        return None
    return Location(repo.rel_file(pos.file), pos.line, pos.column)


def _metadata(obj: YMap) -> YMap:
    md = obj.get("metadata")
    if not isinstance(md, YMap):
        md = YMap()
        obj["metadata"] = md
    return md


def apply_common_metadata(obj: YMap, common: YMap | None) -> None:
    if not common:
        return
    md = _metadata(obj)
    for field_name in ("labels", "annotations"):
        extra = common.get(field_name)
        if isinstance(extra, dict) and extra:
            current = md.get(field_name)
            if not isinstance(current, YMap):
                current = YMap()
                md[field_name] = current
            for k, v in extra.items():
                current[k] = deep_copy(v) if not isinstance(v, str) else v


def add_owner_labels(obj: YMap, ks: FluxKustomization) -> None:
    md = _metadata(obj)
    labels = md.get("labels")
    if not isinstance(labels, YMap):
        labels = YMap()
        md["labels"] = labels
    labels[NAME_LABEL] = ks.name
    labels[NAMESPACE_LABEL] = ks.namespace
