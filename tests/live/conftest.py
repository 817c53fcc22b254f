"""Fixtures for the live tests: a fake API server with its kubeconfig, a small Flux repository, and
`homeops` run in process with the live commands registered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from homeops.cli import main as cli_main
from homeops.cli.live_cmds import reconcile_command, status_command
from tests.flux.fluxrepos import isolate_keys
from tests.live.fakeapi import FakeCluster, serve, write_kubeconfig

REPO_FILES = {
    "kubernetes/flux/cluster/ks.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "kubernetes/apps/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./games/ks.yaml
""",
    "kubernetes/apps/games/ks.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: romm
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps/games/romm/app
  prune: true
  targetNamespace: games
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "kubernetes/apps/games/romm/app/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./helmrelease.yaml
""",
    "kubernetes/apps/games/romm/app/helmrelease.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: romm
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: romm
  values: {}
""",
}


@pytest.fixture
def fake() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def server(fake: FakeCluster) -> Iterator[str]:
    with serve(fake) as url:
        yield url


@pytest.fixture
def kubeconfig(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$KUBECONFIG points at the fake server (and HOME has no ~/.kube/config)."""
    path = write_kubeconfig(tmp_path / "kubeconfig", server)
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_keys(monkeypatch, tmp_path)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for rel, text in REPO_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


class Cli:
    """Runs `homeops ARGS` in process with status/reconcile registered; returns (code, stdout, stderr)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setitem(cli_main.cli.commands, "status", status_command)
        monkeypatch.setitem(cli_main.cli.commands, "reconcile", reconcile_command)
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            cli_main.main(list(args))
        out, err = self.capsys.readouterr()
        code = exc.value.code
        return (code if isinstance(code, int) else 0), out, err


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)
