"""``homeops cache info|prune``: the persistent build cache."""

from __future__ import annotations

import click


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def _parse_size(text: str) -> int:
    units = {"": 1, "k": 1024, "kib": 1024, "m": 1024**2, "mib": 1024**2, "g": 1024**3, "gib": 1024**3}
    t = text.strip().lower()
    digits = t.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = t[len(digits) :]
    if not digits.isdigit() or unit not in units:
        raise click.BadParameter(f"{text!r} is not a size (e.g. 512MiB, 100k, 0)")
    return int(digits) * units[unit]


@click.group("cache")
def cache_group() -> None:
    """The persistent build cache ($HOMEOPS_CACHE_DIR/build, default ~/.cache/homeops/build).

    Each Flux Kustomization's build is stored under the hash of every file it read, its spec and the
    variables it resolved: a warm `homeops build all` rebuilds only what changed. `--no-cache` on any
    command turns it off.
    """


@cache_group.command("info")
def cache_info_command() -> None:
    """Where the cache is, how many entries it holds and their size.

    \b
      homeops cache info
    """
    from homeops.cache.store import Store, default_cache_dir

    info = Store(default_cache_dir()).info()
    click.echo(f"directory: {info.directory}")
    click.echo(f"entries:   {info.entries}")
    click.echo(f"size:      {_human(info.size)} (bound {_human(info.max_size)}, least recently used pruned)")


@cache_group.command("prune")
@click.option("--max-size", default="0", show_default=True, help="Keep at most this much (e.g. 100MiB).")
def cache_prune_command(max_size: str) -> None:
    """Remove the least recently used entries until the cache holds at most --max-size (0: empty it).

    \b
      homeops cache prune                  # empty the cache
      homeops cache prune --max-size 100MiB
    """
    from homeops.cache.store import Store, default_cache_dir

    removed, freed = Store(default_cache_dir()).prune(_parse_size(max_size))
    click.echo(f"removed {removed} entries ({_human(freed)})")
