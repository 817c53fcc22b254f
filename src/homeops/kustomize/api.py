"""The library entry point behind ``homeops kustomize``: build one or many directories."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from homeops.errors import HomeopsError, UsageError
from homeops.kustomize.build import Builder, find_root
from homeops.kustomize.remote import RemoteFetcher
from homeops.outputs import write_result
from homeops.validate.config import load_config
from homeops.yaml.emitter import documents_printer


@dataclass(frozen=True, slots=True)
class KustomizeOptions:
    """What to build: directories, an optional root that confines reads, an optional output directory."""

    dirs: tuple[Path, ...]
    root: Path | None = None
    output_dir: Path | None = None
    # fetch HTTPS resources and generator files; None: ``allowNetwork`` of the root's .homeops.yaml
    allow_network: bool | None = None
    cache_dir: Path | None = None  # where fetched URLs are cached (default: see homeops.kustomize.remote)


@dataclass(frozen=True, slots=True)
class DirResult:
    """The outcome of one directory: its 1-based index, the YAML it built, or the error message."""

    index: int
    dir: Path
    output: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class KustomizeResult:
    results: tuple[DirResult, ...]

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.ok)


def kustomize(options: KustomizeOptions) -> KustomizeResult:
    """Build every directory; one failure never stops the others. Writes files when output_dir is set."""
    if not options.dirs:
        raise UsageError("give at least one directory to build")
    builders: dict[Path, Builder] = {}
    results: list[DirResult] = []
    dump = documents_printer()  # one printer's caches for every directory
    with RemoteFetcher(cache_dir=options.cache_dir) as remote:  # connects only when a URL is fetched
        for index, kdir in enumerate(options.dirs, start=1):
            root = (options.root or find_root(kdir)).resolve()
            builder = builders.get(root)
            if builder is None:
                builder = builders[root] = Builder(root, remote=remote if _allow(options, root) else None)
            try:
                resmap = builder.build(kdir)
                text = dump(r.obj for r in resmap)
                results.append(DirResult(index, kdir, output=text))
            except HomeopsError as exc:
                results.append(DirResult(index, kdir, error=str(exc)))
    if options.output_dir is not None:
        _write_outputs(options.output_dir, results)
    return KustomizeResult(tuple(results))


def _allow(options: KustomizeOptions, root: Path) -> bool:
    if options.allow_network is not None:
        return options.allow_network
    return load_config(root).allow_network


def _write_outputs(out: Path, results: list[DirResult]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for r in results:
        write_result(out / str(r.index), (r.output or "") if r.ok else None, r.error or "")
