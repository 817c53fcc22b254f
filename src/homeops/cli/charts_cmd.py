"""``homeops charts pull|list|prune``: the Helm chart store."""

from __future__ import annotations

from pathlib import Path

import click

from homeops.cli.common import repo_options
from homeops.flux.api import RepoOptions

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _parse_duration(text: str) -> float:
    t = text.strip().lower()
    number, unit = t[:-1], t[-1:]
    if unit not in _UNITS or not number.isdigit():
        raise click.BadParameter(f"{text!r} is not a duration (e.g. 30d, 12h, 2w)")
    return float(int(number) * _UNITS[unit])


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


_STORE_HELP = "Chart store directory (default: $HOMEOPS_CACHE_DIR/charts, else ~/.cache/homeops/charts)."


@click.group("charts")
def charts_group() -> None:
    """The Helm chart store (offline: every command but `charts pull` reads it, never the network).

    Charts are kept content-addressed by sha256, under the URL the HelmRelease's source names (mirrors in
    .homeops.yaml `helm.mirrors` are used to fetch, not to look up).
    """


@charts_group.command("pull")
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False), help=_STORE_HELP)
@click.option("--refresh", is_flag=True, help="Resolve version ranges and tags again, even when stored.")
@repo_options
def charts_pull_command(store_dir: Path | None, refresh: bool, repo: RepoOptions) -> int:
    """Fetch the chart of every HelmRelease of the tree that the store does not hold yet.

    One line per chart: pulled, already in store, local, or failed with the reason. Exit code 1 when
    any failed.

    \b
      homeops charts pull
      homeops charts pull --cluster production --refresh
    """
    from homeops.helm.store.tree import ChartsPullOptions, charts_pull

    result = charts_pull(ChartsPullOptions(repo=repo, store_dir=store_dir, refresh=refresh))
    for outcome in result.result.outcomes:
        users = ", ".join(outcome.users)
        click.echo(f"{outcome.line()}  [{users}]" if users else outcome.line())
    pulled = sum(1 for o in result.result.outcomes if o.status == "pulled")
    click.echo(f"{len(result.result.outcomes)} charts: {pulled} pulled, {result.failed} failed", err=True)
    return 1 if result.failed else 0


@charts_group.command("list")
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False), help=_STORE_HELP)
def charts_list_command(store_dir: Path | None) -> None:
    """List the charts in the store: source URL, chart, version, digest and size.

    \b
      homeops charts list
    """
    from homeops.helm.store.tree import charts_list

    entries = charts_list(store_dir)
    for e in entries:
        chart = e.chart or e.name
        version = (
            e.chart_version if e.version in ("", e.chart_version) else f"{e.version} ({e.chart_version})"
        )
        click.echo(f"{e.url}  {chart}  {version}  {e.digest}  {_human(e.size)}")
    click.echo(f"{len(entries)} charts", err=True)


@charts_group.command("prune")
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False), help=_STORE_HELP)
@click.option("--older-than", metavar="DURATION", help="Remove charts not used for this long (e.g. 30d).")
@click.option(
    "--unreferenced/--keep-unreferenced",
    default=None,
    help="Remove charts no HelmRelease of the tree uses (default: on unless --older-than is given).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be removed, remove nothing.")
@repo_options
def charts_prune_command(
    store_dir: Path | None,
    older_than: str | None,
    unreferenced: bool | None,
    dry_run: bool,
    repo: RepoOptions,
) -> None:
    """Remove charts the tree no longer uses, or not used for --older-than, and say what was removed.

    \b
      homeops charts prune                  # what no HelmRelease of this repository uses
      homeops charts prune --older-than 30d --keep-unreferenced
    """
    from homeops.helm.store.tree import ChartsPruneOptions, charts_prune

    age = _parse_duration(older_than) if older_than else None
    options = ChartsPruneOptions(
        repo=repo,
        store_dir=store_dir,
        unreferenced=unreferenced if unreferenced is not None else age is None,
        older_than=age,
        dry_run=dry_run,
    )
    result = charts_prune(options)
    verb = "would remove" if dry_run else "removed"
    for entry in result.removed:
        click.echo(f"{verb}: {entry.describe()}")
    click.echo(f"{verb} {len(result.removed)} charts ({_human(result.freed)}); {result.kept} kept", err=True)
