"""``homeops kustomize``: build kustomization directories natively, as kubectl kustomize does."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from homeops.cli.lifetime import keep
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
@click.option(
    "--allow-network",
    is_flag=True,
    default=None,
    help="Fetch HTTPS resources and generator files (cached; default: allowNetwork in .homeops.yaml).",
)
def kustomize_command(
    dirs: tuple[Path, ...], output_dir: Path | None, root: Path | None, allow_network: bool | None
) -> int:
    """Build DIR like `kubectl kustomize DIR --load-restrictor=LoadRestrictionsNone`, in-process.

    With one DIR, the YAML goes to stdout and an error to stderr (exit 1). With --output-dir, every DIR
    is built even when some fail; the exit code is 1 if any failed. Nothing outside the root is read.

    Remote resources are not fetched unless --allow-network (or allowNetwork: true in .homeops.yaml) is
    given; then HTTPS URLs in resources: and generator files: are fetched (never from private, loopback or
    link-local addresses; 8 MiB and 20 s per file) and cached in $HOMEOPS_CACHE_DIR/remote (default
    ~/.cache/homeops/remote) for a day. Git remote bases are never cloned.

    \b
    Examples:
      homeops kustomize kubernetes/apps/default/echo/app
      homeops kustomize kubernetes/apps/*/*/app --output-dir /tmp/builds
      homeops kustomize kubernetes/apps/kube-system/cilium/app --allow-network
    """
    options = KustomizeOptions(dirs=dirs, root=root, output_dir=output_dir, allow_network=allow_network)
    result = keep(kustomize(options))
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
