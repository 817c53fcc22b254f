"""``documents_printer``: one printer's caches (styles, key texts, key orders) shared by many calls print
each call's documents exactly as ``dump_documents`` alone does, whatever was printed before."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from homeops.errors import HomeopsError
from homeops.yaml.emitter import documents_printer, dump_documents
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _files(root: Path) -> list[list[Any]]:
    found = []
    for path in sorted(root.rglob("*.y*ml")):
        if ".git" in path.parts or path.suffix not in (".yaml", ".yml") or path.stat().st_size > 200_000:
            continue
        try:
            docs = load_documents(path.read_bytes(), str(path))
        except Exception:  # not YAML: nothing to print
            continue
        if docs:
            found.append(docs)
    return found


def _check(groups: list[list[Any]]) -> None:
    dump = documents_printer()
    for docs in [*groups, *reversed(groups)]:  # each text printed after others, in both orders
        try:
            expected = dump_documents(docs)
        except HomeopsError as exc:  # what cannot be printed (NaN...) fails the same way
            with pytest.raises(type(exc), match=re.escape(str(exc))):
                dump(docs)
            continue
        assert dump(docs) == expected


def test_shared_caches_print_what_one_call_prints() -> None:
    long = "word " * 30  # folded at its column: the same text in other places
    groups: list[list[Any]] = [
        [YMap({"a": long, "b": YMap({"c": long, "deeper": YMap({"d": long})})})],
        [YMap({"z": "yes", "a": "on", "m": "0o17", "k": "1_000", "n": "x\ny", "q": "'"})],
        [YMap({"on": 1, "yes": 2, "a b": 3, long.strip(): 4})],
    ]
    _check(groups)


def test_the_fixtures_print_alike() -> None:
    _check(_files(FIXTURES))


def test_the_corpus_prints_alike() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus is not here ({CORPUS})")
    _check(_files(CORPUS))
