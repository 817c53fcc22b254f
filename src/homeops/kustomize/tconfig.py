"""Transformer configuration: the field specs that tell each built-in transformer where to act.

kustomize ships a default configuration (which paths hold labels, names, namespaces, images, replica
counts and name references for each kind) and lets a kustomization extend it with ``configurations:`` files.
Merging follows kustomize: a field spec already present (same path, and the existing one's GVK selected by
the incoming one) is skipped, one that differs only in ``create`` is a conflict, and every list is sorted
the way kustomize sorts GVKs afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from homeops.errors import BuildError, Location
from homeops.kustomize.ordering import gvk_sort_key
from homeops.kustomize.resource import gvk_string

__all__ = [
    "ConflictingFieldSpecs",
    "FieldSpec",
    "GvkSelector",
    "NameBackRef",
    "TransformerConfig",
    "gvk_sort_key",
    "gvk_string",
    "is_selected",
    "merge_back_refs",
    "merge_field_specs",
    "parse_field_spec",
]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field path (kustomize syntax, e.g. ``spec/template/metadata/labels``) for resources of a GVK.

    Empty ``group``/``version``/``kind`` match anything. ``create`` means a missing field is created.
    """

    path: str
    group: str = ""
    version: str = ""
    kind: str = ""
    create: bool = False


@dataclass(frozen=True, slots=True)
class NameBackRef:
    """A name-reference rule: resources of this GVK are referred to by name at ``referrers`` field specs."""

    kind: str
    group: str = ""
    version: str = ""
    referrers: tuple[FieldSpec, ...] = ()


class GvkSelector(Protocol):
    """Anything with a group, a version and a kind (a FieldSpec, a NameBackRef, a ResId...)."""

    @property
    def group(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def kind(self) -> str: ...


def is_selected(group: str, version: str, kind: str, selector: GvkSelector) -> bool:
    """True if the selector's non-empty group/version/kind all equal the given ones (``Gvk.IsSelected``)."""
    return (
        (not selector.group or selector.group == group)
        and (not selector.version or selector.version == version)
        and (not selector.kind or selector.kind == kind)
    )


class ConflictingFieldSpecs(ValueError):
    """Two field specs with the same path and GVK disagree on ``create``."""


def merge_field_specs(existing: Iterable[FieldSpec], incoming: Iterable[FieldSpec]) -> list[FieldSpec]:
    """kustomize's ``FsSlice.MergeAll``: append incoming specs that are not already present."""
    result = list(existing)
    for fs in incoming:
        found = next(
            (x for x in result if x.path == fs.path and is_selected(x.group, x.version, x.kind, fs)), None
        )
        if found is None:
            result.append(fs)
        elif found.create != fs.create:
            raise ConflictingFieldSpecs("conflicting fieldspecs")
    return result


def merge_back_refs(existing: Iterable[NameBackRef], incoming: Iterable[NameBackRef]) -> list[NameBackRef]:
    """kustomize's name-reference merge: referrers of equal GVKs are merged, new GVKs appended."""
    result = list(existing)
    for nbr in incoming:
        key = (nbr.group, nbr.version, nbr.kind)
        hit = False
        for i, cur in enumerate(result):
            if (cur.group, cur.version, cur.kind) == key:
                merged = merge_field_specs(cur.referrers, nbr.referrers)
                result[i] = NameBackRef(cur.kind, cur.group, cur.version, tuple(merged))
                hit = True
        if not hit:
            result.append(nbr)
    return result


def _sorted_specs(specs: Iterable[FieldSpec]) -> list[FieldSpec]:
    return sorted(specs, key=lambda f: gvk_sort_key(f.group, f.version, f.kind))


# (attribute, key in a configuration file, name in kustomize's merge error messages)
_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("name_prefix", "namePrefix", "NamePrefix"),
    ("name_suffix", "nameSuffix", "NameSuffix"),
    ("namespace", "namespace", "NameSpace"),
    ("common_annotations", "commonAnnotations", "CommonAnnotations"),
    ("common_labels", "commonLabels", "CommonLabels"),
    ("labels", "labels", "Labels"),
    ("template_labels", "templateLabels", "TemplateLabels"),
    ("var_reference", "varReference", "VarReference"),
    ("name_reference", "nameReference", "NameReference"),
    ("images", "images", "Images"),
    ("replicas", "replicas", "Replicas"),
)


@dataclass
class TransformerConfig:
    """The field specs in force for one kustomization (defaults merged with ``configurations:``)."""

    name_prefix: list[FieldSpec] = field(default_factory=list)
    name_suffix: list[FieldSpec] = field(default_factory=list)
    namespace: list[FieldSpec] = field(default_factory=list)
    common_labels: list[FieldSpec] = field(default_factory=list)
    template_labels: list[FieldSpec] = field(default_factory=list)
    common_annotations: list[FieldSpec] = field(default_factory=list)
    images: list[FieldSpec] = field(default_factory=list)
    replicas: list[FieldSpec] = field(default_factory=list)
    name_reference: list[NameBackRef] = field(default_factory=list)
    var_reference: list[FieldSpec] = field(default_factory=list)
    labels: list[FieldSpec] = field(default_factory=list)

    def copy(self) -> TransformerConfig:
        """A copy whose lists may be changed without touching this one."""
        return TransformerConfig(**{f.name: list(getattr(self, f.name)) for f in fields(self)})

    def sort(self) -> None:
        """Sort every list as kustomize does after loading or merging (by GVK, stable)."""
        for attr, _key, _go in _SECTIONS:
            if attr == "name_reference":
                self.name_reference.sort(key=lambda n: gvk_sort_key(n.group, n.version, n.kind))
            else:
                setattr(self, attr, _sorted_specs(getattr(self, attr)))

    def merged(self, other: TransformerConfig) -> TransformerConfig:
        """A new config: ``other`` merged into this one as kustomize's ``TransformerConfig.Merge``.

        Raises ``BuildError`` (``failed to merge X fieldSpec: conflicting fieldspecs``) on a conflict.
        Merging an equal config changes nothing (every spec is already present), so it is skipped.
        """
        if other is self or other == self:
            return self
        out = TransformerConfig()
        for attr, _key, go_name in _SECTIONS:
            try:
                if attr == "name_reference":
                    out.name_reference = merge_back_refs(self.name_reference, other.name_reference)
                else:
                    setattr(out, attr, merge_field_specs(getattr(self, attr), getattr(other, attr)))
            except ConflictingFieldSpecs as exc:
                raise BuildError(f"failed to merge {go_name} fieldSpec: {exc}") from None
        out.sort()
        return out

    @classmethod
    def from_document(cls, doc: Any, where: Location | None = None) -> TransformerConfig:
        """Parse a document in kustomize's transformer-config format (strict, like kustomize).

        The result is sorted, as kustomize sorts a configuration it has just read.
        """
        out = cls()
        if doc is None:
            return out
        if not isinstance(doc, dict):
            raise BuildError(
                f"a transformer configuration must be a mapping, not {_json_type(doc)}", location=where
            )
        by_key = {key: attr for attr, key, _go in _SECTIONS}
        for key, value in doc.items():
            attr = by_key.get(key)
            if attr is None:
                raise BuildError(
                    f'error unmarshaling JSON: while decoding JSON: json: unknown field "{key}"',
                    location=where,
                )
            if value is None:
                continue
            items = _expect_list(value, key, where)
            if attr == "name_reference":
                out.name_reference = [_parse_back_ref(item, where) for item in items]
            else:
                setattr(out, attr, [parse_field_spec(item, where) for item in items])
        out.sort()
        return out


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _expect_list(value: Any, what: str, where: Location | None) -> list[Any]:
    if not isinstance(value, list):
        raise BuildError(
            f"json: cannot unmarshal {_json_type(value)} into {what} of type list", location=where
        )
    return value


def _expect_str(item: dict[str, Any], key: str, where: Location | None) -> str:
    v = item.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise BuildError(
            f"json: cannot unmarshal {_json_type(v)} into field {key} of type string", location=where
        )
    return v


def parse_field_spec(item: Any, where: Location | None = None) -> FieldSpec:
    """One field spec (``path``, ``group``, ``version``, ``kind``, ``create``) from a parsed mapping."""
    if not isinstance(item, dict):
        raise BuildError(f"json: cannot unmarshal {_json_type(item)} into a field spec", location=where)
    for key in item:
        if key not in ("path", "group", "version", "kind", "create"):
            raise BuildError(
                f'error unmarshaling JSON: while decoding JSON: json: unknown field "{key}"', location=where
            )
    create = item.get("create")
    if create is not None and not isinstance(create, bool):
        raise BuildError(
            f"json: cannot unmarshal {_json_type(create)} into field create of type bool", location=where
        )
    return FieldSpec(
        path=_expect_str(item, "path", where),
        group=_expect_str(item, "group", where),
        version=_expect_str(item, "version", where),
        kind=_expect_str(item, "kind", where),
        create=bool(create),
    )


def _parse_back_ref(item: Any, where: Location | None) -> NameBackRef:
    if not isinstance(item, dict):
        raise BuildError(
            f"json: cannot unmarshal {_json_type(item)} into a nameReference entry", location=where
        )
    for key in item:
        if key not in ("group", "version", "kind", "fieldSpecs"):
            raise BuildError(
                f'error unmarshaling JSON: while decoding JSON: json: unknown field "{key}"', location=where
            )
    refs = item.get("fieldSpecs")
    referrers = (
        [] if refs is None else [parse_field_spec(r, where) for r in _expect_list(refs, "fieldSpecs", where)]
    )
    return NameBackRef(
        kind=_expect_str(item, "kind", where),
        group=_expect_str(item, "group", where),
        version=_expect_str(item, "version", where),
        referrers=tuple(referrers),
    )
