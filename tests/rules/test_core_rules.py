"""Table tests of the build, schema, reachability and graph rules (HO001-HO005, HO201-HO203)."""

from __future__ import annotations

from pathlib import Path

from homeops.rules.validate import (
    build_succeeds,
    crd_dependency,
    depends_on_acyclic,
    depends_on_exists,
    kustomization_applied,
    schema_available,
    schema_placeholder,
    schema_valid,
)
from tests.rules.harness import head, run, where, write_repo

APP_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/{path}
  prune: false
  sourceRef:
    kind: GitRepository
    name: flux-system
{extra}"""

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
"""


def ks(name: str, path: str, extra: str = "") -> str:
    return APP_KS.format(name=name, path=path, extra=extra)


def test_build_failure_points_at_the_kustomization_line(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path,
        {
            "kubernetes/apps/ks.yaml": ks("web", "web"),
            "kubernetes/web/kustomization.yaml": "resources:\n  - ./deployment.yaml\n  - ./missing.yaml\n",
            "kubernetes/web/deployment.yaml": head("v1", "ConfigMap", "web"),
        },
    )
    findings = run(build_succeeds, root)
    assert where(findings) == [("HO001", "kubernetes/web/kustomization.yaml", 3)]
    assert findings[0].object == "Kustomization/flux-system/web"
    assert "missing.yaml" in findings[0].message


def test_build_success_has_no_finding(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"kubernetes/apps/cm.yaml": head("v1", "ConfigMap", "ok")})
    assert run(build_succeeds, root) == []


def test_schema_rules(tmp_path: Path) -> None:
    deploy = head("apps/v1", "Deployment", "web") + (
        "spec:\n  replica: 2\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27}]\n"
    )
    unknown = "apiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: g, namespace: apps}\n"
    root = write_repo(
        tmp_path, {"kubernetes/apps/deploy.yaml": deploy, "kubernetes/apps/gadget.yaml": unknown}
    )
    invalid = run(schema_valid, root)
    assert where(invalid) == [("HO002", "kubernetes/apps/deploy.yaml", 7)]
    assert "replica" in invalid[0].message and invalid[0].object == "Deployment/apps/web"
    missing = run(schema_available, root)
    assert where(missing) == [("HO003", "kubernetes/apps/gadget.yaml", 1)]
    assert run(schema_placeholder, root) == []


def test_schema_placeholder_when_a_variable_stays(tmp_path: Path) -> None:
    deploy = head("apps/v1", "Deployment", "web") + (
        "spec:\n  replicas: ${REPLICAS}\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27}]\n"
    )
    # The app's own Kustomization has no postBuild: ${REPLICAS} is applied literally.
    root = write_repo(
        tmp_path,
        {"kubernetes/apps/ks.yaml": ks("web", "web"), "kubernetes/web/deploy.yaml": deploy},
    )
    findings = run(schema_placeholder, root)
    assert where(findings) == [("HO004", "kubernetes/web/deploy.yaml", 7)]
    assert findings[0].severity.value == "info"


def test_unreached_kustomization(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path,
        {
            "kubernetes/apps/kustomization.yaml": "resources:\n  - ./namespace.yaml\n",
            "kubernetes/apps/web/ks.yaml": ks("web", "web-app"),
            "kubernetes/web-app/cm.yaml": head("v1", "ConfigMap", "web"),
        },
    )
    findings = run(kustomization_applied, root)
    assert where(findings) == [("HO005", "kubernetes/apps/web/ks.yaml", 1)]
    assert "never applied" in findings[0].message


def test_depends_on_exists_and_cycles(tmp_path: Path) -> None:
    dep = "  dependsOn:\n    - name: {0}\n"
    root = write_repo(
        tmp_path,
        {
            "kubernetes/apps/a.yaml": ks("a", "a", dep.format("b")),
            "kubernetes/apps/b.yaml": ks("b", "b", dep.format("a")),
            "kubernetes/apps/c.yaml": ks("c", "c", dep.format("nothere")),
            "kubernetes/a/cm.yaml": head("v1", "ConfigMap", "a"),
            "kubernetes/b/cm.yaml": head("v1", "ConfigMap", "b"),
            "kubernetes/c/cm.yaml": head("v1", "ConfigMap", "c"),
        },
    )
    assert where(run(depends_on_exists, root)) == [("HO201", "kubernetes/apps/c.yaml", 14)]
    cycles = run(depends_on_acyclic, root)
    assert [f.code for f in cycles] == ["HO202"]
    assert "Kustomization/flux-system/a -> Kustomization/flux-system/b" in cycles[0].message


def test_crd_dependency(tmp_path: Path) -> None:
    widget = (
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: apps}\nspec: {size: 1}\n"
    )
    files = {
        "kubernetes/apps/crds.yaml": ks("crds", "crds"),
        "kubernetes/apps/widgets.yaml": ks("widgets", "widgets"),
        "kubernetes/crds/crd.yaml": CRD,
        "kubernetes/widgets/widget.yaml": widget,
    }
    root = write_repo(tmp_path, files)
    findings = run(crd_dependency, root)
    assert where(findings) == [("HO203", "kubernetes/widgets/widget.yaml", 1)]
    assert "Kustomization/flux-system/crds" in findings[0].message
    files["kubernetes/apps/widgets.yaml"] = ks("widgets", "widgets", "  dependsOn:\n    - name: crds\n")
    assert run(crd_dependency, write_repo(tmp_path, files)) == []
