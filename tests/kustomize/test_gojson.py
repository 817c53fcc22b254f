"""Go's encoding/json of generic values, both ways homeops needs it: every number a float64 (what kustomize's
hasher marshals) and whole numbers kept as int64 (an object the Kubernetes JSON decoder read, as Flux
passes a post-renderer patch on)."""

from __future__ import annotations

import pytest

from homeops.kustomize.gojson import go_json

_OBJECT = '{"a":{},"b":[1,"\\u003cx\\u003e"]}'  # keys sorted, compact, HTML-safe


@pytest.mark.parametrize(
    ("value", "floats", "integers"),
    [
        (1, "1", "1"),
        (1.0, "1", "1"),
        (1.5, "1.5", "1.5"),
        (10**21, "1e+21", "1000000000000000000000"),
        (1e21, "1e+21", "1e+21"),
        (2**63 * 1.0, "9223372036854776000", "9223372036854776000"),  # shortest digits, as Go
        (True, "true", "true"),
        (None, "null", "null"),
        (
            {"b": [1, "<x>"], "a": {}},
            '{"a":{},"b":[1,"\\u003cx\\u003e"]}',
            '{"a":{},"b":[1,"\\u003cx\\u003e"]}',
        ),
    ],
)
def test_go_json(value: object, floats: str, integers: str) -> None:
    assert go_json(value) == floats
    assert go_json(value, integers=True) == integers
