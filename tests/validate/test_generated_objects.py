"""Validate rules see what ResourceSets generate (flux-operator applies it like any other object)."""

from __future__ import annotations

import shutil
from pathlib import Path

from homeops.validate.engine import ValidateOptions, validate

FIXTURE = Path(__file__).parent.parent / "fixtures" / "fluxrepos" / "resourceset"

WORKLOADS = """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: workloads
  namespace: flux-system
spec:
  inputs:
    - {name: web, image: "ghcr.io/example/web"}
  resources:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: "<< inputs.name >>", namespace: default}
      spec:
        selector: {matchLabels: {app: "<< inputs.name >>"}}
        template:
          metadata: {labels: {app: "<< inputs.name >>"}}
          spec:
            containers:
              - {name: main, image: "<< inputs.image >>"}
"""


def test_an_unpinned_image_in_a_resourceset_output_is_found(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    (repo / "apps" / "sets" / "resourceset-workloads.yaml").write_text(WORKLOADS)
    kfile = repo / "apps" / "kustomization.yaml"
    kfile.write_text(kfile.read_text() + "  - ./sets/resourceset-workloads.yaml\n")
    result = validate(ValidateOptions(repo=repo, select=("HO104",)))
    hits = [f for f in result.findings if f.code == "HO104"]
    assert [f.object for f in hits] == ["Deployment/default/web"], result.findings
    assert "ghcr.io/example/web" in hits[0].message
