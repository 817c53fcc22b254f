"""``configure`` safety: nothing under ``.git/``, reads confined to the repository, a lock, and a journal
that makes a killed run finish or roll back instead of leaving a torn tree."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from pathlib import Path

import pytest

from homeops.errors import BuildError
from homeops.templating import ConfigureOptions, FindingCode, Severity, configure
from homeops.templating import journal as journal_mod
from homeops.templating.check import check_configure
from tests.templating.helpers import make_repo, snapshot


def _set_toml(repo: Path, old: str, new: str) -> None:
    toml = repo / "makejinja.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new))


# 1. never under .git/


@pytest.mark.parametrize("how", ["template-dir", "symlink-into-git", "output-dotdot"])
def test_nothing_is_written_under_git(tmp_path: Path, how: str) -> None:
    repo = make_repo(tmp_path / "repo", {"a.yaml.j2": "a: #{ name }#\n"})
    (repo / ".git/hooks").mkdir(parents=True)
    (repo / ".git/HEAD").write_text("ref: refs/heads/main\n")
    if how == "template-dir":
        _set_toml(repo, 'output = "./out"', 'output = "."')
        (repo / "templates/.git/hooks").mkdir(parents=True)
        (repo / "templates/.git/hooks/pre-commit.j2").write_text("#!/bin/sh\necho pwned\n")
        expected = ".git/hooks/pre-commit"
    elif how == "symlink-into-git":
        _set_toml(repo, 'output = "./out"', 'output = "."')
        (repo / "hooks-link").symlink_to(repo / ".git/hooks")
        (repo / "templates/hooks-link").mkdir()
        (repo / "templates/hooks-link/pre-commit.j2").write_text("#!/bin/sh\necho pwned\n")
        expected = "hooks-link/pre-commit"
    else:
        _set_toml(repo, 'output = "./out"', 'output = "./out/../.git/hooks"')
        expected = ".git/hooks"
    before = snapshot(repo)
    result = configure(ConfigureOptions(repo_dir=repo))
    assert not result.ok and not result.written
    git_errors = [f for f in result.errors if f.code is FindingCode.GIT_DIRECTORY]
    assert git_errors, result.findings
    assert any(f.name is not None and f.name.endswith(expected) for f in git_errors), git_errors
    assert snapshot(repo) == before  # all-or-nothing: not even a.yaml


# 2. reads confined to the repository


def test_template_symlink_out_of_the_repository_is_refused_unless_allowed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP-SECRET\n")
    (outside / "shared").mkdir()
    (outside / "shared/x.yaml.j2").write_text("x: #{ name }#\n")
    repo = make_repo(tmp_path / "repo", {"a.yaml.j2": "a: #{ name }#\n"})
    (repo / "templates/secret.yaml").symlink_to(outside / "secret.txt")
    (repo / "templates/shared").symlink_to(outside / "shared")
    (repo / "templates/inside.yaml").symlink_to(repo / "bootstrap/config.yaml")  # inside: fine
    before = snapshot(repo)
    result = configure(ConfigureOptions(repo_dir=repo))
    refused = sorted(
        (str(f.location), f.name) for f in result.errors if f.code is FindingCode.OUTSIDE_REPOSITORY
    )
    assert refused == [
        ("templates/secret.yaml", str(outside / "secret.txt")),
        ("templates/shared", str(outside / "shared")),
    ]
    assert not result.written and snapshot(repo) == before
    assert all("TOP-SECRET" not in str(f) for f in result.findings)

    allowed = configure(ConfigureOptions(repo_dir=repo, allow_outside=(outside,)))
    assert allowed.ok and allowed.written, allowed.findings
    assert (repo / "out/secret.yaml").read_text() == "TOP-SECRET\n"


def test_an_include_through_a_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "part.txt").write_text("TOP-SECRET\n")
    repo = make_repo(tmp_path / "repo", {"a.yaml.j2": "#% include 'part.inc' %#\n"})
    _set_toml(repo, 'undefined = "chainable"', 'undefined = "chainable"\nexclude_patterns = ["*.inc"]')
    (repo / "templates/part.inc").symlink_to(outside / "part.txt")
    result = configure(ConfigureOptions(repo_dir=repo))
    assert not result.ok and not result.written
    assert any("outside the repository" in f.message for f in result.errors), result.findings
    assert not (repo / "out").exists()


@pytest.mark.parametrize(
    ("option", "toml_line"),
    [
        ("inputs", 'inputs = ["./templates", "../outside/tpl"]'),
        ("data", 'data = ["./bootstrap/config.yaml", "../outside/config.yaml"]'),
        ("import_paths", 'import_paths = ["../outside"]'),
    ],
)
def test_makejinja_paths_outside_the_repository_are_refused_unless_allowed(
    tmp_path: Path, option: str, toml_line: str
) -> None:
    outside = tmp_path / "outside"
    (outside / "tpl").mkdir(parents=True)
    (outside / "tpl/b.yaml.j2").write_text("b: #{ name }#\n")
    (outside / "config.yaml").write_text("extra: 1\n")
    repo = make_repo(tmp_path / "repo", {"a.yaml.j2": "a: #{ name }#\n"})
    key = toml_line.split(" = ", 1)[0]
    text = (repo / "makejinja.toml").read_text()
    lines = [line for line in text.splitlines() if not line.startswith(f"{key} = ")]
    lines.insert(1, toml_line)
    (repo / "makejinja.toml").write_text("\n".join(lines) + "\n")
    result = configure(ConfigureOptions(repo_dir=repo))
    refused = [f for f in result.errors if f.code is FindingCode.OUTSIDE_REPOSITORY]
    assert len(refused) == 1, result.findings
    assert str(refused[0].location) == "makejinja.toml"
    assert option in refused[0].message and str(outside) in (refused[0].name or "")
    assert not result.written and not (repo / "out").exists()

    allowed = configure(ConfigureOptions(repo_dir=repo, allow_outside=(outside,)))
    assert allowed.ok and allowed.written, allowed.findings
    assert not [f for f in allowed.findings if f.code is FindingCode.OUTSIDE_REPOSITORY]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = configure(ConfigureOptions(repo_dir=repo, allow_outside=(elsewhere,), dry_run=True))
    assert [f.code for f in other.errors] == [FindingCode.OUTSIDE_REPOSITORY]


# 3. the lock


def _hold_lock(out: Path) -> int:
    (out / ".homeops").mkdir(parents=True, exist_ok=True)
    fd = os.open(out / ".homeops/configure.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_second_configure_waits_for_the_lock(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.yaml.j2": "a: #{ name }#\n"})
    fd = _hold_lock(repo / "out")
    results: list[object] = []
    worker = threading.Thread(
        target=lambda: results.append(configure(ConfigureOptions(repo_dir=repo, lock_timeout=10)))
    )
    try:
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive() and not (repo / "out/a.yaml").exists()
    finally:
        os.close(fd)
    worker.join(10)
    assert not worker.is_alive()
    assert (repo / "out/a.yaml").read_text() == "a: home\n"


def test_the_lock_wait_times_out_with_a_clear_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.yaml.j2": "a: #{ name }#\n"})
    fd = _hold_lock(repo / "out")
    try:
        with pytest.raises(BuildError, match="another configure .* is running"):
            configure(ConfigureOptions(repo_dir=repo, lock_timeout=0.2))
    finally:
        os.close(fd)
    assert not (repo / "out/a.yaml").exists()


# 4. the journal


def _templates(version: str, extra: bool) -> dict[str, str]:
    files = {f"f{i}.yaml.j2": f"f{i}: #{{ name }}# {version}\n" for i in range(6)}
    if extra:
        files["sub/new.yaml.j2"] = "new: #{ name }#\n"
    else:
        files["gone.yaml.j2"] = "gone: #{ name }#\n"
    return files


def _killed_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int) -> tuple[Path, dict[str, str]]:
    repo = make_repo(tmp_path, _templates("v1", extra=False))
    assert configure(ConfigureOptions(repo_dir=repo)).written
    old = snapshot(repo / "out")
    (repo / "templates/gone.yaml.j2").unlink()
    make_repo(tmp_path, _templates("v2", extra=True))
    calls = [0]
    real = journal_mod.move

    def dying_move(src: Path, dst: Path) -> None:
        if calls[0] == after:
            raise SystemExit("killed")
        calls[0] += 1
        real(src, dst)

    monkeypatch.setattr(journal_mod, "move", dying_move)
    with pytest.raises(SystemExit):
        configure(ConfigureOptions(repo_dir=repo))
    monkeypatch.undo()
    assert (repo / "out/.homeops/configure-journal.json").is_file()
    assert snapshot(repo / "out") != old  # torn: some new files are in place
    return repo, old


def _assert_manifest_matches(out: Path) -> None:
    manifest = json.loads((out / ".homeops/configure-manifest.json").read_text())["files"]
    on_disk = {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in out.rglob("*")
        if p.is_file() and p.relative_to(out).parts[0] != ".homeops"
    }
    assert manifest == on_disk


@pytest.mark.parametrize("after", [0, 3, 7, 8])
def test_a_killed_configure_is_completed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    repo, _ = _killed_run(tmp_path, monkeypatch, after)
    result = configure(ConfigureOptions(repo_dir=repo))
    notices = [f for f in result.findings if f.code is FindingCode.RECOVERED]
    assert [(f.severity, f.message.split(" (")[0]) for f in notices] == [
        (Severity.WARNING, "an interrupted configure was completed")
    ]
    assert result.ok and not result.written and not result.created and not result.changed
    out = repo / "out"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml")) == [
        *(f"f{i}.yaml" for i in range(6)),
        "sub/new.yaml",
    ]
    assert all((out / f"f{i}.yaml").read_text() == f"f{i}: home v2\n" for i in range(6))
    _assert_manifest_matches(out)
    assert sorted(p.name for p in (out / ".homeops").iterdir()) == [
        "configure-manifest.json",
        "configure.lock",
    ]


def test_a_killed_configure_with_staged_files_lost_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, old = _killed_run(tmp_path, monkeypatch, 3)
    out = repo / "out"
    journal = json.loads((out / ".homeops/configure-journal.json").read_text())
    pending = [s for s in journal["steps"] if s["op"] == "move" and (out / ".homeops" / s["staged"]).exists()]
    (out / ".homeops" / pending[0]["staged"]).unlink()
    check = check_configure(ConfigureOptions(repo_dir=repo))
    notices = [f.message.split(" (")[0] for f in check.result.findings if f.code is FindingCode.RECOVERED]
    assert notices == ["an interrupted configure was rolled back"]
    assert snapshot(out) == old  # entirely the old version, old manifest included
    _assert_manifest_matches(out)
    assert not check.up_to_date  # the new render is still pending


_KILL_SCRIPT = """
import os, sys
from pathlib import Path
from homeops.templating import ConfigureOptions, configure
from homeops.templating import journal
real, calls = journal.move, [0]
def dying(src, dst):
    if calls[0] == int(sys.argv[2]):
        os._exit(9)
    calls[0] += 1
    real(src, dst)
journal.move = dying
configure(ConfigureOptions(repo_dir=Path(sys.argv[1])))
"""


def test_a_configure_process_that_dies_mid_move_is_completed(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = make_repo(tmp_path, _templates("v1", extra=False))
    assert configure(ConfigureOptions(repo_dir=repo)).written
    make_repo(tmp_path, _templates("v2", extra=True))
    run = subprocess.run([sys.executable, "-c", _KILL_SCRIPT, str(repo), "4"], check=False, cwd=Path.cwd())
    assert run.returncode == 9
    out = repo / "out"
    assert (out / ".homeops/configure-journal.json").is_file()
    result = configure(ConfigureOptions(repo_dir=repo))
    assert [f.code for f in result.findings] == [FindingCode.RECOVERED]
    assert all((out / f"f{i}.yaml").read_text() == f"f{i}: home v2\n" for i in range(6))
    _assert_manifest_matches(out)


def test_the_next_command_reading_the_tree_recovers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from homeops.cli.common import _recover_configure

    journal = tmp_path / ".homeops" / "configure-journal.json"
    _recover_configure(tmp_path)  # no journal: nothing happens, nothing is created
    assert not (tmp_path / ".homeops").exists()
    journal.parent.mkdir()
    journal.write_text('{"version": 1, "work": "configure-x", "steps": []}')
    _recover_configure(tmp_path)
    assert not journal.exists()
    assert "interrupted configure" in capsys.readouterr().err
