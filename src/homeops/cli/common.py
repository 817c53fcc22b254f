"""Options shared by several commands, and output helpers."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from homeops.flux.api import RepoOptions

if TYPE_CHECKING:
    from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])


def repo_options(func: F) -> F:
    """--repo, --root (repeatable), --cluster, --source-root, --age-key and --allow-network, as ``repo``
    (a RepoOptions)."""
    return _repo_options(func, root_names=("--root",))


def repo_options_own_network(func: F) -> F:
    """As ``repo_options``, for a command that declares its own ``--allow-network`` (it is passed on, and
    also reaches ``repo``)."""
    return _repo_options(func, root_names=("--root",), network=False)


def repo_options_with_path(func: F) -> F:
    """As ``repo_options``, with ``--path`` accepted as another name of ``--root`` (flux's spelling)."""
    return _repo_options(func, root_names=("--root", "--path"))


def _repo_options(func: F, root_names: tuple[str, ...], network: bool = True) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        allow_network = kwargs.pop("allow_network") if network else kwargs.get("allow_network")
        kwargs["repo"] = RepoOptions(
            allow_network=allow_network,
            repo=kwargs.pop("repo_path"),
            roots=tuple(kwargs.pop("roots")),
            cluster=kwargs.pop("cluster"),
            source_root=kwargs.pop("source_root"),
            age_key=kwargs.pop("age_key"),
            cache=not kwargs.pop("no_cache"),
        )
        _recover_configure(kwargs["repo"].repo)
        return func(*args, **kwargs)

    cmd: Any = wrapper
    if network:
        cmd = click.option(
            "--allow-network",
            is_flag=True,
            default=None,
            help="Fetch HTTPS remote resources that kustomizations list (cached; git bases never; default:"
            " allowNetwork in .homeops.yaml).",
        )(cmd)
    cmd = click.option(
        "--no-cache",
        is_flag=True,
        help="Build everything, without reading or writing the build cache ($HOMEOPS_CACHE_DIR/build,"
        " default ~/.cache/homeops/build).",
    )(cmd)
    cmd = click.option(
        "--age-key",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="age identity file for SOPS-encrypted files (also: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE).",
    )(cmd)
    cmd = click.option(
        "--source-root",
        metavar="DIR",
        help="Folder this repository's Flux paths start from (default: detected; an OCI artifact pushed"
        " from a subfolder makes them start there). Also: sourceRoot in .homeops.yaml.",
    )(cmd)
    cmd = click.option(
        "--cluster",
        metavar="NAME",
        help="Only this cluster of a multi-cluster repository (e.g. production; default: all of them).",
    )(cmd)
    cmd = click.option(
        *root_names,
        "roots",
        metavar="PATH",
        multiple=True,
        help="Take the Flux Kustomizations defined under PATH as roots (repeatable; default: found as Flux"
        " does, e.g. clusters/<name>/flux-system or kubernetes/flux/cluster).",
    )(cmd)
    cmd = click.option(
        "--repo",
        "repo_path",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        help="Repository to read (default: the git work tree of the current directory).",
    )(cmd)
    return cast(F, cmd)


def _recover_configure(repo: Path | None) -> None:
    """A configure killed while it moved its files is finished or rolled back before anything reads the
    tree (it says which); nothing happens when there is no journal."""
    root = repo if repo is not None else Path.cwd()
    # homeops.templating.journal.JOURNAL_REL, checked here so that no run without one imports templating
    if not (root / ".homeops" / "configure-journal.json").is_file():
        return
    from homeops.templating.journal import recover_if_interrupted

    found = recover_if_interrupted(root, 60.0)
    if found is not None:
        click.echo(f"{found.severity}: {found.message}", err=True)


def console(stderr: bool = False) -> Console:
    """A rich console: the terminal's width on a terminal, a wide fixed width in pipes and files."""
    from rich.console import Console

    probe = Console(stderr=stderr)
    return probe if probe.is_terminal else Console(stderr=stderr, width=200)


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """``rows`` under ``headers`` in left-aligned columns three spaces apart, as kubectl prints them: plain
    text (no markup is read in the cells, a newline in one becomes a space), each line ending in one."""
    cells = [tuple(headers), *(tuple(c.replace("\n", " ") for c in row) for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ("   ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells)
    return "".join(line + "\n" for line in lines)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
