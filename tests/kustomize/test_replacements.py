"""Tests for the ``replacements:`` field (expected values come from kustomize v5.7.1 runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homeops.errors import BuildError
from homeops.kustomize.context import KContext
from homeops.kustomize.files import FileLoader
from homeops.kustomize.kyamlpath import scalar_with_type, split_field_path
from homeops.kustomize.replacements import apply_replacements
from homeops.kustomize.resource import ResMap, Resource
from homeops.kustomize.tconfig import TransformerConfig
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, to_plain

RESOURCES = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: src
data:
  num: "5"
  str: hello
  csv: a-b-c
  mp:
    x: 1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
  labels:
    tier: web
  annotations:
    a: keep
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.0
        env:
        - name: N
          value: x
        - name: NULLV
          value:
      - name: app-sidecar
        image: busybox:1.0
      - name: other
        image: other:1.0
---
apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  ports:
  - port: 80
    name: http
"""


def _run(tmp_path: Path, replacements: str, files: dict[str, str] | None = None) -> dict[str, Any]:
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    (tmp_path / "kustomization.yaml").write_text("replacements:\n" + replacements)
    loader = FileLoader(tmp_path, cwd=tmp_path)
    kust = loader.load_yaml(tmp_path / "kustomization.yaml")[0]
    assert isinstance(kust, YMap)
    ctx = KContext(loader, tmp_path, "kustomization.yaml", TransformerConfig(), kust)
    resmap = ResMap(Resource(d) for d in load_documents(RESOURCES, "res.yaml"))
    apply_replacements(resmap, kust["replacements"], ctx)
    return {r.name: to_plain(r.obj) for r in resmap}


def _containers(out: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = out["dep"]["spec"]["template"]["spec"]["containers"]
    return result


def test_list_selector_is_an_unanchored_regex(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        """
- source: {kind: ConfigMap, name: src, fieldPath: data.str}
  targets:
  - select: {kind: Deployment}
    fieldPaths:
    - spec.template.spec.containers.[name=app].image
""",
    )
    assert [c["image"] for c in _containers(out)] == ["hello", "hello", "other:1.0"]


def test_create_types_and_kept_types(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        """
- source: {kind: ConfigMap, name: src, fieldPath: data.num}
  targets:
  - select: {kind: Deployment}
    fieldPaths:
    - spec.created.x
    - spec.replicas
    - metadata.annotations.a
    - spec.template.spec.containers.[name=new].env.[name=NEW].value
    - spec.template.spec.containers.[name=other].args.[=foo]
    options: {create: true}
""",
    )
    dep = out["dep"]
    assert dep["spec"]["created"] == {"x": 5}
    assert dep["spec"]["replicas"] == 5
    assert dep["metadata"]["annotations"]["a"] == "5"
    containers = _containers(out)
    assert containers[2]["args"] == [5]
    assert containers[3] == {"name": "new", "env": [{"name": "NEW", "value": 5}]}


def test_delimiters_wildcard_and_int_source(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        """
- source: {kind: Service, fieldPath: spec.ports.0.port}
  targets:
  - select: {kind: ConfigMap}
    fieldPaths: [data.str, data.new]
    options: {create: true}
- source: {kind: ConfigMap, fieldPath: data.csv, options: {delimiter: "-", index: 1}}
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.template.spec.containers.*.image]
    options: {delimiter: ":", index: 1}
  - select: {kind: Service}
    fieldPaths: ["spec.ports.[port=80].name"]
    options: {delimiter: "-", index: -1}
""",
    )
    assert out["src"]["data"]["str"] == "80"
    assert out["src"]["data"]["new"] == 80
    assert [c["image"] for c in _containers(out)] == ["nginx:b", "busybox:b", "other:b"]
    assert out["svc"]["spec"]["ports"][0]["name"] == "b-http"


def test_map_source_into_scalar_and_sequence(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        """
- source: {kind: ConfigMap, name: src, fieldPath: data.mp}
  targets:
  - select: {kind: Deployment}
    fieldPaths: [metadata.annotations.a, spec.template.spec.containers.0.env]
""",
    )
    assert out["dep"]["metadata"]["annotations"]["a"] == ""
    assert _containers(out)[0]["env"] == {"x": 1}


def test_reject_and_label_selector(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        """
- source: {kind: ConfigMap, name: src, fieldPath: data.str}
  targets:
  - select: {labelSelector: "tier in (web,db)"}
    fieldPaths: [metadata.annotations.picked]
    options: {create: true}
  - select: {}
    reject: [{kind: Deployment}, {kind: ConfigMap}]
    fieldPaths: [metadata.annotations.other]
    options: {create: true}
""",
    )
    assert out["dep"]["metadata"]["annotations"] == {"a": "keep", "picked": "hello"}
    assert out["svc"]["metadata"]["annotations"] == {"other": "hello"}
    assert "annotations" not in out["src"]["metadata"]


def test_path_entries_single_and_list(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "- path: one.yaml\n- path: many.yaml\n",
        {
            "one.yaml": "source: {kind: Service}\ntargets:\n- select: {kind: ConfigMap}\n"
            "  fieldPaths: [data.str]\n",
            "many.yaml": "---\n- source: {kind: ConfigMap, fieldPath: data.str}\n"
            "  targets:\n  - select: {kind: Service}\n    fieldPaths: [spec.ports.0.name]\n",
        },
    )
    assert out["src"]["data"]["str"] == "svc"
    assert out["svc"]["spec"]["ports"][0]["name"] == "svc"


def test_later_replacement_may_fix_a_mistyped_value(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        """
- source: {kind: ConfigMap, fieldPath: data.str}
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.replicas]
- source: {kind: ConfigMap, fieldPath: data.num}
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.replicas]
""",
    )
    assert out["dep"]["spec"]["replicas"] == 5


def test_previous_names_select(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "replacements:\n- source: {kind: ConfigMap, name: src, fieldPath: data.str}\n"
        "  targets:\n  - select: {kind: Service, name: svc}\n    fieldPaths: [spec.ports.0.name]\n"
    )
    loader = FileLoader(tmp_path, cwd=tmp_path)
    kust = loader.load_yaml(tmp_path / "kustomization.yaml")[0]
    ctx = KContext(loader, tmp_path, "kustomization.yaml", TransformerConfig(), kust)
    resmap = ResMap(Resource(d) for d in load_documents(RESOURCES, "res.yaml"))
    for res in resmap:
        res.set_name("p-" + res.name)
    apply_replacements(resmap, kust["replacements"], ctx)
    svc = next(r for r in resmap if r.kind == "Service")
    assert svc.obj["spec"]["ports"][0]["name"] == "hello"


@pytest.mark.parametrize(
    ("replacements", "message", "line"),
    [
        (
            "- source: {kind: ConfigMap, name: src, fieldPath: data.str}\n"
            "  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.nothere.x]\n",
            'unable to find field "spec.nothere.x" in replacement target',
            2,
        ),
        (
            "- source: {kind: ConfigMap, name: nope, fieldPath: data.str}\n"
            "  targets:\n  - select: {kind: Deployment}\n",
            "nothing selected by ConfigMap.[noVer].[noGrp]/nope.[noNs]:data.str",
            2,
        ),
        (
            "- source: {kind: ConfigMap, name: nope, options: {delimiter: '-', index: 1, create: true}}\n"
            "  targets: []\n",
            "nothing selected by ConfigMap.[noVer].[noGrp]/nope.[noNs]:-(1), create=true",
            2,
        ),
        (
            "- source: {version: v1}\n  targets: []\n",
            "multiple matches for selector [noKind].v1.[noGrp]/[noName].[noNs]",
            2,
        ),
        (
            "- source: {kind: ConfigMap, fieldPath: data.nope}\n  targets: []\n",
            "fieldPath `data.nope` is missing for replacement source "
            "ConfigMap.[noVer].[noGrp]/[noName].[noNs]",
            2,
        ),
        ("- source: {kind: ConfigMap}\n", "replacements must specify a source and at least one target", 2),
        (
            "- source: {kind: ConfigMap}\n  targets:\n  - fieldPaths: [metadata.name]\n",
            "target must specify resources to select",
            2,
        ),
        (
            "- source: {kind: ConfigMap, fieldPath: data.str, options: {delimiter: '-', index: 3}}\n"
            "  targets: []\n",
            "options.index 3 is out of bounds for value hello",
            2,
        ),
        (
            "- source: {kind: ConfigMap, fieldPath: data.str}\n"
            "  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.template]\n"
            "    options: {delimiter: '-'}\n",
            "delimiter option can only be used with scalar nodes",
            2,
        ),
        (
            "- source: {kind: ConfigMap, fieldPath: data.str}\n"
            "  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.replicas]\n",
            "map[string]interface {}(nil): yaml: cannot decode !!str `hello` as a !!int",
            2,
        ),
        (
            "- source: {kind: ConfigMap, fieldPath: data.str}\n  targets:\n  - select: {kind: Deployment}\n"
            "    fieldPaths: ['spec.template.spec.containers.[name=app].env.[name=NULLV].value']\n",
            "map[string]interface {}(nil): yaml: cannot decode !!str `hello` as a !!null",
            2,
        ),
        (
            "- source: {kind: ConfigMap, fieldPath: data.str}\n  targets:\n  - select: {kind: Deployment}\n"
            "    fieldPaths: [spec.template.spec.initContainers.*.image]\n    options: {create: true}\n",
            'unable to find or create field "spec.template.spec.initContainers.*.image" '
            "in replacement target",
            2,
        ),
        (
            "- path: x.yaml\n  source: {kind: ConfigMap}\n",
            "cannot specify both path and inline replacement",
            2,
        ),
    ],
)
def test_errors(tmp_path: Path, replacements: str, message: str, line: int) -> None:
    with pytest.raises(BuildError) as info:
        _run(tmp_path, replacements)
    assert message in info.value.message
    assert info.value.location is not None
    assert info.value.location.line == line


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("a.b.c", ["a", "b", "c"]),
        ("a.[name=x.y].c", ["a", "[name=x.y]", "c"]),
        ("metadata.annotations.[a.b/c]", ["metadata", "annotations", "a.b/c"]),
        ("metadata.labels.x\\.y", ["metadata", "labels", "x.y"]),
        (".a.b", ["a", "b"]),
        ("a.[b]", ["a", "[b]"]),
    ],
)
def test_split_field_path(path: str, parts: list[str]) -> None:
    assert split_field_path(path) == parts


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("3", 1, 3),
        ("3", "x", "3"),
        ("true", False, True),
        ("3", 1.5, 3.0),
        ("null", None, None),
    ],
)
def test_scalar_keeps_type(text: str, current: Any, expected: Any) -> None:
    value = scalar_with_type(text, current)
    assert value == expected and type(value) is type(expected)


def test_scalar_fresh_resolves_plain() -> None:
    assert scalar_with_type("5", None, fresh=True) == 5
    assert scalar_with_type("x", None, fresh=True) == "x"
