"""``homeops sops encrypt|decrypt FILE``: SOPS files with age, in-process (no sops binary needed)."""

from __future__ import annotations

from pathlib import Path

import click

_FILE = click.Path(path_type=Path, dir_okay=False, exists=True)
_OUT = click.Path(path_type=Path, dir_okay=False, writable=True)


@click.group("sops")
def sops_group() -> None:
    """Encrypt and decrypt SOPS YAML files with age, as sops 3.x does (its file format and MAC).

    Keys and selectors come from the .sops.yaml creation rule that matches FILE (looked for from FILE's
    directory upwards): path_regex, age recipients (or key_groups with age), encrypted_regex,
    unencrypted_suffix and the other selectors, mac_only_encrypted. Only age keys are supported.
    """


def _age_key_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--age-key",
        type=_FILE,
        envvar="SOPS_AGE_KEY_FILE",
        help="age identity file (default: $SOPS_AGE_KEY_FILE, $SOPS_AGE_KEY, ~/.config/sops/age/keys.txt).",
    )(function)


def _output_options(function: click.decorators.FC) -> click.decorators.FC:
    function = click.option("--output", "-o", type=_OUT, help="Write the result to this file.")(function)
    return click.option("--in-place", "-i", is_flag=True, help="Replace FILE with the result.")(function)


@sops_group.command("encrypt")
@click.argument("file", type=_FILE)
@_output_options
@_age_key_option
@click.option(
    "--age",
    "recipients",
    metavar="RECIPIENTS",
    help="age1... recipients (comma separated) instead of the rule's.",
)
def sops_encrypt_command(
    file: Path, in_place: bool, output: Path | None, age_key: Path | None, recipients: str | None
) -> int:
    """Encrypt a plaintext YAML FILE (every document); print it, or write it with --in-place/--output.

    \b
    Examples:
      homeops sops encrypt --in-place kubernetes/flux/vars/cluster-secrets.sops.yaml
      homeops sops encrypt secret.yaml --age age1... -o secret.sops.yaml
    """
    from homeops.sops.files import SopsFileOptions, encrypt_file

    keys = tuple(r.strip() for r in (recipients or "").split(",") if r.strip())
    result = encrypt_file(SopsFileOptions(file, in_place, output, age_key, keys))
    if result.written is None:
        click.echo(result.text, nl=False)
    return 0


@sops_group.command("decrypt")
@click.argument("file", type=_FILE)
@_output_options
@_age_key_option
def sops_decrypt_command(file: Path, in_place: bool, output: Path | None, age_key: Path | None) -> int:
    """Decrypt a SOPS-encrypted YAML FILE, checking its MAC; print it, or write it with --in-place/--output.

    \b
    Examples:
      homeops sops decrypt kubernetes/flux/vars/cluster-secrets.sops.yaml
      homeops sops decrypt --age-key age.key secret.sops.yaml -o /tmp/secret.yaml
    """
    from homeops.sops.files import SopsFileOptions, decrypt_file

    result = decrypt_file(SopsFileOptions(file, in_place, output, age_key))
    if result.written is None:
        click.echo(result.text, nl=False)
    return 0
