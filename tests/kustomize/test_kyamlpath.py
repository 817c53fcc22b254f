"""The scalar helpers shared by the kustomize steps (go-yaml's text of a decoded scalar, Go's %q)."""

from __future__ import annotations

from typing import Any

import pytest

from homeops.kustomize.kyamlpath import PathError, go_quote, go_text, lookup, match_paths, node_kind
from homeops.yaml.nodes import from_plain


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", "x"),
        (None, ""),
        (True, "true"),
        (False, "false"),
        (12, "12"),
        (1.5, "1.5"),
        (float("nan"), ".nan"),
        (float("inf"), ".inf"),
        (float("-inf"), "-.inf"),
        ({"a": 1}, ""),
        ([1], ""),
    ],
)
def test_go_text(value: Any, text: str) -> None:
    assert go_text(value) == text


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("a b", '"a b"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("a\\b", '"a\\\\b"'),
        ("\t\n\a\x01", '"\\t\\n\\a\\x01"'),
    ],
)
def test_go_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


def test_node_kind() -> None:
    values: tuple[Any, ...] = ({}, [], "x", None)
    kinds = [node_kind(v) for v in values]
    assert kinds == ["MappingNode", "SequenceNode", "ScalarNode", "ScalarNode"]


def test_lookup_and_match_paths() -> None:
    obj = from_plain(
        {"spec": {"containers": [{"name": "app", "image": "a"}, {"name": "app-2", "image": "b"}]}}
    )
    assert lookup(obj, ["spec", "containers", "[name=app-2]", "image"]) == ("b",)
    assert lookup(obj, ["spec", "missing"]) is None
    slots = match_paths(obj, ["spec", "containers", "[name=app]", "image"], None)
    assert [s.get() for s in slots] == ["a", "b"]  # [key=value] is an unanchored regular expression
    with pytest.raises(PathError, match="wrong Node Kind"):
        lookup(obj, ["spec", "containers", "name"])
