"""Flux's kustomize API types (fluxcd/pkg ``apis/kustomize``) and the kustomization entries made of them.

A Flux Kustomization (``spec.patches``, the deprecated ``spec.patchesStrategicMerge`` and
``spec.patchesJson6902``, ``spec.images``) and a HelmRelease post-renderer
(``spec.postRenderers[].kustomize``) carry the same types. Flux decodes them into Go structs, so unknown
keys are dropped, and writes them into a kustomization as kustomize's own types (fluxcd/pkg
kustomize/kustomize_generator.go; the same code in kustomize-controller
controllers/kustomization_generator.go before v0.35, and in helm-controller internal/postrender/kustomize.go):

* ``patches``: ``patch`` and ``target`` only (``path`` and ``options`` are not Flux fields);
* ``patchesStrategicMerge``: each patch object re-encoded as JSON text (Go ``json.Marshal`` of the decoded
  object: keys sorted);
* ``patchesJson6902``: the operations (``op``, ``path``, ``from``, ``value``) encoded as one JSON text, with
  the target;
* ``images``: an override whose ``name`` is already in the kustomization's ``images`` replaces that entry in
  place, else it is appended (released Flux; the merge of single fields in fluxcd/pkg after kustomize/v1.35
  is not in a released controller yet).

Selectors keep ``group``, ``version``, ``kind``, ``name``, ``namespace``, ``labelSelector`` and
``annotationSelector``; an empty field is left out, as ``omitempty`` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from homeops.errors import Location
from homeops.kustomize.gojson import go_json, go_json_string
from homeops.yaml.nodes import Pos, YMap, YSeq, as_map, as_seq

_SELECTOR_FIELDS = (
    ("group", "group"),
    ("version", "version"),
    ("kind", "kind"),
    ("name", "name"),
    ("namespace", "namespace"),
    ("label_selector", "labelSelector"),
    ("annotation_selector", "annotationSelector"),
)
_IMAGE_FIELDS = (("name", "name"), ("new_name", "newName"), ("new_tag", "newTag"), ("digest", "digest"))


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return ""


def _loc(pos: Pos | None) -> Location | None:
    return Location(pos.file, pos.line, pos.column) if pos else None


def _items(value: Any) -> list[tuple[Any, Pos | None]]:
    """The items of a sequence field with where each is written."""
    seq = as_seq(value)
    return [(item, seq.item_pos(i) if isinstance(seq, YSeq) else None) for i, item in enumerate(seq)]


@dataclass(frozen=True, slots=True)
class Selector:
    """A patch target (kustomize ``Selector``); empty fields match anything."""

    group: str = ""
    version: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    label_selector: str = ""
    annotation_selector: str = ""

    @classmethod
    def from_value(cls, value: Any) -> Selector:
        """The selector of a ``target`` mapping (lenient: other values give the empty selector)."""
        m = as_map(value)
        return cls(**{attr: _str(m.get(key)) for attr, key in _SELECTOR_FIELDS})

    def to_entry(self) -> YMap:
        """The ``target`` mapping kustomize reads."""
        return YMap((key, getattr(self, attr)) for attr, key in _SELECTOR_FIELDS if getattr(self, attr))


@dataclass(frozen=True, slots=True)
class Patch:
    """A ``patches`` entry: an inline strategic merge or JSON 6902 patch, and an optional target."""

    patch: str
    target: Selector | None
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Json6902Patch:
    """A ``patchesJson6902`` entry: structured operations (kept as written, with positions) and a target."""

    operations: tuple[YMap, ...]
    target: Selector
    location: Location | None = None

    def patch_text(self) -> str:
        """The JSON text Flux hands to kustomize (``json.Marshal`` of the ``[]JSON6902`` operations)."""
        return "[" + ",".join(_operation_json(op) for op in self.operations) + "]"


@dataclass(frozen=True, slots=True)
class Image:
    """An ``images`` entry (kustomize ``Image``)."""

    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""
    location: Location | None = None

    def to_entry(self) -> YMap:
        """The ``images`` entry kustomize reads."""
        return YMap((key, getattr(self, attr)) for attr, key in _IMAGE_FIELDS if getattr(self, attr))


@dataclass(frozen=True, slots=True)
class PostRenderer:
    """A HelmRelease ``spec.postRenderers[]`` entry: its ``kustomize`` post-renderer, lists in order.

    ``kustomize`` is False when the entry has no ``kustomize`` (helm-controller then skips it).
    ``ignored`` names the fields this API version does not have (helm.toolkit.fluxcd.io/v2 dropped
    ``patchesStrategicMerge`` and ``patchesJson6902``): they are not in the lists, Flux never sees them.
    """

    kustomize: bool
    patches: tuple[Patch, ...] = ()
    patches_strategic_merge: tuple[YMap, ...] = ()
    patches_json6902: tuple[Json6902Patch, ...] = ()
    images: tuple[Image, ...] = ()
    location: Location | None = None
    ignored: tuple[str, ...] = field(default=())

    def kustomization(self, resource: str = "helm-output.yaml") -> YMap:
        """The kustomization helm-controller builds over the rendered manifests (held in ``resource``)."""
        data = YMap([("apiVersion", "kustomize.config.k8s.io/v1beta1"), ("kind", "Kustomization")])
        data["resources"] = YSeq([resource])
        if self.images:
            data["images"] = YSeq(i.to_entry() for i in self.images)
        extend_kustomization(data, self.patches, self.patches_strategic_merge, self.patches_json6902)
        return data


# -- parsing -----------------------------------------------------------------------------------------------


def parse_patches(value: Any) -> tuple[Patch, ...]:
    """``patches`` entries; a ``target`` that is not a mapping counts as none."""
    out = []
    for item, pos in _items(value):
        m = as_map(item)
        target = m.get("target")
        sel = Selector.from_value(target) if isinstance(target, dict) else None
        out.append(Patch(_str(m.get("patch")), sel, _loc(pos)))
    return tuple(out)


def _as_ymap(value: dict[str, Any]) -> YMap:
    return value if isinstance(value, YMap) else YMap(value)


def parse_patches_strategic_merge(value: Any) -> tuple[YMap, ...]:
    """``patchesStrategicMerge`` entries: patch objects (entries that are not objects are dropped)."""
    return tuple(_as_ymap(item) for item in as_seq(value) if isinstance(item, dict))


def parse_patches_json6902(value: Any) -> tuple[Json6902Patch, ...]:
    """``patchesJson6902`` entries: the operations (mappings) and the target."""
    out = []
    for item, pos in _items(value):
        m = as_map(item)
        ops = tuple(_as_ymap(op) for op in as_seq(m.get("patch")) if isinstance(op, dict))
        out.append(Json6902Patch(ops, Selector.from_value(m.get("target")), _loc(pos)))
    return tuple(out)


def parse_images(value: Any) -> tuple[Image, ...]:
    """``images`` entries."""
    out = []
    for item, pos in _items(value):
        m = as_map(item)
        fields = {attr: _str(m.get(key)) for attr, key in _IMAGE_FIELDS}
        out.append(Image(**fields, location=_loc(pos)))
    return tuple(out)


_DROPPED_IN_V2 = ("patchesStrategicMerge", "patchesJson6902")


def parse_post_renderers(value: Any, *, legacy_patches: bool) -> tuple[PostRenderer, ...]:
    """``spec.postRenderers``; ``legacy_patches`` is False for an API version without PSM/JSON 6902."""
    out = []
    for item, pos in _items(value):
        raw = as_map(item).get("kustomize")
        if not isinstance(raw, dict):
            out.append(PostRenderer(kustomize=False, location=_loc(pos)))
            continue
        ignored = () if legacy_patches else tuple(k for k in _DROPPED_IN_V2 if raw.get(k))
        out.append(
            PostRenderer(
                kustomize=True,
                patches=parse_patches(raw.get("patches")),
                patches_strategic_merge=parse_patches_strategic_merge(raw.get("patchesStrategicMerge"))
                if legacy_patches
                else (),
                patches_json6902=parse_patches_json6902(raw.get("patchesJson6902")) if legacy_patches else (),
                images=parse_images(raw.get("images")),
                location=_loc(pos),
                ignored=ignored,
            )
        )
    return tuple(out)


# -- into a kustomization --------------------------------------------------------------------------------


def _with_positions(entries: Iterable[tuple[Any, Location | None]], existing: Any) -> YSeq:
    """``existing`` entries followed by ``entries``, each new one keeping where it was written."""
    seq = YSeq(as_seq(existing))
    old = existing if isinstance(existing, YSeq) else None
    seq.ipos = [old.item_pos(i) if old is not None else None for i in range(len(seq))]
    for value, loc in entries:
        seq.append(value)
        seq.ipos.append(Pos(loc.file, loc.line, loc.column) if loc and loc.line else None)
    return seq


def patch_entry(p: Patch) -> YMap:
    """The kustomize ``patches`` entry of a Flux patch."""
    entry = YMap([("patch", p.patch)])
    if p.target is not None:
        entry["target"] = p.target.to_entry()
    return entry


def extend_kustomization(
    data: YMap,
    patches: Iterable[Patch],
    strategic_merge: Iterable[YMap],
    json6902: Iterable[Json6902Patch],
) -> None:
    """Append Flux patches to ``patches``, ``patchesStrategicMerge`` and ``patchesJson6902`` of ``data``."""
    new_patches = [(patch_entry(p), p.location) for p in patches]
    if new_patches:
        data["patches"] = _with_positions(new_patches, data.get("patches"))
    new_smp = [(go_json_object(obj), _loc(obj.pos)) for obj in strategic_merge]
    if new_smp:
        data["patchesStrategicMerge"] = _with_positions(new_smp, data.get("patchesStrategicMerge"))
    new_json = [
        (YMap([("patch", p.patch_text()), ("target", p.target.to_entry())]), p.location) for p in json6902
    ]
    if new_json:
        data["patchesJson6902"] = _with_positions(new_json, data.get("patchesJson6902"))


def merge_images(data: YMap, images: Iterable[Image]) -> None:
    """Flux's images merge: an override replaces the entry of the same ``name`` in place, else is appended."""
    images = list(images)
    if not images:
        return
    seq = _with_positions([], data.get("images"))
    for image in images:
        index = next(
            (i for i, e in enumerate(seq) if isinstance(e, dict) and _str(e.get("name")) == image.name), None
        )
        pos = Pos(image.location.file, image.location.line, image.location.column) if image.location else None
        if index is None:
            seq.append(image.to_entry())
            seq.ipos.append(pos)
        else:
            seq[index] = image.to_entry()
            seq.ipos[index] = pos
    data["images"] = seq


# -- Go encoding/json of decoded YAML ----------------------------------------------------------------------


def go_json_object(value: Any) -> str:
    """JSON text as Go's ``json.Marshal`` writes a decoded (unstructured) object: keys sorted, compact.

    Whole numbers stay integers (the Kubernetes JSON decoder keeps them as int64), other numbers are
    float64; scalars of other types (timestamps...) are written as their text.
    """
    return go_json(value, integers=True)


def _operation_json(op: YMap) -> str:
    """One ``JSON6902`` struct: ``op``, ``path``, then ``from`` and ``value`` unless empty (struct order)."""
    parts = ['{"op":' + go_json_string(_str(op.get("op"))), '"path":' + go_json_string(_str(op.get("path")))]
    if _str(op.get("from")):
        parts.append('"from":' + go_json_string(_str(op.get("from"))))
    if op.get("value") is not None:  # *apiextensionsv1.JSON: a null value decodes to nil and is omitted
        parts.append('"value":' + go_json_object(op.get("value")))
    return ",".join(parts) + "}"
