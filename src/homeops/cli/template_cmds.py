"""``homeops init``, ``homeops configure`` and ``homeops new app``: create, render and extend a repository."""

from __future__ import annotations

from pathlib import Path

import click

from homeops.flux.worktree import repository_root
from homeops.scaffold import InitOptions, NewAppOptions, init_repo, new_app, validator_for_repo
from homeops.templating import ConfigureOptions, configure
from homeops.templating.check import ConfigureCheck, check_configure


@click.command("init")
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--example", is_flag=True, help="Fill bootstrap/config.yaml with example values (renders at once)."
)
@click.option("--force", is_flag=True, help="Write into a non-empty directory (existing files are kept).")
def init_command(dest: Path, example: bool, force: bool) -> int:
    """Create a new homelab repository in DEST from the bundled template.

    Writes bootstrap/config.yaml (from config.sample.yaml), templates/, makejinja.toml, Taskfile.yaml,
    TEMPLATE_GUIDE.md, a README and .gitignore. Refuses a non-empty DEST unless --force, and never
    overwrites a file that is already there.

    \b
    Examples:
      homeops init my-cluster --example && cd my-cluster && homeops configure && homeops build all
    """
    result = init_repo(InitOptions(dest=dest, example=example, force=force))
    click.echo(result.summary())
    return 0


@click.command("configure")
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Repository (default: git root).",
)
@click.option(
    "--force", is_flag=True, help="Overwrite or prune files homeops did not render, or that were edited."
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when configure would change the tree (or cannot render); write nothing. For pre-commit/CI.",
)
@click.option(
    "--allow-outside",
    "allow_outside",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="A directory outside the repository that templates, data and import paths may come from "
    "(repeatable). Anything else outside the repository is refused.",
)
def configure_command(
    repo: Path | None, force: bool, dry_run: bool, check: bool, allow_outside: tuple[Path, ...]
) -> int:
    """Render the repository's templates from bootstrap/config.yaml (makejinja.toml), safely.

    Every undefined variable of every template is reported in one run with its file:line. Nothing is
    written unless the whole render succeeds; a file homeops did not render before is never overwritten or
    deleted without --force. A second run changes nothing.

    \b
    Examples:
      homeops configure --dry-run
      homeops configure
      homeops configure --check         # pre-commit: are the rendered files up to date?
    """
    root = repository_root(repo)
    options = ConfigureOptions(
        repo_dir=root,
        force=force,
        dry_run=dry_run,
        validator=validator_for_repo(root),
        allow_outside=tuple(p.absolute() for p in allow_outside),
    )
    if check:
        return _report_check(check_configure(options), root)
    result = configure(options)
    for finding in result.findings:
        click.echo(str(finding), err=True)
    verb = "would " if (dry_run or not result.ok) else ""
    click.echo(
        f"{verb}create {len(result.created)}, {verb}change {len(result.changed)}, unchanged "
        f"{len(result.unchanged)}, stale {len(result.stale)}"
        + (f" ({len(result.pruned)} {verb}pruned)" if result.pruned else "")
    )
    for label, paths in (("created", result.created), ("changed", result.changed), ("stale", result.stale)):
        for path in paths:
            click.echo(f"  {label}: {path}")
    if not result.ok:
        click.echo(f"nothing written: {len(result.errors)} error(s)", err=True)
        return 1
    return 0


def _report_check(outcome: ConfigureCheck, root: Path) -> int:
    """Prints what ``configure --check`` found: findings on stderr, the pending changes on stdout."""
    result = outcome.result
    for finding in result.findings:
        click.echo(str(finding), err=True)
    if not result.ok:
        click.echo(f"configure --check: configure would stop with {len(result.errors)} error(s)", err=True)
        return 1
    output = result.output_dir.resolve()
    inside = output != root and output.is_relative_to(root)
    prefix = output.relative_to(root).as_posix() + "/" if inside else ""
    for change in outcome.changes:
        click.echo(f"  would {change.kind}: {prefix}{change.path}")
    if outcome.changes:
        count = len(outcome.changes)
        click.echo(f"configure --check: {count} path(s) out of date; run `homeops configure`", err=True)
        return 1
    click.echo(f"configure --check: up to date ({len(result.unchanged)} rendered file(s))")
    return 0


@click.group("new")
def new_group() -> None:
    """Scaffold new parts of the repository."""


@new_group.command("app")
@click.argument("ref", metavar="NAMESPACE/NAME")
@click.option("--chart", required=True, help="oci://registry/path/chart, or HELMREPOSITORY/CHART.")
@click.option("--version", "version", required=True, help="The chart version to pin.")
@click.option("--secret", is_flag=True, help="Add an ExternalSecret (and wire envFrom).")
@click.option("--pvc", metavar="SIZE", help="Add a PersistentVolumeClaim of this size, e.g. 10Gi.")
@click.option("--storage-class", help="StorageClass of the PVC (default: the repository's default).")
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Repository (default: git root).",
)
def new_app_command(
    ref: str,
    chart: str,
    version: str,
    secret: bool,
    pvc: str | None,
    storage_class: str | None,
    repo: Path | None,
) -> int:
    """Scaffold kubernetes/apps/NAMESPACE/NAME: ks.yaml, app/kustomization.yaml, app/helmrelease.yaml.

    The chart is pinned to --version. The app is added to the namespace's kustomization.yaml (keeping your
    other entries and comments); the namespace area is created if needed. An existing app is refused with
    nothing changed.

    \b
    Examples:
      homeops new app games/romm --chart oci://ghcr.io/bjw-s-labs/helm/app-template \
        --version 4.2.0 --secret --pvc 10Gi
    """
    namespace, sep, name = ref.partition("/")
    if not sep or not namespace or not name:
        raise click.UsageError("give the app as NAMESPACE/NAME, e.g. games/romm")
    root = repository_root(repo)
    result = new_app(NewAppOptions(root, namespace, name, chart, version, secret, pvc, storage_class))
    click.echo(result.summary())
    return 0
