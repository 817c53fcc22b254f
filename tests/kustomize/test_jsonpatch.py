"""JSON 6902 operations and kustomize's (evanphx/json-patch) error messages."""

from __future__ import annotations

from typing import Any

import pytest

from homeops.kustomize.jsonpatch import JsonPatchError, apply_json6902
from homeops.yaml.nodes import from_plain, to_plain

DOC = {"data": {"a": "1", "l": ["x", "y"]}, "meta": {}}


def _apply(ops: list[dict[str, Any]]) -> Any:
    return to_plain(apply_json6902(from_plain(DOC), from_plain(ops)))


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        (
            [{"op": "add", "path": "/data/b", "value": "2"}],
            {"data": {"a": "1", "l": ["x", "y"], "b": "2"}, "meta": {}},
        ),
        (
            [{"op": "add", "path": "/data/l/-", "value": "z"}],
            {"data": {"a": "1", "l": ["x", "y", "z"]}, "meta": {}},
        ),
        (
            [{"op": "add", "path": "/data/l/0", "value": "w"}],
            {"data": {"a": "1", "l": ["w", "x", "y"]}, "meta": {}},
        ),
        (
            [{"op": "add", "path": "/data/l/-1", "value": "w"}],
            {"data": {"a": "1", "l": ["x", "y", "w"]}, "meta": {}},
        ),
        ([{"op": "remove", "path": "/data/l/0"}], {"data": {"a": "1", "l": ["y"]}, "meta": {}}),
        (
            [{"op": "replace", "path": "/data/zz", "value": "r"}],
            {"data": {"a": "1", "l": ["x", "y"], "zz": "r"}, "meta": {}},
        ),
        (
            [{"op": "move", "from": "/data/l", "path": "/meta/l"}],
            {"data": {"a": "1"}, "meta": {"l": ["x", "y"]}},
        ),
        (
            [{"op": "copy", "from": "/data/a", "path": "/meta/a"}],
            {"data": {"a": "1", "l": ["x", "y"]}, "meta": {"a": "1"}},
        ),
        (
            [{"op": "add", "path": "/meta/a~1b~0c", "value": 1}],
            {"data": {"a": "1", "l": ["x", "y"]}, "meta": {"a/b~c": 1}},
        ),
        ([{"op": "test", "path": "/data/a", "value": "1"}], DOC),
    ],
)
def test_operations(ops: list[dict[str, Any]], expected: Any) -> None:
    assert _apply(ops) == expected


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (
            {"op": "remove", "path": "/data/zz"},
            "error in remove for path: '/data/zz': Unable to remove nonexistent key: zz: missing value",
        ),
        (
            {"op": "remove", "path": "/data/l/5"},
            "error in remove for path: '/data/l/5': "
            "Unable to access invalid index: 5: invalid index referenced",
        ),
        (
            {"op": "add", "path": "/nope/deeper", "value": 1},
            'add operation does not apply: doc is missing path: "/nope/deeper": missing value',
        ),
        ({"op": "test", "path": "/data/a", "value": 1}, "testing value /data/a failed: test failed"),
        (
            {"op": "replace", "path": "/data/l/9", "value": 1},
            "replace operation does not apply: doc is missing key: /data/l/9: missing value",
        ),
        ({"op": "frob", "path": "/data"}, "Unexpected kind: frob"),
    ],
)
def test_errors(op: dict[str, Any], message: str) -> None:
    with pytest.raises(JsonPatchError) as exc:
        _apply([op])
    assert exc.value.message == message


def test_input_not_modified() -> None:
    doc = from_plain(DOC)
    apply_json6902(doc, from_plain([{"op": "remove", "path": "/data"}]))
    assert to_plain(doc) == DOC


def test_yaml_json_patches_are_typed_as_with_the_pure_python_parser() -> None:
    # the YAML 1.1 reading of a JSON 6902 patch parses with libyaml; the typing (resolvers, constructors)
    # must be what PyYAML's own parser gives with the same rules
    import yaml
    from homeops.kustomize import patches

    class PurePython(yaml.SafeLoader):
        pass

    PurePython.yaml_implicit_resolvers = patches._Yaml11Loader.yaml_implicit_resolvers
    PurePython.yaml_constructors = patches._Yaml11Loader.yaml_constructors
    values = [
        "yes", "no", "on", "off", "y", "n", "Y", "N", "true", "False", "~", "null", "", "0o17", "012",
        "0x1f", "1_000", "1:30", "-1:30:00", ".inf", "-.Inf", ".nan", "1e3", "6.02e+23", "2001-12-14",
        "'quoted'", '"dq \\u00e9"', "a: b", "[1, two]", "{k: v}", "&a x", "|\n      block\n      text",
    ]  # fmt: skip
    for value in values:
        text = f"- op: add\n  path: /data/x\n  value: {value}\n- {{op: remove, path: /y}}\n"
        outcomes = []
        for loader in (PurePython, patches._Yaml11Loader):
            try:
                outcomes.append(yaml.load(text, Loader=loader))
            except yaml.YAMLError:
                outcomes.append("refused")
        assert outcomes[0] == outcomes[1], value
    assert outcomes[0] != "refused"
