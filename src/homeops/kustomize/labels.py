"""The ``commonLabels:``, ``labels:`` and ``commonAnnotations:`` steps (kustomize's LabelTransformer and
AnnotationsTransformer).

Every key is set, as a string, at each place the field specs reach; maps along the way are created where a
spec says ``create``. ``labels:`` entries add to ``metadata/labels`` plus their own ``fields``, or to the
template labels (``includeTemplates``), or to everything ``commonLabels`` reaches (``includeSelectors``).
"""

from __future__ import annotations

from typing import Any

from homeops.errors import BuildError, Location
from homeops.kustomize.context import KContext
from homeops.kustomize.fieldpath import CreateKind
from homeops.kustomize.resource import ResMap
from homeops.kustomize.tconfig import ConflictingFieldSpecs, FieldSpec, merge_field_specs, parse_field_spec
from homeops.kustomize.txcommon import (
    NodeKindError,
    apply_spec,
    expect_entry,
    expect_list,
    expect_str_map,
)
from homeops.yaml.nodes import YMap

_METADATA_LABELS = FieldSpec(path="metadata/labels", create=True)


def set_map_entries(resmap: ResMap, pairs: dict[str, str], specs: list[FieldSpec], where: Location) -> None:
    """Set every ``pairs`` entry in the maps that ``specs`` reach in each resource."""
    if not pairs:
        return

    def setter(current: Any) -> Any:
        if current is None:  # a null map that the spec does not create stays null
            return None
        if not isinstance(current, dict):
            raise NodeKindError("MappingNode", current)
        for k in sorted(pairs):
            current[k] = pairs[k]
        return current

    for res in resmap:
        for fs in specs:
            apply_spec(res, fs, setter, CreateKind.MAP, where)


def apply_common_labels(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """``commonLabels:``: labels on metadata, selectors and templates per ``ctx.tconfig.common_labels``."""
    pairs = expect_str_map(value, "commonLabels", ctx)
    set_map_entries(resmap, pairs, ctx.tconfig.common_labels, ctx.field_location("commonLabels"))


def apply_common_annotations(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """``commonAnnotations:``: annotations per ``ctx.tconfig.common_annotations``."""
    pairs = expect_str_map(value, "commonAnnotations", ctx)
    set_map_entries(resmap, pairs, ctx.tconfig.common_annotations, ctx.field_location("commonAnnotations"))


def label_entry_specs(entry: dict[str, Any], ctx: KContext) -> list[FieldSpec]:
    """The field specs one ``labels:`` entry acts on (its ``fields`` merged with the defaults it asks for)."""
    where = ctx.where(entry)
    raw_fields = entry.get("fields")
    if raw_fields is not None and not isinstance(raw_fields, list):
        raise BuildError("invalid Kustomization: labels[].fields must be a list", location=where)
    own = [parse_field_spec(item, where) for item in raw_fields or []]
    include_selectors = _flag(entry, "includeSelectors", ctx)
    include_templates = _flag(entry, "includeTemplates", ctx)
    try:
        if include_selectors:
            return merge_field_specs(own, ctx.tconfig.common_labels)
        if include_templates:
            return merge_field_specs(own, ctx.tconfig.template_labels)
        return merge_field_specs(own, [_METADATA_LABELS])
    except ConflictingFieldSpecs as exc:
        raise BuildError(str(exc), location=where) from None


def _flag(entry: dict[str, Any], key: str, ctx: KContext) -> bool:
    v = entry.get(key)
    if v is None:
        return False
    if not isinstance(v, bool):
        raise BuildError(
            f"invalid Kustomization: labels[].{key} must be true or false", location=ctx.where(entry, key)
        )
    return v


def apply_labels(resmap: ResMap, value: Any, ctx: KContext) -> None:
    """``labels:``: each entry's ``pairs`` at the places its options select, entries in order."""
    items = expect_list(value, "labels", ctx)
    for i, item in enumerate(items):
        entry = expect_entry(item, "labels", value, i, ctx)
        pairs_raw = entry.get("pairs")
        pairs = expect_str_map(pairs_raw if pairs_raw is not None else YMap(), "labels[].pairs", ctx)
        specs = label_entry_specs(entry, ctx)
        set_map_entries(resmap, pairs, specs, ctx.where(value, i))
