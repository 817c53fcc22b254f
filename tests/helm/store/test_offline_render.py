"""The whole path: `homeops charts pull` fills the store from a Helm repository served on 127.0.0.1 (through
a mirror of the HelmRepository's public URL), the server stops, and `build all --helm` and `validate`
render the chart from the store alone. Skips without Helm v4."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import yaml
from homeops.helm.render import HelmUnavailableError, find_helm
from tests.diff.gitrepo import commit_all, git, write
from tests.helm.store.helpers import free_port, make_chart

try:
    find_helm()
    HELM = True
except HelmUnavailableError:
    HELM = False

pytestmark = pytest.mark.skipif(not HELM, reason="needs Helm v4 (`make` installs it into .venv/bin)")

FILES = {
    "kubernetes/flux/ks.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
""",
    "kubernetes/apps/kustomization.yaml": "resources:\n  - ./repo.yaml\n  - ./hr.yaml\n",
    "kubernetes/apps/repo.yaml": """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: charts, namespace: default}
spec: {interval: 1h, url: "https://charts.example.org"}
""",
    "kubernetes/apps/hr.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: demo, namespace: default}
spec:
  interval: 1h
  chart:
    spec: {chart: app, version: 1.2.0, sourceRef: {kind: HelmRepository, name: charts}}
""",
}


def _homeops(args: list[str], repo: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOMEOPS_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(cache.parent)}
    code = "from homeops.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args, "--repo", str(repo)], capture_output=True, text=True, env=env
    )


def test_pull_then_render_offline(tmp_path: Path) -> None:
    served = tmp_path / "served"
    (served / "charts").mkdir(parents=True)
    chart = make_chart("app", "1.2.0", marker="from-the-store")
    (served / "charts" / "app-1.2.0.tgz").write_bytes(chart)
    entry = {"apiVersion": "v2", "name": "app", "version": "1.2.0", "urls": ["charts/app-1.2.0.tgz"]}
    entry["digest"] = hashlib.sha256(chart).hexdigest()
    (served / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": {"app": [entry]}}))
    port = free_port()
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    mirror = f'helm:\n  mirrors: {{"https://charts.example.org": "http://127.0.0.1:{port}"}}\n'
    write(repo, {**FILES, ".homeops.yaml": mirror})
    commit_all(repo, "base")
    cache = tmp_path / "cache"
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(served)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            pulled = _homeops(["charts", "pull"], repo, cache)
            if pulled.returncode == 0:
                break
            subprocess.run(["sleep", "0.1"], check=True)
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
        # --allow-network on a build fills the store too (here: a second, empty store)
        other = tmp_path / "other-cache"
        fetched = _homeops(["build", "all", "--helm", "--allow-network"], repo, other)
        assert fetched.returncode == 0 and "1 rendered" in fetched.stdout, fetched.stdout + fetched.stderr
        assert "--allow-network fetched: pulled: app@1.2.0" in fetched.stdout.replace("\n", " ")
    finally:
        server.terminate()
        server.wait(timeout=10)
    out = tmp_path / "out"
    built = _homeops(["build", "all", "--helm", "-O", str(out)], repo, cache)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "1 rendered" in built.stdout
    text = (out / "flux-system" / "apps.yaml").read_text()
    assert "marker: from-the-store" in text and "helm.toolkit.fluxcd.io/name: demo" in text
    checked = _homeops(["validate", "-o", "json"], repo, cache)
    assert json.loads(checked.stdout)["summary"]["helm"] == {"rendered": 1}
