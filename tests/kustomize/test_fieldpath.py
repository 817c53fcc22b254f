"""Field-spec path walking and GVK matching, as kustomize's field-spec filter."""

from __future__ import annotations

from typing import Any

import pytest

from homeops.kustomize.fieldpath import (
    CreateKind,
    FieldPathError,
    apply_fieldspec,
    fieldspec_matches,
    parse_gv,
    split_path,
)
from homeops.kustomize.tconfig import FieldSpec
from homeops.yaml.nodes import from_plain, to_plain


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/b/c", ["a", "b", "c"]),
        (
            "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret",
            ["metadata", "annotations", "nginx.ingress.kubernetes.io/auth-secret"],
        ),
        ("a\\/b\\/c/d", ["a/b/c", "d"]),
        ("spec/containers[]/image", ["spec", "containers[]", "image"]),
        ("single", ["single"]),
    ],
)
def test_split_path(path: str, expected: list[str]) -> None:
    assert split_path(path) == expected


@pytest.mark.parametrize(
    ("api_version", "expected"),
    [
        ("apps/v1", ("apps", "v1")),
        ("v1", ("", "v1")),
        ("v2beta1", ("", "v2beta1")),
        ("foo", ("foo", "")),
        ("", ("", "")),
        ("a/b/c", ("a", "b/c")),
    ],
)
def test_parse_gv(api_version: str, expected: tuple[str, str]) -> None:
    assert parse_gv(api_version) == expected


@pytest.mark.parametrize(
    ("fs", "api_version", "kind", "expected"),
    [
        (FieldSpec("p"), "apps/v1", "Deployment", True),
        (FieldSpec("p", kind="Deployment"), "apps/v1", "Deployment", True),
        (FieldSpec("p", kind="Deployment"), "apps/v1", "StatefulSet", False),
        (FieldSpec("p", group="apps", kind="Deployment"), "extensions/v1beta1", "Deployment", False),
        (FieldSpec("p", version="v1", kind="Service"), "v1", "Service", True),
        (FieldSpec("p", version="v1", kind="Service"), "serving.knative.dev/v1", "Service", True),
        (FieldSpec("p", group="batch"), "batch/v1", "Job", True),
        (FieldSpec("p", version="v2"), "batch/v1", "Job", False),
    ],
)
def test_fieldspec_matches(fs: FieldSpec, api_version: str, kind: str, expected: bool) -> None:
    obj = from_plain({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}})
    assert fieldspec_matches(fs, obj) is expected


def _set_x(current: Any) -> Any:
    return "X"


def _add_label(current: Any) -> Any:
    if current is None:
        return None
    current["new"] = "v"
    return current


def _run(
    doc: dict[str, Any], fs: FieldSpec, setter: Any = _set_x, kind: CreateKind = CreateKind.SCALAR
) -> Any:
    obj = from_plain({"apiVersion": "v1", "kind": "Thing", **doc})
    apply_fieldspec(obj, fs, setter, kind)
    out = to_plain(obj)
    del out["apiVersion"], out["kind"]
    return out


@pytest.mark.parametrize(
    ("doc", "fs", "expected"),
    [
        # plain path, existing value
        ({"a": {"b": "old"}}, FieldSpec("a/b"), {"a": {"b": "X"}}),
        # missing, not created
        ({"a": {}}, FieldSpec("a/b"), {"a": {}}),
        ({}, FieldSpec("a/b"), {}),
        # created: intermediate maps and the last field
        ({}, FieldSpec("a/b/c", create=True), {"a": {"b": {"c": "X"}}}),
        # implicit traversal of sequences
        ({"a": [{"b": 1}, {"c": 2}, {"b": 3}]}, FieldSpec("a/b"), {"a": [{"b": "X"}, {"c": 2}, {"b": "X"}]}),
        ({"a": [[{"b": 1}]]}, FieldSpec("a/b"), {"a": [[{"b": "X"}]]}),
        # [] marks a list but is just traversed; a map there is walked too
        (
            {"c": [{"image": "i"}, {}]},
            FieldSpec("c[]/image", create=True),
            {"c": [{"image": "X"}, {"image": "X"}]},
        ),
        ({"c": {"image": "i"}}, FieldSpec("c[]/image"), {"c": {"image": "X"}}),
        # a [] field is never created; a null one becomes an empty list
        ({}, FieldSpec("c[]/image", create=True), {}),
        ({"c": None}, FieldSpec("c[]/image", create=True), {"c": []}),
        # null intermediate becomes a map when creating
        ({"a": None}, FieldSpec("a/b", create=True), {"a": {"b": "X"}}),
        # null leaf is handed to the setter
        ({"a": {"b": None}}, FieldSpec("a/b"), {"a": {"b": "X"}}),
        # escaped slash in a key
        ({"m": {"x.io/k": "v"}}, FieldSpec("m/x.io\\/k"), {"m": {"x.io/k": "X"}}),
        # gvk mismatch: nothing
        ({"a": {"b": "old"}}, FieldSpec("a/b", kind="Other"), {"a": {"b": "old"}}),
    ],
)
def test_walk_scalar(doc: dict[str, Any], fs: FieldSpec, expected: Any) -> None:
    assert _run(doc, fs) == expected


def test_cronjob_template_labels_created() -> None:
    doc: dict[str, Any] = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}}
    fs = FieldSpec("spec/jobTemplate/spec/template/metadata/labels", create=True)
    out = _run(doc, fs, _add_label, CreateKind.MAP)
    assert out["spec"]["jobTemplate"]["spec"]["template"]["metadata"] == {"labels": {"new": "v"}}


def test_null_map_leaf_not_created_stays_null() -> None:
    out = _run({"sel": {"matchLabels": None}}, FieldSpec("sel/matchLabels"), _add_label, CreateKind.MAP)
    assert out == {"sel": {"matchLabels": None}}


def test_null_map_leaf_created() -> None:
    out = _run(
        {"sel": {"matchLabels": None}}, FieldSpec("sel/matchLabels", create=True), _add_label, CreateKind.MAP
    )
    assert out == {"sel": {"matchLabels": {"new": "v"}}}


def test_create_kind_none_never_creates() -> None:
    assert _run({}, FieldSpec("a/b", create=True), _set_x, CreateKind.NONE) == {}


@pytest.mark.parametrize(
    ("doc", "fs"),
    [
        ({"a": "scalar"}, FieldSpec("a/b")),
        ({"a": ["str"]}, FieldSpec("a/b")),
        ({"a": {"b": None}}, FieldSpec("a/b/c")),
    ],
)
def test_walk_errors(doc: dict[str, Any], fs: FieldSpec) -> None:
    with pytest.raises(FieldPathError, match="expected sequence or mapping node"):
        _run(doc, fs)
