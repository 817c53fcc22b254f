"""HelmRelease + source objects → ChartRequest, for every chart source type and API version."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from homeops.flux.kinds import FluxSource, HelmRelease, ObjectRef
from homeops.helm.resolve import index_sources, resolve_chart
from homeops.helm.types import ChartRequest
from homeops.yaml.loader import load_documents

SOURCES = """
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: bitnami, namespace: flux-system}
spec: {url: https://charts.bitnami.com/bitnami}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: bjw-s, namespace: flux-system}
spec: {type: oci, url: oci://ghcr.io/bjw-s-labs/helm}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: app-template, namespace: media}
spec:
  url: oci://ghcr.io/bjw-s-labs/helm/app-template
  ref: {tag: 4.2.0}
  layerSelector: {mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip, operation: copy}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: pinned, namespace: media}
spec:
  url: oci://ghcr.io/x/chart
  ref: {tag: "1.0.0", semver: ">=1.0.0", digest: "sha256:abc"}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: ranged, namespace: media}
spec: {url: oci://ghcr.io/x/chart, ref: {tag: "1.0.0", semver: "~1.2"}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: bare, namespace: media}
spec: {url: oci://ghcr.io/x/chart}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata: {name: media-podinfo, namespace: flux-system}
spec: {chart: podinfo, version: "6.x", sourceRef: {kind: HelmRepository, name: bitnami}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata: {name: local, namespace: flux-system}
spec: {chart: ./charts/local, sourceRef: {kind: GitRepository, name: flux-system}}
"""


def _sources() -> dict[tuple[str, str, str], FluxSource]:
    return index_sources(FluxSource.from_obj(o) for o in load_documents(SOURCES, "sources.yaml"))


def _hr(spec: Mapping[str, object], api: str = "helm.toolkit.fluxcd.io/v2", ns: str = "media") -> HelmRelease:
    text = yaml.safe_dump(
        {
            "apiVersion": api,
            "kind": "HelmRelease",
            "metadata": {"name": "x", "namespace": ns},
            "spec": dict(spec),
        }
    )
    return HelmRelease.from_obj(load_documents(text, "hr.yaml")[0])


def _chart(chart: str, kind: str, name: str, version: str | None = None) -> dict[str, object]:
    spec: dict[str, object] = {
        "chart": chart,
        "sourceRef": {"kind": kind, "name": name, "namespace": "flux-system"},
    }
    if version is not None:
        spec["version"] = version
    return {"chart": {"spec": spec}}


def test_helm_repository_http_and_oci() -> None:
    http = resolve_chart(_hr(_chart("redis", "HelmRepository", "bitnami", ">=18 <19")), _sources())
    assert http == ChartRequest(
        "HelmRepository",
        url="https://charts.bitnami.com/bitnami",
        chart="redis",
        version=">=18 <19",
        source="HelmRepository/flux-system/bitnami",
    )
    oci = resolve_chart(_hr(_chart("app-template", "HelmRepository", "bjw-s")), _sources())
    assert isinstance(oci, ChartRequest)
    assert (oci.url, oci.chart, oci.version, oci.repo_type) == (
        "oci://ghcr.io/bjw-s-labs/helm",
        "app-template",
        "*",
        "oci",
    )


def test_chart_ref_oci_repository_precedence_and_layer_selector() -> None:
    sources = _sources()
    tag = resolve_chart(_hr({"chartRef": {"kind": "OCIRepository", "name": "app-template"}}), sources)
    assert isinstance(tag, ChartRequest)
    assert (tag.source_kind, tag.url, tag.version, tag.digest) == (
        "OCIRepository",
        "oci://ghcr.io/bjw-s-labs/helm/app-template",
        "4.2.0",
        "",
    )
    assert (tag.layer_media_type, tag.layer_operation) == (
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        "copy",
    )
    pinned = resolve_chart(_hr({"chartRef": {"kind": "OCIRepository", "name": "pinned"}}), sources)
    assert isinstance(pinned, ChartRequest) and pinned.digest == "sha256:abc"
    ranged = resolve_chart(_hr({"chartRef": {"kind": "OCIRepository", "name": "ranged"}}), sources)
    assert isinstance(ranged, ChartRequest) and ranged.version == "~1.2"  # semver wins over tag
    bare = resolve_chart(_hr({"chartRef": {"kind": "OCIRepository", "name": "bare"}}), sources)
    assert isinstance(bare, ChartRequest) and bare.version == "latest" and bare.layer_operation == "extract"


def test_chart_ref_helm_chart_and_local_sources(tmp_path: Path) -> None:
    (tmp_path / "charts" / "local").mkdir(parents=True)
    (tmp_path / "charts" / "local" / "Chart.yaml").write_text(
        "name: local\nversion: 0.1.0\n", encoding="utf-8"
    )

    def local_dir(ref: ObjectRef) -> Path | None:
        return tmp_path if (ref.kind, ref.name) == ("GitRepository", "flux-system") else None

    sources = _sources()
    ref = {"chartRef": {"kind": "HelmChart", "name": "media-podinfo", "namespace": "flux-system"}}
    helmchart = resolve_chart(_hr(ref), sources)
    assert isinstance(helmchart, ChartRequest)
    assert (helmchart.chart, helmchart.version, helmchart.url) == (
        "podinfo",
        "6.x",
        "https://charts.bitnami.com/bitnami",
    )
    local = resolve_chart(
        _hr({"chartRef": {"kind": "HelmChart", "name": "local", "namespace": "flux-system"}}),
        sources,
        local_dir,
    )
    assert isinstance(local, ChartRequest) and local.local_path == (tmp_path / "charts" / "local").resolve()
    git = resolve_chart(_hr(_chart("./charts/local", "GitRepository", "flux-system")), sources, local_dir)
    assert isinstance(git, ChartRequest) and git.source_kind == "GitRepository"
    other = resolve_chart(_hr(_chart("./charts/local", "GitRepository", "elsewhere")), sources, local_dir)
    assert isinstance(other, str) and "not this repository" in other
    escape = resolve_chart(_hr(_chart("../../etc", "GitRepository", "flux-system")), sources, local_dir)
    assert isinstance(escape, str) and "leaves the source" in escape


def test_problems_are_said() -> None:
    sources = _sources()
    missing = resolve_chart(_hr(_chart("redis", "HelmRepository", "nope")), sources)
    assert missing == "sourceRef HelmRepository/flux-system/nope is not defined in this cluster's sources"
    bad_kind = resolve_chart(_hr({"chartRef": {"kind": "GitRepository", "name": "x"}}), sources)
    assert isinstance(bad_kind, str) and "must be OCIRepository or HelmChart" in bad_kind
    assert resolve_chart(_hr({}), sources) == "the HelmRelease has neither spec.chart nor spec.chartRef"
    # helm.toolkit.fluxcd.io/v2beta1 has no chartRef: the API server drops it
    old = resolve_chart(
        _hr({"chartRef": {"kind": "OCIRepository", "name": "bare"}}, api="helm.toolkit.fluxcd.io/v2beta1"),
        sources,
    )
    assert old == "the HelmRelease has neither spec.chart nor spec.chartRef"
    v2beta2 = resolve_chart(
        _hr(_chart("redis", "HelmRepository", "bitnami"), api="helm.toolkit.fluxcd.io/v2beta2"), sources
    )
    assert isinstance(v2beta2, ChartRequest) and v2beta2.version == "*"
