"""helm-controller's post-renderers, run in Python over what ``helm template`` printed, then Helm's sort.

helm-controller (internal/postrender/build.go) chains, in this order:

1. each ``spec.postRenderers[].kustomize``: a kustomize build of a kustomization whose only resource is
   the rendered stream (``helm-output.yaml``), with the post-renderer's ``patches`` and ``images`` (and the
   ``v2beta1`` ``patchesStrategicMerge``/``patchesJson6902``); krusty runs without a reorder option, so
   the output keeps the input order (here: ``sortOptions: fifo`` on homeops' own kustomize engine);
2. ``spec.commonMetadata``: kustomize's label and annotation transformers on ``metadata/labels`` and
   ``metadata/annotations`` only (selectors and pod templates are left alone);
3. the origin labels ``helm.toolkit.fluxcd.io/name`` and ``helm.toolkit.fluxcd.io/namespace`` (the
   HelmRelease's name and namespace), on ``metadata/labels`` only. No namespace is set on any object:
   Helm's kube client puts a namespaced object without one into the release namespace when it applies it.

Helm 4 (pkg/action/action.go ``renderResources``) feeds the post-renderer per ``postRenderStrategy``:
``combined`` (default) sends manifests and hooks as one stream, ``separate`` as two, ``nohooks`` only the
manifests. Each document carries the annotation ``postrenderer.helm.sh/postrender-filename`` (its template
file) through the post-renderer; afterwards the stream is split back by that annotation (which is
removed), and ``SortManifests`` orders it again: files by name, documents in file order, hooks (objects
with a known ``helm.sh/hook`` event) apart, each list stably sorted by kind in Helm's install order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from homeops.errors import HomeopsError
from homeops.flux.kustomizetypes import PostRenderer
from homeops.helm.render.model import ReleaseSettings
from homeops.helm.render.template import RenderedDoc
from homeops.kustomize.build import Builder
from homeops.yaml.emitter import dump_documents
from homeops.yaml.nodes import YMap, deep_copy

FILENAME_ANNOTATION = "postrenderer.helm.sh/postrender-filename"
HOOK_ANNOTATION = "helm.sh/hook"
ORIGIN_GROUP = "helm.toolkit.fluxcd.io"

INSTALL_ORDER = (
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
)
"""Helm's ``releaseutil.InstallOrder``."""

HOOK_EVENTS = frozenset(
    {
        "pre-install",
        "post-install",
        "pre-delete",
        "post-delete",
        "pre-upgrade",
        "post-upgrade",
        "pre-rollback",
        "post-rollback",
        "test",
        "test-success",
    }
)


class PostRenderError(HomeopsError):
    """A post-renderer failed (helm-controller would fail the install with this message)."""


@dataclass(frozen=True, slots=True)
class Sorted:
    """The post-rendered objects split and ordered as Helm stores them."""

    manifests: list[YMap]
    hooks: list[YMap]
    skipped_hooks: list[str]  # objects with an unknown hook event, which Helm drops


def _md(obj: YMap) -> YMap:
    md = obj.get("metadata")
    if not isinstance(md, YMap):
        md = YMap(md.items()) if isinstance(md, dict) else YMap()
        obj["metadata"] = md
    return md


def _set_entries(obj: YMap, field: str, entries: Iterable[tuple[str, str]]) -> None:
    """kustomize's label/annotation transformer on ``metadata/<field>`` (created when missing)."""
    md = _md(obj)
    current = md.get(field)
    if not isinstance(current, YMap):
        current = YMap(current.items()) if isinstance(current, dict) else YMap()
        md[field] = current
    for k, v in entries:
        current[k] = v


def is_hook(obj: YMap) -> bool:
    """Whether Helm's SortManifests counts ``obj`` as a hook (it has a ``helm.sh/hook`` annotation)."""
    ann = _md(obj).get("annotations")
    return isinstance(ann, dict) and HOOK_ANNOTATION in ann


def hook_events(obj: YMap) -> list[str]:
    ann = _md(obj).get("annotations")
    raw = ann.get(HOOK_ANNOTATION) if isinstance(ann, dict) else None
    return [e.strip().lower() for e in str(raw or "").split(",")]


def is_test_hook(obj: YMap) -> bool:
    return is_hook(obj) and any(e in ("test", "test-success") for e in hook_events(obj))


def _kustomize(objs: list[YMap], pr: PostRenderer) -> list[YMap]:
    data = pr.kustomization("helm-output.yaml")
    data["sortOptions"] = YMap([("order", "fifo")])
    with tempfile.TemporaryDirectory(prefix="homeops-postrender-") as tmp:
        root = Path(tmp).resolve()
        (root / "helm-output.yaml").write_text(dump_documents(objs) if objs else "", encoding="utf-8")
        try:
            resmap = Builder(root).build(root, data)
        except HomeopsError as exc:
            raise PostRenderError(f"kustomize post-renderer: {exc.message}") from None
    return [deep_copy(r.obj) for r in resmap]


def _check_unique(objs: Sequence[YMap]) -> None:
    """kustomize's resmap refuses two resources with one id, which every Helm 4 post-render does."""
    seen: set[tuple[str, str, str, str]] = set()
    for obj in objs:
        md = _md(obj)
        key = (
            str(obj.get("apiVersion")),
            str(obj.get("kind")),
            str(md.get("namespace") or ""),
            str(md.get("name")),
        )
        if key in seen:
            raise PostRenderError(
                f"may not add resource with an already registered id: {key[1]}.{key[0]} "
                f"{key[3]}{' in ' + key[2] if key[2] else ''}"
            )
        seen.add(key)


def run_post_renderers(
    objs: list[YMap], settings: ReleaseSettings, hr_name: str, hr_namespace: str
) -> list[YMap]:
    """The chain helm-controller builds: kustomize post-renderers, commonMetadata, origin labels."""
    _check_unique(objs)
    for pr in settings.post_renderers:
        if pr.kustomize:
            objs = _kustomize(objs, pr)
    if settings.common_labels or settings.common_annotations is not None:
        for obj in objs:
            if settings.common_labels:
                _set_entries(obj, "labels", settings.common_labels)
            if settings.common_annotations is not None:
                _set_entries(obj, "annotations", settings.common_annotations)
    origin = ((f"{ORIGIN_GROUP}/name", hr_name), (f"{ORIGIN_GROUP}/namespace", hr_namespace))
    for obj in objs:
        _set_entries(obj, "labels", origin)
    return objs


def _annotate(docs: Sequence[RenderedDoc]) -> list[YMap]:
    """Helm's ``annotateAndMerge``: documents by file name (sorted), each with its file annotation."""
    out: list[YMap] = []
    for doc in sorted(docs, key=lambda d: d.source):  # stable: file order within a file
        obj = deep_copy(doc.obj)
        _set_entries(obj, "annotations", ((FILENAME_ANNOTATION, doc.source),))
        out.append(obj)
    return out


def _deannotate(objs: Iterable[YMap], fallback: str) -> list[tuple[str, YMap]]:
    out: list[tuple[str, YMap]] = []
    for i, obj in enumerate(objs):
        ann = _md(obj).get("annotations")
        name = ""
        if isinstance(ann, dict):
            name = str(ann.pop(FILENAME_ANNOTATION, "") or "")
            if not ann:
                del _md(obj)["annotations"]
        out.append((name or f"generated-by-postrender-{fallback}{i}.yaml", obj))
    return out


def post_render(
    docs: Sequence[RenderedDoc], settings: ReleaseSettings, hr_name: str, hr_namespace: str
) -> list[tuple[str, YMap]]:
    """Post-render ``docs`` as Helm 4 does with helm-controller's chain; (file, object) pairs."""
    if settings.post_render_strategy == "combined":
        return _deannotate(run_post_renderers(_annotate(docs), settings, hr_name, hr_namespace), "")
    hooks = [d for d in docs if is_hook(d.obj)]
    manifests = [d for d in docs if not is_hook(d.obj)]
    out: list[tuple[str, YMap]] = []
    if settings.post_render_strategy == "separate":
        if hooks:
            out += _deannotate(
                run_post_renderers(_annotate(hooks), settings, hr_name, hr_namespace), "hooks-"
            )
    else:  # nohooks: hooks pass through untouched
        out += [(d.source, deep_copy(d.obj)) for d in hooks]
    if manifests:
        out += _deannotate(
            run_post_renderers(_annotate(manifests), settings, hr_name, hr_namespace), "manifests-"
        )
    return out


def _kind_rank(kind: str) -> tuple[int, str]:
    try:
        return (INSTALL_ORDER.index(kind), "")
    except ValueError:
        return (len(INSTALL_ORDER), kind)


def sort_manifests(files: Sequence[tuple[str, YMap]]) -> Sorted:
    """Helm's ``SortManifests`` with ``InstallOrder`` over post-rendered (file, object) pairs."""
    ordered = [obj for _, obj in sorted(files, key=lambda pair: pair[0])]
    manifests: list[YMap] = []
    hooks: list[YMap] = []
    skipped: list[str] = []
    for obj in ordered:
        if not is_hook(obj):
            manifests.append(obj)
        elif all(e in HOOK_EVENTS for e in hook_events(obj)):
            hooks.append(obj)
        else:
            skipped.append(f"{obj.get('kind')}/{_md(obj).get('name')}")

    def key(obj: YMap) -> tuple[int, str]:
        return _kind_rank(str(obj.get("kind") or ""))

    return Sorted(sorted(manifests, key=key), sorted(hooks, key=key), skipped)


__all__ = [
    "FILENAME_ANNOTATION",
    "INSTALL_ORDER",
    "ORIGIN_GROUP",
    "PostRenderError",
    "Sorted",
    "hook_events",
    "is_hook",
    "is_test_hook",
    "post_render",
    "run_post_renderers",
    "sort_manifests",
]
