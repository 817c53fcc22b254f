"""``homeops completion bash|zsh|fish`` and the ``_HOMEOPS_COMPLETE`` protocol its scripts speak."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from homeops.cli import main as cli_main
from homeops.cli.completion_cmd import completion_command

ENTRY = ("homeops.cli.completion_cmd", "completion_command")


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command registered in the lazy table (as the lead adds it), without leaking into other tests."""
    monkeypatch.setitem(cli_main.COMMANDS, "completion", (*ENTRY, "Print the shell completion script."))
    monkeypatch.setattr(cli_main.cli, "commands", {})


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        cli_main.main(list(args))
    out, err = capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code, out, err


def complete(words: str, cword: int, shell: str = "bash") -> list[str]:
    """What the completion script gets back from homeops for COMP_WORDS/COMP_CWORD."""
    env = {
        **os.environ,
        "_HOMEOPS_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    proc = subprocess.run(
        [sys.executable, "-c", "from homeops.cli.main import main; main()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "#compdef homeops"), ("fish", "complete --no-files")],
)
def test_each_shell_prints_its_script(capsys: pytest.CaptureFixture[str], shell: str, marker: str) -> None:
    code, out, err = run_main(capsys, "completion", shell)
    assert code == 0, err
    assert "_HOMEOPS_COMPLETE" in out
    assert f"{shell}_complete" in out  # the script asks for this shell's reply format
    assert marker in out
    assert "homeops" in out


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize("args", [("completion", "powershell"), ("completion",)])
def test_an_unknown_or_missing_shell_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, out, err = run_main(capsys, *args)
    assert code == 2
    assert out == ""
    assert "SHELL" in err and "bash" in err  # says what is accepted


def test_the_command_has_help_with_examples() -> None:
    assert completion_command.help and "eval" in completion_command.help


def test_completing_a_command_name_through_the_env_var_protocol() -> None:
    assert complete("homeops bu", 1) == ["plain,build"]
    # every command of the lazy table that starts with "c"
    names = {line.split(",", 1)[1] for line in complete("homeops c", 1)}
    assert {"cache", "configure"} <= names and "build" not in names


def test_completing_a_subcommand_and_an_option_choice() -> None:
    assert "plain,all" in complete("homeops build a", 2)
    assert "plain,sarif" in complete("homeops validate -o s", 3)


@pytest.mark.skipif("completion" not in cli_main.COMMANDS, reason="not yet in the COMMANDS table of main.py")
def test_the_installed_entry_point_prints_the_script() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from homeops.cli.main import main; main()", "completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "_HOMEOPS_COMPLETE=bash_complete" in proc.stdout


@pytest.mark.usefixtures("registered")
@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_bash_script_completes_in_a_real_bash(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, script, _ = run_main(capsys, "completion", "bash")
    assert code == 0
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "homeops").write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -c "from homeops.cli.main import main; main()"\n'
    )
    (shim / "homeops").chmod(0o755)
    # bash calls the function with the command, the word being completed and the word before it
    probe = "\n".join(
        [
            script,
            "COMP_WORDS=(homeops bu); COMP_CWORD=1",
            "_homeops_completion homeops bu homeops",
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ]
    )
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", probe],
        env={**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["build"]
