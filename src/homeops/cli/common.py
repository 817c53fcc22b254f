"""Options shared by several commands, and output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from homeops.flux.api import RepoOptions

F = TypeVar("F", bound=Callable[..., Any])


def repo_options(func: F) -> F:
    """--repo, --root and --age-key, turned into a RepoOptions passed as ``repo``."""
    return _repo_options(func, root_names=("--root",))


def repo_options_with_path(func: F) -> F:
    """As ``repo_options``, with ``--path`` accepted as another name of ``--root`` (flux's spelling)."""
    return _repo_options(func, root_names=("--root", "--path"))


def _repo_options(func: F, root_names: tuple[str, ...]) -> F:
    func = click.option(
        "--age-key",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="age identity file for SOPS-encrypted files (also: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE).",
    )(func)
    func = click.option(
        *root_names,
        "root",
        metavar="PATH",
        help="Use the Flux Kustomizations defined under PATH as roots (e.g. kubernetes/flux/cluster).",
    )(func)
    func = click.option(
        "--repo",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        help="Repository to read (default: the git work tree of the current directory).",
    )(func)
    return func


def make_repo(repo: Path | None, root: str | None, age_key: Path | None) -> RepoOptions:
    return RepoOptions(repo=repo, root=root, age_key=age_key)


def console(stderr: bool = False) -> Console:
    """A rich console: the terminal's width on a terminal, a wide fixed width in pipes and files."""
    probe = Console(stderr=stderr)
    return probe if probe.is_terminal else Console(stderr=stderr, width=200)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
