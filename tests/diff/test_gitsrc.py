"""Extracting a revision for the base side of a diff: the git archive | tar pipeline that runs while the head
builds, and its fallbacks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from homeops.diff.gitsrc import GitRepo
from tests.diff.gitrepo import commit_all, make_repo


def _tree(root: Path) -> dict[str, str]:
    out = {}
    for top, _, files in os.walk(root):
        for name in files:
            path = Path(top) / name
            out[path.relative_to(root).as_posix()] = (
                "-> " + os.readlink(path) if path.is_symlink() else path.read_text()
            )
    return out


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path)
    (repo / "kubernetes" / "apps" / "extra.yaml").write_text("a: 1\n")
    os.symlink("extra.yaml", repo / "kubernetes" / "apps" / "alias.yaml")
    commit_all(repo, "more")
    (repo / "kubernetes" / "apps" / "extra.yaml").write_text("a: 2\n")  # the work tree differs from HEAD
    return repo


@pytest.mark.parametrize("how", ["pipeline", "no tar", "tar fails"])
def test_a_started_extraction_writes_what_extract_writes(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    git = GitRepo.at(repo)
    expected = _tree(git.extract("HEAD", tmp_path / "sync"))
    assert expected["kubernetes/apps/extra.yaml"] == "a: 1\n"
    assert expected["kubernetes/apps/alias.yaml"] == "-> extra.yaml"
    if how == "no tar":
        monkeypatch.setattr(shutil, "which", lambda name: None)
    elif how == "tar fails":
        false = shutil.which("false")
        assert false is not None
        monkeypatch.setattr(shutil, "which", lambda name: false)
    extraction = git.start_extract("HEAD", tmp_path / "async")
    root = extraction.wait()
    assert root == tmp_path / "async"
    assert _tree(root) == expected


def test_a_stopped_extraction_leaves_no_process_writing(repo: Path, tmp_path: Path) -> None:
    git = GitRepo.at(repo)
    extraction = git.start_extract("HEAD", tmp_path / "stopped")
    procs = list(extraction._procs)
    assert len(procs) == 2
    extraction.stop()
    assert all(p.poll() is not None for p in procs)
    shutil.rmtree(tmp_path / "stopped")  # nothing writes into it any more
    extraction.stop()  # stopping twice is harmless
