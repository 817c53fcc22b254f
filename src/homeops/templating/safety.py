"""What ``configure`` may read and write: confinement to the repository, and never anything under ``.git/``.

``configure`` reads its templates, data files and plugin import paths from inside the repository only: a
``makejinja.toml`` path or a template symbolic link that resolves outside it is refused with a finding,
unless the user names a directory that contains it (``--allow-outside PATH``). Otherwise the content of any
file the user can read could end up in the rendered output, and from there in a commit. Writes never land
in a ``.git`` directory: a template repository someone clones must not be able to plant a git hook.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from homeops.errors import Location
from homeops.templating.data import collect_data_files
from homeops.templating.makejinja_config import MakejinjaConfig
from homeops.templating.report import Finding, FindingCode, Severity

GIT_DIR = ".git"
OUTSIDE_HINT = "keep it inside the repository, or pass --allow-outside PATH for a directory you trust"


def is_git_name(part: str) -> bool:
    """Whether a path component names a git directory (case-insensitively, as git itself refuses it)."""
    return part.casefold() == GIT_DIR


def git_problem(output_dir: Path, rel: str, git_dir: Path | None) -> str | None:
    """Why ``output_dir/rel`` would be written under a ``.git`` directory, or None."""
    if any(is_git_name(p) for p in PurePosixPath(rel).parts):
        return f"it would be written under {GIT_DIR}/"
    if git_dir is not None:
        resolved = Path(os.path.realpath(output_dir / rel))
        if resolved.is_relative_to(git_dir):
            return f"it resolves into the repository's {GIT_DIR}/ directory"
    return None


@dataclass(frozen=True, slots=True)
class Confinement:
    """The directories ``configure`` may read from: the repository, plus those the user allowed."""

    repo: Path
    allowed: tuple[Path, ...] = ()

    @classmethod
    def of(cls, repo: Path, allow_outside: Iterable[Path]) -> Confinement:
        """The confinement of ``repo`` with the ``--allow-outside`` directories (resolved)."""
        return cls(Path(os.path.realpath(repo)), tuple(Path(os.path.realpath(p)) for p in allow_outside))

    def permits(self, path: Path) -> bool:
        """Whether ``path``, with every symbolic link resolved, is inside the repository or an allowed dir."""
        resolved = Path(os.path.realpath(path))
        return any(resolved.is_relative_to(root) for root in (self.repo, *self.allowed))

    def offending_link(self, root: Path, path: Path) -> Path:
        """The first component of ``path`` below ``root`` that is a symbolic link leading outside."""
        current = root
        for part in path.relative_to(root).parts:
            current = current / part
            if current.is_symlink() and not self.permits(current):
                return current
        return path


def _config_paths(config: MakejinjaConfig) -> Iterator[tuple[str, Path]]:
    for option in ("inputs", "data", "import_paths"):
        for path in getattr(config, option):
            yield option, path
    for name, paths in config.file_data.items():
        for path in paths:
            yield f"file_data.{name}", path
    for path in collect_data_files(config.data):
        yield "data", path


def config_findings(
    config: MakejinjaConfig, confinement: Confinement, display: Callable[[Path], str]
) -> list[Finding]:
    """An error for every ``inputs``, ``data`` (or file found in a ``data`` directory), ``file_data`` and
    ``import_paths`` entry of ``config`` that resolves outside the repository and the allowed dirs."""
    where = Location(display(config.config_file))
    found: list[Finding] = []
    seen: set[Path] = set()
    for option, path in _config_paths(config):
        if path in seen or confinement.permits(path):
            continue
        seen.add(path)
        resolved = os.path.realpath(path)
        via = "" if str(resolved) == str(path) else f" (it resolves to {resolved})"
        found.append(
            Finding(
                Severity.ERROR,
                FindingCode.OUTSIDE_REPOSITORY,
                f"makejinja option {option} names {path}, outside the repository{via}; refusing to read it",
                where,
                str(path),
                OUTSIDE_HINT,
            )
        )
    return found


def template_link_finding(link: Path, display: Callable[[str], str]) -> Finding:
    """The error for a template file or directory that is a symbolic link out of the repository."""
    target = os.path.realpath(link)
    return Finding(
        Severity.ERROR,
        FindingCode.OUTSIDE_REPOSITORY,
        f"template {display(str(link))} is a symbolic link to {target}, outside the repository; "
        "refusing to read it",
        Location(display(str(link))),
        target,
        OUTSIDE_HINT,
    )
