"""How a substituted resource is read back: go-yaml v2 (YAML 1.1) and then JSON, as kustomize-controller's
post-build reads it (sigs.k8s.io/yaml). The table follows go-yaml v2's resolve.go: YAML 1.1 adds
y/yes/on and n/no/off as booleans; quoted scalars stay strings; numbers pass through float64."""

from __future__ import annotations

from typing import Any

import pytest

from homeops.flux.varsub import load_yaml11

CASES: list[tuple[str, Any]] = [
    # YAML 1.1 booleans, which YAML 1.2 reads as strings
    ("y", True), ("Y", True), ("yes", True), ("Yes", True), ("YES", True),
    ("on", True), ("On", True), ("ON", True),
    ("n", False), ("N", False), ("no", False), ("No", False), ("NO", False),
    ("off", False), ("Off", False), ("OFF", False),
    ("true", True), ("False", False),
    # words that only start like them stay strings
    ("yellow", "yellow"), ("ok", "ok"), ("Oslo", "Oslo"), ("none", "none"), ("nope", "nope"),
    ("yES", "yES"), ("oN", "oN"),
    # nulls
    ("~", None), ("null", None), ("", None),
    # quoted: always strings
    ("'yes'", "yes"), ('"on"', "on"), ("'123'", "123"), ('""', ""), ("'~'", "~"),
    # numbers, through float64 and back
    ("1", 1), ("-2", -2), ("1.5", 1.5), ("1e3", 1000), ("0.10", 0.1),
    # ordinary strings
    ("hello", "hello"), ("ghcr.io/app:v1.2.3", "ghcr.io/app:v1.2.3"), ("<<x", "<<x"),
    ("$${NOT_A_VAR}", "$${NOT_A_VAR}"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_a_scalar_reads_as_go_yaml_v2_then_json(text: str, expected: Any) -> None:
    value = load_yaml11(f"key: {text}\n")["key"]
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_keys_are_their_text_and_items_typed_alike(text: str, expected: Any) -> None:
    doc = load_yaml11(f"{text or '~'}: v\nlist:\n- {text}\n")
    if isinstance(expected, bool):
        key = "true" if expected else "false"
    else:
        key = "null" if expected is None else str(expected)
    if text.startswith(("'", '"')):
        key = text[1:-1]
    assert key in doc
    if text:
        item = doc["list"][0]
        assert item == expected and type(item) is type(expected)
