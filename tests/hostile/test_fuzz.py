"""Fuzzing with hypothesis: random YAML text and bytes, random nested structures, random ``${...}`` text and
random kustomization directories may only ever raise a HomeopsError (which the CLI turns into exit 1 or 2),
never another exception (exit 3). Derandomized, no example database: the same examples run everywhere."""

from __future__ import annotations

import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from homeops.errors import HomeopsError
from homeops.flux.envsubst import substitute
from homeops.flux.varsub import substitute_object
from homeops.kustomize.build import Builder
from homeops.yaml.emitter import dump_documents
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import from_plain

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces YAML is made of, so random text often gets past the first character.
_YAML_TOKENS = [
    "a", "b: ", "- ", "? ", ": ", "{", "}", "[", "]", ", ", "\n", "\n  ", "  ", "&x ", "*x", "&y ", "*y",
    "<<: ",
    "!!str ", "!!int ", "!!binary ", "!!binaaary ", "!foo ", "!!merge ", "'", '"', "|\n  ", ">-\n  ", "---\n",
    "...\n", "#c\n", "~", "null", "yes", "0x1F", "0o7", "1e400", "9" * 40, "2024-01-01", "\t", "%YAML 1.1\n",
    "\\", "\x00", "\x85", "\ufeff", "\u2028", "é",
]  # fmt: skip


def _yaml_text() -> Any:
    return st.lists(st.sampled_from(_YAML_TOKENS) | st.text(max_size=4), max_size=40).map("".join)


def _load(data: str | bytes) -> list[Any]:
    try:
        return load_documents(data, "fuzz.yaml")
    except HomeopsError as exc:
        assert exc.location is not None and exc.location.file == "fuzz.yaml"
        return []


@SETTINGS
@given(_yaml_text())
def test_loader_on_yaml_like_text(text: str) -> None:
    docs = _load(text)
    with suppress(HomeopsError):
        dump_documents(d for d in docs if d is not None)


@SETTINGS
@given(st.binary(max_size=200) | _yaml_text().map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_loader_on_bytes(data: bytes) -> None:
    _load(data)


@SETTINGS
@given(st.integers(min_value=1, max_value=3000), st.sampled_from(["{a: ", "[", "- ", "a:\n"]))
def test_loader_on_deep_nesting(depth: int, opener: str) -> None:
    closer = {"{a: ": "}", "[": "]"}.get(opener, "")
    if opener == "a:\n":
        text = "".join(" " * i + "a:\n" for i in range(depth)) + " " * depth + "b\n"
    else:
        text = opener * depth + "1" + closer * depth
    _load(text)


_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_trees = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=60,
)


@SETTINGS
@given(st.dictionaries(st.text(max_size=6), _trees, min_size=1, max_size=5))
def test_emit_and_substitute_random_structures(tree: dict[str, Any]) -> None:
    doc = from_plain(tree)
    try:
        text = dump_documents([doc])
    except HomeopsError:
        return
    again = _load(text)
    assert len(again) == 1
    with suppress(HomeopsError):
        substitute_object(doc, {"a": "${b}", "b": "[x, {y: z}]"}, strict=True, always=True)


_ENVSUBST_TOKENS = [
    "${", "}", "$", "$$", "a", "_B", ":", "=", ":=", ":-", "-", "+", "?", "#", "##", "%", "/", "//", "^",
    "^^", ",", "\\", "\\/", "0", "-1", " ", "\n", "é", "\x00", "${a:=${b:-",
]  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(_ENVSUBST_TOKENS) | st.text(max_size=3), max_size=60).map("".join))
def test_envsubst_on_random_text(text: str) -> None:
    with suppress(HomeopsError):
        substitute(text, {"a": "value", "B": ""}, strict=True, file="fuzz.yaml")


@SETTINGS
@given(st.integers(min_value=1, max_value=2000))
def test_envsubst_on_deep_defaults(depth: int) -> None:
    with suppress(HomeopsError):
        substitute("${a:=" * depth + "x" + "}" * depth, {}, strict=True, file="fuzz.yaml")


_PATH_PIECES = [
    "cm.yaml", "../", "./", "/", "\x00", "a" * 300, "b" * 5000, "dir", "é", "\\", "*", "?ref=x//y", "https://",
    ".", "..", " ", "\n", "%00",
]  # fmt: skip
_FIELDS = ["resources", "components", "patches", "configMapGenerator", "secretGenerator", "crds", "bases"]


def _kustomization() -> Any:
    path = st.lists(st.sampled_from(_PATH_PIECES), min_size=1, max_size=4).map("".join)
    entry = st.one_of(
        path,
        st.builds(lambda p: {"path": p}, path),
        st.builds(lambda p: {"name": "g", "files": [p]}, path),
        st.builds(lambda p: {"name": "g", "envs": [p]}, path),
        st.builds(lambda p: {"name": "g", "literals": [p]}, path),
        _trees,
    )
    return st.dictionaries(st.sampled_from(_FIELDS), st.lists(entry, max_size=3) | _trees, max_size=3)


@SETTINGS
@given(_kustomization(), _yaml_text())
def test_kustomize_build_of_random_directories(kustomization: dict[str, Any], resource: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kdir = root / "app"
        (kdir / "dir").mkdir(parents=True)
        (kdir / "cm.yaml").write_text(resource, encoding="utf-8", errors="surrogatepass")
        (kdir / "dir" / "kustomization.yaml").write_text("resources:\n- ../cm.yaml\n")
        try:
            text = dump_documents([from_plain(kustomization)])
        except HomeopsError:
            return
        (kdir / "kustomization.yaml").write_text(text)
        with suppress(HomeopsError):
            dump_documents(r.obj for r in Builder(root).build(kdir))
