"""Strategic merge patch: table tests whose expectations came from kustomize v5.7.1."""

from __future__ import annotations

from typing import Any

import pytest

from homeops.kustomize.openapi import load_table, lookup, merge_key, schema_for
from homeops.kustomize.smp import SmpError, strategic_merge
from homeops.yaml.nodes import from_plain, to_plain


def _dep(spec: dict[str, Any]) -> Any:
    return from_plain(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": spec}
    )


def _pod(pod_spec: dict[str, Any]) -> Any:
    return _dep({"template": {"spec": pod_spec}})


def _merge_pod(target: dict[str, Any], patch: dict[str, Any]) -> Any:
    out = strategic_merge(_pod(target), _pod(patch))
    assert out is not None
    return to_plain(out)["spec"]["template"]["spec"]


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        # containers merge by name; the patch's elements come first (kustomize prepends)
        (
            {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]},
            {"containers": [{"name": "c", "image": "z"}, {"name": "a", "image": "w"}]},
            {
                "containers": [
                    {"name": "c", "image": "z"},
                    {"name": "a", "image": "w"},
                    {"name": "b", "image": "y"},
                ]
            },
        ),
        # lists without a merge strategy are replaced: tolerations, args, schedulingGates (not in v1.21)
        ({"tolerations": [{"key": "a"}]}, {"tolerations": [{"key": "b"}]}, {"tolerations": [{"key": "b"}]}),
        (
            {"schedulingGates": [{"name": "a"}]},
            {"schedulingGates": [{"name": "b"}]},
            {"schedulingGates": [{"name": "b"}]},
        ),
        # volumes ("merge,retainKeys") merge by name, and retainKeys is not applied
        (
            {"volumes": [{"name": "v", "emptyDir": {}}]},
            {"volumes": [{"name": "v", "hostPath": {"path": "/x"}}]},
            {"volumes": [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}]},
        ),
        # $patch: replace on the list
        (
            {"volumes": [{"name": "v1"}, {"name": "v2"}]},
            {"volumes": [{"$patch": "replace"}, {"name": "v3"}]},
            {"volumes": [{"name": "v3"}]},
        ),
        # $patch: delete on an element removes it; $patch: replace on an element has no effect
        (
            {"initContainers": [{"name": "i1", "image": "x"}, {"name": "i2"}]},
            {
                "initContainers": [
                    {"name": "i1", "$patch": "replace", "image": "z"},
                    {"name": "i2", "$patch": "delete"},
                ]
            },
            {"initContainers": [{"name": "i1", "image": "x"}]},
        ),
        # kyaml keeps $setElementOrder/$retainKeys as ordinary fields
        ({}, {"$retainKeys": ["a"]}, {"$retainKeys": ["a"]}),
    ],
)
def test_pod_spec_lists(target: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]) -> None:
    assert _merge_pod(target, patch) == expected


def test_ports_merge_on_container_port_and_protocol() -> None:
    target = {
        "containers": [
            {"name": "c", "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 81}]}
        ]
    }
    patch = {
        "containers": [{"name": "c", "ports": [{"containerPort": 82}, {"containerPort": 80, "name": "http"}]}]
    }
    ports = _merge_pod(target, patch)["containers"][0]["ports"]
    # the patch's port 80 lacks protocol: kyaml keeps the target's element and drops "name: http"
    assert ports == [{"containerPort": 82}, {"containerPort": 80, "protocol": "TCP"}, {"containerPort": 81}]


def test_element_without_merge_key_in_target() -> None:
    target = {"containers": [{"name": "c", "env": [{"value": "noname"}, {"name": "A", "value": "1"}]}]}
    patch = {"containers": [{"name": "c", "env": [{"name": "B", "value": "2"}]}]}
    assert _merge_pod(target, patch)["containers"][0]["env"] == [{"value": "noname"}]


def test_primitive_list_with_merge_strategy_is_unioned() -> None:
    t = from_plain(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "finalizers": ["a", "b"]}}
    )
    p = from_plain(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "finalizers": ["c", "a"]}}
    )
    out = strategic_merge(t, p)
    assert out is not None and to_plain(out)["metadata"]["finalizers"] == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        ({"a": {"b": 1, "c": 2}}, {"a": {"c": None, "d": 3}}, {"a": {"b": 1, "d": 3}}),
        ({"n": None}, {}, {"n": None}),  # an explicit null in the target stays
        ({"m": None}, {"m": None}, {}),
        ({}, {"z": None, "add": {"x": None, "y": 1, "z": {"$patch": "delete"}}}, {"add": {"y": 1}}),
        ({"s": {"a": 1}}, {"s": {"$patch": "replace", "b": 2}}, {"s": {"b": 2}}),
        ({"s": {"a": 1}, "t": 1}, {"s": {"$patch": "delete"}}, {"t": 1}),
        # CRD lists are replaced even when their elements have names
        (
            {"items": [{"name": "a", "v": 1}, {"name": "b"}]},
            {"items": [{"name": "a", "w": 2}]},
            {"items": [{"name": "a", "w": 2}]},
        ),
        ({}, {"x": {}, "y": []}, {"x": {}, "y": []}),
    ],
)
def test_maps_nulls_and_crds(target: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]) -> None:
    def crd(spec: dict[str, Any]) -> Any:
        return from_plain(
            {"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "f"}, "spec": spec}
        )

    out = strategic_merge(crd(target), crd(patch))
    assert out is not None and to_plain(out)["spec"] == expected


def test_delete_whole_object_and_patch_untouched() -> None:
    patch = from_plain(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "$patch": "delete"}
    )
    assert strategic_merge(from_plain({"apiVersion": "v1", "kind": "ConfigMap"}), patch) is None
    assert patch["$patch"] == "delete"


def test_errors() -> None:
    with pytest.raises(SmpError, match="unknown patch strategy 'bogus'"):
        strategic_merge(_dep({"s": {"a": 1}}), _dep({"s": {"$patch": "bogus"}}))
    with pytest.raises(SmpError, match="wrong node kind: expected MappingNode but got ScalarNode"):
        strategic_merge(_dep({"s": {"a": 1}}), _dep({"s": "text"}))


def test_merge_key_table() -> None:
    assert load_table().schema_version == "v1.21.0"
    assert merge_key("apps/v1", "Deployment", ["spec", "template", "spec", "containers"]) == (
        "merge",
        ["name"],
    )
    assert merge_key("v1", "Pod", ["spec", "containers", "[]", "volumeMounts"]) == ("merge", ["mountPath"])
    assert merge_key("v1", "Pod", ["spec", "containers", "[]", "ports"]) == (
        "merge",
        ["containerPort", "protocol"],
    )
    assert merge_key("v1", "Service", ["spec", "ports"]) == ("merge", ["port", "protocol"])
    assert merge_key("v1", "Pod", ["spec", "volumes"]) == ("merge,retainKeys", ["name"])
    assert merge_key("v1", "Pod", ["spec", "tolerations"]) is None
    assert merge_key("v1", "ConfigMap", ["metadata", "finalizers"]) == ("merge", [])
    assert schema_for("example.com/v1", "Foo") is None
    assert lookup("apps/v1", "Deployment", ["spec", "nope"]) is None
