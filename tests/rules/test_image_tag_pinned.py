"""HO104: container images name a version."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.rules.validate import image_tag_pinned as rule
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/w.yaml"


def deploy(image: str, kind: str = "Deployment") -> str:
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: w\n  namespace: apps\nspec:\n  template:\n"
        f"    spec:\n      containers:\n        - name: app\n          image: {image}\n"
    )


def cronjob(image: str) -> str:
    return (
        head("batch/v1", "CronJob", "c", "apps") + "spec:\n"
        "  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        f"          initContainers:\n            - name: init\n              image: {image}\n"
    )


def hr(image: str) -> str:
    return (
        head("helm.toolkit.fluxcd.io/v2", "HelmRelease", "h", "apps")
        + "spec:\n  chartRef:\n    kind: OCIRepository\n    name: app-template\n  values:\n    controllers:\n"
        f"      main:\n        containers:\n          app:\n            image:\n{image}"
    )


BAD = [
    ("no tag", deploy("nginx"), 11),
    ("latest", deploy("ghcr.io/a/b:latest"), 11),
    ("registry port, no tag", deploy("localhost:5000/b"), 11),
    ("cronjob init container", cronjob("busybox"), 14),
    ("app-template without tag", hr("              repository: ghcr.io/a/b\n"), 15),
    ("app-template latest", hr("              repository: ghcr.io/a/b\n              tag: latest\n"), 15),
]
GOOD = [
    ("tag", deploy("nginx:1.27")),
    ("digest", deploy("nginx@sha256:0123")),
    ("registry port and tag", deploy("localhost:5000/b:1.0")),
    ("app-template tag", hr("              repository: ghcr.io/a/b\n              tag: 1.0.0\n")),
    (
        "latest pinned by digest",
        hr("              repository: ghcr.io/a/b\n              tag: latest@sha256:01\n"),
    ),
]


@pytest.mark.parametrize(("case", "text", "line"), BAD, ids=[c[0] for c in BAD])
def test_bad(case: str, text: str, line: int, tmp_path: Path) -> None:
    assert where(run(rule, write_repo(tmp_path, {F: text}))) == [("HO104", F, line)]


@pytest.mark.parametrize(("case", "text"), GOOD, ids=[c[0] for c in GOOD])
def test_good(case: str, text: str, tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, {F: text})) == []


def test_other_charts_may_default_the_tag(tmp_path: Path) -> None:
    text = (
        head("helm.toolkit.fluxcd.io/v2", "HelmRelease", "h", "apps")
        + "spec:\n  chart:\n    spec:\n      chart: x\n      version: 1.0.0\n  values:\n    image:\n"
        "      repository: mirror.local/x\n"
    )
    assert run(rule, write_repo(tmp_path, {F: text})) == []
