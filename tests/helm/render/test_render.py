"""Rendering fixture charts through the real Helm v4 with helm-controller's settings and post-render."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from homeops.helm.render import HelmBinary, ReleaseInput, RenderOptions, RenderResult, render_release
from homeops.helm.render.helmbin import isolated_env
from homeops.helm.types import StoredChart
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import to_plain
from tests.helm.render.conftest import CHARTS, hr_obj

pytestmark = pytest.mark.oracle

HR = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
  namespace: apps
spec:
  interval: 1h
{spec}"""


def _opts(helm: HelmBinary, tmp_path: Path, **kw: Any) -> RenderOptions:
    return RenderOptions(helm=helm.path, cache_dir=tmp_path / "cache", **kw)


def _render(
    helm: HelmBinary, tmp_path: Path, spec: str = "", values: dict[str, Any] | None = None, **kw: Any
) -> RenderResult:
    obj = hr_obj(tmp_path, HR.format(spec=spec))
    chart = kw.pop("chart", None) or StoredChart(CHARTS / "app", "app", "1.2.3")
    return render_release(ReleaseInput.from_obj(obj, values or {}), chart, _opts(helm, tmp_path, **kw))


def _ids(objs: Any) -> list[str]:
    return [f"{o['kind']}/{o['metadata']['name']}" for o in objs]


def _labels(obj: Any) -> dict[str, str]:
    return dict(obj["metadata"].get("labels") or {})


def _helm_template(helm: HelmBinary, tmp_path: Path, *args: str) -> list[Any]:
    home = tmp_path / "oracle-home"
    out = subprocess.run(
        [str(helm.path), "template", *args], env=isolated_env(home), capture_output=True, check=True
    )
    return [to_plain(d) for d in load_documents(out.stdout, "helm") if d is not None]


def test_flags_and_output(helm_binary: HelmBinary, tmp_path: Path) -> None:
    res = _render(helm_binary, tmp_path, "  targetNamespace: prod\n", {"replicas": 3})
    assert res.ok, res.problems
    assert res.release.release_name == "prod-app" and res.release.namespace == "prod"
    args = res.helm_args
    assert args[:2] == ("template", "prod-app")
    assert args[args.index("--namespace") + 1] == "prod"
    assert args[args.index("--kube-version") + 1] == "1.33.0"
    assert "--skip-crds" in args and "--skip-tests" in args and "--include-crds" not in args
    assert "--skip-schema-validation" not in args
    apis = {args[i + 1] for i, a in enumerate(args) if a == "--api-versions"}
    assert {"apps/v1/Deployment", "example.com/v1", "example.com/v1/Widget", "example.com/v1/Gadget"} <= apis
    # helm's manifests (install order), then the hook; test hooks left out
    assert _ids(res.manifests) == [
        "ServiceAccount/prod-app",
        "ConfigMap/prod-app-sub",
        "ConfigMap/prod-app-config",
        "Service/prod-app",
        "Deployment/prod-app",
    ]
    assert _ids(res.hooks) == ["Job/prod-app-migrate"]
    job = res.hooks[0]
    assert job["metadata"]["annotations"] == {
        "helm.sh/hook": "pre-install,pre-upgrade",
        "helm.sh/hook-weight": "-5",
        "helm.sh/hook-delete-policy": "before-hook-creation",
    }
    deploy = res.manifests[-1]
    assert deploy["spec"]["replicas"] == 3
    config = res.manifests[2]["data"]
    assert config["kubeVersion"] == "v1.33.0" and config["hasWidgets"] == "true"
    # no object is given a namespace it did not render with
    assert "namespace" not in deploy["metadata"] and res.manifests[3]["metadata"]["namespace"] == "prod"
    assert "postrenderer.helm.sh/postrender-filename" not in str(res.objects)


def test_same_objects_as_helm_template_plus_origin_labels(helm_binary: HelmBinary, tmp_path: Path) -> None:
    res = _render(helm_binary, tmp_path, "  test:\n    enable: true\n")
    values = tmp_path / "v.yaml"
    values.write_text("{}", encoding="utf-8")
    raw = _helm_template(
        helm_binary,
        tmp_path,
        "app",
        str(CHARTS / "app"),
        "-n",
        "apps",
        "-f",
        str(values),
        "--kube-version",
        "1.33.0",
        "--skip-crds",
        *[
            f"--api-versions={a}"
            for i, a in enumerate(res.helm_args)
            if res.helm_args[i - 1] == "--api-versions"
        ],
    )
    ours = [to_plain(o) for o in (*res.manifests, *res.hooks)]
    for obj in ours:
        labels = obj["metadata"]["labels"]
        assert labels.pop("helm.toolkit.fluxcd.io/name") == "app"
        assert labels.pop("helm.toolkit.fluxcd.io/namespace") == "apps"
        if not labels:
            del obj["metadata"]["labels"]
    assert sorted(ours, key=str) == sorted(raw, key=str)
    assert "Pod/app-test" in _ids(res.hooks)


def test_crds_policy_and_subchart_conditions(helm_binary: HelmBinary, tmp_path: Path) -> None:
    res = _render(helm_binary, tmp_path)
    assert _ids(res.crds) == [
        "CustomResourceDefinition/widgets.example.com",
        "CustomResourceDefinition/gadgets.example.com",
    ]
    assert all(
        _labels(c) == {"helm.toolkit.fluxcd.io/name": "app", "helm.toolkit.fluxcd.io/namespace": "apps"}
        for c in res.crds
    )
    assert res.objects[: len(res.crds)] == res.crds
    skipped = _render(helm_binary, tmp_path, "  install:\n    crds: Skip\n")
    assert skipped.crds == () and skipped.manifests
    toggled = _render(helm_binary, tmp_path, values={"sub": {"enabled": False}, "crdonly": {"enabled": True}})
    assert _ids(toggled.crds) == [
        "CustomResourceDefinition/widgets.example.com",
        "CustomResourceDefinition/gizmos.example.com",
    ]
    assert "ConfigMap/app-sub" not in _ids(toggled.manifests)
    # the same CRDs helm itself would include
    values = tmp_path / "v.yaml"
    values.write_text('{"sub": {"enabled": false}, "crdonly": {"enabled": true}}', encoding="utf-8")
    raw = _helm_template(
        helm_binary, tmp_path, "app", str(CHARTS / "app"), "-f", str(values), "--include-crds"
    )
    assert [d["metadata"]["name"] for d in raw if d["kind"] == "CustomResourceDefinition"] == [
        c["metadata"]["name"] for c in toggled.crds
    ]


def test_post_render_order(helm_binary: HelmBinary, tmp_path: Path) -> None:
    spec = """\
  commonMetadata:
    labels:
      owner: from-common
      helm.toolkit.fluxcd.io/name: overridden
    annotations:
      note: common
  postRenderers:
    - kustomize:
        patches:
          - target: {kind: Deployment}
            patch: |
              - op: add
                path: /metadata/labels/owner
                value: from-patch
              - op: add
                path: /metadata/labels/patched
                value: "yes"
          - patch: |
              apiVersion: v1
              kind: Service
              metadata:
                name: app
                namespace: apps
              spec:
                type: NodePort
        images:
          - name: ghcr.io/example/app
            newTag: "9.9"
"""
    res = _render(helm_binary, tmp_path, spec)
    assert res.ok, res.problems
    by_id = dict(zip(_ids(res.objects), res.objects, strict=True))
    deploy = by_id["Deployment/app"]
    assert _labels(deploy) == {
        "helm.sh/chart": "app-1.2.3",
        "app.kubernetes.io/name": "app",
        "app.kubernetes.io/instance": "app",
        "owner": "from-common",  # commonMetadata runs after the post-renderer's patch
        "patched": "yes",
        "helm.toolkit.fluxcd.io/name": "app",  # origin labels run last
        "helm.toolkit.fluxcd.io/namespace": "apps",
    }
    assert deploy["spec"]["template"]["metadata"]["labels"] == {"app.kubernetes.io/instance": "app"}
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/example/app:9.9"
    assert by_id["Service/app"]["spec"]["type"] == "NodePort"
    # hooks go through the post-renderers too (combined strategy), keeping their annotations
    job = by_id["Job/app-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/example/app:9.9"
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["metadata"]["annotations"]["note"] == "common"
    # CRDs get the origin labels only
    crd = by_id["CustomResourceDefinition/widgets.example.com"]
    assert "owner" not in _labels(crd) and "annotations" not in crd["metadata"]
    nohooks = _render(helm_binary, tmp_path, spec + "  postRenderStrategy: nohooks\n")
    job = next(h for h in nohooks.hooks if h["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/example/app:1.0.0"
    assert "helm.toolkit.fluxcd.io/name" not in _labels(job)


def test_post_renderer_failure_is_a_problem(helm_binary: HelmBinary, tmp_path: Path) -> None:
    spec = """\
  postRenderers:
    - kustomize:
        patches:
          - patch: |
              apiVersion: v1
              kind: Service
              metadata:
                name: not-there
              spec:
                type: NodePort
"""
    res = _render(helm_binary, tmp_path, spec)
    assert not res.ok and res.objects == ()
    (p,) = res.problems
    assert p.kind == "postrender" and "not-there" in p.message


def test_schema_failure_is_a_values_finding(helm_binary: HelmBinary, tmp_path: Path) -> None:
    spec = "  values:\n    replicas: two\n    image:\n      tag: 5\n"
    obj = hr_obj(tmp_path, HR.format(spec=spec))
    values = to_plain(obj["spec"]["values"])
    res = render_release(
        ReleaseInput.from_obj(obj, values),
        StoredChart(CHARTS / "app", "app", "1.2.3"),
        _opts(helm_binary, tmp_path),
    )
    assert not res.ok and res.objects == ()
    problems = res.values_problems()
    assert [(p.kind, p.values_path) for p in problems] == [("schema", "image.tag"), ("schema", "replicas")]
    assert "got string, want integer" in problems[1].message
    assert problems[0].location is not None and problems[0].location.file == str(tmp_path / "hr.yaml")
    assert problems[0].location.line == 1
    skipped = _render(helm_binary, tmp_path, "  install:\n    disableSchemaValidation: true\n", values)
    assert skipped.ok and "--skip-schema-validation" in skipped.helm_args


def test_required_and_fail(helm_binary: HelmBinary, tmp_path: Path) -> None:
    res = _render(helm_binary, tmp_path, values={"image": {"repository": None}})
    (p,) = res.values_problems()
    assert p.kind == "required" and p.chart_location == "app/templates/deployment.yaml:19:21"
    assert p.message.startswith("image.repository is required")
    res = _render(helm_binary, tmp_path, values={"failMessage": "boom: bad config"})
    (p,) = res.values_problems()
    assert p.kind == "fail" and p.message.startswith("boom: bad config") and "configmap.yaml:2" in p.message


def test_remote_ref_schema(helm_binary: HelmBinary, tmp_path: Path) -> None:
    chart = StoredChart(CHARTS / "remote-ref", "remote-ref", "0.3.0")
    res = _render(helm_binary, tmp_path, chart=chart)
    assert res.ok and _ids(res.manifests) == ["ConfigMap/demo"]
    assert "--skip-schema-validation" in res.helm_args
    (p,) = res.values_problems()
    assert p.kind == "remote-ref" and not p.fatal and "https://kubernetesjsonschema.dev" in p.message
    assert "cannot be fetched offline" in p.message


def test_oci_version_plus_digest(helm_binary: HelmBinary, tmp_path: Path) -> None:
    digest = "sha256:" + "0123456789ab" + "f" * 52
    chart = StoredChart(CHARTS / "app", "app", "1.2.3", digest, "OCIRepository")
    res = _render(helm_binary, tmp_path, chart=chart)
    assert res.chart_version == "1.2.3+0123456789ab" == chart.helm_controller_version
    deploy = next(o for o in res.manifests if o["kind"] == "Deployment")
    assert _labels(deploy)["helm.sh/chart"] == "app-1.2.3_0123456789ab"
    assert (CHARTS / "app" / "Chart.yaml").read_text().count("version: 1.2.3") == 1  # the store is untouched
    copies = list((tmp_path / "cache" / "charts").iterdir())
    assert len(copies) == 1 and 'version: "1.2.3+0123456789ab"' in (copies[0] / "Chart.yaml").read_text()
    again = _render(
        helm_binary, tmp_path, chart=StoredChart(CHARTS / "app", "app", "1.2.3", digest, "HelmRepository")
    )
    assert (
        _labels(next(o for o in again.manifests if o["kind"] == "Deployment"))["helm.sh/chart"] == "app-1.2.3"
    )


def test_long_release_name_is_shortened(helm_binary: HelmBinary, tmp_path: Path) -> None:
    ns = "a-namespace-with-a-rather-long-name-indeed-longer-still"
    res = _render(helm_binary, tmp_path, f"  targetNamespace: {ns}\n")
    assert res.ok, res.problems
    name = res.release.release_name
    assert len(name) == 53 and name.startswith(f"{ns}-app"[:40] + "-")
    assert "Deployment/" + name in _ids(res.manifests)
