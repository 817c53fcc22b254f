"""``homeops placeholders``: the inventory of the Flux ``${VAR}`` placeholders of a repository."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from homeops.cli.common import console, print_json
from homeops.cli.lifetime import keep
from homeops.placeholders import GUIDE, PlaceholderOptions, inventory
from homeops.sops import load_age_identities


@click.command("placeholders")
@click.option(
    "--check", is_flag=True, help="Exit 1 on placeholders used but undefined, undocumented, or unused."
)
@click.option(
    "--write", is_flag=True, help=f"Regenerate the placeholder table in {GUIDE} (between its markers)."
)
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Repository (default: git root).",
)
@click.option(
    "--age-key", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="age identity file."
)
def placeholders_command(
    check: bool, write: bool, output: str, repo: Path | None, age_key: Path | None
) -> int:
    """List every Flux placeholder: where it is used, where it is defined, its default, whether documented.

    Uses are the ${VAR} that Flux will really substitute (in Kustomizations with postBuild, outside objects
    marked substitute: disabled). Definitions are postBuild.substitute keys and the keys of the ConfigMaps,
    Secrets (SOPS or not) and ExternalSecrets named in substituteFrom.

    \b
    Examples:
      homeops placeholders
      homeops placeholders --check          # for CI
      homeops placeholders --write          # refresh the table in TEMPLATE_GUIDE.md
    """
    identities = tuple(load_age_identities(key_file=age_key))
    result = keep(inventory(PlaceholderOptions(repo=repo, write=write, identities=identities)))
    if output == "json":
        print_json(result.to_json())
    else:
        table = Table(box=None, pad_edge=False)
        for col in ("PLACEHOLDER", "USES", "FIRST USE", "DEFINED IN", "DEFAULT", "PROBLEMS"):
            table.add_column(col)
        for p in result.placeholders:
            first = f"{p.uses[0].file}:{p.uses[0].line}" if p.uses else ""
            defined = ", ".join(sorted({f"{d.kind} {d.source}" for d in p.definitions}))
            table.add_row(
                f"${{{p.name}}}",
                str(len(p.uses)),
                first,
                defined,
                ", ".join(p.defaults),
                "; ".join(p.problems),
            )
        console().print(table)
        summary = result.to_json()["summary"]
        click.echo(
            f"{summary['placeholders']} placeholders: {summary['undefined']} undefined, "
            f"{summary['undocumented']} undocumented, {summary['unused']} unused, "
            f"{summary['encrypted_only']} defined only in encrypted secrets"
        )
    if result.guide_written:
        click.echo(f"wrote the placeholder table in {result.guide}", err=True)
    return 1 if check and result.problem_count else 0
