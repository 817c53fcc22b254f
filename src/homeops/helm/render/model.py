"""The renderer's inputs and outputs, and the HelmRelease settings helm-controller reads for a render."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from homeops.errors import Location
from homeops.flux.kinds import HelmRelease, shorten_release_name
from homeops.flux.kustomizetypes import PostRenderer, parse_post_renderers
from homeops.helm.render.apiversions import DEFAULT_KUBERNETES_VERSION
from homeops.kustomize.resource import split_api_version
from homeops.yaml.nodes import YMap, as_map

CHART_VALUES_VALID = "chart-values-valid"
"""The rule name of values problems (schema, ``required``, ``fail``, schema not checkable offline)."""

ProblemKind = Literal["schema", "required", "fail", "remote-ref", "render", "postrender", "crds", "note"]
CrdPolicy = Literal["Skip", "Create", "CreateReplace"]
PostRenderStrategy = Literal["combined", "separate", "nohooks"]
_CRD_POLICIES: dict[str, CrdPolicy] = {"Skip": "Skip", "Create": "Create", "CreateReplace": "CreateReplace"}
_STRATEGIES: dict[str, PostRenderStrategy] = {
    "combined": "combined",
    "separate": "separate",
    "nohooks": "nohooks",
}


def shorten_name(name: str) -> str:
    """helm-controller's ``release.ShortenName``: over 53 bytes, the first 40, ``-``, 12 hex of SHA-256."""
    return shorten_release_name(name)


def release_name_of(obj: Mapping[str, Any]) -> str:
    """``GetReleaseName`` then ``ShortenName``: ``spec.releaseName``, else ``[targetNamespace-]name``."""
    spec, md = as_map(obj.get("spec")), as_map(obj.get("metadata"))
    explicit = spec.get("releaseName")
    if isinstance(explicit, str) and explicit:
        return shorten_name(explicit)
    name = str(md.get("name") or "")
    target = spec.get("targetNamespace")
    return shorten_name(f"{target}-{name}" if isinstance(target, str) and target else name)


@dataclass(frozen=True, slots=True)
class RenderProblem:
    """Something that stopped or changed a render. ``rule`` is ``chart-values-valid`` for values problems.

    ``location`` is the HelmRelease's (for values problems) or where helm points in the chart;
    ``values_path`` is the dotted values path helm names (schema errors), else "".
    """

    kind: ProblemKind
    message: str
    location: Location | None = None
    values_path: str = ""
    chart_location: str = ""  # "chart/templates/x.yaml:19:21" for required/fail
    rule: str = ""
    fatal: bool = True  # False: the render still produced its objects (e.g. remote $ref skipped)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.message}"


@dataclass(frozen=True, slots=True)
class ReleaseSettings:
    """What helm-controller reads from a HelmRelease spec to render it."""

    crds: CrdPolicy = "Create"
    include_tests: bool = False
    disable_hooks: bool = False
    skip_schema_validation: bool = False
    disable_openapi_validation: bool = False
    post_render_strategy: PostRenderStrategy = "combined"
    post_renderers: tuple[PostRenderer, ...] = ()
    common_labels: tuple[tuple[str, str], ...] = ()
    common_annotations: tuple[tuple[str, str], ...] | None = None
    invalid: tuple[str, ...] = ()  # settings helm-controller would refuse (e.g. an unknown CRD policy)

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> ReleaseSettings:
        spec = as_map(obj.get("spec"))
        install, upgrade = as_map(spec.get("install")), as_map(spec.get("upgrade"))
        invalid: list[str] = []
        raw_crds = install.get("crds") or "Create"
        crds: CrdPolicy = "Create"
        if isinstance(raw_crds, str) and raw_crds in _CRD_POLICIES:
            crds = _CRD_POLICIES[raw_crds]
        else:
            invalid.append(
                f"invalid CRD upgrade policy '{raw_crds}', "
                "valid values are 'Skip', 'Create' or 'CreateReplace'"
            )
        raw_strategy = spec.get("postRenderStrategy") or "combined"
        strategy: PostRenderStrategy = "combined"
        if isinstance(raw_strategy, str) and raw_strategy in _STRATEGIES:
            strategy = _STRATEGIES[raw_strategy]
        else:
            invalid.append(f"unknown post-render strategy: '{raw_strategy}'")
        api = str(obj.get("apiVersion") or "")
        legacy = split_api_version(api)[1] != "v2"
        common = as_map(spec.get("commonMetadata"))
        labels = as_map(common.get("labels"))
        annotations = common.get("annotations")
        return cls(
            crds=crds,
            include_tests=as_map(spec.get("test")).get("enable") is True,
            disable_hooks=install.get("disableHooks") is True,
            skip_schema_validation=install.get("disableSchemaValidation") is True
            or upgrade.get("disableSchemaValidation") is True,
            disable_openapi_validation=install.get("disableOpenAPIValidation") is True
            or upgrade.get("disableOpenAPIValidation") is True,
            post_render_strategy=strategy,
            post_renderers=parse_post_renderers(spec.get("postRenderers"), legacy_patches=legacy),
            common_labels=tuple((str(k), _text(v)) for k, v in labels.items()),
            common_annotations=tuple((str(k), _text(v)) for k, v in as_map(annotations).items())
            if isinstance(annotations, dict)
            else None,
            invalid=tuple(invalid),
        )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class ReleaseInput:
    """One HelmRelease to render: the object, where it is written, its release name/namespace, its values.

    ``values`` are the values helm-controller computed (see ``homeops.flux.helmvalues``), as plain data.
    """

    obj: YMap
    location: Location | None
    release_name: str
    namespace: str
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(as_map(self.obj.get("metadata")).get("name") or "")

    @property
    def hr_namespace(self) -> str:
        return str(as_map(self.obj.get("metadata")).get("namespace") or "")

    @property
    def ref(self) -> str:
        return f"HelmRelease/{self.hr_namespace}/{self.name}"

    @classmethod
    def from_obj(
        cls, obj: YMap, values: Mapping[str, Any] | None = None, location: Location | None = None
    ) -> ReleaseInput:
        """From a HelmRelease object: release name and namespace as helm-controller computes them."""
        md, spec = as_map(obj.get("metadata")), as_map(obj.get("spec"))
        target = spec.get("targetNamespace")
        namespace = target if isinstance(target, str) and target else str(md.get("namespace") or "")
        if location is None and obj.pos is not None:
            location = Location(obj.pos.file, obj.pos.line, obj.pos.column)
        return cls(obj, location, release_name_of(obj), namespace, dict(values or {}))

    @classmethod
    def from_helmrelease(cls, hr: HelmRelease, values: Mapping[str, Any]) -> ReleaseInput:
        """From homeops' HelmRelease view (its release name is already shortened)."""
        return cls(hr.obj, hr.meta.location, hr.release_name, hr.release_namespace, dict(values))


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How to render: Kubernetes version, API versions, cache, and which helm to use."""

    kube_version: str = DEFAULT_KUBERNETES_VERSION
    crds: tuple[Mapping[str, Any], ...] = ()  # CRDs known to the cluster: their versions go to --api-versions
    extra_api_versions: tuple[str, ...] = ()
    cache_dir: Path | None = None  # None: $HOMEOPS_CACHE_DIR/render or ~/.cache/homeops/render
    use_cache: bool = True
    helm: Path | None = None  # None: $HOMEOPS_HELM, else helm on PATH
    workers: int | None = None  # render_many: None = os.cpu_count()
    progress: Callable[[int, int], None] | None = field(default=None, compare=False)  # (done, total)


@dataclass(frozen=True, slots=True)
class RenderResult:
    """A rendered HelmRelease.

    ``objects`` is everything helm-controller applies, in order: the CRDs of ``crds/`` (per the policy),
    the manifests, then the hooks (test hooks only with ``test.enable``), each post-rendered.
    """

    release: ReleaseInput
    chart_name: str
    chart_version: str  # as rendered (``<version>+<digest12>`` for OCIRepository sources)
    crds: tuple[YMap, ...] = ()
    manifests: tuple[YMap, ...] = ()
    hooks: tuple[YMap, ...] = ()
    problems: tuple[RenderProblem, ...] = ()
    notes: tuple[str, ...] = ()
    helm_args: tuple[str, ...] = ()
    cached: bool = False

    @property
    def objects(self) -> tuple[YMap, ...]:
        return (*self.crds, *self.manifests, *self.hooks)

    @property
    def ok(self) -> bool:
        """Whether helm-controller would have installed this release (no fatal problem)."""
        return not any(p.fatal for p in self.problems)

    def values_problems(self) -> tuple[RenderProblem, ...]:
        return tuple(p for p in self.problems if p.rule == CHART_VALUES_VALID)


__all__ = [
    "CHART_VALUES_VALID",
    "ReleaseInput",
    "ReleaseSettings",
    "RenderOptions",
    "RenderProblem",
    "RenderResult",
    "release_name_of",
    "shorten_name",
]
