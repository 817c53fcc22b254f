"""Which repository a command works on: the one given, else the Git work tree of the current directory.

Imports nothing but the standard library, so a command can place its repository before it loads the build.
"""

from __future__ import annotations

from pathlib import Path


def git_root(start: Path) -> Path:
    """The work tree of the Git repository holding ``start`` (a directory), else ``start`` itself."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def repository_root(repo: Path | None) -> Path:
    """``repo`` resolved, else the Git work tree of the current directory (``git_root``)."""
    return (repo or git_root(Path.cwd())).resolve()
