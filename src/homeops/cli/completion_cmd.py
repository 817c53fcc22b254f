"""``homeops completion bash|zsh|fish``: print the shell completion script (click's completion protocol)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

PROG_NAME = "homeops"
COMPLETE_VAR = "_HOMEOPS_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS), metavar="SHELL")
@click.pass_context
def completion_command(ctx: click.Context, shell: str) -> int:
    """Print the completion script of SHELL (bash, zsh or fish) for homeops.

    The script asks homeops itself for the candidates (commands, options, choices, paths), through the
    _HOMEOPS_COMPLETE environment variable, so it stays right when homeops is upgraded.

    \b
    Examples:
      eval "$(homeops completion bash)"                  # in ~/.bashrc (bash 4.4 or newer)
      eval "$(homeops completion zsh)"                   # in ~/.zshrc
      homeops completion fish > ~/.config/fish/completions/homeops.fish
    """
    cls = get_completion_class(shell)
    if cls is None:  # click knows every name of SHELLS; kept for a click without one of them
        raise click.UsageError(f"no completion support for {shell}")
    root = ctx.find_root().command
    click.echo(cls(root, {}, PROG_NAME, COMPLETE_VAR).source())
    return 0
