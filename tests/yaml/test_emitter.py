"""The emitter (and loader) against kubectl's own output for the yaml-* golden fixtures, plus unit cases."""

from __future__ import annotations

import math
import random
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
