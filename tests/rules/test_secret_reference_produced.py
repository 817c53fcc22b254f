"""HO109: Secrets that workloads and HelmReleases refer to are produced in their namespace."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.rules.validate import secret_reference_produced as rule
from homeops.validate.config import ValidateConfig
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/w.yaml"
P = "kubernetes/apps/producer.yaml"
POD = head("v1", "Pod", "p", "apps") + "spec:\n"
ENVFROM = (
    POD + "  containers:\n    - name: a\n      image: a:1\n      envFrom:\n"
    "        - secretRef:\n            name: s\n"
)
KEYREF = (
    POD
    + "  containers:\n    - name: a\n      image: a:1\n      env:\n        - name: X\n          valueFrom:\n"
    "            secretKeyRef:\n              name: s\n              key: k\n"
)
VOLUME = POD + "  containers: []\n  volumes:\n    - name: v\n      secret:\n        secretName: s\n"
PULL = POD + "  containers: []\n  imagePullSecrets:\n    - name: s\n"
HR = head("helm.toolkit.fluxcd.io/v2", "HelmRelease", "h", "apps") + "spec:\n"
VALUES_FROM = HR + "  valuesFrom:\n    - kind: Secret\n      name: s\n"
EXISTING = HR + "  values:\n    auth:\n      existingSecret: s\n"
APP_TEMPLATE = (
    HR
    + "  values:\n    controllers:\n      main:\n        containers:\n          app:\n            envFrom:\n"
    "              - secretRef:\n                  name: '{{ .Release.Name }}-secret'\n"
)

SECRET = head("v1", "Secret", "{name}", "{ns}") + "stringData:\n  k: ${{X:=v}}\n"
EXTERNAL = (
    head("external-secrets.io/v1", "ExternalSecret", "es", "apps")
    + "spec:\n  target:\n    name: {name}\n  dataFrom:\n    - extract:\n        key: x\n"
)
CERT = head("cert-manager.io/v1", "Certificate", "c", "apps") + "spec:\n  secretName: {name}\n"

BAD = [
    ("envFrom", ENVFROM, 12),
    ("secretKeyRef", KEYREF, 14),
    ("volume", VOLUME, 11),
    ("imagePullSecrets", PULL, 9),
    ("valuesFrom", VALUES_FROM, 8),
    ("existingSecret", EXISTING, 9),
    ("app-template with release name", APP_TEMPLATE, 14),
]


@pytest.mark.parametrize(("case", "text", "line"), BAD, ids=[c[0] for c in BAD])
def test_bad(case: str, text: str, line: int, tmp_path: Path) -> None:
    text = text.replace("name: '{{ .Release.Name }}-secret'", "name: '{{ .Release.Name }}-gone'")
    assert where(run(rule, write_repo(tmp_path, {F: text}))) == [("HO109", F, line)]


def test_secret_in_another_namespace_does_not_count(tmp_path: Path) -> None:
    files = {F: ENVFROM, P: SECRET.format(name="s", ns="kube-system")}
    assert where(run(rule, write_repo(tmp_path, files))) == [("HO109", F, 12)]


@pytest.mark.parametrize(
    ("producer", "text"),
    [
        (SECRET.format(name="s", ns="apps"), ENVFROM),
        (EXTERNAL.format(name="s"), KEYREF),
        (CERT.format(name="s"), VOLUME),
        (SECRET.format(name="s", ns="apps"), VALUES_FROM),
        (EXTERNAL.format(name="s"), EXISTING),
        (EXTERNAL.format(name="h-secret"), APP_TEMPLATE),
    ],
    ids=["secret", "external-secret", "certificate", "valuesFrom", "existingSecret", "app-template"],
)
def test_good(producer: str, text: str, tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, {F: text, P: producer})) == []


def test_optional_and_configured_references(tmp_path: Path) -> None:
    optional = VOLUME + "        optional: true\n"
    assert run(rule, write_repo(tmp_path, {F: optional})) == []
    assert run(rule, write_repo(tmp_path, {F: ENVFROM}), ValidateConfig(secrets=("apps/s",))) == []
