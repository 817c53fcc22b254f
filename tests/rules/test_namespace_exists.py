"""HO112: namespaced objects go into namespaces that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.rules.validate import namespace_exists as rule
from homeops.validate.config import ValidateConfig
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/cm.yaml"


def cm(ns: str, name: str = "c") -> str:
    return head("v1", "ConfigMap", name, ns)


def test_missing_namespace_once_per_kustomization(tmp_path: Path) -> None:
    found = run(rule, write_repo(tmp_path, {F: cm("media") + "---\n" + cm("media", "d")}))
    assert where(found) == [("HO112", F, 5)]
    assert "1 more" in found[0].message


@pytest.mark.parametrize(
    "text",
    [
        cm("apps"),
        cm("kube-system"),
        cm("flux-system"),
        head("rbac.authorization.k8s.io/v1", "ClusterRole", "r", "nope"),
        head("cert-manager.io/v1", "ClusterIssuer", "i", "nope"),
    ],
    ids=["created", "builtin", "flux", "cluster-scoped", "custom cluster kind"],
)
def test_good(text: str, tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, {F: text})) == []


def test_configured_namespace(tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, {F: cm("media")}), ValidateConfig(namespaces=("media",))) == []
