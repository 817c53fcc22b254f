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
