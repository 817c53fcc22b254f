"""Start-up stays light: importing the CLI, --version and the top-level --help load no heavy dependency and
no library package; each command still resolves and shows a complete --help of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from homeops.cli.common import plain_table
from homeops.cli.main import COMMANDS, cli
from tests.flux.fluxrepos import checkout

HEAVY = (
    "pydantic",
    "lightkube",
    "jinja2",
    "rich",
    "jsonschema_rs",
    "kubernetes_validate",
    "yaml",
    "cryptography",
    "httpx2",
    "importlib.metadata",
    "homeops.flux",
    "homeops.kustomize",
    "homeops.validate",
    "homeops.templating",
    "homeops.scaffold",
    "homeops.diff",
    "homeops.live",
    "homeops.schemas",
)

_PROBE = """
import json, sys
from homeops.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(*args: str, env: dict[str, str] | None = None) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True, env=env
    )
    loaded: list[str] = json.loads(proc.stderr.strip().splitlines()[-1])
    return loaded


def _heavy(loaded: list[str]) -> list[str]:
    return [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.mark.parametrize("args", [(), ("--version",), ("--help",)])
def test_start_up_imports_nothing_heavy(args: tuple[str, ...]) -> None:
    assert _heavy(_modules_after(*args)) == []


def test_the_probe_sees_heavy_imports() -> None:
    # the check can fail: a command that runs does import its library
    assert "homeops.kustomize" in _heavy(_modules_after("kustomize", "--help"))


ONLY_WHEN_NEEDED = ("rich", "cryptography", "ssl", "socket")
"""Loaded only by a run that uses them: a terminal's progress bar, a SOPS file, a remote fetch."""


@pytest.mark.parametrize("args", [("build", "all"), ("get", "ks", "-A"), ("build", "all", "-O", "out")])
def test_builds_in_a_pipe_load_only_what_they_use(args: tuple[str, ...], tmp_path: Path) -> None:
    # a pre-commit hook's run: output to a pipe, no SOPS file, nothing remote
    repo = checkout("sources", tmp_path)
    env = {**os.environ, "HOMEOPS_CACHE_DIR": str(tmp_path / "cache")}
    argv = [a if a != "out" else str(tmp_path / "out") for a in args]
    loaded = _modules_after(*argv, "--repo", str(repo), env=env)
    assert "homeops.flux.cluster" in loaded  # it did build
    assert [m for m in loaded if m.split(".")[0] in ONLY_WHEN_NEEDED] == []


def test_a_sops_file_loads_cryptography(tmp_path: Path) -> None:
    # the check can fail: decrypting a SOPS file imports cryptography when the file is met
    code = "import sys; from homeops.sops import document, age; print(sorted(sys.modules))"
    before = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "cryptography" not in before
    code = "import sys; from homeops.sops import age; age.generate_identity(); print(sorted(sys.modules))"
    after = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'cryptography'" in after


def test_plain_table_aligns_columns_and_reads_no_markup() -> None:
    text = plain_table(("A", "LONG HEADER"), [("wide value", "[bold]x[/]"), ("b", "two\nlines")])
    assert text == ("A            LONG HEADER\nwide value   [bold]x[/]\nb            two lines\n")
    assert plain_table(("ONE",), []) == "ONE\n"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_resolves_with_its_help(name: str) -> None:
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    assert isinstance(command, click.Command)
    assert command.help, f"{name} has no --help text"
    help_text = command.get_help(click.Context(command, info_name=name, parent=ctx))
    assert "Usage:" in help_text and "--help" in help_text


_GC_STATE = """
import gc, sys
from homeops.cli import main as m
sys.argv = ["homeops", *sys.argv[1:]]
try:
    m.main()
except SystemExit:
    pass
print(gc.isenabled(), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "enabled"),
    [(["--version"], False), (["build", "--help"], False), (["status", "--help"], True)],
)
def test_batch_commands_run_without_the_cyclic_collector(args: list[str], enabled: bool) -> None:
    # a batch command frees its data by reference counting; the long-running live commands keep the collector
    done = subprocess.run(
        [sys.executable, "-c", _GC_STATE, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stderr.strip().splitlines()[-1] == str(enabled), done.stderr


BUILD_ONLY = ("yaml", "homeops.kustomize.engine", "homeops.yaml.compose", "homeops.flux.varsub")
"""Loaded only when something is parsed or built: a run served by the caches never imports them."""


def test_a_run_served_by_the_caches_loads_no_parser_nor_engine(tmp_path: Path) -> None:
    repo = checkout("sources", tmp_path)
    env = {**os.environ, "HOMEOPS_CACHE_DIR": str(tmp_path / "cache")}
    # the check can fail: the first run parses and builds (in this process: a helper could parse it all)
    cold = _modules_after("build", "all", "--repo", str(repo), env={**env, "HOMEOPS_HELPERS": "0"})
    assert set(BUILD_ONLY) <= set(cold)
    warm = _modules_after("build", "all", "--repo", str(repo), env=env)
    assert "homeops.flux.cluster" in warm
    assert [m for m in warm if any(m == b or m.startswith(b + ".") for b in BUILD_ONLY)] == []
