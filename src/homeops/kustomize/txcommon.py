"""Helpers shared by the built-in transformer steps: applying field specs with kustomize's error wording,
reading typed kustomization values, and the GVK of a resource as kustomize's ids see it."""

from __future__ import annotations

from typing import Any

from homeops.errors import BuildError, Location
from homeops.kustomize.context import KContext
from homeops.kustomize.fieldpath import CreateKind, FieldPathError, SetFn, apply_fieldspec
from homeops.kustomize.kyamlpath import go_text, node_kind
from homeops.kustomize.resource import ResId, Resource
from homeops.kustomize.tconfig import FieldSpec, is_selected


class NodeKindError(ValueError):
    """A setter found a value of the wrong kind (kyaml's "wrong node kind" error)."""

    def __init__(self, expected: str, got: Any) -> None:
        super().__init__(f"wrong node kind: expected {expected} but got {node_kind(got)}")


def apply_spec(
    res: Resource, fs: FieldSpec, set_value: SetFn, create_kind: CreateKind, where: Location | None
) -> None:
    """Apply one field spec to a resource, turning shape errors into kustomize-worded BuildErrors."""
    try:
        apply_fieldspec(res.obj, fs, set_value, create_kind)
    except (FieldPathError, NodeKindError) as exc:
        raise BuildError(
            f"considering field '{fs.path}' of object {res.cur_id()}: {exc}", location=where
        ) from None


def orig_selected(res: Resource, fs: FieldSpec) -> bool:
    """Whether the resource's original id is selected by the field spec's GVK."""
    rid = res.orig_id()
    return is_selected(rid.group, rid.version, rid.kind, fs)


def record_rename(res: Resource, before: ResId) -> None:
    """Remember ``before`` as a previous id if the resource's id changed since."""
    if res.cur_id() != before:
        res.prev_ids.append(before)


def expect_str(value: Any, what: str, where: Location) -> str:
    """A kustomization string field; other scalars are refused as kustomize's JSON decoding refuses them."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BuildError(f"invalid Kustomization: {what} must be a string, not {value!r}", location=where)
    return value


def expect_str_map(value: Any, what: str, ctx: KContext) -> dict[str, str]:
    """A kustomization ``map[string]string`` field (labels, annotations)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BuildError(f"invalid Kustomization: {what} must be a mapping", location=ctx.where(value))
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(v, str):
            raise BuildError(
                f"invalid Kustomization: {what}.{k} must be a string, not {_shown(v)} (quote it)",
                location=ctx.where(value, k),
            )
        out[str(k)] = v
    return out


def _shown(value: Any) -> str:
    return node_kind(value) if isinstance(value, (dict, list)) else go_text(value) or "null"


def expect_list(value: Any, what: str, ctx: KContext) -> list[Any]:
    """A kustomization list field (``None`` counts as empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BuildError(f"invalid Kustomization: {what} must be a list", location=ctx.where(value))
    return value


def expect_entry(item: Any, what: str, value: Any, index: int, ctx: KContext) -> dict[str, Any]:
    """One mapping entry of a kustomization list field."""
    if not isinstance(item, dict):
        raise BuildError(
            f"invalid Kustomization: each {what} entry must be a mapping", location=ctx.where(value, index)
        )
    return item
