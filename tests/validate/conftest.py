"""A small Flux repository for validate, graph and plan tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT_KS = """\
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
"""

APP_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps/{name}/app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  dependsOn:
{deps}"""

CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: default
data:
  key: value
"""


def make_repo(root: Path, apps: dict[str, list[str]]) -> Path:
    """A repository whose root Kustomization applies one Flux Kustomization per app, with dependsOn."""
    (root / ".git").mkdir(parents=True)
    (root / "kubernetes/flux/cluster").mkdir(parents=True)
    (root / "kubernetes/flux/cluster/ks.yaml").write_text(ROOT_KS)
    apps_dir = root / "kubernetes/apps"
    apps_dir.mkdir(parents=True)
    (apps_dir / "kustomization.yaml").write_text(
        "resources:\n" + "".join(f"  - ./{name}/ks.yaml\n" for name in apps)
    )
    for name, deps in apps.items():
        (apps_dir / name / "app").mkdir(parents=True)
        dep_text = "".join(f"    - name: {d}\n" for d in deps) if deps else "    []\n"
        (apps_dir / name / "ks.yaml").write_text(APP_KS.format(name=name, deps=dep_text))
        (apps_dir / name / "app" / "kustomization.yaml").write_text("resources:\n  - ./configmap.yaml\n")
        (apps_dir / name / "app" / "configmap.yaml").write_text(CM.format(name=name))
    return root


@pytest.fixture
def chain_repo(tmp_path: Path) -> Path:
    """storage <- database <- games, plus a dependency on a missing Kustomization in 'broken'."""
    return make_repo(
        tmp_path / "repo",
        {"storage": [], "database": ["storage"], "games": ["database", "storage"], "broken": ["nothere"]},
    )
