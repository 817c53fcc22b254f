"""The Helm stage in the pipeline: a local chart of this repository (a GitRepository that is it) is rendered
by validate and diff through the real Helm v4; its objects are validated and compared; values the chart's
schema rejects are HO114; a chart missing from the store is HO115 naming `homeops charts pull`; --no-helm
turns the stage off and says so. Skips without a Helm v4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeops.flux.api import RepoOptions
from homeops.flux.cluster import build_cluster
from homeops.helm.render import HelmUnavailableError, find_helm
from homeops.validate.engine import ValidateOptions, validate
from tests.diff.gitrepo import commit_all, git, write

try:
    find_helm()
    HELM = True
except HelmUnavailableError:
    HELM = False

pytestmark = pytest.mark.skipif(not HELM, reason="needs Helm v4 (`make` installs it into .venv/bin)")

KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""

HR = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: demo, namespace: default}
spec:
  interval: 1h
  chart:
    spec:
      chart: ./charts/demo
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  values:
    replicas: REPLICAS
"""

REMOTE_HR = """\
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: charts, namespace: default}
spec: {interval: 1h, url: "https://charts.example.org"}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: remote, namespace: default}
spec:
  interval: 1h
  chart:
    spec: {chart: podinfo, version: 6.5.0, sourceRef: {kind: HelmRepository, name: charts}}
"""

WORKLOAD = """\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {{{{ .Release.Name }}}}
spec:
  replicas: {{{{ .Values.replicas }}}}
  selector: {{matchLabels: {{app: demo}}}}
  template:
    metadata: {{labels: {{app: demo}}}}
    spec:
      containers:
        - name: app
          image: ghcr.io/example/demo:{tag}
"""

SCHEMA = json.dumps(
    {"type": "object", "properties": {"replicas": {"type": "integer"}}, "required": ["replicas"]}
)


def _files(kind: str = "StatefulSet", tag: str = "1.2.3", replicas: str = "1") -> dict[str, str]:
    return {
        "kubernetes/flux/ks.yaml": KS,
        "kubernetes/apps/kustomization.yaml": "resources:\n  - ./helmrelease.yaml\n",
        "kubernetes/apps/helmrelease.yaml": HR.replace("REPLICAS", replicas),
        "charts/demo/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
        "charts/demo/values.schema.json": SCHEMA,
        "charts/demo/templates/workload.yaml": WORKLOAD.format(kind=kind, tag=tag),
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, _files())
    commit_all(root, "base")
    return root


def _validate(repo: Path, helm: bool = True) -> list[tuple[str, str, str]]:
    result = validate(ValidateOptions(repo=repo, helm=helm))
    return [(f.code, f.file, f.message) for f in result.findings]


def test_validate_renders_the_chart_and_checks_its_objects(repo: Path) -> None:
    cluster = build_cluster(RepoOptions(repo=repo, helm=True).cluster_options())
    assert cluster.helm is not None and cluster.helm.counts() == {"rendered": 1}
    (node,) = cluster.nodes
    (sts,) = node.rendered
    assert (sts["kind"], sts["metadata"]["name"], sts["metadata"]["namespace"]) == (
        "StatefulSet",
        "demo",
        "default",
    )
    assert sts["metadata"]["labels"]["helm.toolkit.fluxcd.io/name"] == "demo"
    assert sts.pos is not None and sts.pos.file.endswith("kubernetes/apps/helmrelease.yaml")
    write(repo, {"charts/demo/templates/workload.yaml": WORKLOAD.format(kind="StatefulSet", tag="latest")})
    codes = _validate(repo)
    pinned = [c for c in codes if "demo:latest" in c[2]]
    assert pinned and all(file == "kubernetes/apps/helmrelease.yaml" for _, file, _ in pinned), codes
    assert not [c for c in _validate(repo, helm=False) if "demo:latest" in c[2]]  # only the render shows it


def test_values_the_schema_rejects_are_chart_values_valid(repo: Path) -> None:
    write(repo, {"kubernetes/apps/helmrelease.yaml": HR.replace("REPLICAS", "two")})
    found = [c for c in _validate(repo) if c[0] == "HO114"]
    assert found and found[0][1] == "kubernetes/apps/helmrelease.yaml" and "replicas" in found[0][2]


def test_a_chart_not_in_the_store_names_charts_pull(repo: Path, tmp_path: Path) -> None:
    write(repo, {"kubernetes/apps/remote.yaml": REMOTE_HR})
    write(
        repo,
        {"kubernetes/apps/kustomization.yaml": "resources:\n  - ./helmrelease.yaml\n  - ./remote.yaml\n"},
    )
    result = validate(ValidateOptions(repo=repo, helm=True))
    missing = [f for f in result.findings if f.code == "HO115"]
    assert len(missing) == 1 and missing[0].object == "HelmRelease/default/remote"
    assert "not in the chart store" in missing[0].message and "homeops charts pull" in missing[0].hint
    assert result.summary()["helm"] == {"not-in-store": 1, "rendered": 1}
    assert not [f for f in validate(ValidateOptions(repo=repo, helm=False)).findings if f.code == "HO115"]


def test_diff_compares_rendered_objects(repo: Path) -> None:
    from homeops.diff.api import DiffOptions, diff

    write(repo, {"charts/demo/templates/workload.yaml": WORKLOAD.format(kind="Deployment", tag="1.2.3")})
    result = diff(DiffOptions(base="main", repo=RepoOptions(repo=repo, helm=True)))
    changed = {(c.kind, c.key.name, c.change) for c in result.changes}
    assert ("StatefulSet", "demo", "removed") in changed and ("Deployment", "demo", "added") in changed, (
        changed
    )
    plain = diff(DiffOptions(base="main", repo=RepoOptions(repo=repo, helm=False)))
    assert not plain.has_differences  # without rendering, only the chart's template changed


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from homeops.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_build_hr_render_prints_the_chart_objects(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(["build", "hr", "demo", "--render", "--repo", str(repo)], capsys)
    assert code == 0, err
    assert "# Rendered by Helm: chart" in out and "kind: StatefulSet" in out
    assert "helm.toolkit.fluxcd.io/name: demo" in out
    code, out, _ = _cli(["build", "hr", "demo", "--repo", str(repo)], capsys)
    assert code == 0 and "kind: StatefulSet" not in out  # without --render, values only


def test_build_all_helm_writes_every_release(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, {"kubernetes/apps/remote.yaml": REMOTE_HR})
    write(
        repo,
        {"kubernetes/apps/kustomization.yaml": "resources:\n  - ./helmrelease.yaml\n  - ./remote.yaml\n"},
    )
    out_dir = tmp_path / "out"
    code, out, err = _cli(["build", "all", "--helm", "--repo", str(repo), "-O", str(out_dir)], capsys)
    assert code == 0, out + err  # a chart missing from the store is listed, not a failure
    assert "HelmRelease/default/remote: not-in-store" in out and "1 not-in-store, 1 rendered" in out
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["totals"]["helmreleases"] == {"not-in-store": 1, "rendered": 1}
    statuses = {r["name"]: (r["status"], r["message"]) for r in summary["helmreleases"]}
    assert statuses["demo"] == ("rendered", "")
    assert statuses["remote"][0] == "not-in-store" and "homeops charts pull" in statuses["remote"][1]
    (row,) = summary["kustomizations"]
    assert row["rendered"] == 1
    text = (out_dir / "flux-system" / "apps.yaml").read_text()
    assert text.index("kind: HelmRelease") < text.index("kind: StatefulSet")  # the charts' objects come after


TOKEN = "t0ken-VALUE-5150-qx"
SECRET = f"""\
apiVersion: v1
kind: Secret
metadata: {{name: demo-values, namespace: default}}
stringData:
  token: {TOKEN}
"""
CM_TEMPLATE = """\
{{- if .Values.token }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  dsn: "postgres://app:{{ .Values.token }}@db"
  upper: {{ upper .Values.token | quote }}
{{- end }}
"""


def test_rendered_output_masks_secret_values(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hr = (
        HR.replace("REPLICAS", "1")
        + "  valuesFrom:\n    - {kind: Secret, name: demo-values, valuesKey: token, targetPath: token}\n"
    )
    write(
        repo,
        {
            "kubernetes/apps/helmrelease.yaml": hr,
            "kubernetes/apps/secret.yaml": SECRET,
            "kubernetes/apps/kustomization.yaml": "resources:\n  - ./secret.yaml\n  - ./helmrelease.yaml\n",
            "charts/demo/templates/cm.yaml": CM_TEMPLATE,
        },
    )
    code, out, err = _cli(["build", "hr", "demo", "--render", "--repo", str(repo)], capsys)
    assert code == 0, err
    assert "demo-settings" in out and TOKEN not in out and TOKEN.upper() not in out
    code, out, _ = _cli(["build", "hr", "demo", "--render", "--show-secrets", "--repo", str(repo)], capsys)
    assert f"postgres://app:{TOKEN}@db" in out and TOKEN.upper() in out
    code, out, _ = _cli(["validate", "--repo", str(repo), "-o", "json"], capsys)
    assert TOKEN not in out
