"""``homeops sops encrypt|decrypt FILE`` through click (the group the lead registers in cli/main.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from homeops.cli.sops_cmd import sops_group
from homeops.errors import HomeopsError, UsageError
from homeops.sops.encrypt import decrypt_text, is_encrypted_text
from tests.sops.conftest import needs_sops, run_sops
from tests.sops.fixtures_plain import SECRET


@pytest.fixture
def repo(tmp_path: Path, identity: tuple[str, str]) -> Path:
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^stringData$\n"
        f"    age: {identity[1]}\n"
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "secret.sops.yaml").write_text(SECRET)
    return tmp_path


def test_encrypt_prints_and_leaves_the_file(repo: Path, identity: tuple[str, str]) -> None:
    target = repo / "app" / "secret.sops.yaml"
    result = CliRunner().invoke(sops_group, ["encrypt", str(target)])
    assert result.exit_code == 0, result.output
    assert is_encrypted_text(result.output) and "s3cr3t" not in result.output
    assert target.read_text() == SECRET
    assert (
        decrypt_text(result.output, [identity[0]], file="x").branches[0].get("stringData").get("TOKEN")
        == "s3cr3t-value"
    )


def test_encrypt_in_place_then_decrypt(repo: Path, key_file: Path) -> None:
    target = repo / "app" / "secret.sops.yaml"
    target.chmod(0o600)
    assert CliRunner().invoke(sops_group, ["encrypt", "--in-place", str(target)]).exit_code == 0
    assert is_encrypted_text(target.read_text()) and target.stat().st_mode & 0o777 == 0o600
    result = CliRunner().invoke(sops_group, ["decrypt", "--age-key", str(key_file), str(target)])
    assert result.exit_code == 0, result.output
    assert "TOKEN: s3cr3t-value" in result.output and "sops:" not in result.output
    env_result = CliRunner().invoke(
        sops_group, ["decrypt", str(target)], env={"SOPS_AGE_KEY_FILE": str(key_file)}
    )
    assert env_result.output == result.output
    out = repo / "plain.yaml"
    assert (
        CliRunner()
        .invoke(sops_group, ["decrypt", "-o", str(out), "--age-key", str(key_file), str(target)])
        .exit_code
        == 0
    )
    assert out.read_text() == result.output


def test_encrypt_with_explicit_recipients_without_a_rule(tmp_path: Path, identity: tuple[str, str]) -> None:
    target = tmp_path / "plain.yaml"
    target.write_text("password: x\n")
    out = tmp_path / "enc.yaml"
    result = CliRunner().invoke(
        sops_group, ["encrypt", "--age", identity[1], "--output", str(out), str(target)]
    )
    assert result.exit_code == 0 and result.output == ""
    assert "unencrypted_suffix: _unencrypted" in out.read_text()


def test_errors(tmp_path: Path, repo: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("a: 1\n")
    result = CliRunner().invoke(sops_group, ["encrypt", str(plain)])
    assert isinstance(result.exception, HomeopsError) and "no .sops.yaml creation rule" in str(
        result.exception
    )
    result = CliRunner().invoke(sops_group, ["decrypt", str(plain)])
    assert isinstance(result.exception, HomeopsError) and "not encrypted" in str(result.exception)
    target = repo / "app" / "secret.sops.yaml"
    result = CliRunner().invoke(sops_group, ["encrypt", "-i", "-o", str(plain), str(target)])
    assert isinstance(result.exception, UsageError)
    assert CliRunner().invoke(sops_group, ["encrypt", "-i", str(target)]).exit_code == 0
    result = CliRunner().invoke(sops_group, ["decrypt", str(target)])
    assert isinstance(result.exception, HomeopsError) and "no age identity matches" in str(result.exception)


@needs_sops
def test_real_sops_decrypts_the_cli_output(repo: Path, key_file: Path) -> None:
    target = repo / "app" / "secret.sops.yaml"
    assert CliRunner().invoke(sops_group, ["encrypt", "-i", str(target)]).exit_code == 0
    done = run_sops("--decrypt", str(target), key_file=key_file)
    assert done.returncode == 0, done.stderr
    assert "TOKEN: s3cr3t-value" in done.stdout
