"""kustomize's content hash, checked against suffixes that kubectl kustomize (v5.7.1) printed."""

from __future__ import annotations

from typing import Any

import pytest

from homeops.kustomize.hashing import (
    add_hash_suffixes,
    content_hash,
    encode_hash,
    go_json,
    go_json_float,
    go_json_string,
)
from homeops.kustomize.resource import ResId, ResMap, Resource
from homeops.yaml.nodes import from_plain


def _res(obj: dict[str, Any], needs_hash: bool = True) -> Resource:
    r = Resource(from_plain(obj))
    r.needs_hash = needs_hash
    return r


def _cm(name: str, data: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
    if data is not None:
        obj["data"] = data
    obj.update(extra)
    return obj


def _secret(name: str, data: dict[str, str], type_: str | None = "Opaque", **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": data}
    if type_ is not None:
        obj["type"] = type_
    obj.update(extra)
    return obj


# Suffixes printed by kubectl kustomize for generated objects with this content.
@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (_cm("empty"), "6ct58987ht"),
        (_cm("x", {"k": "v"}), "bdg947hgcc"),
        (_cm("x", {"a": "b"}), "4h2mbtbbt6"),
        (_cm("x", {"a": "1", "b": "1"}), "8gchk5bfmb"),
        (_cm("x", {"k": "<&>\u2028é"}), "htg5bg95bt"),
        (
            _cm(
                "files",
                {"f.txt": "hello\n", "renamed": "hello\n", "y.txt": "x"},
                binaryData={"bin.dat": "//4AYmlu"},
            ),
            "7c9km5thh9",
        ),
        (_cm("x", {"A": "1"}), "89g4tffbfk"),
        (_secret("empty", {}), "46f8b28mk5"),
        (_secret("s", {"k": "dg=="}), "ftgtgc4t9f"),
        (_secret("s2", {"tls.crt": "YWJj"}, "kubernetes.io/tls"), "77f7h4t786"),
        (_secret("c", {"k": "dg=="}, "foo"), "b2h87fddhb"),
    ],
)
def test_content_hash_matches_kubectl(obj: dict[str, Any], expected: str) -> None:
    assert content_hash(_res(obj)) == expected


def test_hash_ignores_name_namespace_labels_and_immutable() -> None:
    # kustomize v5.7.1 hashes the name as "" (its lookup of "metadata/name" never matches).
    base = content_hash(_res(_cm("a", {"k": "v"})))
    other = _cm("b", {"k": "v"}, immutable=True)
    other["metadata"].update(namespace="ns", labels={"x": "y"}, annotations={"a": "b"})
    assert content_hash(_res(other)) == base == "bdg947hgcc"


def test_hash_distinguishes_missing_and_empty_data() -> None:
    assert content_hash(_res(_cm("x"))) != content_hash(_res(_cm("x", {})))


def test_secret_hash_covers_type_and_string_data() -> None:
    plain = content_hash(_res(_secret("s", {"k": "dg=="})))
    assert content_hash(_res(_secret("s", {"k": "dg=="}, "kubernetes.io/tls"))) != plain
    assert content_hash(_res(_secret("s", {"k": "dg=="}, stringData={"x": "y"}))) != plain
    assert content_hash(_res(_secret("s", {"k": "dg=="}, None))) != plain


def test_other_kinds_are_hashed_from_the_whole_object() -> None:
    d1 = _res(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 1}}
    )
    d2 = _res(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 2}}
    )
    assert content_hash(d1) != content_hash(d2)
    assert len(content_hash(d1)) == 10


@pytest.mark.parametrize(
    ("hex_digest", "expected"),
    [
        ("0123456789abcdef", "gh2k456789"),
        ("aeaeaeaeae00", "mtmtmtmtmt"),
        ("ffffffffff", "ffffffffff"),
    ],
)
def test_encode_hash(hex_digest: str, expected: str) -> None:
    assert encode_hash(hex_digest) == expected


def test_encode_hash_needs_ten_characters() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        encode_hash("abc")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", '"plain"'),
        ("<a & b>", '"\\u003ca \\u0026 b\\u003e"'),
        ('q"b\\', '"q\\"b\\\\"'),
        ("\n\r\t\b\f", '"\\n\\r\\t\\b\\f"'),
        ("\x01\x1f", '"\\u0001\\u001f"'),
        ("\u2028\u2029", '"\\u2028\\u2029"'),
        ("héllo ✓ \x7f", '"héllo ✓ \x7f"'),
    ],
)
def test_go_json_string(text: str, expected: str) -> None:
    assert go_json_string(text) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (0.0, "0"),
        (8080, "8080"),
        (1.5, "1.5"),
        (100.0, "100"),
        (-2.25, "-2.25"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (1e-6, "0.000001"),
        (1.234e-10, "1.234e-10"),
        (2**63, "9223372036854776000"),
    ],
)
def test_go_json_float(number: float, expected: str) -> None:
    assert go_json_float(float(number)) == expected


def test_go_json_sorts_keys_by_bytes() -> None:
    assert go_json({"b": 1, "a": [True, None, "x"], "B": {}}) == '{"B":{},"a":[true,null,"x"],"b":1}'


def test_go_json_rejects_nan() -> None:
    with pytest.raises(ValueError, match="unsupported value"):
        go_json_float(float("nan"))


def test_add_hash_suffixes_renames_only_marked_resources() -> None:
    marked = _res(_cm("app", {"k": "v"}))
    plain = _res(_cm("plain", {"k": "v"}), needs_hash=False)
    resmap = ResMap([marked, plain])
    add_hash_suffixes(resmap)
    assert marked.name == "app-bdg947hgcc"
    assert marked.prev_ids == [ResId("", "v1", "ConfigMap", "app")]
    assert plain.name == "plain"
    assert plain.prev_ids == []
