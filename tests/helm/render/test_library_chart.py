"""A realistic app chart built on a library chart (controllers, services, ingress, persistence, `tpl`,
`lookup`, `required`), rendered by homeops and by the real `helm template`: the same objects, plus the
origin labels helm-controller adds; a missing required value is a chart-values-valid problem."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from homeops.helm.render import HelmBinary, ReleaseInput, RenderOptions, render_release
from homeops.helm.render.helmbin import isolated_env
from homeops.helm.types import StoredChart
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import to_plain
from tests.helm.render.conftest import CHARTS, hr_obj

pytestmark = pytest.mark.oracle

CHART = StoredChart(CHARTS / "homelab-app", "homelab-app", "1.4.0")
HR = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: demo, namespace: media}
spec:
  interval: 1h
"""
VALUES: dict[str, Any] = {
    "controllers": {
        "main": {
            "type": "statefulset",
            "containers": {"app": {"image": {"repository": "ghcr.io/example/app", "tag": "2.1.0"}}},
        },
        "worker": {
            "replicas": 2,
            "containers": {"jobs": {"image": {"repository": "ghcr.io/example/w", "tag": 3}}},
        },
    },
    "ingress": {"main": {"enabled": True, "hosts": [{"host": "app.{{ .Release.Namespace }}.example.org"}]}},
    "persistence": {
        "config": {"enabled": True, "size": "5Gi", "storageClass": "ceph-block"},
        "cache": {"enabled": True, "type": "emptyDir"},
    },
}


def _helm_template(helm: HelmBinary, tmp_path: Path, values: dict[str, Any]) -> list[Any]:
    vfile = tmp_path / "values.json"
    vfile.write_text(json.dumps(values), encoding="utf-8")
    args = ["template", "demo", str(CHART.path), "-n", "media", "-f", str(vfile), "--kube-version", "1.33.0"]
    out = subprocess.run(
        [str(helm.path), *args], env=isolated_env(tmp_path / "home"), capture_output=True, check=True
    )
    return [to_plain(d) for d in load_documents(out.stdout, "helm") if d is not None]


def test_library_chart_renders_as_helm_template(helm_binary: HelmBinary, tmp_path: Path) -> None:
    release = ReleaseInput.from_obj(hr_obj(tmp_path, HR), VALUES)
    result = render_release(
        release, CHART, RenderOptions(helm=helm_binary.path, cache_dir=tmp_path / "cache")
    )
    assert result.ok, result.problems
    ours = [to_plain(o) for o in result.objects]
    kinds = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in ours)
    assert kinds == [
        "Deployment/demo-homelab-app-worker",
        "Ingress/demo-homelab-app",
        "PersistentVolumeClaim/demo-homelab-app-config",
        "Service/demo-homelab-app",
        "StatefulSet/demo-homelab-app",
    ]
    for obj in ours:
        labels = obj["metadata"]["labels"]
        assert (
            labels.pop("helm.toolkit.fluxcd.io/name"),
            labels.pop("helm.toolkit.fluxcd.io/namespace"),
        ) == (
            "demo",
            "media",
        )
    assert sorted(ours, key=str) == sorted(_helm_template(helm_binary, tmp_path, VALUES), key=str)
    ingress = next(o for o in ours if o["kind"] == "Ingress")
    assert ingress["spec"]["rules"][0]["host"] == "app.media.example.org"  # tpl in the library


def test_required_value_of_the_library_is_a_values_problem(helm_binary: HelmBinary, tmp_path: Path) -> None:
    values = {**VALUES, "persistence": {"data": {"enabled": True}}}
    release = ReleaseInput.from_obj(hr_obj(tmp_path, HR), values)
    result = render_release(
        release, CHART, RenderOptions(helm=helm_binary.path, cache_dir=tmp_path / "cache")
    )
    assert not result.ok
    (problem,) = result.values_problems()
    # Helm reports the position of the `include` in the app chart, so required and fail look alike here
    assert problem.kind in ("required", "fail") and "persistence.data.size is required" in problem.message
    assert problem.chart_location.startswith("homelab-app/templates/all.yaml:1:")


def test_values_schema_of_the_app_chart(helm_binary: HelmBinary, tmp_path: Path) -> None:
    values = {**VALUES, "persistence": {"data": {"enabled": True, "size": "lots"}}}
    release = ReleaseInput.from_obj(hr_obj(tmp_path, HR), values)
    result = render_release(
        release, CHART, RenderOptions(helm=helm_binary.path, cache_dir=tmp_path / "cache")
    )
    (problem,) = result.values_problems()
    assert problem.kind == "schema" and problem.values_path.startswith("persistence.data.size")
