"""``configure`` SOPS-encrypts what a creation rule selects, all or nothing, and keeps unchanged
ciphertext."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeops.cli.main import main
from homeops.scaffold import InitOptions, init_repo, validator_for_repo
from homeops.sops.age import generate_identity
from homeops.sops.encrypt import Selection, decrypt_text, encrypt_text, is_encrypted_text
from homeops.templating import ConfigureOptions, configure
from homeops.templating.manifest import MANIFEST_REL, sha256
from homeops.templating.report import Severity
from tests.sops.conftest import needs_sops, run_sops
from tests.templating.helpers import make_repo, snapshot

SECRET_J2 = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  TOKEN: "#{ token }#"\n'


def _rules(recipient: str, extra: str = "") -> str:
    return (
        "creation_rules:\n  - path_regex: .+\\.sops\\.ya?ml\n    encrypted_regex: ^(data|stringData)$\n"
        f"    age: {recipient}\n{extra}"
    )


@pytest.fixture
def repo(tmp_path: Path, identity: tuple[str, str]) -> Path:
    root = make_repo(
        tmp_path / "repo",
        {
            "dot.sops.yaml": _rules(identity[1]),
            "app/secret.sops.yaml.j2": SECRET_J2,
            "app/plain.yaml": "a: 1\n",
        },
        config="token: tok-1\n",
    )
    (root / "templates" / "dot.sops.yaml").rename(root / "templates" / ".sops.yaml")
    (root / "age.key").write_text(identity[0] + "\n")
    return root


def _token(path: Path, identity: str) -> str:
    data = decrypt_text(path.read_text(), [identity], file=str(path)).branches[0].get("stringData")
    return str(data.get("TOKEN"))


def test_configure_encrypts_and_is_idempotent(repo: Path, identity: tuple[str, str]) -> None:
    result = configure(ConfigureOptions(repo_dir=repo))
    assert result.ok and result.written, result.findings
    secret = repo / "out" / "app" / "secret.sops.yaml"
    assert is_encrypted_text(secret.read_text()) and "tok-1" not in secret.read_text()
    assert (repo / "out" / "app" / "plain.yaml").read_text() == "a: 1\n"
    assert _token(secret, identity[0]) == "tok-1"
    manifest = json.loads((repo / "out" / MANIFEST_REL).read_text())
    assert manifest["files"]["app/secret.sops.yaml"] == sha256(secret.read_bytes())
    before = snapshot(repo)
    again = configure(ConfigureOptions(repo_dir=repo))
    assert again.ok and not again.written and "app/secret.sops.yaml" in again.unchanged
    assert snapshot(repo) == before
    (repo / "bootstrap" / "config.yaml").write_text("token: tok-2\n")
    changed = configure(ConfigureOptions(repo_dir=repo))
    assert changed.changed == ("app/secret.sops.yaml",) and _token(secret, identity[0]) == "tok-2"


def test_without_a_key_it_re_encrypts_and_says_so(repo: Path, identity: tuple[str, str]) -> None:
    assert configure(ConfigureOptions(repo_dir=repo)).ok
    (repo / "age.key").unlink()
    result = configure(ConfigureOptions(repo_dir=repo))
    assert result.ok and result.changed == ("app/secret.sops.yaml",)
    assert any("re-encrypted" in f.message and f.severity is Severity.WARNING for f in result.findings)
    assert _token(repo / "out" / "app" / "secret.sops.yaml", identity[0]) == "tok-1"
    key = repo.parent / "elsewhere.key"
    key.write_text(identity[0] + "\n")
    before = snapshot(repo)
    assert configure(ConfigureOptions(repo_dir=repo), age_key=key).changed == ()
    assert snapshot(repo) == before


def test_a_file_that_cannot_be_encrypted_aborts_everything(repo: Path) -> None:
    (repo / "templates" / ".sops.yaml").write_text(
        "creation_rules:\n  - path_regex: secret\n    pgp: ABCDEF\n"
    )
    before = snapshot(repo)
    result = configure(ConfigureOptions(repo_dir=repo))
    assert not result.ok and not result.written
    errors = [f for f in result.errors if "app/secret.sops.yaml" in f.message]
    assert errors and "pgp keys are not supported" in errors[0].message
    assert snapshot(repo) == before


def test_catch_all_rule_only_takes_sops_named_files(repo: Path, identity: tuple[str, str]) -> None:
    (repo / "templates" / ".sops.yaml").write_text(f"creation_rules:\n  - age: {identity[1]}\n")
    assert configure(ConfigureOptions(repo_dir=repo)).ok
    assert (repo / "out" / "app" / "plain.yaml").read_text() == "a: 1\n"
    assert "unencrypted_suffix: _unencrypted" in (repo / "out" / "app" / "secret.sops.yaml").read_text()


def test_a_file_sops_encrypted_after_an_older_render_is_kept(repo: Path, identity: tuple[str, str]) -> None:
    """An older configure wrote the plaintext and `sops --encrypt --in-place` followed: the manifest holds
    the plaintext's hash. Without a key the file is kept as it is; its hash stays the plaintext's."""
    plain = SECRET_J2.replace("#{ token }#", "tok-1")
    out = repo / "out" / "app"
    out.mkdir(parents=True)
    encrypted = encrypt_text(plain, [identity[1]], Selection(encrypted_regex="^(data|stringData)$"), file="x")
    (out / "secret.sops.yaml").write_text(encrypted)
    (repo / "out" / ".homeops").mkdir()
    (repo / "out" / MANIFEST_REL).write_text(
        json.dumps(
            {
                "version": 1,
                "generator": "homeops configure",
                "files": {"app/secret.sops.yaml": sha256(plain.encode())},
            }
        )
    )
    (repo / "age.key").unlink()
    result = configure(ConfigureOptions(repo_dir=repo))
    assert result.ok and "app/secret.sops.yaml" in result.unchanged
    assert (out / "secret.sops.yaml").read_text() == encrypted
    assert configure(ConfigureOptions(repo_dir=repo)).ok


@needs_sops
def test_example_repository_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "ex"
    init_repo(InitOptions(dest=dest, example=True))
    result = configure(ConfigureOptions(repo_dir=dest, validator=validator_for_repo(dest)))
    assert result.ok, result.findings
    secrets = sorted((dest / "kubernetes").rglob("*.sops.yaml"))
    assert len(secrets) == 2
    for path in secrets:
        assert is_encrypted_text(path.read_text())
        done = run_sops("--decrypt", str(path), key_file=dest / "age.key", cwd=dest)
        assert done.returncode == 0, done.stderr
        assert "stringData:" in done.stdout
    before = snapshot(dest)
    assert configure(ConfigureOptions(repo_dir=dest, validator=validator_for_repo(dest))).written is False
    assert snapshot(dest) == before
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--repo", str(dest), "--age-key", str(dest / "age.key")])
    output = capsys.readouterr()
    assert "HO108" not in output.out + output.err
    assert exit_info.value.code == 0, output.out + output.err


def test_wrong_recipient_in_rule_is_an_error(repo: Path) -> None:
    (repo / "templates" / ".sops.yaml").write_text(_rules("age1notvalid"))
    result = configure(ConfigureOptions(repo_dir=repo))
    assert not result.ok and any("age recipient" in f.message for f in result.errors)
    assert not (repo / "out").exists()


def test_other_identity_cannot_compare(repo: Path) -> None:
    assert configure(ConfigureOptions(repo_dir=repo)).ok
    (repo / "age.key").write_text(generate_identity() + "\n")
    result = configure(ConfigureOptions(repo_dir=repo))
    assert result.ok and result.changed == ("app/secret.sops.yaml",)
    assert any("cannot be decrypted to compare" in f.message for f in result.warnings)
