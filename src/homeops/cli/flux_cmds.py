"""``homeops get`` and ``homeops build``: the Flux tree, offline."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

from homeops.cli.common import console, plain_table, print_json, repo_options, repo_options_with_path
from homeops.cli.lifetime import keep
from homeops.errors import HomeopsError
from homeops.flux.api import BuildAllOptions, RepoOptions, build_all

_OUTPUT = click.Choice(["table", "json", "yaml"])


@click.command("get")
@click.argument("kind", type=click.Choice(["ks", "hr", "sources"]))
@click.option("-A", "--all-namespaces", is_flag=True, help="All namespaces (the default).")
@click.option("-n", "--namespace", help="Only this namespace.")
@click.option("-o", "--output", type=_OUTPUT, default="table", show_default=True)
@repo_options_with_path
def get_command(
    kind: str,
    all_namespaces: bool,
    namespace: str | None,
    output: str,
    repo: RepoOptions,
) -> int:
    """List the Flux Kustomizations (ks), HelmReleases (hr) or sources of the repository.

    Every Flux Kustomization is built offline, as kustomize-controller would, to find its children and the
    objects it applies; one that is not reached from any root is listed as `not-applied`.

    \b
    Examples:
      homeops get ks -A
      homeops get hr -n games -o json
      homeops get sources
    """
    if all_namespaces and namespace:
        raise click.UsageError("use either -A or -n NAMESPACE")
    from homeops.flux.api_get import GetOptions, get

    result = keep(get(GetOptions(what=kind, namespace=namespace, repo=repo)))
    if output == "json":
        print_json(result.to_json())
    elif output == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(result.to_json(), sort_keys=False))
    else:
        _table(kind, result.rows)
    return 1 if any(r.get("status") == "failed" for r in result.rows) else 0


def _table(kind: str, rows: list[dict[str, Any]]) -> None:
    headers: tuple[str, ...]
    cells: list[tuple[str, ...]]
    if kind == "ks":
        headers = ("NAMESPACE", "NAME", "PATH", "STATUS", "OBJECTS", "UNRESOLVED", "MESSAGE")
        cells = [
            (
                r["namespace"],
                r["name"],
                r["path"],
                r["status"],
                str(r["objects"]),
                str(len(r["unresolved"])),
                r["error"][:80],
            )
            for r in rows
        ]
    elif kind == "hr":
        headers = ("NAMESPACE", "NAME", "CHART", "VERSION", "SOURCE", "KUSTOMIZATION")
        cells = [
            (
                r["namespace"],
                r["name"],
                r["chart"].get("name", ""),
                r["chart"].get("version", ""),
                r["chart"].get("source", ""),
                r["kustomization"],
            )
            for r in rows
        ]
    else:
        headers = ("KIND", "NAMESPACE", "NAME", "URL", "LOCAL")
        cells = [(r["kind"], r["namespace"], r["name"], r["url"], "yes" if r["local"] else "") for r in rows]
    sys.stdout.write(plain_table(headers, cells))


@click.group("build")
def build_group() -> None:
    """Build what Flux will apply: one Kustomization, one HelmRelease with its values, or everything."""


@build_group.command("ks")
@click.argument("name")
@click.option("-n", "--namespace", help="Namespace of the Kustomization (when the name is not unique).")
@click.option(
    "--path",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Build this directory instead of spec.path.",
)
@click.option("--show-secrets", is_flag=True, help="Print Secret values instead of masking them.")
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@repo_options
def build_ks_command(
    name: str,
    namespace: str | None,
    path: Path | None,
    show_secrets: bool,
    output: str,
    repo: RepoOptions,
) -> int:
    """Print the objects Flux would apply for Kustomization NAME.

    Includes Flux's generated kustomization, targetNamespace, patches, components, post-build substitution
    (strict: unset variables are reported on stderr with file:line) and commonMetadata. Secret values are
    masked unless --show-secrets.

    \b
    Examples:
      homeops build ks games
      homeops build ks romm -n flux-system --show-secrets
    """
    from homeops.flux.api_build import BuildKsOptions, build_ks

    options = BuildKsOptions(name, namespace, path, show_secrets, repo)
    result = keep(build_ks(options))
    node = result.node
    if output == "json":
        print_json(result.to_json())
    else:
        sys.stdout.write(result.to_yaml())
    for u in node.unresolved:
        click.echo(
            f"{u.file}:{u.line}:{u.column}: unresolved ${{{u.variable}}} in {u.object}: {u.reason}", err=True
        )
    if node.status in ("failed", "external"):
        click.echo(f"error: {node.ref}: {node.error}", err=True)
        return 1
    return 0


@build_group.command("hr")
@click.argument("name")
@click.option("-n", "--namespace", help="Namespace of the HelmRelease (when the name is not unique).")
@click.option(
    "--show-secrets", is_flag=True, help="Print values that came from Secrets instead of masking them."
)
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option(
    "--render",
    is_flag=True,
    help="Also render the chart through Helm v4 as helm-controller does (post-renderers, commonMetadata,"
    " origin labels, CRDs per install.crds), from the chart store that `homeops charts pull` fills.",
)
@repo_options
def build_hr_command(
    name: str,
    namespace: str | None,
    show_secrets: bool,
    output: str,
    render: bool,
    repo: RepoOptions,
) -> int:
    """Print HelmRelease NAME as Flux applies it, and the values helm-controller hands to the chart.

    Values are merged as helm-controller merges them: valuesFrom in order (targetPath with Helm's --set
    syntax), then inline values. With --render, the objects the chart renders follow (Secret values
    masked unless --show-secrets); a chart that is not in the store, or that fails to render, is an error
    that says why.

    \b
    Examples:
      homeops build hr romm -n games
      homeops build hr romm -n games --render
    """
    if render:
        repo = dataclasses.replace(repo, helm=True, only_releases=((namespace, name),))
    from homeops.flux.api_build import BuildHrOptions, build_hr

    result = keep(build_hr(BuildHrOptions(name, namespace, show_secrets, repo)))
    rendered = _render_of(result) if render else None
    if output == "json":
        data = result.to_json()
        if rendered is not None:
            data["render"] = rendered.to_json()
            from homeops.yaml.nodes import to_plain

            data["rendered"] = [to_plain(o) for o in _masked(result, rendered, show_secrets, repo)]
        print_json(data)
    else:
        sys.stdout.write(result.to_yaml())
        if rendered is not None and rendered.status == "rendered":
            from homeops.yaml.emitter import dump_documents

            sys.stdout.write(
                f"---\n# Rendered by Helm: chart {rendered.chart} ({rendered.result.chart_version})\n"
            )
            sys.stdout.write(dump_documents(_masked(result, rendered, show_secrets, repo)))
    for p in result.values.problems:
        click.echo(f"{p.location or ''}: {p.message}", err=True)
    if rendered is not None:
        for problem in rendered.result.problems if rendered.result is not None else ():
            click.echo(f"{problem}", err=True)
        if rendered.status != "rendered":
            click.echo(
                f"error: {rendered.ref} not rendered ({rendered.status}): {rendered.message}", err=True
            )
            return 1
    return 0 if result.values.ok else 1


def _render_of(result: Any) -> Any:
    renders = result.cluster.helm
    found = [r for r in renders.releases if r.item is result.item] if renders is not None else []
    if not found:
        raise HomeopsError(f"HelmRelease {result.item.hr.name} was not rendered")
    return found[0]


def _masked(result: Any, rendered: Any, show_secrets: bool, repo: RepoOptions) -> list[Any]:
    from homeops.helm.output import masker

    mask = masker(result.cluster, show_secrets, repo.age_identities())
    return [mask(o) for o in rendered.objects]


@build_group.command("all")
@click.option(
    "--output-dir",
    "-O",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write OUT/<namespace>/<name>.yaml (or .err) and OUT/summary.json.",
)
@click.option("--show-secrets", is_flag=True, help="Write Secret values instead of masking them.")
@click.option(
    "--helm",
    is_flag=True,
    help="Also render every HelmRelease's chart from the chart store (`homeops charts pull` fills it); with"
    " --output-dir, each Kustomization's file ends with its charts' objects and summary.json gives each"
    " HelmRelease's status.",
)
@repo_options_with_path
def build_all_command(output_dir: Path | None, show_secrets: bool, helm: bool, repo: RepoOptions) -> int:
    """Build every Flux Kustomization of the tree; one failure never stops the others.

    Prints a summary table; exits 1 if any Kustomization failed (with --helm, also if a HelmRelease
    failed to render; a chart that is not in the store is listed, not a failure).

    \b
    Examples:
      homeops build all
      homeops build all --output-dir /tmp/cluster
    """
    if helm:
        repo = dataclasses.replace(repo, helm=True)
    err_console = console(stderr=True) if sys.stderr.isatty() else None  # rich only for a progress bar
    if err_console is not None and err_console.is_terminal:
        from rich.progress import Progress

        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task("building", total=None)
            render_task = progress.add_task("rendering charts", total=None, visible=False)

            def tick(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            def rendered(done: int, total: int) -> None:
                progress.update(render_task, completed=done, total=total, visible=True)

            if helm:
                repo = dataclasses.replace(repo, helm_progress=rendered)
            result = keep(build_all(BuildAllOptions(output_dir, show_secrets, repo), tick))
    else:
        result = keep(build_all(BuildAllOptions(output_dir, show_secrets, repo)))
    totals = result.summary["totals"]
    problems = [
        (
            row["namespace"],
            row["name"],
            row["status"],
            str(row["objects"]),
            ", ".join(row["unresolved"]),
            row["error"][:100],
        )
        for row in result.summary["kustomizations"]
        if row["status"] != "ok" or row["unresolved"]
    ]
    out = sys.stdout
    if problems:
        headers = ("NAMESPACE", "NAME", "STATUS", "OBJECTS", "UNRESOLVED", "MESSAGE")
        out.write(plain_table(headers, problems))
    out.write(
        f"{totals['kustomizations']} Kustomizations: {totals['ok']} ok, {totals['failed']} failed, "
        f"{totals['external']} external; {totals['objects']} objects; "
        f"{totals['unresolved']} unresolved variable uses; {totals['not_applied']} not applied\n"
    )
    renders = result.cluster.helm
    if renders is None:
        return 1 if result.failed else 0
    for r in renders.releases:
        if r.status != "rendered":
            out.write(f"  {r.ref}: {r.status}: {r.message}\n")
    out.write(renders.describe() + "\n")
    failed = sum(1 for r in renders.releases if r.status in ("failed", "values-failed", "no-helm"))
    return 1 if result.failed or failed else 0
