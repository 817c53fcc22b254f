"""``substitute_tree`` gives exactly what the printed round trip gives (``varsub.round_trip``: print,
envsubst, read back through go-yaml v2 and JSON), or None: on generated resources that put expressions in
every printing style and replace them with values that type, quote, fold and break lines, and on every
resource of the test fixtures and of the corpus that holds a ``$``."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from homeops.errors import BuildError
from homeops.flux.substtree import round_trip_changes, substitute_tree
from homeops.flux.varsub import _copy_positions, round_trip, substitute_object
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import Pos, YMap, YSeq

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

LONG = " ".join(f"word{i}" for i in range(14))  # past the 80-column fold
TEMPLATES = [
    "${V}", "x${V}", "${V}x", "pre-${V}-post", "https://${V}/path", "${V}${V}", "a ${V}", "${V} b",
    "a ${V} b", f"{LONG} ${{V}} tail", f"{LONG}${{V}} {LONG}", f"${{V}} {LONG}", "${V}: x", "#${V}", "- ${V}",
    "'${V}'", '"${V}"', "yes${V}", "1${V}", "${V}\n", "line1\n${V}\nline3\n", "${V}\nrest", "a\n${V}",
    "a\nb ${V} c\n\n", "${V:=default}", "${V:-def}", "${UNSET}", "${UNSET:=fallback}", "${V^^}", "${V:0:2}",
    "$V", "$${V}", "${V", "${}", "a $ b ${V}", "${V}#", "${V} #c", "é ${V}", "tab\t${V}", "${V}\u0085",
    "{{ $labels.name }} ${V}", "$(MAX)Mi", "cost $5", "last$", "$\n${V}\n", "${V}$", "$${V} ${V}",
]  # fmt: skip
VALUES = [
    "example.com", "3", "0", "-1", "1.5", "1e3", ".5", "true", "on", "yes", "No", "y", "null", "~", "",
    "2001-12-14", "2001-12-14 21:59:43.10 -5", "0777", "0o17", "0x1F", "12345678901234567890", "1_000", "a:b",
    "a:", "-x", "-", "?x", ":x", "#x", "&a", "*a", "!x", "!!int", "|x", ">x", "%x", "@x", "`x", "{x}", "[x]",
    "a,b", "${NESTED}", "$$", "---", "...", "=x", "<<", "a b", " x", "x ", "a: b", "line\nbreak", "'q'",
    '"d"', "back\\slash", "tab\tx", "é", "a #b", "x" * 90,
]  # fmt: skip


def _canon(value: Any, *, exact: bool = True, kept: frozenset[int] = frozenset()) -> Any:
    """``value`` with every type and position spelled out (``==`` alone takes 1 for True); ``exact``: also
    the order of mapping keys and which keys were written empty (the round trip sorts the keys and drops
    that mark, which nothing reads after kustomize: a skipped resource keeps both), except in the
    containers of ``kept`` (ids: what the tree path took over unchanged, as a skipped resource)."""
    if id(value) in kept:
        exact = False
    if isinstance(value, dict):
        items = [(k, _canon(v, exact=exact, kept=kept)) for k, v in value.items()]
        if not isinstance(value, YMap):
            return ("map", None, items if exact else sorted(items))
        if exact:
            return ("map", (value.pos, sorted(value.kpos.items()), value.empty), items)
        return ("map", (value.pos, sorted(value.kpos.items())), sorted(items))
    if isinstance(value, list):
        extra = (value.pos, list(value.ipos)) if isinstance(value, YSeq) else None
        return ("seq", extra, [_canon(v, exact=exact, kept=kept) for v in value])
    return (type(value).__name__, value)


def _compare(obj: YMap, variables: dict[str, str], strict: bool) -> bool:
    """Whether the tree gave a result (then equal to the round trip's, which must succeed unresolved-free)."""
    fast = substitute_tree(obj, variables, strict=strict)
    try:
        slow, unresolved = round_trip(obj, variables, strict=strict)
    except BuildError:
        assert fast is None, f"the round trip fails, the tree gave {fast!r}"
        return False
    if fast is None:
        return False
    _copy_positions(obj, fast)
    assert not unresolved
    kept = frozenset(_containers(obj)) & frozenset(_containers(fast))
    assert _canon(fast, kept=kept) == _canon(slow, kept=frozenset(map(id, _twins(fast, slow, kept))))
    return True


def _containers(value: Any) -> Iterator[int]:
    """The ids of every mapping and sequence in ``value``."""
    if isinstance(value, (dict, list)):
        yield id(value)
        for item in value.values() if isinstance(value, dict) else value:
            yield from _containers(item)


def _twins(fast: Any, slow: Any, kept: frozenset[int]) -> Iterator[Any]:
    """The containers of ``slow`` where ``fast`` has one of ``kept`` (compared without key order)."""
    if id(fast) in kept:
        yield slow
    elif isinstance(fast, dict) and isinstance(slow, dict):
        for k, v in fast.items():
            if k in slow:
                yield from _twins(v, slow[k], kept)
    elif isinstance(fast, list) and isinstance(slow, list):
        for a, b in zip(fast, slow, strict=False):
            yield from _twins(a, b, kept)


def _resource(template: str) -> YMap:
    pos = Pos("app/cm.yaml", 1, 1)
    data = YMap({"k": template, "yes": "plain", "123": template}, pos=Pos("app/cm.yaml", 5, 3))
    data.kpos = {"k": Pos("app/cm.yaml", 6, 3)}
    items = YSeq([template, 1, 2.5, 3.0, True, None, 1e20, 12345678901234567890, YMap(), YSeq()])
    items.ipos = [Pos("app/cm.yaml", 9, 5)] * len(items)
    return YMap(
        {
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": YMap({"name": "cm", "labels": YMap({"b": "on", "a": "x"})}),
            "data": data,
            "spec": YMap({"items": items, "z": 7, "a": template}),
        },
        pos=pos,
    )


def test_generated_resources_match_the_round_trip() -> None:
    taken = 0
    for template, value, strict in itertools.product(TEMPLATES, VALUES, (True, False)):
        taken += _compare(_resource(template), {"V": value, "NESTED": "n"}, strict)
    # the shortcut serves the common cases, not only the trivial ones
    assert taken > len(TEMPLATES) * len(VALUES) // 2


@pytest.mark.parametrize(
    ("template", "value", "served"),
    [
        ("host.${V}", "example.com", True),
        ("${V}", "3", True),  # a number after substitution, as in the cluster
        ("${V}", "on", True),  # YAML 1.1: a boolean
        ("${V}", "", True),  # an empty plain scalar: null
        ("line1\n${V}\n", "example.com", True),  # a literal block
        ("line1\n${V}\n", "", False),  # a line left empty could change the block
        ("a ${V}", "#x", False),  # would start a comment
        ("${V}", "a: b", False),  # would make a mapping
        ("${V}", "line\nbreak", False),
        ("$${V}", "x", False),  # an escape: the round trip decides
        ("${V:=a b}", "x", False),  # a space inside the expression
        ("{{ $labels.name }} on ${V}", "x", True),  # a $ opening no ${...} stays as it is
        ("$(MAX)Mi", "x", True),
    ],
)
def test_what_the_tree_serves(template: str, value: str, served: bool) -> None:
    assert _compare(_resource(template), {"V": value}, True) is served


@pytest.mark.parametrize(
    "other",
    [
        999999,
        -999999,
        1000000,  # through float64: 1e+06, a float
        -1000000,
        2**53 + 1,
        3.0,
        True,
        None,
        "x\x85y",  # U+0085: a line break to go-yaml
        "a\x7fb",
        "on",
        "0o17",
        "1_000",
        "two\nlines",
        "é",
    ],
)
def test_the_parts_without_a_dollar_next_to_a_substitution(other: Any) -> None:
    """What the tree takes over unchanged beside a substituted string (a value, an item, a whole mapping,
    as deep as it comes) is what the round trip gives back."""
    obj = _resource("${V}")
    obj["data"]["other"] = other
    obj["spec"]["items"].append(YSeq([other, YMap({"deep": other})]))
    obj["extra"] = YMap({"m": YMap({"o": other}), "s": YSeq([other])})
    _compare(obj, {"V": "x"}, True)


def test_a_dollar_in_a_key_or_an_unset_variable_in_strict_mode_takes_the_round_trip() -> None:
    obj = _resource("x")
    obj["data"]["${V}"] = "y"
    assert substitute_tree(obj, {"V": "a"}, strict=True) is None
    assert substitute_tree(_resource("${UNSET}"), {"V": "a"}, strict=True) is None
    assert substitute_tree(_resource("${UNSET}"), {"V": "a"}, strict=False) is not None
    new, unresolved = substitute_object(_resource("${UNSET}"), {"V": "a"}, strict=True)
    assert {u.name for u in unresolved} == {"UNSET"} and new["data"]["k"] is None


def _documents(root: Path, dollar: bool = True) -> list[YMap]:
    found: list[YMap] = []
    for path in sorted(root.rglob("*.y*ml")):
        if ".git" in path.parts or path.suffix not in (".yaml", ".yml"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if ("${" in text) is not dollar:
            continue
        try:
            docs = load_documents(text, str(path))
        except Exception:  # files that do not parse are not resources
            continue
        found.extend(d for d in docs if isinstance(d, YMap))
    return found


def _variables(doc: YMap) -> list[dict[str, str]]:
    names = set(re.findall(r"\$\{([_A-Za-z][_A-Za-z0-9]*)", str(doc)))
    return [{n: v for n in names} for v in ("example.com", "3", "true", "", "a: b")]


def _check_documents(docs: list[YMap]) -> int:
    taken = 0
    for doc in docs:
        for variables in _variables(doc):
            if variables:
                taken += _compare(doc, variables, True) + _compare(doc, variables, False)
    return taken


def test_fixture_resources_match_the_round_trip() -> None:
    docs = _documents(FIXTURES)
    assert docs
    assert _check_documents(docs) > 0


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_corpus_resources_match_the_round_trip() -> None:
    docs = _documents(CORPUS)
    assert len(docs) > 100
    assert _check_documents(docs) > len(docs)


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, depth + 1) for c in children)
    return deepest


def _kept(docs: list[YMap]) -> int:
    """Check that the round trip keeps every value of the documents ``round_trip_changes`` passes."""
    kept = 0
    for doc in docs:
        if _depth(doc) < 100 and not round_trip_changes(doc):  # (the hostile fixtures nest deeper)
            new, _ = round_trip(doc, {"V": "x"}, strict=True)
            assert _canon(new, exact=False) == _canon(doc, exact=False)
            kept += 1
    return kept


@pytest.mark.parametrize(
    ("value", "changes"),
    [
        ({"a": 3, "b": "two\nlines", "c": "é", "d": True, "e": None, "f": "tab\tx", "g": "\x01"}, False),
        ({"a": 3.0}, True),  # float64 and back: the integer 3
        ({"a": 1.5}, True),
        ({"a": 999999, "b": -999999}, False),
        ({"a": 1000000}, True),  # 1e+06 as Go prints the float64: read back as a float
        ({"a": -(2**53)}, True),
        ({"a": "x\x85y"}, True),  # U+0085 is a line break to go-yaml: folded
        ({"a": "x\x7f"}, True),  # refused
        ({"a": "${X}"}, True),
        ({"${X}": 1}, True),
        ({"a": ["x", {"b": "y$"}]}, True),
    ],
)
def test_round_trip_changes(value: dict[str, Any], changes: bool) -> None:
    obj = YMap({k: v for k, v in value.items()})
    assert round_trip_changes(obj) is changes
    if not changes:
        assert _kept([obj]) == 1


def test_numbers_pass_through_float64_without_a_dollar() -> None:
    """As kustomize-controller does for every resource once there are variables: ``3.0`` comes back as the
    integer 3, an integer of a million or more as a float (Go prints it ``1e+06``)."""
    obj = YMap({"kind": "ConfigMap", "spec": YMap({"f": 3.0, "big": 12345678901234567890, "n": 7})})
    new, _ = substitute_object(obj, {"V": "x"}, strict=True)
    spec = new["spec"]
    assert (type(spec["f"]), spec["f"]) == (int, 3) and (type(spec["n"]), spec["n"]) == (int, 7)
    assert (type(spec["big"]), spec["big"]) == (float, 1.2345678901234567e19)
    assert substitute_object(obj, {}, strict=True)[0] is obj  # no variables: nothing at all


def test_fixture_resources_without_a_dollar_keep_their_values() -> None:
    assert _kept(_documents(FIXTURES, dollar=False)) > 50


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_corpus_resources_without_a_dollar_keep_their_values() -> None:
    docs = _documents(CORPUS, dollar=False)
    assert _kept(docs) > len(docs) // 2


@pytest.mark.parametrize("container", ["map", "seq"])
def test_a_leaf_past_the_depth_limit_leaves_it_to_the_round_trip(
    container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import homeops.flux.substtree as substtree

    MAX_DEPTH = 20
    monkeypatch.setattr(substtree, "MAX_DEPTH", MAX_DEPTH)

    def nested(levels: int) -> YMap:
        """A resource whose ``${A}`` string sits ``levels`` containers below the top mapping."""
        inner: Any = YSeq(["plain", "${A}"]) if container == "seq" else YMap({"k": "plain", "v": "${A}"})
        for _ in range(levels - 1):
            inner = YMap({"x": inner})
        return YMap({"kind": "ConfigMap", "data": inner})

    within = substitute_tree(nested(MAX_DEPTH - 1), {"A": "1"}, strict=False)
    assert within is not None  # the leaf at MAX_DEPTH
    assert substitute_tree(nested(MAX_DEPTH), {"A": "1"}, strict=False) is None
    monkeypatch.undo()  # the loader's limit: deeper than Python's stack lets the walk go, not an error
    assert substitute_tree(nested(990), {"A": "1"}, strict=False) is None


def test_a_resource_over_the_node_budget_leaves_it_to_the_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    import homeops.flux.substtree as substtree

    monkeypatch.setattr(substtree, "MAX_NODES", 8)
    small = YMap({"kind": "ConfigMap", "data": YMap({f"k{i}": "v" for i in range(4)} | {"a": "${A}"})})
    large = YMap({"kind": "ConfigMap", "data": YMap({f"k{i}": "v" for i in range(8)} | {"a": "${A}"})})
    assert substitute_tree(small, {"A": "1"}, strict=False) is not None
    assert substitute_tree(large, {"A": "1"}, strict=False) is None


def test_a_resource_with_a_variable_use_is_one_the_round_trip_changes() -> None:
    """``substitute_object(uses_found=True)`` skips ``round_trip_changes``: sound only if every resource in
    which ``variable_uses`` finds a ``${NAME}`` is one it would say the round trip changes."""
    from homeops.flux.postbuild import variable_uses

    used = [d for d in _documents(FIXTURES) if variable_uses(d)]
    assert len(used) > 5
    for doc in used:
        assert round_trip_changes(doc)
        variables = {name: "v" for name, _, _ in variable_uses(doc)}
        fast, _ = substitute_object(doc, variables, strict=False, uses_found=True)
        slow, _ = substitute_object(doc, variables, strict=False)
        assert _canon(fast, exact=True) == _canon(slow, exact=True)
    keys = YMap({"${A}": "x"})
    assert variable_uses(keys) and round_trip_changes(keys)  # a use in a key
