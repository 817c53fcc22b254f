"""``homeops kustomize``: build kustomization directories natively, as kubectl kustomize does."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from homeops.kustomize.api import KustomizeOptions, kustomize


@click.command("kustomize")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--output-dir",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the build of the n-th DIR to OUT/<n>.yaml (or its error to OUT/<n>.err).",
)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Repository root that confines every read (default: the git work tree holding DIR, else the cwd).",
)
def kustomize_command(dirs: tuple[Path, ...], output_dir: Path | None, root: Path | None) -> int:
    """Build DIR like `kubectl kustomize DIR --load-restrictor=LoadRestrictionsNone`, in-process.

    With one DIR, the YAML goes to stdout and an error to stderr (exit 1). With --output-dir, every DIR
    is built even when some fail; the exit code is 1 if any failed. Remote resources are never fetched,
    and nothing outside the root is read.

    \b
    Examples:
      homeops kustomize kubernetes/apps/default/echo/app
      homeops kustomize kubernetes/apps/*/*/app --output-dir /tmp/builds
    """
    result = kustomize(KustomizeOptions(dirs=dirs, root=root, output_dir=output_dir))
    if output_dir is None:
        for r in result.results:
            if r.ok:
                sys.stdout.write(r.output or "")
            else:
                click.echo(f"error: {r.error}", err=True)
    elif result.failed:
        click.echo(
            f"{result.failed} of {len(result.results)} directories failed; see {output_dir}/*.err", err=True
        )
    return 1 if result.failed else 0
