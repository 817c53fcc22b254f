"""HO110: claims that pods mount are built in their namespace."""

from __future__ import annotations

from pathlib import Path

from homeops.rules.validate import pvc_exists as rule
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/w.yaml"
DEPLOY = (
    head("apps/v1", "Deployment", "d", "apps") + "spec:\n  template:\n"
    "    spec:\n      containers: []\n      volumes:\n        - name: v\n          persistentVolumeClaim:\n"
    "            claimName: data\n"
)
HR = (
    head("helm.toolkit.fluxcd.io/v2", "HelmRelease", "h", "apps") + "spec:\n"
    "  values:\n    persistence:\n      config:\n        existingClaim: data\n"
)
PVC = head("v1", "PersistentVolumeClaim", "data", "{ns}") + "spec:\n  accessModes: [ReadWriteOnce]\n"


def test_missing_claims(tmp_path: Path) -> None:
    files = {F: DEPLOY, "kubernetes/apps/hr.yaml": HR, "kubernetes/apps/pvc.yaml": PVC.format(ns="other")}
    assert where(run(rule, write_repo(tmp_path, files))) == [
        ("HO110", "kubernetes/apps/hr.yaml", 10),
        ("HO110", F, 13),
    ]


def test_built_claim(tmp_path: Path) -> None:
    files = {F: DEPLOY, "kubernetes/apps/hr.yaml": HR, "kubernetes/apps/pvc.yaml": PVC.format(ns="apps")}
    assert run(rule, write_repo(tmp_path, files)) == []


def test_claims_a_resourceset_templates_are_warnings(tmp_path: Path) -> None:
    resourceset = (
        head("fluxcd.controlplane.io/v1", "ResourceSet", "restores", "apps") + "spec:\n"
        "  resourcesTemplate: |\n    apiVersion: v1\n    kind: PersistentVolumeClaim\n"
        "    metadata:\n      name: << inputs.app >>-data\n"
    )
    files = {F: DEPLOY, "kubernetes/apps/rs.yaml": resourceset}
    findings = run(rule, write_repo(tmp_path, files))
    assert where(findings) == [("HO110", F, 13)]
    assert findings[0].severity.value == "warning"
    assert "ResourceSet/apps/restores templates PersistentVolumeClaims" in findings[0].message


def test_claims_declared_in_config_are_accepted(tmp_path: Path) -> None:
    repo = write_repo(tmp_path, {F: DEPLOY})
    (repo / ".homeops.yaml").write_text("persistentVolumeClaims: [apps/data]\n")
    from homeops.flux.cluster import ClusterOptions, build_cluster
    from homeops.validate.config import load_config
    from homeops.validate.context import ValidateContext

    ctx = ValidateContext(build_cluster(ClusterOptions(repo=repo)), load_config(repo))
    assert list(rule.check(ctx)) == []
