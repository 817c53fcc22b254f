""".pre-commit-hooks.yaml: the three hooks run real homeops commands, on the files that can change them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest

import yaml
from homeops.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def hooks() -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(doc, list)
    return {h["id"]: h for h in doc}


def test_the_three_hooks_and_their_commands() -> None:
    found = hooks()
    assert {k: v["entry"] for k, v in found.items()} == {
        "homeops-validate": "homeops validate",
        "homeops-placeholders": "homeops placeholders --check",
        "homeops-configure-check": "homeops configure --check",
    }
    for hook in found.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert hook["name"] and hook["description"]


@pytest.mark.parametrize("hook_id", sorted(hooks()))
def test_each_entry_is_a_command_with_those_options(hook_id: str) -> None:
    prog, name, *options = shlex.split(hooks()[hook_id]["entry"])
    assert prog == "homeops"
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    assert command is not None, name
    known = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert set(options) <= known


@pytest.mark.parametrize(
    ("hook_id", "path", "runs"),
    [
        ("homeops-validate", "kubernetes/apps/default/app/helmrelease.yaml", True),
        ("homeops-validate", "kubernetes/flux/cluster/ks.yml", True),
        ("homeops-validate", ".homeops.yaml", True),
        ("homeops-validate", "kubernetes/apps/default/app/config/app.env", True),
        ("homeops-validate", "docs/notes.md", False),
        ("homeops-placeholders", "kubernetes/flux/vars/cluster-settings.yaml", True),
        ("homeops-placeholders", "TEMPLATE_GUIDE.md", True),
        ("homeops-placeholders", "README.md", False),
        ("homeops-configure-check", "templates/kubernetes/apps/x/ks.yaml.j2", True),
        ("homeops-configure-check", "templates/scripts/run.sh", True),
        ("homeops-configure-check", "makejinja.toml", True),
        ("homeops-configure-check", ".homeops/configure-manifest.json", True),
        ("homeops-configure-check", "kubernetes/apps/x/app/helmrelease.yaml", True),
        ("homeops-configure-check", "README.md", False),
    ],
)
def test_files_patterns(hook_id: str, path: str, runs: bool) -> None:
    # pre-commit matches `files` with re.search against the repository-relative path
    assert bool(re.search(hooks()[hook_id]["files"], path)) is runs
