"""``homeops validate``, ``homeops rules``, ``homeops graph`` and ``homeops plan``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from homeops.cli.common import console, print_json, repo_options, repo_options_own_network
from homeops.cli.lifetime import keep
from homeops.errors import UsageError
from homeops.flux.api import RepoOptions
from homeops.flux.cluster import build_cluster
from homeops.graph import Graph, blocked_by, build_graph, plan, resolve_id, to_dot, to_json, to_mermaid
from homeops.rules.registry import all_rules, find_rule
from homeops.validate.engine import ValidateOptions, validate
from homeops.validate.report import FORMATS, render


@click.command("validate")
@click.option(
    "-o",
    "--output",
    type=click.Choice(FORMATS),
    help="Report format (default: text; github in GitHub Actions).",
)
@click.option(
    "--kubernetes-version", help="Kubernetes version of the core schemas (e.g. 1.31; default: the newest)."
)
@click.option(
    "--schema-location",
    "schema_locations",
    multiple=True,
    help="CRD schema dir or URL template (repeatable).",
)
@click.option(
    "--allow-network",
    is_flag=True,
    default=None,
    help="Fetch URL schema locations and HTTPS remote resources (cached on disk; git bases never).",
)
@click.option("--select", multiple=True, help="Only run these rules (code or name; repeatable).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: .homeops.yaml).",
)
@click.option(
    "--base",
    metavar="REF",
    help="Report only what the change from git REF to the work tree reaches: the Kustomizations it"
    " changes and those that depend on them (dependsOn, substitution sources, Secrets and ConfigMaps).",
)
@click.option(
    "--no-helm",
    is_flag=True,
    help="Do not render the HelmReleases' charts (by default they are rendered from the chart store that"
    " `homeops charts pull` fills, and their objects validated).",
)
@repo_options_own_network
def validate_command(
    output: str | None,
    base: str | None,
    no_helm: bool,
    kubernetes_version: str | None,
    schema_locations: tuple[str, ...],
    allow_network: bool | None,
    select: tuple[str, ...],
    config_file: Path | None,
    repo: RepoOptions,
) -> int:
    """Check what Flux will apply: schemas, repository contracts and the dependency graph, in one run.

    Every finding has file:line:col, the object and a rule code (`homeops rules` lists them). Suppress one
    with a `# homeops: ignore[CODE]` comment on its line or the line above; configure rules, severities,
    ignore globs and schema locations in .homeops.yaml. Exit 0 when clean, 1 on error-level findings.

    \b
    Examples:
      homeops validate
      homeops validate -o sarif > homeops.sarif
      homeops validate --schema-location ../schemas/crds-catalog --select HO102 --select HO104
      homeops validate --base origin/main   # only what this branch changes, and what depends on it
    """
    fmt = output or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    result = keep(
        validate(
            ValidateOptions(
                repo=repo.repo,
                roots=repo.roots,
                cluster=repo.cluster,
                source_root=repo.source_root,
                config_file=config_file,
                kubernetes_version=kubernetes_version,
                schema_locations=schema_locations,
                allow_network=allow_network,
                select=select,
                age_key=repo.age_key,
                base=base,
                cache=repo.cache,
                helm=not no_helm,
            )
        )
    )
    sys.stdout.write(render(result, fmt))
    return 1 if result.errors else 0


@click.command("rules")
@click.argument("code", required=False)
def rules_command(code: str | None) -> int:
    """List every rule, or explain one (why, a bad example, a good example).

    \b
    Examples:
      homeops rules
      homeops rules HO101
    """
    if code:
        rule = find_rule(code)
        click.echo(f"{rule.code} {rule.name} ({rule.severity.value}, {rule.kind})\n")
        click.echo(rule.summary + "\n")
        for title in ("Why", "Bad", "Good"):
            click.echo(f"{title}:")
            click.echo(rule.section(title) + "\n")
        return 0
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for col in ("CODE", "NAME", "SEVERITY", "KIND", "SUMMARY"):
        table.add_column(col)
    for rule in all_rules():
        table.add_row(rule.code, rule.name, rule.severity.value, rule.kind, rule.summary)
    console().print(table)
    return 0


def _graph_for(repo: RepoOptions) -> Graph:
    opts = repo.cluster_options()
    return build_graph(keep(build_cluster(opts)))


@click.command("graph")
@click.option(
    "-o", "--output", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid", show_default=True
)
@repo_options
def graph_command(output: str, repo: RepoOptions) -> int:
    """The Kustomizations and HelmReleases with their dependsOn, parent and source edges.

    \b
    Examples:
      homeops graph > graph.mmd
      homeops graph -o dot | dot -Tsvg > graph.svg
    """
    g = _graph_for(repo)
    if output == "json":
        print_json(to_json(g))
    elif output == "dot":
        sys.stdout.write(to_dot(g))
    else:
        sys.stdout.write(to_mermaid(g))
    return 0


@click.command("plan")
@click.option("--fail", "fail", metavar="NAME", help="Show everything a failure of NAME would block.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@repo_options
def plan_command(fail: str | None, output: str, repo: RepoOptions) -> int:
    """The apply waves in dependency order, as Flux will reconcile them.

    A Kustomization starts once its parent applied it and its dependsOn targets are ready; a HelmRelease
    once its Kustomization applied it and its dependsOn HelmReleases are ready.

    \b
    Examples:
      homeops plan
      homeops plan --fail rook-ceph       # what waits on rook-ceph
    """
    g = _graph_for(repo)
    if fail:
        ids = resolve_id(g, fail)
        if not ids:
            raise UsageError(f"no Kustomization or HelmRelease named {fail!r}")
        data = {i: blocked_by(g, i) for i in ids}
        if output == "json":
            print_json({"failed": [{"object": i, "blocks": b} for i, b in data.items()]})
        else:
            for i, blocked in data.items():
                click.echo(f"if {i} fails, {len(blocked)} object(s) are blocked:")
                for b in blocked:
                    click.echo(f"  {b}")
        return 0
    p = plan(g)
    if output == "json":
        print_json(p.to_json())
        return 0
    for n, wave in enumerate(p.waves, start=1):
        click.echo(f"wave {n}:")
        for item in wave:
            click.echo(f"  {item}")
    if p.never:
        click.echo("never ready (a cycle or a missing dependency):")
        for item in p.never:
            click.echo(f"  {item}")
    return 1 if p.never else 0
