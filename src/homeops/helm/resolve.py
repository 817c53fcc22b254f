"""A HelmRelease and its cluster's source objects → the :class:`ChartRequest` for its chart (or a problem).

As helm-controller and source-controller read them:

- ``spec.chart.spec`` (every API version) makes a HelmChart from ``chart``, ``version`` (default ``*``) and
  ``sourceRef`` (its namespace defaults to the HelmRelease's):
  - a HelmRepository: ``spec.url`` and the chart name; ``spec.type: oci`` makes it an OCI repository
    (``oci://host/path``, the chart at ``<url>/<chart>``, the version a tag or a range over the tags);
  - a GitRepository or Bucket: ``chart`` is a path in the source's artifact; the caller's ``local_dir``
    maps the source to the directory of this repository where that artifact's paths start (None: the
    source is not this repository, and the chart cannot be had).
- ``spec.chartRef`` (``helm.toolkit.fluxcd.io/v2beta2`` and ``v2``; the namespace defaults to the
  HelmRelease's) names an OCIRepository (``spec.url``; ``spec.ref.digest`` wins over ``semver``, which wins
  over ``tag``, default tag ``latest``; ``spec.layerSelector``) or a HelmChart object (resolved as above;
  its ``sourceRef`` is in its own namespace).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from homeops.flux.kinds import FluxSource, HelmRelease, ObjectRef
from homeops.helm.types import ChartRequest, SourceKind
from homeops.kustomize.resource import split_api_version
from homeops.yaml.nodes import as_map

LocalDir = Callable[[ObjectRef], Path | None]
"""``local_dir(ref)``: the directory of this repository where the GitRepository/Bucket ``ref``'s paths
start, or None when that source is not this repository."""

SourceKey = tuple[str, str, str]  # (kind, namespace, name)


def index_sources(sources: Iterable[FluxSource]) -> dict[SourceKey, FluxSource]:
    """Source objects by (kind, namespace, name); the first of duplicates wins."""
    out: dict[SourceKey, FluxSource] = {}
    for src in sources:
        out.setdefault((src.kind, src.namespace, src.name), src)
    return out


def _where(kind: str, namespace: str, name: str) -> str:
    return f"{kind}/{namespace}/{name}"


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def resolve_chart(
    hr: HelmRelease, sources: dict[SourceKey, FluxSource], local_dir: LocalDir | None = None
) -> ChartRequest | str:
    """The chart ``hr`` asks for, or why it cannot be told."""
    version = split_api_version(hr.meta.api_version)[1]
    if hr.chart_ref is not None and version != "v2beta1":
        ref = hr.chart_ref
        src = sources.get((ref.kind, ref.namespace, ref.name))
        where = _where(ref.kind, ref.namespace, ref.name)
        if ref.kind not in ("OCIRepository", "HelmChart"):
            return f"spec.chartRef kind {ref.kind!r} is not supported: it must be OCIRepository or HelmChart"
        if src is None:
            return f"spec.chartRef: {where} is not defined in this cluster's sources"
        if ref.kind == "OCIRepository":
            return oci_repository_request(src)
        return helmchart_request(src, sources, local_dir)
    if hr.chart is None:
        return "the HelmRelease has neither spec.chart nor spec.chartRef"
    tpl = hr.chart
    if tpl.source_ref is None:
        return "spec.chart.spec.sourceRef is missing"
    if not tpl.chart:
        return "spec.chart.spec.chart is missing"
    return _chart_from_source(tpl.chart, tpl.version or "*", tpl.source_ref, sources, local_dir)


def _chart_from_source(
    chart: str,
    version: str,
    ref: ObjectRef,
    sources: dict[SourceKey, FluxSource],
    local_dir: LocalDir | None,
) -> ChartRequest | str:
    where = _where(ref.kind, ref.namespace, ref.name)
    if ref.kind in ("GitRepository", "Bucket"):
        base = local_dir(ref) if local_dir is not None else None
        if base is None:
            return f"chart {chart!r} comes from {where}, which is not this repository: it cannot be read"
        rel = os.path.normpath(chart.strip().lstrip("/"))
        path = (base / rel).resolve()
        if rel.startswith("..") or not path.is_relative_to(base.resolve()):
            return f"chart path {chart!r} leaves the source {where}"
        if not (path / "Chart.yaml").is_file():
            return f"chart {chart!r}: no Chart.yaml in {path}"
        kind: SourceKind = "GitRepository" if ref.kind == "GitRepository" else "Bucket"
        return ChartRequest(kind, chart=chart, version=version, local_path=path, source=where)
    if ref.kind != "HelmRepository":
        return (
            f"sourceRef kind {ref.kind!r} is not supported: it must be HelmRepository, GitRepository or "
            "Bucket"
        )
    src = sources.get((ref.kind, ref.namespace, ref.name))
    if src is None:
        return f"sourceRef {where} is not defined in this cluster's sources"
    url = src.url.strip()
    if not url:
        return f"{where} has no spec.url"
    is_oci = _text(src.spec.get("type")) == "oci"
    if is_oci and not url.startswith("oci://"):
        return f"{where} is of type oci but its URL {url!r} does not start with oci://"
    if not is_oci and not url.startswith(("http://", "https://")):
        hint = " (set spec.type: oci)" if url.startswith("oci://") else ""
        return f"{where} URL {url!r} must start with http:// or https://{hint}"
    return ChartRequest(
        "HelmRepository",
        url=url,
        chart=chart,
        version=version or "*",
        repo_type="oci" if is_oci else "default",
        source=where,
    )


def helmchart_request(
    src: FluxSource, sources: dict[SourceKey, FluxSource], local_dir: LocalDir | None = None
) -> ChartRequest | str:
    """The chart of a HelmChart object (``spec.chart``, ``spec.version``, ``spec.sourceRef``)."""
    spec = src.spec
    where = _where("HelmChart", src.namespace, src.name)
    chart = _text(spec.get("chart"))
    if not chart:
        return f"{where} has no spec.chart"
    ref_map = as_map(spec.get("sourceRef"))
    kind, name = _text(ref_map.get("kind")), _text(ref_map.get("name"))
    if not kind or not name:
        return f"{where} has no spec.sourceRef kind and name"
    version = _text(spec.get("version")) or "*"
    request = _chart_from_source(chart, version, ObjectRef(kind, name, src.namespace), sources, local_dir)
    if isinstance(request, str):
        return f"{where}: {request}"
    return request


def oci_repository_request(src: FluxSource) -> ChartRequest | str:
    """The artifact of an OCIRepository: digest, else semver, else tag (default ``latest``)."""
    where = _where("OCIRepository", src.namespace, src.name)
    url = src.url.strip()
    if not url.startswith("oci://"):
        return f"{where} URL {url!r} must start with oci://"
    last = url[len("oci://") :].rstrip("/").rsplit("/", 1)[-1]
    if "/" not in url[len("oci://") :].strip("/") or ":" in last or "@" in last:
        return f"{where} URL {url!r} must be oci://host/repository, without a tag or digest"
    ref = as_map(src.spec.get("ref"))
    digest, semver, tag = _text(ref.get("digest")), _text(ref.get("semver")), _text(ref.get("tag"))
    layer = as_map(src.spec.get("layerSelector"))
    media, operation = _text(layer.get("mediaType")), _text(layer.get("operation"))
    if operation and operation not in ("extract", "copy"):
        return f"{where} spec.layerSelector.operation {operation!r} must be extract or copy"
    return ChartRequest(
        "OCIRepository",
        url=url.rstrip("/"),
        version=semver or tag or ("" if digest else "latest"),
        digest=digest,
        layer_media_type=media,
        layer_operation=operation or "extract",
        source=where,
    )
