"""A batch command run as its own process ends at once after its output (``homeops.cli.lifetime``): the
output is complete, the exit code is the command's, ``atexit`` handlers run, and a call from a program or a
test, or a process with another thread running, ends the ordinary way."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest

from homeops.cli.lifetime import HOLD, finish, keep
from tests.flux.fluxrepos import checkout

_AS_PROCESS = """
import atexit, sys
from homeops.cli import main as m
atexit.register(lambda: print("atexit ran", file=sys.stderr))
sys.argv = ["homeops", *sys.argv[1:]]
try:
    m.main()
finally:  # runs when main raises SystemExit, not when it ends the process with os._exit
    print("unwound", file=sys.stderr)
"""


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOMEOPS_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run(
        [sys.executable, "-c", _AS_PROCESS, *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_a_build_ends_at_once_with_its_output_and_exit_code(tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    done = _run(["build", "all", "--repo", str(repo)], tmp_path)
    assert done.returncode == 1, done.stderr  # the fixture holds one Kustomization that fails to build
    assert "Kustomizations: 2 ok, 1 failed, 1 external" in done.stdout.splitlines()[-1]
    assert "atexit ran" in done.stderr
    assert "unwound" not in done.stderr  # os._exit: no unwinding into the caller, no teardown


def test_findings_keep_their_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    done = _run(["kustomize", str(bad), "--root", str(bad)], tmp_path)
    assert done.returncode == 1
    assert "missing.yaml" in done.stderr
    assert "unwound" not in done.stderr


def test_a_command_that_keeps_nothing_exits_the_ordinary_way(tmp_path: Path) -> None:
    done = _run(["--version"], tmp_path)
    assert done.returncode == 0 and "homeops" in done.stdout
    assert "atexit ran" in done.stderr
    assert "unwound" in done.stderr  # the check above can fail: SystemExit unwinds


def test_keep_outside_a_command_or_without_a_hold_list_does_nothing() -> None:
    value = object()
    assert keep(value) is value
    with click.Context(click.Command("x"), obj={"debug": False}):
        assert keep(value) is value  # a call from a test or a program: main set no hold list
    held: list[object] = []
    with click.Context(click.Command("x"), obj={HOLD: held}):
        keep(value)
    assert held == [value]


def test_finish_without_a_kept_result_raises_system_exit() -> None:
    with pytest.raises(SystemExit) as exc:
        finish(1, [])
    assert exc.value.code == 1


def test_finish_with_another_thread_running_exits_the_ordinary_way() -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait, daemon=True)
    worker.start()
    try:
        with pytest.raises(SystemExit) as exc:
            finish(3, [object()])  # os._exit here would end pytest itself
        assert exc.value.code == 3
    finally:
        release.set()
        worker.join()
