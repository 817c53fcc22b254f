"""homeops console entry point: the one error boundary, global flags and the command group."""

from __future__ import annotations

import sys
import traceback

import click

from homeops import __version__
from homeops.cli.diff_cmd import diff_command
from homeops.cli.flux_cmds import build_group, get_command
from homeops.cli.kustomize_cmd import kustomize_command
from homeops.cli.live_cmds import reconcile_command, status_command
from homeops.cli.placeholders_cmd import placeholders_command
from homeops.cli.template_cmds import configure_command, init_command, new_group
from homeops.cli.validate_cmds import graph_command, plan_command, rules_command, validate_command
from homeops.errors import HomeopsError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="homeops")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """homeops: catch Flux GitOps homelab mistakes before the commit.

    Render, build, validate and diff the Kubernetes objects that Flux will apply from your repository,
    offline and fast. Every command works from the repository's git root (or --repo DIR) and has --help.

    \b
    A new homelab:
      homeops init my-cluster --example && cd my-cluster
      homeops configure                 # render templates/ from bootstrap/config.yaml
      homeops build all                 # what Flux will apply, every Kustomization
      homeops validate && homeops plan  # schemas + contracts; the apply waves
    \b
    Every day:
      homeops diff --base main          # what this branch changes in the cluster
      homeops kustomize DIR             # one kustomization, byte-identical to kubectl kustomize
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


cli.add_command(kustomize_command)
cli.add_command(get_command)
cli.add_command(build_group)
cli.add_command(placeholders_command)
cli.add_command(init_command)
cli.add_command(configure_command)
cli.add_command(new_group)
cli.add_command(validate_command)
cli.add_command(rules_command)
cli.add_command(graph_command)
cli.add_command(plan_command)
cli.add_command(diff_command)
cli.add_command(status_command)
cli.add_command(reconcile_command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; map errors to exit codes (0 ok, 1 findings/errors, 2 usage, 3 internal)."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        code = cli.main(args=argv, prog_name="homeops", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_FINDINGS)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except HomeopsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the one boundary for bugs
        if debug:
            traceback.print_exc()
        else:
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)", err=True
            )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
