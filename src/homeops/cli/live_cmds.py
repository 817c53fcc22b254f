"""``homeops status`` and ``homeops reconcile``: the live cluster, through the Kubernetes API."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.table import Table

from homeops.cli.common import console, print_json, repo_options
from homeops.flux.api import RepoOptions
from homeops.live.kube import KubeOptions
from homeops.live.reconcile import ReconcileOptions, parse_target, reconcile
from homeops.live.status import StatusOptions, status

F = TypeVar("F", bound=Callable[..., Any])
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def kube_options(func: F) -> F:
    """--kubeconfig and --context."""
    func = click.option("--context", "kube_context", metavar="NAME", help="kubeconfig context to use.")(func)
    func = click.option(
        "--kubeconfig",
        type=click.Path(path_type=Path, dir_okay=False),
        help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).",
    )(func)
    return func


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``5m``, ``1h30m``."""
    match = _DURATION.match(text.strip())
    if not text.strip() or match is None:
        raise click.BadParameter(f"{text!r} is not a duration (e.g. 90s, 5m, 1h)")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@click.command("reconcile")
@click.argument("kind", required=False, type=click.Choice(["ks", "hr", "source"]))
@click.argument("name", required=False)
@click.option("-n", "--namespace", default="flux-system", show_default=True, help="Namespace of NAME.")
@click.option("--with-source", is_flag=True, help="Reconcile the object's source first, as flux does.")
@click.option("--wait", is_flag=True, help="Wait until Flux has handled each request; print Ready.")
@click.option("--timeout", default="5m", show_default=True, help="How long --wait waits for each object.")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@kube_options
@repo_options
def reconcile_command(
    kind: str | None,
    name: str | None,
    namespace: str,
    with_source: bool,
    wait: bool,
    timeout: str,
    output: str,
    kubeconfig: Path | None,
    kube_context: str | None,
    repo: RepoOptions,
) -> int:
    """Ask Flux to reconcile now: set the reconcile.fluxcd.io/requestedAt annotation, as `flux reconcile`.

    With no KIND, the root Kustomizations of the repository (e.g. cluster-apps) are reconciled, their Git
    source first: Flux fetches the repository and applies it. KIND is ks, hr or source (NAME is then
    KIND/NAME, e.g. git/flux-system).

    This only requests the reconciliation and returns at once; it does not wait for Flux unless --wait,
    which polls until each request is handled (up to --timeout) and prints the Ready condition.

    \b
    Examples:
      homeops reconcile
      homeops reconcile ks cluster-apps --with-source --wait
      homeops reconcile hr romm -n games
      homeops reconcile source git/flux-system
    """
    if kind is not None and name is None:
        raise click.UsageError(f"{kind} needs a NAME")
    targets = (parse_target(kind, name, namespace),) if kind is not None and name is not None else ()
    options = ReconcileOptions(
        targets=targets,
        with_source=with_source,
        wait=wait,
        timeout=parse_duration(timeout),
        kube=KubeOptions(kubeconfig=kubeconfig, context=kube_context),
        repo=repo,
    )
    result = reconcile(options)
    if output == "json":
        print_json(result.to_json())
    else:
        for step in result.steps:
            line = f"{step.target}: {step.outcome}"
            if step.requested_at:
                line += f" (requestedAt {step.requested_at})"
            if step.ready:
                line += f", Ready={step.ready}"
            if step.revision:
                line += f", revision {step.revision}"
            if step.message:
                line += f": {step.message}"
            click.echo(line)
        if not wait:
            click.echo("requested; Flux reconciles in the background (see homeops status, or use --wait)")
    return 0 if result.ok else 1


@click.command("status")
@click.option("-A", "--all-namespaces", is_flag=True, help="All namespaces (the default).")
@click.option("-n", "--namespace", help="Only this namespace.")
@click.option("--no-compare", is_flag=True, help="Don't build the repository to compare with Git.")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@kube_options
@repo_options
def status_command(
    all_namespaces: bool,
    namespace: str | None,
    no_compare: bool,
    output: str,
    kubeconfig: Path | None,
    kube_context: str | None,
    repo: RepoOptions,
) -> int:
    """Show the live Flux Kustomizations and HelmReleases and compare them with the repository.

    Each object is listed with its Ready condition, message, last applied revision and whether it is
    suspended; GIT says whether the repository's tree (built offline) applies it. Objects of the tree missing
    from the cluster are listed after. Exit code 1 when an object is Ready=False or one from Git is missing.

    \b
    Examples:
      homeops status
      homeops status -n games -o json
      homeops status --no-compare --context staging
    """
    if all_namespaces and namespace:
        raise click.UsageError("use either -A or -n NAMESPACE")
    options = StatusOptions(
        namespace=namespace,
        compare=not no_compare,
        kube=KubeOptions(kubeconfig=kubeconfig, context=kube_context),
        repo=repo,
    )
    result = status(options)
    if output == "json":
        print_json(result.to_json())
        return 0 if result.ok else 1
    out = console()
    table = Table(box=None, pad_edge=False)
    for col in ("KIND", "NAMESPACE", "NAME", "READY", "SUSPENDED", "REVISION", "GIT", "MESSAGE"):
        table.add_column(col)
    for o in result.objects:
        git = "" if o.in_git is None else ("yes" if o.in_git else "not in Git")
        table.add_row(
            o.kind, o.namespace, o.name, o.ready or "-", "yes" if o.suspended else "",
            o.revision, git, o.message[:100],
        )  # fmt: skip
    out.print(table)
    if result.missing:
        click.echo(f"\nIn Git but not in the cluster ({len(result.missing)}):")
        for m in result.missing:
            where = f"{m.file}:{m.line}" if m.line else m.file
            click.echo(f"  {m.kind}/{m.namespace}/{m.name}  {where}")
    for problem in result.problems:
        click.echo(f"note: {problem}", err=True)
    return 0 if result.ok else 1
