"""Pairing the objects of two builds and describing each difference: a unified YAML diff of the object
(and of a HelmRelease's computed values), with Secret values compared unmasked but printed masked."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from homeops.diff.images import image_changes, object_images, values_images
from homeops.diff.objects import Item, ObjKey, same, strip_attrs
from homeops.diff.values import HrValues
from homeops.flux.secrets import mask_secrets, mask_strings
from homeops.yaml.emitter import dump_document
from homeops.yaml.nodes import YMap

ADDED, CHANGED, REMOVED = "added", "changed", "removed"


@dataclass(frozen=True, slots=True)
class ImageChange:
    """A container image that differs: where (object and container or values path), old and new."""

    object: str
    where: str
    old: str | None
    new: str | None

    def to_json(self) -> dict[str, str | None]:
        return {"object": self.object, "container": self.where, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """One object that is added, changed or removed, under the Flux Kustomization applying it."""

    key: ObjKey
    change: str
    parent: str
    base: Item | None = field(repr=False, compare=False)
    head: Item | None = field(repr=False, compare=False)
    diff: str = ""
    values_diff: str = ""
    note: str = ""

    @property
    def ref(self) -> str:
        return self.key.ref

    @property
    def kind(self) -> str:
        return self.key.kind

    def to_json(self) -> dict[str, str]:
        return {"object": self.ref, "change": self.change, "parent": self.parent}


def _inline_only(*objs: Any) -> bool:
    """Whether every side is a HelmRelease whose values are only ``spec.values``: the object's own diff
    already shows the change, so the computed values are not shown a second time."""
    present = [o for o in objs if o is not None]
    for obj in present:
        spec = obj.get("spec") if isinstance(obj, dict) else None
        if obj.get("kind") != "HelmRelease" or not isinstance(spec, dict) or spec.get("valuesFrom"):
            return False
    return bool(present)


def unified(a: str, b: str, label_a: str, label_b: str) -> str:
    """A unified diff of two texts ("" when equal), always ending with a newline."""
    lines = list(
        difflib.unified_diff(
            a.splitlines(keepends=True), b.splitlines(keepends=True), fromfile=label_a, tofile=label_b, n=3
        )
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return text


Masker = Callable[[YMap], YMap]


def make_masker(secrets: frozenset[str]) -> Masker:
    """Masks Secret values, and their copies anywhere, for printing."""
    return lambda obj: mask_strings(mask_secrets(obj), secrets)


def compare(
    base: dict[ObjKey, Item],
    head: dict[ObjKey, Item],
    base_values: dict[ObjKey, HrValues],
    head_values: dict[ObjKey, HrValues],
    strip: Sequence[str],
    mask: Masker,
    unchanged: frozenset[ObjKey] = frozenset(),
) -> tuple[list[ResourceChange], list[ImageChange]]:
    """Every difference between the two sides, in head build order then removed objects in base order.

    ``unchanged`` holds keys known to be the same object on both sides (built by Kustomizations whose
    build-cache keys are equal): only their HelmRelease values are compared."""
    changes: list[ResourceChange] = []
    images: list[ImageChange] = []
    keys = list(head) + [k for k in base if k not in head]
    for key in keys:
        b, h = base.get(key), head.get(key)
        bv, hv = base_values.get(key), head_values.get(key)
        values_differ = not same(bv.values if bv else None, hv.values if hv else None)
        if key in unchanged and not values_differ:
            continue
        b_obj = strip_attrs(b.obj, strip) if b else None
        h_obj = strip_attrs(h.obj, strip) if h else None
        if b_obj is not None and h_obj is not None and same(b_obj, h_obj) and not values_differ:
            continue
        change = ADDED if b is None else REMOVED if h is None else CHANGED
        parent = (h or b).parent_ref  # type: ignore[union-attr]
        text_a = dump_document(mask(b_obj)) if b_obj is not None else ""
        text_b = dump_document(mask(h_obj)) if h_obj is not None else ""
        diff = unified(text_a, text_b, f"base/{key.ref}", f"head/{key.ref}")
        note = ""
        if b_obj is not None and h_obj is not None and not diff and not same(b_obj, h_obj):
            note = "changed only in masked Secret values: " + ", ".join(_masked_changes(b_obj, h_obj))
        values_diff = ""
        if values_differ and (bv is not None or hv is not None) and not _inline_only(b_obj, h_obj):
            va = dump_document(bv.masked()) if bv else ""
            vb = dump_document(hv.masked()) if hv else ""
            values_diff = unified(va, vb, f"base/{key.ref} values", f"head/{key.ref} values")
            if not values_diff and change == CHANGED:
                note = (note + "; " if note else "") + "values changed only in masked Secret values"
        changes.append(ResourceChange(key, change, parent, b, h, diff, values_diff, note))
        old_images = object_images(b_obj) if b_obj is not None else {}
        new_images = object_images(h_obj) if h_obj is not None else {}
        if bv is not None:
            old_images.update(values_images(bv.masked()))
        if hv is not None:
            new_images.update(values_images(hv.masked()))
        for where, old, new in image_changes(old_images, new_images):
            images.append(ImageChange(key.ref, where, old, new))
    return changes, images


def _masked_changes(a: YMap, b: YMap) -> list[str]:
    """The ``data``/``stringData`` keys of a Secret whose values differ (names only), else ``<values>``."""
    out: list[str] = []
    for field_name in ("data", "stringData"):
        da, db = a.get(field_name), b.get(field_name)
        da = da if isinstance(da, dict) else {}
        db = db if isinstance(db, dict) else {}
        for k in sorted(set(da) | set(db), key=str):
            if not same(da.get(k), db.get(k)):
                out.append(f"{field_name}.{k}")
    return out or ["<values>"]
