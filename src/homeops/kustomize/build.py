"""Builds of kustomization directories, as ``kustomize build`` makes them (see ``homeops.kustomize.engine``
for the steps, kustomize v5.7.1's KustTarget). The engine is imported on the first build: a run whose builds
all come from the build cache never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from homeops.errors import BuildError, HomeopsError
from homeops.kustomize.files import FileLoader
from homeops.kustomize.remote import NetworkLoader, RemoteFetcher, remote_of

if TYPE_CHECKING:
    from homeops.kustomize.resource import ResMap
    from homeops.yaml.nodes import YMap


class Builder:
    """Builds kustomization directories under one root. Reuse one Builder to share the parse cache."""

    def __init__(
        self, root: Path, *, loader: FileLoader | None = None, remote: RemoteFetcher | None = None
    ) -> None:
        """``remote`` lets the build fetch HTTPS resources and generator files (see homeops.kustomize.remote);
        without it every remote reference is a BuildError. With ``loader``, pass a NetworkLoader instead."""
        if loader is None:
            loader = FileLoader(root) if remote is None else NetworkLoader(root, remote)
        elif remote is not None and remote_of(loader) is not remote:
            raise BuildError("Builder: pass remote= or a NetworkLoader built with it, not a plain loader too")
        self.loader = loader
        self.root = self.loader.root
        self.skip_remote = False  # see without_remote()
        self.skipped_remote: list[str] = []

    def without_remote(self) -> Builder:
        """A Builder on the same loader that leaves every remote resource out instead of failing, and lists
        what it left out in ``skipped_remote``: for finding what an offline build cannot complete applies."""
        partial = Builder(self.root, loader=self.loader)
        partial.skip_remote = True
        return partial

    # -- public ------------------------------------------------------------------------------------
    def build(self, kdir: Path, kustomization: YMap | None = None) -> ResMap:
        """Build the kustomization in ``kdir`` as ``kustomize build`` does.

        ``kustomization`` replaces the directory's kustomization file (or stands in for a missing one), as
        Flux's generator does when it rewrites or creates ``kustomization.yaml`` before building.
        """
        from homeops.kustomize.engine import KustTarget

        target = KustTarget(self.loader, skip_remote=self.skip_remote, skipped=self.skipped_remote)
        return target.build(kdir, kustomization)


def build(kdir: Path, *, root: Path | None = None) -> ResMap:
    """Build one kustomization directory. ``root`` confines file access (default: git work tree or cwd)."""
    return Builder(root or find_root(kdir)).build(kdir)


def find_root(start: Path) -> Path:
    """The git work tree holding ``start``, else the current directory."""
    here = start.resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()


__all__ = ["Builder", "HomeopsError", "build", "find_root"]
