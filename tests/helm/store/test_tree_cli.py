"""``homeops charts pull|list|prune`` over a repository's Flux tree (library and click group)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner

import yaml
from homeops.cli.charts_cmd import charts_group
from homeops.flux.api import RepoOptions
from homeops.helm.store import ChartStore, HelmStoreConfig
from homeops.helm.store.tree import ChartsPruneOptions, ChartsPullOptions, charts_prune, charts_pull
from homeops.helm.types import ChartRequest
from tests.helm.store.conftest import Endpoint
from tests.helm.store.helpers import make_chart

ROOT_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: cluster-apps, namespace: flux-system}
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""

APPS = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {{name: lab, namespace: flux-system}}
spec: {{url: "{url}"}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: web, namespace: default}}
spec:
  interval: 1h
  chart:
    spec:
      chart: app
      version: "1.x"
      sourceRef: {{kind: HelmRepository, name: lab, namespace: flux-system}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: gone, namespace: default}}
spec:
  interval: 1h
  chart:
    spec: {{chart: missing, sourceRef: {{kind: HelmRepository, name: lab, namespace: flux-system}}}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: mine, namespace: default}}
spec:
  interval: 1h
  chart:
    spec:
      chart: ./kubernetes/charts/mine
      sourceRef: {{kind: GitRepository, name: flux-system, namespace: flux-system}}
"""


def _repo(tmp_path: Path, url: str) -> Path:
    repo = tmp_path / "home-ops"
    (repo / "kubernetes" / "flux" / "cluster").mkdir(parents=True)
    (repo / "kubernetes" / "flux" / "cluster" / "ks.yaml").write_text(ROOT_KS, encoding="utf-8")
    apps = repo / "kubernetes" / "apps"
    apps.mkdir()
    (apps / "kustomization.yaml").write_text("resources: [apps.yaml]\n", encoding="utf-8")
    (apps / "apps.yaml").write_text(APPS.format(url=url), encoding="utf-8")
    mine = repo / "kubernetes" / "charts" / "mine"
    (mine / "templates").mkdir(parents=True)
    (mine / "Chart.yaml").write_text("apiVersion: v2\nname: mine\nversion: 0.2.0\n", encoding="utf-8")
    return repo


def _serve_charts(root: Path) -> None:
    entries = []
    for version in ("1.1.0", "1.2.0"):
        data = make_chart("app", version)
        (root / f"app-{version}.tgz").write_bytes(data)
        entries.append(
            {
                "name": "app",
                "version": version,
                "urls": [f"app-{version}.tgz"],
                "digest": hashlib.sha256(data).hexdigest(),
            }
        )
    (root / "index.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "entries": {"app": entries}}), encoding="utf-8"
    )


def test_pull_list_prune_over_the_tree(tmp_path: Path, http_repo: Endpoint) -> None:
    _serve_charts(http_repo.root)
    repo = _repo(tmp_path, http_repo.url)
    store_dir = tmp_path / "store"
    config = HelmStoreConfig(plain_http=("127.0.0.1",))
    options = ChartsPullOptions(repo=RepoOptions(repo=repo), store_dir=store_dir, config=config)
    result = charts_pull(options)
    lines = sorted(o.line() for o in result.result.outcomes)
    assert result.failed == 1, lines
    assert any(line.startswith("pulled: app@1.x") and "app 1.2.0" in line for line in lines), lines
    assert any(
        line.startswith("failed: missing@*") and "'missing' is not in the index" in line for line in lines
    )
    assert any(
        line.startswith("local: ./kubernetes/charts/mine@*") and "mine 0.2.0" in line for line in lines
    )
    web = next(o for o in result.result.outcomes if o.request and o.request.chart == "app")
    assert web.users == ("HelmRelease/default/web",)

    again = charts_pull(options)
    assert sorted(o.status for o in again.result.outcomes) == ["failed", "local", "present"]

    runner = CliRunner()
    listed = runner.invoke(charts_group, ["list", "--store", str(store_dir)])
    assert listed.exit_code == 0, listed.output
    assert f"{http_repo.url}  app  1.2.0  sha256:" in listed.output

    # Another chart in the store that the tree does not use is pruned; the one it uses stays.
    store = ChartStore(store_dir)
    extra = make_chart("old", "0.0.1")
    store.add(
        ChartRequest("HelmRepository", url="https://old.example.org", chart="old", version="0.0.1"),
        extra,
        version="0.0.1",
        digest="",
        fetched_from="",
    )
    pruned = charts_prune(ChartsPruneOptions(repo=RepoOptions(repo=repo), store_dir=store_dir))
    assert [e.chart for e in pruned.removed] == ["old"] and pruned.kept == 1


def test_cli_pull_exits_1_when_a_chart_fails(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "https://127.0.0.1:1")  # refused: loopback, not configured
    runner = CliRunner()
    args = ["pull", "--repo", str(repo), "--store", str(tmp_path / "s")]
    result = runner.invoke(charts_group, args, standalone_mode=False)
    assert result.exception is None, result.output
    assert result.return_value == 1  # the exit code main() gives
    assert (
        "failed: app@1.x from https://127.0.0.1:1: refused to connect: loopback address 127.0.0.1"
        in result.output
    )
