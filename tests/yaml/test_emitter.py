"""The emitter (and loader) against kubectl's own output for the yaml-* golden fixtures, plus unit cases."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest

from homeops.errors import BuildError
from homeops.yaml.emitter import (
    dump_document,
    dump_document_libyaml,
    dump_documents,
    go_format_float,
    needs_quotes,
    sort_keys,
)
from homeops.yaml.goscalars import number_text
from homeops.yaml.loader import load_documents, load_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kustomize"
OK_CASES = sorted(p.name for p in FIXTURES.glob("yaml-*") if (p / "expected.yaml").exists())


def _resources(case: str) -> list[Path]:
    kustomization = load_file(FIXTURES / case / "kustomization.yaml", "kustomization.yaml")[0]
    return [FIXTURES / case / name for name in kustomization["resources"]]


@pytest.mark.parametrize("case", OK_CASES)
def test_fixture_round_trip_matches_kubectl(case: str) -> None:
    docs = [doc for path in _resources(case) for doc in load_file(path, path.name) if doc is not None]
    expected = (FIXTURES / case / "expected.yaml").read_text(encoding="utf-8")
    assert dump_documents(docs) == expected


@pytest.mark.parametrize("case", OK_CASES)
def test_kubectl_output_is_a_fixed_point(case: str) -> None:
    expected = (FIXTURES / case / "expected.yaml").read_text(encoding="utf-8")
    assert dump_documents(load_documents(expected, "expected.yaml")) == expected


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("yes", True), ("Off", True), ("y", True), ("~", True), ("", True), ("null", True), ("1e3", True),
        ("0755", True), ("0x1F", True), ("1_000", True), (".5", True), ("1:20", True), ("+1", True),
        ("2024-01-01", True), ("2001-12-14 21:59:43", True), ("-.inf", True), ("0.", True),
        ("yES", False), ("1e400", False), ("._5", False), ("2023-02-29", False), ("0o", False),
        ("0xFFFFFFFFFFFFFFFFFFFF", False), ("<<", False), ("=", False), ("12e", False), ("hello", False),
    ],
)  # fmt: skip
def test_needs_quotes_follows_go_yaml_v2_resolver(text: str, quoted: bool) -> None:
    assert needs_quotes(text) is quoted


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.5, "1.5"), (1234567.5, "1.2345675e+06"), (100000.5, "100000.5"), (1e-06, "1e-06"), (1e-07, "1e-07"),
     (0.0001, "0.0001"), (1e-05, "1e-05"), (1e20, "1e+20"), (6.02e23, "6.02e+23"), (5e-324, "5e-324")],
)  # fmt: skip
def test_go_format_float(value: float, text: str) -> None:
    assert go_format_float(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(3.0, "3"), (9007199254740993.0, "9007199254740992"), (1.2345678901234567e19, "12345678901234567000"),
     (1e20, "1e+20"), (-2.0**63, "-9.223372036854776e+18")],
)  # fmt: skip
def test_number_text_of_whole_floats(value: float, text: str) -> None:
    """Whole floats print as kubectl kustomize prints them: beyond 2**53 the shortest digits padded with
    zeros (not the binary value, 12345678901234567168), as an integer while those digits fit 64 bits
    (-2**63 prints as -9223372036854776000 does: a float)."""
    assert number_text(value) == text


def test_sort_keys_uses_go_yaml_v2_order() -> None:
    keys = ["a10", "a9", "a09", "a_b", "aB", "Ab", "a-b", "Z", "_u", "x01", "x001", "x1y10", "x1y2", "é"]
    assert sort_keys(keys) == sorted(sort_keys(keys), key=sort_keys(keys).index)
    assert sort_keys(["a10", "a9", "a_b", "aB", "a-b"]) == ["a-b", "a_b", "a9", "a10", "aB"]
    assert sort_keys(["b", "A", "_"]) == ["_", "A", "b"]


@pytest.mark.parametrize(("value", "message"), [(math.nan, "NaN"), (math.inf, "+Inf"), (-math.inf, "-Inf")])
def test_non_finite_floats_fail_like_encoding_json(value: float, message: str) -> None:
    with pytest.raises(BuildError, match=re.escape(f"json: unsupported value: {message}")):
        dump_document({"a": value})


@pytest.mark.parametrize("text", ["a\x7fb", "a\x9fb", "\ufffe"])
def test_characters_go_yaml_refuses_fail(text: str) -> None:
    with pytest.raises(BuildError, match="control characters are not allowed"):
        dump_document({"a": text})


def test_special_strings() -> None:
    assert dump_document({"a": "\ufeffx y"}) == 'a: "\\uFEFF\\x78\\x20\\x79"\n'
    assert dump_document({"a": "x \x85 y", "b": "x\x85\x85y"}) == "a: x y\nb: |-\n  x\n  y\n"
    assert dump_document({"a": "x\n\n"}) == "a: |+\n  x\n\n"
    assert dump_document({}) == "{}\n"
    assert dump_document([]) == "[]\n"
    assert dump_document({"a": {}, "b": [], "c": None}) == "a: {}\nb: []\nc: null\n"


_ALPHABET = [
    "a",
    "b",
    " ",
    " ",
    "\n",
    ":",
    "#",
    "-",
    "'",
    '"',
    "\\",
    "\t",
    "é",
    "🎉",
    "?",
    "*",
    "1",
    "0",
    ".",
    "|",
]


def _random_text(rng: random.Random) -> str:
    length = rng.choice([0, 1, 2, 3, 5, 8, 20, 40, 70, 90, 130])
    return "".join(rng.choice(_ALPHABET) for _ in range(length))


def _random_value(rng: random.Random, depth: int) -> object:
    kind = rng.random()
    if depth > 3 or kind < 0.5:
        return rng.choice([_random_text(rng), _random_text(rng), 12, 1.5, None, True, "yes", "2024-01-01"])
    if kind < 0.75:
        return {
            rng.choice(["k", "key", "a b", "x1", "yes"]) + str(i): _random_value(rng, depth + 1)
            for i in range(3)
        }
    return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]


@pytest.mark.parametrize("seed", range(20))
def test_fast_writer_agrees_with_libyaml(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        doc = {"spec": _random_value(rng, 0), "list": [_random_value(rng, 1) for _ in range(3)]}
        assert dump_document(doc) == dump_document_libyaml(doc)


def _edges(ranges: list[tuple[int, int]]) -> list[int]:
    """Every code point next to a range boundary."""
    points = {0, 0x10FFFF}
    for lo, hi in ranges:
        points.update({lo - 1, lo, lo + 1, hi - 1, hi, hi + 1})
    return sorted(p for p in points if 0 <= p <= 0x10FFFF)


def test_character_classes_written_as_complements_match_their_ranges() -> None:
    """The emitter's printable class and the key-order class are written as complements (cheaper to compile);
    they hold exactly the ranges they stand for."""
    from homeops.yaml import emitter, goscalars

    def easy_text(c: str) -> bool:
        return emitter._EASY_TEXT.fullmatch(c) is not None

    def order_sensitive(c: str) -> bool:
        return goscalars._ORDER_SENSITIVE.search(c) is not None

    easy = [(0x20, 0x7E), (0xA0, 0x2027), (0x202A, 0xD7FF), (0xE000, 0xFEFE), (0xFF00, 0xFFFD)]
    order = [(0x30, 0x39), (0x5B, 0x60), (0x7B, 0x7E), (0x80, 0x10FFFF)]
    for ranges, holds in ((easy, easy_text), (order, order_sensitive)):
        for point in _edges(ranges):
            expected = any(lo <= point <= hi for lo, hi in ranges)
            assert holds(chr(point)) is expected, hex(point)
