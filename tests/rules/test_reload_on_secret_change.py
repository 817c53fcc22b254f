"""HO113: consumers of ExternalSecret Secrets carry a Reloader annotation."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.findings import Severity
from homeops.rules.validate import reload_on_secret_change as rule
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/w.yaml"
ES = (
    head("external-secrets.io/v1", "ExternalSecret", "es", "apps")
    + "spec:\n  target:\n    name: s\n  dataFrom:\n    - extract:\n        key: x\n"
)


def deploy(annotations: str = "") -> str:
    return (
        head("apps/v1", "Deployment", "d") + f"{annotations}spec:\n"
        "  template:\n    spec:\n      containers:\n        - name: a\n          image: a:1\n"
        "          envFrom:\n            - secretRef:\n                name: s\n"
    )


def hr(annotations: str = "", kind: str = "") -> str:
    return (
        head("helm.toolkit.fluxcd.io/v2", "HelmRelease", "h", "apps")
        + f"spec:\n  values:\n    controllers:\n      main:\n{kind}{annotations}        containers:\n"
        "          app:\n            envFrom:\n              - secret: s\n"
    )


AUTO = '  annotations:\n    reloader.stakater.com/auto: "true"\n'
NAMED = "  annotations:\n    secret.reloader.stakater.com/reload: other,s\n"
HR_AUTO = '        annotations:\n          reloader.stakater.com/auto: "true"\n'


@pytest.mark.parametrize(("text", "line"), [(deploy(), 1), (hr(), 9)], ids=["deployment", "app-template"])
def test_missing_annotation(text: str, line: int, tmp_path: Path) -> None:
    found = run(rule, write_repo(tmp_path, {F: text, "kubernetes/apps/es.yaml": ES}))
    assert where(found) == [("HO113", F, line)]
    assert found[0].severity is Severity.WARNING


@pytest.mark.parametrize(
    "text",
    [deploy(AUTO), deploy(NAMED), hr(HR_AUTO), hr(kind="        type: cronjob\n")],
    ids=["auto", "named", "app-template auto", "cronjob"],
)
def test_good(text: str, tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, {F: text, "kubernetes/apps/es.yaml": ES})) == []


def test_secret_not_from_an_external_secret(tmp_path: Path) -> None:
    secret = head("v1", "Secret", "s", "apps")
    assert run(rule, write_repo(tmp_path, {F: deploy(), "kubernetes/apps/s.yaml": secret})) == []
