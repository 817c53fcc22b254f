"""Flux post-build substitution: the envsubst fork's operators, escapes, name rules, strict mode, and how
kustomize-controller applies it to resources."""

from __future__ import annotations

import pytest

from homeops.errors import BuildError
from homeops.flux.envsubst import SubstitutionError, UnresolvedVar, substitute
from homeops.flux.glob import match
from homeops.flux.varsub import (
    is_substitution_disabled,
    merge_variables,
    substitute_object,
    variables_from_resource,
)
from homeops.yaml.emitter import dump_document
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap

V = {"var01": "abcdEFGH28ij", "path": "/home/bozo/ideas/thoughts.for.today", "file": "bash.string.txt"}


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        # plain text, bare $var and lone $ are left alone
        ("abcdEFGH28ij", {}, "abcdEFGH28ij"),
        ("$var01 and $ and $(cmd)", V, "$var01 and $ and $(cmd)"),
        ("${var01}", V, "abcdEFGH28ij"),
        ("a${var01}b${var01}", V, "aabcdEFGH28ijbabcdEFGH28ij"),
        # length (bytes), casing
        ("${#var01}", V, "12"),
        ("${#u}", {"u": "é"}, "2"),
        ("${var01^}", V, "AbcdEFGH28ij"),
        ("${var01^^}", V, "ABCDEFGH28IJ"),
        ("${v,}", {"v": "ABC"}, "aBC"),
        ("${v,,}", {"v": "ABC"}, "abc"),
        # substrings
        ("${path:11}", V, "ideas/thoughts.for.today"),
        ("${path:11:5}", V, "ideas"),
        ("${v:-3:2}", {"v": "123456789"}, "123456789"),  # ":-" is the default operator, as in bash
        ("${v:${n}:2}", {"v": "123456789", "n": "-3"}, "78"),  # negative offset through a nested value
        ("${v:2:-1}", {"v": "hello world"}, "llo worl"),
        ("${v:9:1}", {"v": "12345678"}, ""),
        ("${v: -2}", {"v": "12345678"}, "12345678"),  # Atoi(" -2") fails: the value is kept
        # defaults: every form means "value if non-empty, else default"
        ("${var=xyz}", {"var": "abc"}, "abc"),
        ("${var=xyz}", {}, "xyz"),
        ("${var:=xyz}", {}, "xyz"),
        ("${var:-xyz}", {"var": ""}, "xyz"),
        ("${var:+alt}", {"var": "set"}, "set"),
        ("${var:+alt}", {}, "alt"),
        ("${var:?msg}", {}, "msg"),
        ("${var:-a b: c}", {}, "a b: c"),
        ("${var:-{x}", {}, "{x"),
        ("${var:-{x}}", {}, "{x}"),
        # nested defaults
        ("something ${var=${default_var}}", {"default_var": "foo"}, "something foo"),
        ("${var=prefix${d}-suffix}", {"d": "foo1"}, "prefixfoo1-suffix"),
        ("${a:=${b:=${c:-deep}}}", {}, "deep"),
        ("${var=${var01^^}}", V, "ABCDEFGH28IJ"),
        # replacement
        ("${s/abc/xyz}", {"s": "abcABC123ABCabc"}, "xyzABC123ABCabc"),
        ("${s//abc/xyz}", {"s": "abcABC123ABCabc"}, "xyzABC123ABCxyz"),
        ("${s/#abc/XYZ}", {"s": "abcABC123ABCabc"}, "XYZABC123ABCabc"),
        ("${s/%abc/XYZ}", {"s": "abcABC123ABCabc"}, "abcABC123ABCXYZ"),
        ("${s/#/prefix-}", {"s": "value"}, "prefix-value"),
        ("${s/%/-suffix}", {"s": "value"}, "value-suffix"),
        ("${s/./}", {"s": "foo.bar"}, "foobar"),
        (r"${s/\//-}", {"s": "foo/bar"}, "foo-bar"),
        (r"${s//\//-}", {"s": "foo/bar/baz"}, "foo-bar-baz"),
        # pattern removal (globs; * also matches /)
        ("${file#*.}", V, "string.txt"),
        ("${file##*.}", V, "txt"),
        ("${file%.*}", V, "bash.string"),
        ("${file%%.*}", V, "bash"),
        ("${f#*/}", {"f": "/path/to/file"}, "path/to/file"),
        ("${f##*/}", {"f": "/path/to/file"}, "file"),
        ("${f#[a-c]}", {"f": "bash"}, "ash"),
        ("${f#[}", {"f": "bash"}, "bash"),  # malformed pattern: the value is kept
        # escapes: $$ drops one $ outside expressions; backslashes elsewhere are literal
        ("$${var01}", V, "${var01}"),
        (
            "some text ${var01}$${var$${var01}$var01${var01}",
            V,
            "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij",
        ),
        ("something $${var=${default_var}}", {"default_var": "foo"}, "something ${var=foo}"),
        ("$$HOME $$$$", {}, "$HOME $$"),
        ("\\\\something ${v}", {"v": "x"}, "\\\\something x"),
        # unset variables render empty in non-strict mode
        ("a: ${missing}", {}, "a: "),
        ("${#missing}", {}, "0"),
    ],
)
def test_operators(text: str, variables: dict[str, str], expected: str) -> None:
    assert substitute(text, variables, strict=False).text == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${foo-bar}", "missing closing brace"),  # the fork has no ${var-default}
        ("${foo+bar}", "missing closing brace"),
        ("${foo.bar}", "missing closing brace"),
        ("${foo bar}", "missing closing brace"),
        ("x: ${foo", "missing closing brace"),
        ("${}", "unable to parse variable name"),
        ("${-x}", "unable to parse variable name"),
        ("${x:-abc", "unable to parse substitution within function"),
        ("${x/abc}", "bad substitution"),
        ("${#}", "bad substitution"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(SubstitutionError) as info:
        substitute("ok\n" + text, {"foo": "1", "x": "2"}, strict=False, file="app.yaml")
    assert message in info.value.message
    assert info.value.location is not None
    assert (info.value.location.file, info.value.location.line) == ("app.yaml", 2)


def test_a_repeated_text_parses_once_and_each_use_evaluates_its_own_variables() -> None:
    from homeops.flux import envsubst

    text = "${REPLICAS:=1}/${APP^^}"
    before = envsubst._parse_short.cache_info()
    assert substitute(text, {"APP": "web"}, strict=False).text == "1/WEB"
    assert substitute(text, {"APP": "db", "REPLICAS": "3"}, strict=False).text == "3/DB"
    after = envsubst._parse_short.cache_info()
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 1
    for file in ("a.yaml", "b.yaml"):  # a memoised rejection still fails, at the place of each use
        with pytest.raises(SubstitutionError) as info:
            substitute("ok\n${x:-abc", {}, strict=False, file=file)
        where = info.value.location
        assert where is not None and (where.file, where.line, where.column) == (file, 2, 1)
    long = "x" * envsubst._SHORT + "${A}"  # a whole document: parsed each time, not kept
    assert substitute(long, {"A": "1"}, strict=False).text.endswith("x1")


def test_name_chars_are_letters_digits_underscore() -> None:
    assert (
        substitute("${_a1} ${1st} ${été}", {"_a1": "x", "1st": "y", "été": "z"}, strict=False).text == "x y z"
    )


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("${missing}", ["missing"]),
        ("${#missing} ${missing^^} ${missing:0:2} ${missing/a/b} ${missing%%x}", ["missing"] * 5),
        ("${missing:-fallback} ${missing:=x} ${missing=y} ${missing:+z} ${missing:?w}", []),
        ("${a:-${inner}}", ["inner"]),
        ("${set} ${empty}", []),
    ],
)
def test_strict_records_unresolved(text: str, missing: list[str]) -> None:
    result = substitute(text, {"set": "1", "empty": ""}, strict=True)
    assert [u.name for u in result.unresolved] == missing
    assert substitute(text, {"set": "1", "empty": ""}, strict=False).unresolved == []


def test_unresolved_positions_are_one_based() -> None:
    result = substitute("a: 1\nb: x ${nope}\nc: é${nope2}", {}, strict=True)
    assert result.unresolved == [UnresolvedVar("nope", 2, 6), UnresolvedVar("nope2", 3, 5)]
    assert result.text == "a: 1\nb: x \nc: é"


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [("*", "a/b", True), ("a?c", "a/c", True), ("[!a]", "b", False), ("[^a]", "b", True), ("\\*", "*", True)],
)
def test_glob(pattern: str, name: str, expected: bool) -> None:
    assert match(pattern, name) is expected


# --- resources ---------------------------------------------------------------------------------------------

DEPLOY = b"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${ENV}
  annotations:
    note: "${MISSING}"
spec:
  replicas: ${REPLICAS}
  paused: ${PAUSED}
  big: ${BIG}
  image: "repo/app:${TAG:=latest}"
  script: echo $HOME $${KEEP}
"""


def load(text: bytes) -> YMap:
    doc = load_documents(text, "deploy.yaml")[0]
    assert isinstance(doc, YMap)
    return doc


def test_substitute_object_types_like_flux() -> None:
    obj = load(DEPLOY)
    variables = {"ENV": "prod", "REPLICAS": "3", "PAUSED": "on", "BIG": "1234567"}
    new, unresolved = substitute_object(obj, variables, strict=True)
    assert new["metadata"]["name"] == "app-prod"
    assert new["spec"]["replicas"] == 3  # a substituted number becomes a number
    assert new["spec"]["paused"] is True  # go-yaml v2 reads "on" as a boolean
    assert new["spec"]["big"] == 1234567
    assert new["spec"]["image"] == "repo/app:latest"
    assert new["spec"]["script"] == "echo $HOME ${KEEP}"
    assert new["metadata"]["annotations"]["note"] is None  # "" re-read as null
    assert [(u.name, u.pos and u.pos.line) for u in unresolved] == [("MISSING", 6)]
    assert new.kpos["spec"].line == 7  # source positions are kept
    assert obj["spec"]["replicas"] == "${REPLICAS}"  # the input is untouched
    assert "app-prod" in dump_document(new)


def test_no_variables_means_no_substitution_even_in_strict_mode() -> None:
    obj = load(DEPLOY)
    assert substitute_object(obj, {}, strict=True) == (obj, [])


@pytest.mark.parametrize("field", ["labels", "annotations"])
def test_disabled_label_or_annotation(field: str) -> None:
    obj = load(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  "
        + field.encode()
        + b":\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  a: ${X}\n"
    )
    assert is_substitution_disabled(obj)
    assert substitute_object(obj, {"X": "1"}, strict=True)[0]["data"]["a"] == "${X}"


def test_not_disabled_by_other_values() -> None:
    obj = load(b"metadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: enabled\n")
    assert not is_substitution_disabled(obj)


@pytest.mark.parametrize("name", ["my-var", "1abc", "a.b", "é"])
def test_invalid_variable_name_fails(name: str) -> None:
    with pytest.raises(BuildError, match="var name is invalid"):
        substitute_object(load(DEPLOY), {name: "x"}, strict=False)


def test_parse_error_names_the_resource() -> None:
    obj = load(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: ${X-default}\n")
    with pytest.raises(SubstitutionError) as info:
        substitute_object(obj, {"X": "1"}, strict=False)
    assert info.value.location is not None and info.value.location.file == "deploy.yaml"
    assert "deploy.yaml:6" in info.value.message


def test_value_breaking_the_yaml_is_an_error() -> None:
    obj = load(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: ${X}\n")
    with pytest.raises(BuildError, match="not valid YAML"):
        substitute_object(obj, {"X": "[unclosed"}, strict=False)


def test_precedence_later_source_wins_and_inline_wins_over_all() -> None:
    merged = merge_variables([{"a": "1", "b": "1"}, {"b": "2", "c": "2\n"}], {"c": "inline", "d": "x\ny"})
    assert merged == {"a": "1", "b": "2", "c": "inline", "d": "xy"}
    assert merge_variables([], None) == {}


def test_variables_from_configmap_and_secret() -> None:
    cm = load(b"kind: ConfigMap\ndata:\n  A: one\n  N: 1\n")
    secret = load(b"kind: Secret\ndata:\n  A: b25l\nstringData:\n  B: two\n")
    assert variables_from_resource(cm) == {"A": "one", "N": "1"}
    assert variables_from_resource(secret) == {"A": "one", "B": "two"}
    with pytest.raises(BuildError, match="not valid base64"):
        variables_from_resource(load(b"kind: Secret\ndata:\n  A: '!!'\n"))


def test_substitute_strategy_always_substitutes_without_variables() -> None:
    """substituteStrategy: WithVariables (the default) skips substitution when no variable is defined;
    Always substitutes anyway, so defaults apply and strict mode reports unset variables."""
    from homeops.flux.varsub import substitute_object
    from homeops.yaml.loader import load_documents

    (obj,) = load_documents(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: ${A:=one}\n  b: ${B}\n", "x.yaml"
    )
    same, missing = substitute_object(obj, {}, strict=True)
    assert same["data"] == {"a": "${A:=one}", "b": "${B}"} and missing == []
    new, missing = substitute_object(obj, {}, strict=True, always=True)
    assert new["data"]["a"] == "one"
    assert [m.name for m in missing] == ["B"]


@pytest.mark.parametrize(
    "text",
    [
        "a: ${MISSING}\n",
        "a: $$x $${y} ${MISSING}\n",
        "$$$$ $$ ${MISSING} $$\nb: ${MISSING}\n",
        "é$$ü: ${MISSING} ü$$é ${MISSING}\n",
        "$${a}$${b}$${c}\n${MISSING} $${d} ${MISSING}\n",
    ],
)
def test_positions_after_escapes_are_those_of_the_input(text: str) -> None:
    # escapes ($$) are removed while scanning: a position must still point into the text as written
    result = substitute(text, {}, strict=True)
    encoded = text.encode()
    expected = []
    start = 0
    while (found := encoded.find(b"${MISSING", start)) >= 0:
        if not encoded[:found].endswith(b"$") or encoded[:found].endswith(b"$$$"):
            line = encoded[:found].count(b"\n") + 1
            column = len(encoded[:found].split(b"\n")[-1].decode()) + 1
            expected.append(UnresolvedVar("MISSING", line, column))
        start = found + 1
    assert result.unresolved == expected
