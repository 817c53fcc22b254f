"""Output directories that cannot be directories, and roots outside the repository, are usage errors
(exit 2 with a clear message), never internal errors (issue 12)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from homeops.cli.main import main
from homeops.errors import UsageError
from homeops.flux.api import BuildAllOptions, RepoOptions, build_all
from tests.flux.layouts_helpers import checkout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = checkout("bootstrap-self-root", tmp_path)
    monkeypatch.chdir(root)
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[object, str]:
    """The exit code and stderr of ``homeops ARGS``."""
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    return exc.value.code, capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_output_dir_dev_null(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "build", "all", "--no-cache", "--output-dir", "/dev/null")
    assert code == 2, err
    assert "--output-dir /dev/null exists and is not a directory" in err


def test_output_dir_regular_file(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("keep me\n")
    code, err = run(capsys, "build", "all", "--no-cache", "-O", str(target))
    assert code == 2, err
    # click's own check of the option (file_okay=False) answers first here; the library says the same
    assert str(target) in err and "is a file" in err
    with pytest.raises(UsageError, match="exists and is not a directory"):
        build_all(BuildAllOptions(target, repo=RepoOptions(repo=repo)))
    assert target.read_text() == "keep me\n"


def test_output_dir_under_a_regular_file(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "file"
    target.write_text("keep me\n")
    code, err = run(capsys, "build", "all", "--no-cache", "-O", str(target / "sub" / "out"))
    assert code == 2, err
    assert f"cannot be created: {target} is not a directory" in err
    assert target.read_text() == "keep me\n"


def test_output_dir_with_a_file_where_a_folder_goes(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "flux-system").write_text("in the way\n")  # build all writes OUT/flux-system/<name>.yaml
    code, err = run(capsys, "build", "all", "--no-cache", "-O", str(out))
    assert code == 2, err
    assert f"cannot write --output-dir {out}" in err
    assert "flux-system" in err


COMMANDS = [
    ["get", "ks"],
    ["get", "hr"],
    ["get", "sources"],
    ["build", "ks", "flux-system"],
    ["build", "hr", "anything"],
    ["build", "all"],
    ["validate"],
    ["graph"],
    ["plan"],
    ["diff", "--base", "HEAD"],
    ["status"],  # checked before the cluster is contacted
]


@pytest.mark.parametrize("root", ["/etc", "../.."])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_root_outside_the_repository(
    repo: Path, capsys: pytest.CaptureFixture[str], command: list[str], root: str
) -> None:
    code, err = run(capsys, *command, "--no-cache", "--root", root)
    assert code == 2, err
    assert f"--root {root} is outside the repository {repo.resolve()}" in err


def test_source_root_outside_the_repository(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "build", "all", "--no-cache", "--source-root", "/etc")
    assert code == 2, err
    assert "--source-root /etc is outside the repository" in err
