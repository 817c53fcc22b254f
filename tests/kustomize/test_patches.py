"""The patches / patchesStrategicMerge / patchesJson6902 steps: loading, detection, targets and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homeops.errors import BuildError
from homeops.kustomize.context import KContext
from homeops.kustomize.files import FileLoader
from homeops.kustomize.patches import (
    apply_patches,
    apply_patches_json6902,
    apply_patches_strategic_merge,
)
from homeops.kustomize.resource import ResMap, Resource
from homeops.kustomize.tconfig import TransformerConfig
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, to_plain

RESOURCES = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  a: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
  labels: {app: x, tier: web}
spec:
  template:
    spec:
      containers:
      - name: c
        image: i
---
apiVersion: v1
kind: Namespace
metadata:
  name: ns1
"""


def _run(tmp_path: Path, field: str, kustomization: str, files: dict[str, str] | None = None) -> list[Any]:
    for name, content in (files or {}).items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text(kustomization, encoding="utf-8")
    kust = load_documents(kustomization.encode(), "kustomization.yaml")[0]
    assert isinstance(kust, YMap)
    ctx = KContext(
        FileLoader(tmp_path, cwd=tmp_path),
        tmp_path.resolve(),
        "kustomization.yaml",
        TransformerConfig(),
        kust,
    )
    resmap = ResMap(Resource(d) for d in load_documents(RESOURCES.encode(), "res.yaml"))
    step = {
        "patches": apply_patches,
        "patchesStrategicMerge": apply_patches_strategic_merge,
        "patchesJson6902": apply_patches_json6902,
    }[field]
    step(resmap, kust[field], ctx)
    return [to_plain(r.obj) for r in resmap]


def test_json6902_with_kind_target(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "patches",
        "patches:\n- target: {kind: Namespace}\n  patch: |-\n"
        "    - op: add\n      path: /metadata/labels\n      value: {a: 'true'}\n",
    )
    assert out[2]["metadata"]["labels"] == {"a": "true"}
    assert "labels" not in out[0]["metadata"]


def test_json6902_yaml11_values_and_json_text(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "patches",
        "patches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - {op: add, path: /data/b, value: yes}\n"
        '- target: {kind: ConfigMap}\n  patch: \'[{"op": "add", "path": "/data/c", "value": "yes"}]\'\n',
    )
    assert out[0]["data"] == {"a": "1", "b": True, "c": "yes"}


def test_smp_from_file_by_own_id_keeps_name(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "patches",
        "patches:\n- path: p.yaml\n",
        {"p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: dep}\nspec: {replicas: 2}\n"},
    )
    assert out[1]["spec"]["replicas"] == 2


def test_smp_with_target_ignores_patch_name_and_kind(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "patches",
        "patches:\n- target: {name: 'c.*'}\n  patch: |-\n    kind: Whatever\n    metadata: {name: foo}\n"
        "    data: {z: '9'}\n",
    )
    assert out[0] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm"},
        "data": {"a": "1", "z": "9"},
    }


def test_smp_delete_removes_resource(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "patches",
        "patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n"
        "    metadata: {name: cm}\n    $patch: delete\n",
    )
    assert [o["kind"] for o in out] == ["Deployment", "Namespace"]


def test_target_matching_nothing_is_silent(tmp_path: Path) -> None:
    out = _run(
        tmp_path, "patches", "patches:\n- target: {kind: Secret}\n  patch: '- {op: remove, path: /x}'\n"
    )
    assert len(out) == 3


@pytest.mark.parametrize(
    ("kustomization", "message"),
    [
        (
            "patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: nope}\n",
            'no resource matches strategic merge patch "ConfigMap.v1.[noGrp]/nope.[noNs]": no matches for Id '
            "ConfigMap.v1.[noGrp]/nope.[noNs]; failed to find unique target for patch "
            "ConfigMap.v1.[noGrp]/nope.[noNs]",
        ),
        (
            "patches:\n- target: {kind: ConfigMap}\n  patch: '- {op: remove, path: /data/zz}'\n",
            "error in remove for path: '/data/zz': Unable to remove nonexistent key: zz: missing value",
        ),
        ("patches:\n- patch: '- {op: add, path: /data/b, value: 1}'\n", "a JSON 6902 patch needs a 'target'"),
        ("patches:\n- target: {kind: ConfigMap}\n", "must set 'patch' (inline text) or 'path'"),
        (
            "patches:\n- target: {kind: ConfigMap}\n  patch: 'foo: [unclosed'\n",
            "unable to parse SM or JSON patch",
        ),
        (
            "patches:\n- target: {kind: '('}\n  patch: '- {op: remove, path: /a}'\n",
            "not a valid regular expression",
        ),
    ],
)
def test_errors_name_the_entry(tmp_path: Path, kustomization: str, message: str) -> None:
    with pytest.raises(BuildError) as exc:
        _run(tmp_path, "patches", kustomization)
    assert message in exc.value.message
    assert exc.value.location is not None
    assert (exc.value.location.file, exc.value.location.line) == ("kustomization.yaml", 2)


def test_patches_strategic_merge_path_and_inline(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "patchesStrategicMerge",
        "patchesStrategicMerge:\n- p.yaml\n- |-\n  apiVersion: v1\n  kind: ConfigMap\n"
        "  metadata: {name: cm}\n"
        "  data: {b: '2'}\n",
        {"p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: dep}\nspec: {replicas: 3}\n"},
    )
    assert out[0]["data"] == {"a": "1", "b": "2"}
    assert out[1]["spec"]["replicas"] == 3


def test_patches_json6902_field(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "patchesJson6902",
        "patchesJson6902:\n- target: {group: apps, version: v1, kind: Deployment, name: dep}\n"
        "  path: ops.yaml\n",
        {"ops.yaml": "- op: replace\n  path: /spec/template/spec/containers/0/image\n  value: j\n"},
    )
    assert out[1]["spec"]["template"]["spec"]["containers"][0]["image"] == "j"


def test_label_selector_target(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "patches",
        "patches:\n- target: {labelSelector: 'app in (x,y),tier!=db'}\n  patch: |-\n"
        "    - {op: add, path: /metadata/annotations, value: {hit: 'yes'}}\n",
    )
    assert [("annotations" in o["metadata"]) for o in out] == [False, True, False]


def test_a_patch_text_parsed_again_is_a_fresh_copy() -> None:
    """The documents of a patch text are parsed once and copied for each use: what one use changes, the
    next one does not see, and the positions are the text's own."""
    from homeops.errors import Location
    from homeops.kustomize.patches import parse_patch

    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n"
    where = Location("app/kustomization.yaml", 3, 5)
    first = parse_patch(text, where)
    first.smps[0]["data"]["k"] = "changed"
    first.smps[0]["metadata"]["labels"] = {"x": "y"}
    again = parse_patch(text, where)
    assert again.smps[0]["data"] == {"k": "v"} and "labels" not in again.smps[0]["metadata"]
    assert again.smps[0] is not first.smps[0]
    assert (
        again.smps[0].kpos["data"].file == "app/kustomization.yaml" and again.smps[0].kpos["data"].line == 5
    )
    with pytest.raises(BuildError, match="unable to parse"):
        parse_patch("a: [", where)
    with pytest.raises(BuildError, match="unable to parse"):
        parse_patch("a: [", where)  # a failure is not remembered as a success


@pytest.mark.parametrize(
    "text",
    [
        "- op: add\n  path: /data/x\n  value: {a: [1, 2]}\n",  # YAML, read as YAML 1.1 by PyYAML
        '[{"op": "add", "path": "/data/x", "value": {"a": [1, 2]}}]',  # JSON
    ],
)
def test_a_json_patch_parsed_again_gives_fresh_operations(text: str) -> None:
    """A JSON 6902 patch's operations are read once a run for each text; each use gets its own copy."""
    from homeops.errors import Location
    from homeops.kustomize.patches import _json_patch_parsed, parse_patch

    where = Location("app/kustomization.yaml", 3, 5)
    first = parse_patch(text, where)
    assert first.ops == [{"op": "add", "path": "/data/x", "value": {"a": [1, 2]}}]
    assert first.ops is not None
    first.ops[0]["value"]["a"].append(3)
    before = _json_patch_parsed.cache_info().hits
    again = parse_patch(text, where)
    assert again.ops == [{"op": "add", "path": "/data/x", "value": {"a": [1, 2]}}]
    assert _json_patch_parsed.cache_info().hits == before + 1
    for _ in range(2):  # a text the reader refuses fails at each use
        with pytest.raises(BuildError, match="unable to parse JSON patch"):
            parse_patch("[{op: add}]", where)  # YAML, but JSON once it starts with [
