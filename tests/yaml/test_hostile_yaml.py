"""Hostile YAML: nesting depth, invalid bytes, huge numbers, unknown tags and merge keys give an InputError at
file:line:col (never RecursionError, ValueError or a position in "<byte string>"), and every tree walk of
homeops.yaml copes with the deepest document the loader accepts."""

from __future__ import annotations

import pytest

from homeops.errors import InputError
from homeops.yaml.emitter import dump_document, dump_document_libyaml
from homeops.yaml.loader import MAX_DEPTH, load_documents
from homeops.yaml.nodes import YMap, YSeq, deep_copy, from_plain, to_plain
from homeops.yaml.resolver import resolve_plain, resolve_tagged


def _flow_map(depth: int) -> str:
    return "{a: " * depth + "1" + "}" * depth


def _flow_seq(depth: int) -> str:
    return "[" * depth + "]" * depth


def _block_map(depth: int) -> str:
    return "".join(" " * i + f"k{i}:\n" for i in range(depth - 1)) + " " * (depth - 1) + "v: 1\n"


def _same(a: object, b: object) -> bool:
    """Deep equality without recursion (``==`` on dicts recurses in C and fails at this depth)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, dict) and isinstance(y, dict):
            if list(x) != list(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif isinstance(x, dict | list) or isinstance(y, dict | list) or x != y or type(x) is not type(y):
            return False
    return True


def _types(value: object) -> set[type]:
    found, stack = set(), [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list):
            found.add(type(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
    return found


def _depth(value: object) -> int:
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            level += 1
            stack.extend((v, level) for v in (item.values() if isinstance(item, dict) else item))
        deepest = max(deepest, level)
    return deepest


@pytest.mark.parametrize("depth", [150, 1001, 1500, 5000])
@pytest.mark.parametrize("shape", ["flow-map", "flow-seq"])
def test_deep_flow_nesting_is_an_input_error_past_the_limit(shape: str, depth: int) -> None:
    inner = _flow_map(depth) if shape == "flow-map" else _flow_seq(depth)
    text = "a: " + inner + "\n"
    if depth + 1 <= MAX_DEPTH:
        assert _depth(load_documents(text, "deep.yaml")[0]) == depth + 1
        return
    with pytest.raises(InputError) as exc:
        load_documents(text, "deep.yaml")
    assert "exceeded max depth of 1000" in exc.value.message
    loc = exc.value.location
    assert loc is not None and (loc.file, loc.line) == ("deep.yaml", 1) and loc.column > 1000


def test_deep_block_mapping_1500_is_an_input_error_with_its_line() -> None:
    with pytest.raises(InputError) as exc:
        load_documents(_block_map(1500), "block.yaml")
    loc = exc.value.location
    assert loc is not None and loc.file == "block.yaml" and loc.line == 1001 and loc.column == 1001


def test_alias_that_would_nest_past_the_limit_is_refused() -> None:
    text = "a: &x " + _flow_seq(600) + "\nb: " + "[" * 600 + "*x" + "]" * 600 + "\n"
    with pytest.raises(InputError, match="exceeded max depth"):
        load_documents(text, "alias.yaml")


def test_every_yaml_walk_copes_with_the_deepest_accepted_document() -> None:
    doc = load_documents("a: " + _flow_map(MAX_DEPTH - 1) + "\n", "deep.yaml")[0]
    assert _depth(doc) == MAX_DEPTH
    copy = deep_copy(doc)
    assert _same(copy, doc) and _types(copy) == {YMap} and copy["a"] is not doc["a"]
    plain = to_plain(doc)
    assert _same(plain, doc) and _types(plain) == {dict}
    back = from_plain(plain)
    assert _same(back, doc) and _types(back) == {YMap}
    text = dump_document(doc)
    assert text == dump_document_libyaml(doc)
    assert _same(load_documents(text, "again.yaml")[0], doc)
    seq = load_documents(_flow_seq(MAX_DEPTH) + "\n", "seq.yaml")[0]
    assert isinstance(deep_copy(seq), YSeq) and dump_document(seq).count("- ") == MAX_DEPTH - 1


@pytest.mark.parametrize(
    ("data", "line", "column", "reason"),
    [
        (b"a: b\nc: caf\xff\n", 2, 7, "invalid leading UTF-8 octet"),
        (b"a: b\nc: d\x00e\n", 2, 5, "control characters are not allowed"),
        ("k: v\nn: \u00e9\u00e9\x01\n".encode(), 2, 6, "control characters are not allowed"),
        (b"x: \xc3\n", 1, 5, "invalid trailing UTF-8 octet"),
    ],
)
def test_invalid_bytes_have_line_and_column(data: bytes, line: int, column: int, reason: str) -> None:
    with pytest.raises(InputError) as exc:
        load_documents(data, "bad.yaml")
    loc = exc.value.location
    assert loc is not None and (loc.file, loc.line, loc.column) == ("bad.yaml", line, column)
    assert reason in exc.value.message and "<byte string>" not in str(exc.value)


def test_huge_integers_follow_go_yaml_v3() -> None:
    # Too big for int64 and uint64: a float when ParseFloat takes it, else (overflow) the string.
    assert resolve_plain("9" * 5000) == "9" * 5000
    assert resolve_plain("-" + "9" * 5000) == "-" + "9" * 5000
    assert resolve_plain("1" * 30) == 1.1111111111111111e29
    assert resolve_plain("0x" + "f" * 5000) == "0x" + "f" * 5000
    doc = load_documents("n: " + "9" * 5000 + "\nq: '" + "8" * 5000 + "'\n" + "7" * 1000 + ": k\n", "f")[0]
    assert doc["n"] == "9" * 5000
    text = dump_document(doc)
    # plain, even the quoted one: go-yaml v2 reads them back as strings too (as kubectl prints them)
    assert text == f'? {"7" * 1000}\n: k\n"n": {"9" * 5000}\nq: {"8" * 5000}\n'
    assert load_documents(text, "again.yaml")[0] == doc


def test_unknown_tags_keep_the_text_and_binary_is_decoded() -> None:
    assert resolve_tagged("tag:yaml.org,2002:binaaary", "abc") == "abc"
    assert resolve_tagged("tag:yaml.org,2002:binary", "YWJj\nZGVm") == "abcdef"
    doc = load_documents("a: !!binaaary 12\nb: !!binary YWJj\nc: !<!> x\n", "f")[0]
    assert doc == {"a": "12", "b": "abc", "c": "x"}
    with pytest.raises(InputError) as exc:
        load_documents("a: b\nc: !!binary 'YW=Jj'\n", "b64.yaml")
    assert str(exc.value) == "b64.yaml:2:4: !!binary value contains invalid base64 data"


def test_merge_keys_as_kyaml_deanchors_them() -> None:
    doc = load_documents(
        "b: &b {x: 1}\nt:\n  !foo <<: *b\n  y: 2\nq:\n  '<<': {a: 1}\n  k: v\n"
        "qm:\n  '<<': {b: 2}\n  <<: {a: 1}\nmq:\n  <<: {a: 1}\n  '<<': {b: 2}\n",
        "f",
    )[0]
    assert doc["t"] == {"y": 2}
    assert doc["q"] == {"k": "v"}
    assert doc["qm"] == {"a": 1}
    assert doc["mq"] == {"a": 1, "<<": {"b": 2}}


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("m:\n  <<: '3'\n", "map merge requires map or sequence of maps as the value", 2),
        ("m:\n  <<: {a: 1}\n  <<: {b: 2}\n", "duplicate merge key", 3),
        ("m:\n  <<: [[{a: 1}]]\n", "invalid map merge: received a nested sequence", 2),
        ("s: &s [{a: 1}]\nm:\n  <<: *s\n", "invalid map merge: received alias for a non-map value", 3),
    ],
)
def test_bad_merge_keys_are_input_errors(text: str, message: str, line: int) -> None:
    with pytest.raises(InputError) as exc:
        load_documents(text, "m.yaml")
    assert exc.value.message == message
    assert exc.value.location is not None and exc.value.location.line == line
