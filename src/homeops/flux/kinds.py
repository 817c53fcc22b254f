"""Flux kinds and small typed views of their specs, with defaults resolved as the controllers resolve them.

Every view is built from a loaded object (a ``YMap``) and keeps it in ``obj``, so callers can still reach
raw fields and positions. Views are lenient: a missing or mistyped field takes its default, since schema
validation is a separate concern.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from homeops.errors import Location
from homeops.flux.apiversions import API_VERSIONS, helmrelease_notes, kustomization_notes
from homeops.flux.apiversions import HELM_GROUP as HELM_GROUP
from homeops.flux.apiversions import KUSTOMIZE_GROUP as KUSTOMIZE_GROUP
from homeops.flux.apiversions import SOURCE_EXTENSIONS_GROUP as SOURCE_EXTENSIONS_GROUP
from homeops.flux.apiversions import SOURCE_GROUP as SOURCE_GROUP
from homeops.flux.kustomizetypes import PostRenderer, parse_post_renderers
from homeops.kustomize.gvk import split_api_version
from homeops.yaml.nodes import YMap, YSeq, as_map, as_seq

FLUX_KINDS: dict[tuple[str, str], frozenset[str]] = {key: frozenset(v) for key, v in API_VERSIONS.items()}
"""Each Flux (group, kind) homeops knows, with every API version a released controller served (beta and
GA; ``homeops.flux.apiversions.removed_in`` says which release stopped serving an old one)."""

SOURCE_KINDS = frozenset(
    {"GitRepository", "OCIRepository", "HelmRepository", "HelmChart", "Bucket", "ExternalArtifact"}
)

HELM_RELEASE_NAME_MAX = 53
_HASH_LEN = 12
DEFAULT_VALUES_KEY = "values.yaml"


def flux_kind(api_version: str, kind: str) -> str | None:
    """The Flux kind of an object in a served API version of its Flux group, else None."""
    group, version = split_api_version(api_version)
    versions = FLUX_KINDS.get((group, kind))
    return kind if versions is not None and version in versions else None


def is_flux_kustomization(obj: Any) -> bool:
    """A ``kustomize.toolkit.fluxcd.io`` Kustomization (any served version)."""
    return _is(obj, KUSTOMIZE_GROUP, "Kustomization")


def is_helmrelease(obj: Any) -> bool:
    """A ``helm.toolkit.fluxcd.io`` HelmRelease (any served version)."""
    return _is(obj, HELM_GROUP, "HelmRelease")


def is_source(obj: Any) -> bool:
    """A source-controller source kind (any served version)."""
    if not isinstance(obj, dict) or obj.get("kind") not in SOURCE_KINDS:
        return False
    return _is(obj, SOURCE_GROUP, str(obj.get("kind")))


def _is(obj: Any, group: str, kind: str) -> bool:
    if not isinstance(obj, dict) or obj.get("kind") != kind:
        return False
    api_version = obj.get("apiVersion")
    if not isinstance(api_version, str):
        return False
    g, v = split_api_version(api_version)
    return g == group and v in FLUX_KINDS[(group, kind)]


# --- lenient field access ---------------------------------------------------------------------------------


def _seq(value: Any) -> list[Any]:
    """A copy of a sequence field (the views keep it, detached from the document), with its positions."""
    seq = YSeq(as_seq(value), pos=value.pos if isinstance(value, YSeq) else None)
    if isinstance(value, YSeq):
        seq.ipos = list(value.ipos)
    return seq


def _str(value: Any, default: str = "") -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (dict, list)):
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _opt_str(value: Any) -> str | None:
    s = _str(value)
    return s or None


def _bool(value: Any, default: bool = False) -> bool:
    return value if isinstance(value, bool) else default


def _location(obj: YMap) -> Location | None:
    pos = obj.pos
    return Location(pos.file, pos.line, pos.column) if pos else None


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A reference to another object; ``namespace`` is already defaulted to the referrer's."""

    kind: str
    name: str
    namespace: str
    api_version: str = ""


@dataclass(frozen=True, slots=True)
class NamespacedName:
    """A dependency (``dependsOn`` entry) with its namespace defaulted to the referrer's."""

    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class SubstituteRef:
    """A ``postBuild.substituteFrom`` entry."""

    kind: str
    name: str
    optional: bool


@dataclass(frozen=True, slots=True)
class ValuesRef:
    """A HelmRelease ``valuesFrom`` entry; ``values_key`` defaults to ``values.yaml``."""

    kind: str
    name: str
    values_key: str
    target_path: str
    optional: bool
    literal: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Meta:
    """Name, namespace and origin of an object."""

    api_version: str
    kind: str
    name: str
    namespace: str
    location: Location | None


def _meta(obj: YMap) -> Meta:
    md = as_map(obj.get("metadata"))
    return Meta(
        api_version=_str(obj.get("apiVersion")),
        kind=_str(obj.get("kind")),
        name=_str(md.get("name")),
        namespace=_str(md.get("namespace")),
        location=_location(obj),
    )


def _depends_on(spec: YMap, namespace: str) -> tuple[NamespacedName, ...]:
    out = []
    for item in _seq(spec.get("dependsOn")):
        m = as_map(item)
        out.append(NamespacedName(_str(m.get("namespace")) or namespace, _str(m.get("name"))))
    return tuple(out)


def _ref(value: Any, namespace: str, default_kind: str = "") -> ObjectRef | None:
    if not isinstance(value, dict):
        return None
    return ObjectRef(
        kind=_str(value.get("kind")) or default_kind,
        name=_str(value.get("name")),
        namespace=_str(value.get("namespace")) or namespace,
        api_version=_str(value.get("apiVersion")),
    )


@dataclass(frozen=True, slots=True)
class FluxKustomization:
    """A ``kustomize.toolkit.fluxcd.io`` Kustomization."""

    meta: Meta
    path: str
    source_ref: ObjectRef | None
    depends_on: tuple[NamespacedName, ...]
    target_namespace: str | None
    prune: bool
    suspend: bool
    substitute: dict[str, str]
    substitute_from: tuple[SubstituteRef, ...]
    has_post_build: bool
    substitute_strategy: str
    patches: list[Any]
    patches_strategic_merge: list[Any]
    patches_json6902: list[Any]
    images: list[Any]
    components: tuple[str, ...]
    ignore_missing_components: bool
    name_prefix: str
    name_suffix: str
    common_metadata: YMap | None
    interval: str
    decryption_provider: str | None
    decryption_secret: str | None
    validation: str = ""
    notes: tuple[str, ...] = ()
    """Fields this API version's controllers ignore or changed (see ``homeops.flux.apiversions``)."""
    obj: YMap = field(default_factory=YMap, repr=False, compare=False)

    @property
    def name(self) -> str:
        """metadata.name."""
        return self.meta.name

    @property
    def namespace(self) -> str:
        """metadata.namespace."""
        return self.meta.namespace

    @classmethod
    def from_obj(cls, obj: YMap) -> FluxKustomization:
        """The view of a loaded Flux Kustomization."""
        meta = _meta(obj)
        spec = as_map(obj.get("spec"))
        post = spec.get("postBuild")
        post_map = as_map(post)
        subst = {str(k): _str(v) for k, v in as_map(post_map.get("substitute")).items()}
        subst_from = tuple(
            SubstituteRef(
                _str(as_map(i).get("kind")), _str(as_map(i).get("name")), _bool(as_map(i).get("optional"))
            )
            for i in _seq(post_map.get("substituteFrom"))
        )
        decryption = as_map(spec.get("decryption"))
        common = spec.get("commonMetadata")
        # kustomize.toolkit.fluxcd.io/v1 has no patchesStrategicMerge/patchesJson6902: the API server
        # prunes them, so the controller never applies them (they are reported in ``notes``).
        legacy = split_api_version(meta.api_version)[1] != "v1"
        return cls(
            meta=meta,
            path=_str(spec.get("path")),
            source_ref=_ref(spec.get("sourceRef"), meta.namespace),
            depends_on=_depends_on(spec, meta.namespace),
            target_namespace=_opt_str(spec.get("targetNamespace")),
            prune=_bool(spec.get("prune")),
            suspend=_bool(spec.get("suspend")),
            substitute=subst,
            substitute_from=subst_from,
            has_post_build=isinstance(post, dict),
            substitute_strategy=_str(post_map.get("substituteStrategy")) or "WithVariables",
            patches=_seq(spec.get("patches")),
            patches_strategic_merge=_seq(spec.get("patchesStrategicMerge")) if legacy else [],
            patches_json6902=_seq(spec.get("patchesJson6902")) if legacy else [],
            images=_seq(spec.get("images")),
            components=tuple(_str(c) for c in _seq(spec.get("components"))),
            ignore_missing_components=_bool(spec.get("ignoreMissingComponents")),
            name_prefix=_str(spec.get("namePrefix")),
            name_suffix=_str(spec.get("nameSuffix")),
            common_metadata=common if isinstance(common, YMap) else None,
            interval=_str(spec.get("interval")),
            decryption_provider=_opt_str(decryption.get("provider")),
            decryption_secret=_opt_str(as_map(decryption.get("secretRef")).get("name")),
            validation=_str(spec.get("validation")),
            notes=kustomization_notes(meta.api_version, spec),
            obj=obj,
        )


def shorten_release_name(name: str) -> str:
    """helm-controller's ShortenName: over 53 bytes, the first 40, ``-`` and 12 hex of its SHA-256."""
    if len(name.encode()) <= HELM_RELEASE_NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_LEN]
    keep = HELM_RELEASE_NAME_MAX - (_HASH_LEN + 1)
    return name.encode()[:keep].decode("utf-8", "replace") + "-" + digest


@dataclass(frozen=True, slots=True)
class ChartTemplate:
    """``spec.chart.spec`` of a HelmRelease; the source namespace defaults to the HelmRelease's."""

    chart: str
    version: str
    source_ref: ObjectRef | None
    interval: str
    reconcile_strategy: str
    values_files: tuple[str, ...]
    values_file: str


@dataclass(frozen=True, slots=True)
class HelmRelease:
    """A ``helm.toolkit.fluxcd.io`` HelmRelease."""

    meta: Meta
    chart: ChartTemplate | None
    chart_ref: ObjectRef | None
    release_name: str
    target_namespace: str | None
    release_namespace: str
    storage_namespace: str
    values: YMap | None
    values_from: tuple[ValuesRef, ...]
    depends_on: tuple[NamespacedName, ...]
    suspend: bool
    interval: str
    post_renderers: tuple[PostRenderer, ...]
    """``spec.postRenderers`` in order (each a kustomize post-renderer), for the Helm rendering stage."""
    notes: tuple[str, ...] = ()
    """Fields this API version's controllers ignore or changed (see ``homeops.flux.apiversions``)."""
    obj: YMap = field(default_factory=YMap, repr=False, compare=False)

    @property
    def name(self) -> str:
        """metadata.name."""
        return self.meta.name

    @property
    def namespace(self) -> str:
        """metadata.namespace."""
        return self.meta.namespace

    @classmethod
    def from_obj(cls, obj: YMap) -> HelmRelease:
        """The view of a loaded HelmRelease."""
        meta = _meta(obj)
        ns = meta.namespace
        spec = as_map(obj.get("spec"))
        chart_spec = as_map(as_map(spec.get("chart")).get("spec"))
        chart = None
        if chart_spec:
            chart = ChartTemplate(
                chart=_str(chart_spec.get("chart")),
                version=_str(chart_spec.get("version")) or "*",
                source_ref=_ref(chart_spec.get("sourceRef"), ns),
                interval=_str(chart_spec.get("interval")) or _str(spec.get("interval")),
                reconcile_strategy=_str(chart_spec.get("reconcileStrategy")) or "ChartVersion",
                values_files=tuple(_str(v) for v in _seq(chart_spec.get("valuesFiles"))),
                values_file=_str(chart_spec.get("valuesFile")),
            )
        target_ns = _opt_str(spec.get("targetNamespace"))
        release = _str(spec.get("releaseName"))
        if not release:
            release = f"{target_ns}-{meta.name}" if target_ns else meta.name
        values = spec.get("values")
        vf_seq = spec.get("valuesFrom")
        values_from = []
        for i, item in enumerate(_seq(vf_seq)):
            m = as_map(item)
            pos = vf_seq.item_pos(i) if isinstance(vf_seq, YSeq) else None
            values_from.append(
                ValuesRef(
                    kind=_str(m.get("kind")),
                    name=_str(m.get("name")),
                    values_key=_str(m.get("valuesKey")) or DEFAULT_VALUES_KEY,
                    target_path=_str(m.get("targetPath")),
                    optional=_bool(m.get("optional")),
                    literal=_bool(m.get("literal")),
                    location=Location(pos.file, pos.line, pos.column) if pos else None,
                )
            )
        return cls(
            meta=meta,
            chart=chart,
            chart_ref=_ref(spec.get("chartRef"), ns),
            release_name=shorten_release_name(release),
            target_namespace=target_ns,
            release_namespace=target_ns or ns,
            storage_namespace=_str(spec.get("storageNamespace")) or ns,
            values=values if isinstance(values, YMap) else None,
            values_from=tuple(values_from),
            depends_on=_depends_on(spec, ns),
            suspend=_bool(spec.get("suspend")),
            interval=_str(spec.get("interval")),
            post_renderers=parse_post_renderers(
                spec.get("postRenderers"), legacy_patches=split_api_version(meta.api_version)[1] != "v2"
            ),
            notes=helmrelease_notes(meta.api_version, spec, release),
            obj=obj,
        )


@dataclass(frozen=True, slots=True)
class FluxSource:
    """A source-controller object (GitRepository, OCIRepository, HelmRepository, HelmChart, Bucket...)."""

    meta: Meta
    url: str
    ref: YMap | None
    ignore: str | None
    interval: str
    suspend: bool
    spec: YMap
    obj: YMap = field(repr=False, compare=False)

    @property
    def kind(self) -> str:
        """The object's kind."""
        return self.meta.kind

    @property
    def name(self) -> str:
        """metadata.name."""
        return self.meta.name

    @property
    def namespace(self) -> str:
        """metadata.namespace."""
        return self.meta.namespace

    @classmethod
    def from_obj(cls, obj: YMap) -> FluxSource:
        """The view of a loaded source object."""
        spec = as_map(obj.get("spec"))
        ref = spec.get("ref")
        ignore = spec.get("ignore")
        return cls(
            meta=_meta(obj),
            url=_str(spec.get("url")),
            ref=ref if isinstance(ref, YMap) else None,
            ignore=ignore if isinstance(ignore, str) else None,
            interval=_str(spec.get("interval")),
            suspend=_bool(spec.get("suspend")),
            spec=spec,
            obj=obj,
        )
