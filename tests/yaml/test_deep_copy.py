"""``deep_copy``: the same values, types, positions and empty-key marks; nothing shared that can change."""

from __future__ import annotations

from typing import Any

from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, YSeq, deep_copy

DOC = b"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  labels: {x: "1", y: on}
empty:
nested:
  - [1, 2.5, null, true]
  - {k: v, deep: {deeper: [a, {b: c}]}}
  - plain
"""


def _canon(value: Any) -> Any:
    if isinstance(value, dict):
        extra = (value.pos, sorted(value.kpos.items()), value.empty) if isinstance(value, YMap) else None
        return ("map", type(value).__name__, extra, [(k, _canon(v)) for k, v in value.items()])
    if isinstance(value, list):
        items = (value.pos, list(value.ipos)) if isinstance(value, YSeq) else None
        return ("seq", type(value).__name__, items, [_canon(v) for v in value])
    return (type(value).__name__, value)


def _containers(value: Any) -> list[Any]:
    found = [value] if isinstance(value, (dict, list)) else []
    for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else []:
        found += _containers(item)
    return found


def test_a_copy_is_equal_in_everything_and_shares_nothing_mutable() -> None:
    (doc,) = load_documents(DOC, "cm.yaml")
    assert doc.empty == {"empty"}
    copy = deep_copy(doc)
    assert _canon(copy) == _canon(doc)
    originals = {id(c) for c in _containers(doc)}
    assert not originals & {id(c) for c in _containers(copy)}
    for a, b in zip(_containers(doc), _containers(copy), strict=True):
        if isinstance(a, YMap):
            assert a.kpos is not b.kpos and (a.empty is None or a.empty is not b.empty)
        if isinstance(a, YSeq):
            assert a.ipos is not b.ipos
    copy["metadata"]["labels"]["x"] = "changed"
    copy["nested"][1]["deep"]["deeper"].append("more")
    copy.kpos.clear()
    assert _canon(deep_copy(doc)) == _canon(load_documents(DOC, "cm.yaml")[0])


def test_plain_containers_become_positionless_ymaps_and_yseqs() -> None:
    copy = deep_copy({"a": [1, {"b": 2}]})
    assert isinstance(copy, YMap) and isinstance(copy["a"], YSeq) and isinstance(copy["a"][1], YMap)
    assert copy.pos is None and copy.kpos == {} and copy.empty is None and copy["a"].ipos == []
