"""The loader: scalar typing as kustomize (go-yaml v3) reads it, kubectl's errors, and the safety limits."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from homeops.errors import InputError, Location
from homeops.yaml.loader import load_documents, load_file, resolve_plain


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"), ("TRUE", True), ("False", False), ("0755", 493), ("0o755", 493), ("0x1F", 31),
        ("08", 8.0), ("09.5", 9.5), ("1_000", 1000), ("1e3", 1000.0), ("1E+3", 1000.0), (".5", 0.5),
        ("-.inf", -math.inf), ("~", None), ("Null", None), ("=", "="), ("1e400", "1e400"), ("._5", "._5"),
        ("2024-01-01", "2024-01-01T00:00:00Z"),
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.1-05:00"),
        ("2001-12-14 21:59:43,5", "2001-12-14T21:59:43.5Z"), ("2023-02-29", "2023-02-29"),
        ("9223372036854775808", 9223372036854775808), ("18446744073709551616", 1.8446744073709552e19),
    ],
)  # fmt: skip
def test_resolve_plain_types_like_go_yaml_v3(text: str, value: object) -> None:
    got = resolve_plain(text)
    assert got == value and type(got) is type(value)


def test_resolve_plain_nan() -> None:
    assert math.isnan(resolve_plain(".NaN"))


def test_tags_anchors_and_merge_keys() -> None:
    docs = load_documents(
        "a: !!str 123\nb: !!int '12'\nc: !env_var FOO\nd: !!float '3'\n"
        "base: &b {x: 1, y: 2}\nm:\n  y: own\n  <<: [*b, {z: 3, x: 9}]\n"
        "dup1: &d {p: 1}\ndup2: &d {q: 2}\nuse: *d\n",
        "f.yaml",
    )
    doc = docs[0]
    assert (doc["a"], doc["b"], doc["c"], doc["d"]) == ("123", 12, "FOO", 3.0)
    assert doc["m"] == {"y": "own", "x": 1, "z": 3}
    assert doc["use"] == {"q": 2}


def test_annotations_keep_their_source_text() -> None:
    doc = load_documents(
        "metadata:\n  annotations:\n    a: true\n    b: 0755\n    c: &n 1.50\n    d: *n\n    e: ~\n"
        "  labels:\n    a: true\nspec:\n  metadata:\n    annotations:\n      a: true\n",
        "f.yaml",
    )[0]
    assert doc["metadata"]["annotations"] == {"a": "true", "b": "0755", "c": "1.50", "d": "1.50", "e": "~"}
    assert doc["metadata"]["labels"] == {"a": True}
    assert doc["spec"]["metadata"]["annotations"] == {"a": True}


def test_documents_empty_and_comment_only() -> None:
    docs = load_documents("---\n# only a comment\n---\na: 1\n---\n---\n...\n", "f.yaml")
    assert docs == [None, {"a": 1}, None, None]


def test_duplicate_key_fails_like_kubectl() -> None:
    with pytest.raises(InputError) as err:
        load_documents('a: "1"\nb: 2\na: "3"\n', "dup.yaml")
    assert err.value.message == 'mapping key "a" already defined at line 1'
    assert err.value.location == Location("dup.yaml", 3, 1)


def test_tag_mismatch_fails_like_kubectl() -> None:
    with pytest.raises(InputError) as err:
        load_documents('x: 1\nflag: !!bool "yes"\n', "tag.yaml")
    assert err.value.message == "cannot decode !!str `yes` as a !!bool"
    assert err.value.location == Location("tag.yaml", 2, 7)


def test_billion_laughs_fails_with_file_and_line() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(InputError) as err:
        load_documents("\n".join(lines) + "\n", "bomb.yaml")
    assert "YAML bomb" in err.value.message
    assert err.value.location is not None
    assert err.value.location.file == "bomb.yaml" and err.value.location.line > 1


def test_file_over_the_size_limit_fails(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 100 + "\n")
    with pytest.raises(InputError) as err:
        load_file(path, "big.yaml", max_bytes=50)
    assert err.value.message == "file is too large (104 bytes; the limit is 50)"
    assert err.value.location == Location("big.yaml")
    assert load_file(path, "big.yaml", max_bytes=104)[0]["a"] == "x" * 100


@pytest.mark.parametrize(
    ("text", "line", "column", "problem"),
    [
        ("a: 1\nb: [1, 2\n", 3, 1, "did not find expected ',' or ']'"),
        ("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed"),
        ("a: *nope\n", 1, 4, "unknown YAML alias *nope"),
        ("a: 'x\n", 2, 1, "found unexpected end of stream"),
    ],
)
def test_malformed_yaml_reports_file_line_and_column(text: str, line: int, column: int, problem: str) -> None:
    with pytest.raises(InputError) as err:
        load_documents(text, "bad.yaml")
    assert err.value.location == Location("bad.yaml", line, column)
    assert problem in err.value.message
