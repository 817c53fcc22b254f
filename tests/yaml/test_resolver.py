"""go-yaml v3 scalar typing (homeops.yaml.resolver) and the split-out modules' re-exports."""

from __future__ import annotations

import math

import pytest

from homeops.yaml import emitter, goscalars, loader
from homeops.yaml.nodes import Pos
from homeops.yaml.resolver import key_text, resolve_plain, resolve_plain_tagged, resolve_tagged


@pytest.mark.parametrize(
    ("text", "tag", "value"),
    [
        ("80", "int", 80), ("9999999999999999999", "int", 9999999999999999999),
        ("18446744073709551615", "int", 2**64 - 1), ("18446744073709551616", "float", 1.8446744073709552e19),
        ("1" * 400, "str", "1" * 400), ("1²", "str", "1²"), ("0128", "float", 128.0), ("+5", "int", 5),
        ("+.inf", "float", math.inf), ("-.Inf", "float", -math.inf), ("<<", "merge", "<<"),
        ("~", "null", None), ("2024-01-02", "timestamp", "2024-01-02T00:00:00Z"),
        ("2024-1-2", "timestamp", "2024-01-02T00:00:00Z"), ("20240102", "int", 20240102),
        ("nope", "str", "nope"), (".5e1", "float", 5.0),
    ],
)  # fmt: skip
def test_resolve_plain_tagged(text: str, tag: str, value: object) -> None:
    got_tag, got = resolve_plain_tagged(text)
    assert (got_tag, got) == (tag, value) and type(got) is type(value)
    assert resolve_plain(text) == value


@pytest.mark.parametrize(
    ("tag", "text", "value"),
    [("tag:yaml.org,2002:int", "12", 12), ("tag:yaml.org,2002:float", "3", 3.0),
     ("tag:yaml.org,2002:str", "12", "12"), ("!env_var", "FOO", "FOO")],
)  # fmt: skip
def test_resolve_tagged(tag: str, text: str, value: object) -> None:
    got = resolve_tagged(tag, text)
    assert got == value and type(got) is type(value)


def test_resolve_tagged_mismatch() -> None:
    with pytest.raises(ValueError, match=r"cannot decode !!str `x` as a !!int"):
        resolve_tagged("tag:yaml.org,2002:int", "x")


def test_key_text() -> None:
    keys = [key_text(k) for k in (None, True, False, 1, 1.5, "a")]
    assert keys == ["null", "true", "false", "1", "1.5", "a"]


def test_public_names_stay_importable() -> None:
    for name in ("dump_document", "dump_documents", "go_format_float", "sort_keys", "needs_quotes"):
        assert callable(getattr(emitter, name))
    assert emitter.go_format_float is goscalars.go_format_float
    for name in ("load_documents", "load_file", "read_limited", "resolve_plain", "resolve_plain_tagged"):
        assert callable(getattr(loader, name))
    assert loader.MAX_FILE_BYTES == 16 * 1024 * 1024 and loader.MAX_ALIAS_NODES == 200_000


def test_positions_are_shared_and_correct() -> None:
    doc = loader.load_documents("a:\n  b: 1\n  c: 2\nl:\n- x: 1\n  y: 2\n- z\n", "f.yaml")[0]
    assert doc["a"].pos == Pos("f.yaml", 2, 3) and doc["a"].kpos["b"] is doc["a"].pos
    assert doc["a"].kpos["c"] == Pos("f.yaml", 3, 3)
    seq = doc["l"]
    assert seq.pos == Pos("f.yaml", 5, 1)
    assert seq.ipos == [Pos("f.yaml", 5, 3), Pos("f.yaml", 7, 3)] and seq[0].pos is seq.ipos[0]
