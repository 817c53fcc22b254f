"""HO111: StorageClasses that claims ask for exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.rules.validate import storage_class_defined as rule
from homeops.validate.config import ValidateConfig
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/pvc.yaml"
PVC = head("v1", "PersistentVolumeClaim", "data", "apps") + "spec:\n  storageClassName: {sc}\n"
STS = (
    head("apps/v1", "StatefulSet", "s", "apps") + "spec:\n"
    "  volumeClaimTemplates:\n    - metadata:\n        name: d\n      spec:\n        storageClassName: fast\n"
)
HR = (
    head("helm.toolkit.fluxcd.io/v2", "HelmRelease", "h", "apps") + "spec:\n"
    "  values:\n    persistence:\n      config:\n        storageClass: fast\n"
)
SC = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: x\n"
OPENEBS = (
    head("helm.toolkit.fluxcd.io/v2", "HelmRelease", "o", "apps") + "spec:\n"
    "  values:\n    localpv-provisioner:\n      hostpathClass:\n        enabled: true\n        name: fast\n"
)


@pytest.mark.parametrize(
    ("text", "line"), [(PVC.format(sc="fast"), 7), (STS, 11), (HR, 10)], ids=["pvc", "sts", "values"]
)
def test_undefined_class(text: str, line: int, tmp_path: Path) -> None:
    assert where(run(rule, write_repo(tmp_path, {F: text}))) == [("HO111", F, line)]


@pytest.mark.parametrize(
    ("files", "config"),
    [
        ({F: PVC.format(sc="fast"), "kubernetes/apps/sc.yaml": SC}, None),
        ({F: STS, "kubernetes/apps/o.yaml": OPENEBS}, None),
        ({F: HR}, ValidateConfig(storage_classes=("fast",))),
        ({F: PVC.format(sc='""')}, None),
    ],
    ids=["built", "defined by chart values", "configured", "no class"],
)
def test_defined_class(files: dict[str, str], config: ValidateConfig | None, tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, files), config) == []
