"""Every corpus repository built with `homeops build all -O` three ways: without the cache, cold into an
empty cache, and warm from it. Every output file (each Kustomization's YAML or error, and summary.json)
must be byte-identical. Skipped without ../shared/corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.flux.fluxrepos import CORPUS

pytestmark = pytest.mark.corpus

_INDEX = CORPUS / "corpus.json"
_REPOS = [r["dir"] for r in json.loads(_INDEX.read_text())["repos"]] if _INDEX.is_file() else []


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _build_all(repo: Path, out: Path, *extra: str) -> dict[str, bytes]:
    from homeops.cli.main import cli

    result = CliRunner().invoke(cli, ["build", "all", "--repo", str(repo), "-O", str(out), *extra])
    assert result.exit_code in (0, 1), result.output
    return _files(out)


@pytest.mark.skipif(not _REPOS, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("name", _REPOS)
def test_warm_build_all_is_byte_identical(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEOPS_CACHE_DIR", str(tmp_path / "cache"))
    repo = CORPUS / name
    plain = _build_all(repo, tmp_path / "plain", "--no-cache")
    assert not (tmp_path / "cache").exists()
    cold = _build_all(repo, tmp_path / "cold")
    warm = _build_all(repo, tmp_path / "warm")
    assert len(plain) > 1
    assert cold == plain
    assert warm == plain
