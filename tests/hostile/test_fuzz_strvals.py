"""Fuzzing Helm's ``--set`` parser (valuesFrom ``targetPath``, ``strvals``): random key paths and values may
only raise StrvalsError, which helm-controller reports as a values problem; nothing else escapes and no
input makes it hang. Derandomized, no example database."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import pytest

from homeops.flux.helm_strvals import (
    MAX_INDEX,
    StrvalsError,
    parse_into,
    parse_into_string,
    parse_literal_into,
)

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_PIECES = [
    "a",
    "b",
    ".",
    "[",
    "]",
    "0",
    "1",
    "-1",
    "9999999",
    "=",
    ",",
    "\\",
    "{",
    "}",
    "x.y",
    "[0]",
    "true",
    "null",
    " ",
]

line = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join) | st.text(max_size=60)


@SETTINGS
@given(line)
def test_set_parser_raises_only_its_error(text: str) -> None:
    for parse in (parse_into, parse_into_string, parse_literal_into):
        dest: dict[str, Any] = {}
        with suppress(StrvalsError):
            parse(text, dest)


@SETTINGS
@given(st.integers(min_value=0, max_value=10**7))
def test_huge_list_index_is_refused_not_allocated(index: int) -> None:
    dest: dict[str, Any] = {}
    try:
        parse_into(f"a[{index}]=1", dest)
    except StrvalsError as exc:
        assert index > MAX_INDEX and "maximum supported index" in str(exc)
        return
    assert index <= MAX_INDEX and len(dest["a"]) == index + 1
