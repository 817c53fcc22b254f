"""homeops console entry point: the one error boundary, global flags and the command group."""

from __future__ import annotations

import gc
import importlib
import sys

import click

from homeops import __version__
from homeops.cli.lifetime import HOLD, finish
from homeops.errors import HomeopsError

# name -> (module, attribute, one-line help). A command's module (and the library behind it) is imported
# only when that command runs or shows its own --help, so start-up stays fast.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "homeops.cli.template_cmds",
        "init_command",
        "Create a new homelab repository from the template.",
    ),
    "configure": (
        "homeops.cli.template_cmds",
        "configure_command",
        "Render templates from bootstrap/config.yaml.",
    ),
    "new": ("homeops.cli.template_cmds", "new_group", "Scaffold new parts of the repository."),
    "kustomize": (
        "homeops.cli.kustomize_cmd",
        "kustomize_command",
        "Build DIR like `kubectl kustomize DIR`.",
    ),
    "get": ("homeops.cli.flux_cmds", "get_command", "List Kustomizations, HelmReleases or sources."),
    "build": ("homeops.cli.flux_cmds", "build_group", "Build what Flux will apply (ks, hr, all)."),
    "placeholders": ("homeops.cli.placeholders_cmd", "placeholders_command", "List every Flux placeholder."),
    "validate": (
        "homeops.cli.validate_cmds",
        "validate_command",
        "Check schemas, contracts and dependencies.",
    ),
    "rules": ("homeops.cli.validate_cmds", "rules_command", "List the rules, or explain one."),
    "graph": ("homeops.cli.validate_cmds", "graph_command", "The dependsOn, parent and source graph."),
    "plan": ("homeops.cli.validate_cmds", "plan_command", "The apply waves in dependency order."),
    "diff": ("homeops.cli.diff_cmd", "diff_command", "Show what Flux would change between two refs."),
    "status": ("homeops.cli.live_cmds", "status_command", "Compare the live cluster with the repository."),
    "reconcile": ("homeops.cli.live_cmds", "reconcile_command", "Ask Flux to reconcile now."),
    "cache": ("homeops.cli.cache_cmd", "cache_group", "Inspect or prune the persistent build cache."),
    "charts": ("homeops.cli.charts_cmd", "charts_group", "Pull, list or prune the Helm chart store."),
    "sops": ("homeops.cli.sops_cmd", "sops_group", "Encrypt or decrypt a SOPS file with age."),
    "completion": ("homeops.cli.completion_cmd", "completion_command", "Print the shell completion script."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, from ``COMMANDS``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module, attr, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
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


# Commands that may run for minutes (polling a cluster): they keep Python's cyclic garbage collector.
LONG_RUNNING = frozenset({"status", "reconcile"})


def _batch_gc(args: list[str]) -> None:
    """Turn the cyclic garbage collector off for a batch command. A build allocates millions of
    containers and frees them by reference counting (its data has no cycles), while each collection
    walks every live object: on a 250-Kustomization repository the collector takes 10-25% of a run."""
    if not LONG_RUNNING.intersection(args):
        gc.disable()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; map errors to exit codes (0 ok, 1 findings/errors, 2 usage, 3 internal)."""
    args = argv if argv is not None else sys.argv[1:]
    debug = "--debug" in args
    held: list[object] = []  # what commands keep alive until the process ends (see homeops.cli.lifetime)
    obj: dict[str, object] | None = None
    if argv is None:  # the process's own command line (not a call from a test or a program)
        _batch_gc(args)
        obj = {HOLD: held}
    try:
        code = cli.main(args=argv, prog_name="homeops", standalone_mode=False, obj=obj)
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
            import traceback

            traceback.print_exc()
        else:
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)", err=True
            )
        sys.exit(EXIT_INTERNAL)
    finish(code if isinstance(code, int) else EXIT_OK, held)
