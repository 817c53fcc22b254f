"""``homeops diff``: what a branch or the work tree would change in the cluster, offline."""

from __future__ import annotations

import dataclasses
import sys

import click

from homeops.cli.common import repo_options
from homeops.cli.lifetime import keep
from homeops.diff.api import DiffOptions, diff
from homeops.diff.objects import DEFAULT_STRIP_ATTRS
from homeops.diff.render import DEFAULT_LIMIT_BYTES, render_json, render_markdown, render_text
from homeops.flux.api import RepoOptions


@click.command("diff")
@click.argument("target", type=click.Choice(["ks", "hr", "all"]), default="all", required=False)
@click.argument("name", required=False)
@click.option("-n", "--namespace", help="Namespace of the Kustomization/HelmRelease (with all: of objects).")
@click.option("--base", required=True, metavar="REF", help="The revision to compare against (e.g. main).")
@click.option("--head", metavar="REF", help="The revision to compare (default: the work tree, uncommitted).")
@click.option(
    "--strip-attrs",
    metavar="A,B",
    default=",".join(DEFAULT_STRIP_ATTRS),
    show_default=True,
    help="Label/annotation keys (shell patterns) to ignore; empty to compare everything.",
)
@click.option(
    "-o", "--output", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option(
    "--limit-bytes",
    type=click.IntRange(min=1000),
    default=DEFAULT_LIMIT_BYTES,
    show_default=True,
    help="Markdown output: cut whole sections to stay under this size.",
)
@click.option(
    "--files",
    "files_only",
    is_flag=True,
    help="Only list the Kustomizations and HelmReleases the changed files touch, and the changed files"
    " no Flux Kustomization reads.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are differences.")
@click.option(
    "--no-helm",
    is_flag=True,
    help="Do not render the HelmReleases' charts (by default both sides render them from the chart store"
    " that `homeops charts pull` fills, and the rendered objects are compared).",
)
@repo_options
def diff_command(
    target: str,
    name: str | None,
    namespace: str | None,
    base: str,
    head: str | None,
    strip_attrs: str,
    output: str,
    limit_bytes: int,
    files_only: bool,
    exit_zero: bool,
    no_helm: bool,
    repo: RepoOptions,
) -> int:
    """Show what Flux would change: build --base and the head offline, and diff every object.

    Objects are paired by group, kind, namespace and name and grouped under the Flux Kustomization that
    applies them; HelmReleases also show the diff of their computed values. Secret values are compared but
    never printed. Breaking changes (renamed variables, storage swaps, immutable fields, pruned data,
    suspend, chart major bumps, removed dependencies) are reported as findings (HO301-HO307). A
    Kustomization that fails to build on either side is a finding too (HO308): its objects are not
    compared. A side that builds nothing at all is an error.
    Exits 1 when there are differences or failures (like flux diff), 0 when there are none.

    \b
    Examples:
      homeops diff --base main
      homeops diff ks romm -n flux-system --base main
      homeops diff all --base origin/main --head HEAD -o markdown
      homeops diff --base origin/main --files
      homeops diff --base main --cluster production --files -o json
    """
    if target != "all" and not name:
        raise click.UsageError(f"`homeops diff {target}` needs a NAME")
    if target == "all" and name:
        raise click.UsageError("`homeops diff all` takes no NAME")
    options = DiffOptions(
        base=base,
        head=head,
        target=target,
        name=name,
        namespace=namespace,
        strip_attrs=tuple(s.strip() for s in strip_attrs.split(",") if s.strip()),
        files_only=files_only,
        repo=dataclasses.replace(repo, helm=not no_helm and not files_only),
    )
    result = keep(diff(options))
    if output == "json":
        sys.stdout.write(render_json(result))
    elif output == "markdown":
        sys.stdout.write(render_markdown(result, limit_bytes))
    else:
        sys.stdout.write(render_text(result))
    for problem in result.problems:
        click.echo(f"warning: {problem}", err=True)
    return 0 if exit_zero or not result.has_differences else 1
