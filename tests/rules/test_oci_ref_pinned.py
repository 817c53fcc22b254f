"""HO103: OCIRepository refs pin one artifact."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.rules.validate import oci_ref_pinned as rule
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/oci.yaml"
HEAD = head("source.toolkit.fluxcd.io/v1", "OCIRepository", "x", "apps") + "spec:\n  url: oci://ghcr.io/x\n"

BAD = [
    ("no ref", "  interval: 1h\n", 6),
    ("latest tag", "  ref:\n    tag: latest\n", 9),
    ("semver range", "  ref:\n    semver: '>=1.0.0'\n", 9),
    ("partial semver", "  ref:\n    semver: '1.2'\n", 9),
]
GOOD = [
    ("tag", "  ref:\n    tag: 1.2.3\n"),
    ("digest", "  ref:\n    digest: sha256:0123\n"),
    ("exact semver", "  ref:\n    semver: 1.2.3\n"),
    ("latest but digest", "  ref:\n    tag: latest\n    digest: sha256:0123\n"),
]


@pytest.mark.parametrize(("case", "tail", "line"), BAD, ids=[c[0] for c in BAD])
def test_bad(case: str, tail: str, line: int, tmp_path: Path) -> None:
    assert where(run(rule, write_repo(tmp_path, {F: HEAD + tail}))) == [("HO103", F, line)]


@pytest.mark.parametrize(("case", "tail"), GOOD, ids=[c[0] for c in GOOD])
def test_good(case: str, tail: str, tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, {F: HEAD + tail})) == []
