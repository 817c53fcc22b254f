"""Kubernetes label selectors (kustomize's vendored apimachinery ``labels.Parse``); expected results and error
messages were observed with kubectl kustomize v5.7.1 (patch targets and replacement targets alike)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homeops.errors import BuildError
from homeops.kustomize.build import Builder
from homeops.kustomize.selectors import (
    Requirement,
    SelectorError,
    matches_label_selector,
    parse_label_selector,
)

LABELS_A = {"app": "x", "n": "5", "b": "true"}
LABELS_B = {"app": "y", "n": "12"}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("", {}, True),
        ("  ", {"a": "b"}, True),
        ("app=x", {"app": "x"}, True),
        ("app==x,tier!=db", {"app": "x", "tier": "web"}, True),
        ("a==b", {"a": "c"}, False),
        ("a!=b", {}, True),
        ("app in (x, y)", {"app": "y"}, True),
        ("app in(x)", {"app": "x"}, True),
        ("app notin (x)", {"app": "x"}, False),
        ("app notin(y)", {}, True),
        ("app", {"app": ""}, True),
        ("!app", {"app": "x"}, False),
        ("a=b,c", {"a": "b"}, False),
        ("app=", {"app": "x"}, False),
        ("app=", {"app": ""}, True),
        ("app==", {"app": ""}, True),
        ("app in ()", {"app": "x"}, False),
        ("app in ()", {"app": ""}, True),
        ("app in (x,,y)", {"app": ""}, True),
        ("app in (x,,y)", {"app": "y"}, True),
        ("app notin (in)", {"app": "x"}, True),
        ("in", {"in": "1"}, True),
        ("n>6", LABELS_A, False),
        ("n>6", LABELS_B, True),
        ("n<15", LABELS_A, True),
        ("n<15", {"n": "abc"}, False),
        ("n<15", {}, False),
        ("b=true", {"b": True}, True),
        ("app =  x", {"app": "x"}, True),
        ("example.com/app=x", {"example.com/app": "x"}, True),
    ],
)
def test_matches(selector: str, labels: dict[str, Any], expected: bool) -> None:
    assert matches_label_selector(selector, labels) is expected


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("a in b", "unable to parse requirement: found 'b' expected: '('"),
        ("app=x y", "found 'y', expected: ',' or 'end of string'"),
        ("!app=x", "found '=', expected: ',' or 'end of string'"),
        ("n<abc", "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"),
        ("app>", "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"),
        ("bad key!", "unable to parse requirement: found 'key', expected: '=', '!=', '==', 'in', notin'"),
        ("app!x", "unable to parse requirement: found '!', expected: '=', '!=', '==', 'in', notin'"),
        ("app,", "found '', expected: identifier after ','"),
        ("app=x,,b", "found ',', expected: identifier after ','"),
        ("app in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("app=(x)", "unable to parse requirement: found '(', expected: identifier"),
        (
            "-bad",
            'unable to parse requirement: invalid label key "-bad": name part must consist of alphanumeric '
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
            "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
        (
            "x/y/z",
            'unable to parse requirement: invalid label key "x/y/z": a qualified name must consist of '
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
            "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')",
        ),
        (
            "app=-x",
            'unable to parse requirement: invalid label value: "-x": at key: "app": a valid label must be '
            "an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
            "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
        (
            "Bad_Prefix/app",
            'unable to parse requirement: invalid label key "Bad_Prefix/app": prefix part a DNS-1123 '
            "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
            "end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
        ("/app", 'unable to parse requirement: invalid label key "/app": prefix part must be non-empty'),
    ],
)
def test_syntax_errors(selector: str, message: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_label_selector(selector)
    assert str(info.value).startswith(message)


def test_parsed_requirements() -> None:
    sel = parse_label_selector("a in (x,,y),!b,c==d,e>3")
    assert sel.requirements == (
        Requirement("a", "in", frozenset({"x", "", "y"})),
        Requirement("b", "!"),
        Requirement("c", "==", frozenset({"d"})),
        Requirement("e", ">", frozenset({"3"})),
    )


RESOURCES = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: a, labels: {app: x}, annotations: {k: v}}
data: {x: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, labels: {app: y}}
data: {x: "2"}
"""


def _build(tmp_path: Path, kustomization: str) -> list[Any]:
    (tmp_path / "res.yaml").write_text(RESOURCES)
    (tmp_path / "kustomization.yaml").write_text("resources: [res.yaml]\n" + kustomization)
    return [r.obj for r in Builder(tmp_path).build(tmp_path)]


_PATCH = "  patch: |-\n    - {op: add, path: /data/hit, value: 'y'}\n"
_REPLACEMENT = (
    "replacements:\n- source: {kind: ConfigMap, name: a, fieldPath: data.x}\n  targets:\n"
    "  - select: {%s}\n    fieldPaths: [data.y]\n    options: {create: true}\n"
)


@pytest.mark.parametrize(
    ("kustomization", "fails"),
    [
        # a patch target's selectors are only parsed for resources that pass the id tests, label first
        ("patches:\n- target: {kind: Nope, labelSelector: 'a in b'}\n" + _PATCH, False),
        ("patches:\n- target: {labelSelector: 'app=zzz', annotationSelector: 'a in b'}\n" + _PATCH, False),
        ("patches:\n- target: {labelSelector: 'a in b'}\n" + _PATCH, True),
        # a replacement target parses both, for every resource, before the id tests
        (_REPLACEMENT % "kind: Nope, labelSelector: 'a in b'", True),
        (_REPLACEMENT % "annotationSelector: 'k=zzz', labelSelector: 'a in b'", True),
        (_REPLACEMENT % "labelSelector: 'app in (x)'", False),
    ],
)
def test_when_selectors_are_parsed(tmp_path: Path, kustomization: str, fails: bool) -> None:
    if fails:
        with pytest.raises(BuildError, match="unable to parse requirement: found 'b' expected: '\\('"):
            _build(tmp_path, kustomization)
    else:
        _build(tmp_path, kustomization)


def test_same_selection_in_patches_and_replacements(tmp_path: Path) -> None:
    patched = _build(tmp_path, "patches:\n- target: {labelSelector: 'app notin (y)'}\n" + _PATCH)
    assert [("hit" in o["data"]) for o in patched] == [True, False]
    replaced = _build(tmp_path, _REPLACEMENT % "labelSelector: 'app notin (y)'")
    assert [("y" in o["data"]) for o in replaced] == [True, False]
