"""HO106: every variable Flux substitutes is set."""

from __future__ import annotations

from pathlib import Path

from homeops.findings import Severity
from homeops.rules.validate import variable_defined as rule
from tests.rules.harness import ROOT_KS, head, run, where, write_repo

F = "kubernetes/apps/cm.yaml"
CM = head("v1", "ConfigMap", "c", "apps") + "data:\n"


def test_unset_variable_is_an_error_at_its_use(tmp_path: Path) -> None:
    found = run(rule, write_repo(tmp_path, {F: CM + "  TZ: ${TZ}\n  HOST: ${SECRET_DOMAIN}\n"}))
    assert where(found) == [("HO106", F, 8)]
    assert found[0].severity is Severity.ERROR and "SECRET_DOMAIN" in found[0].message


def test_set_or_defaulted_variables_pass(tmp_path: Path) -> None:
    files = {F: CM + "  TZ: ${TZ}\n  HOST: ${SECRET_DOMAIN:=example.com}\n  LIT: $${KEEP}\n"}
    assert run(rule, write_repo(tmp_path, files)) == []


def test_variable_from_an_external_secret_is_information(tmp_path: Path) -> None:
    ks = ROOT_KS + "    substituteFrom:\n      - kind: Secret\n        name: vars\n"
    es = (
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: vars\n"
        "  namespace: flux-system\nspec:\n  data:\n    - secretKey: TOKEN\n      remoteRef:\n        key: t\n"
    )
    files = {"kubernetes/flux/ks.yaml": ks, "kubernetes/flux/es.yaml": es, F: CM + "  T: ${TOKEN}\n"}
    found = run(rule, write_repo(tmp_path, files))
    assert where(found) == [("HO106", F, 7)]
    assert found[0].severity is Severity.INFO
