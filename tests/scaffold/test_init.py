from __future__ import annotations

import stat
from pathlib import Path

import pytest

import yaml
from homeops.errors import UsageError
from homeops.scaffold import InitOptions, init_repo, validate_config
from homeops.scaffold.agekey import AGE_KEY_FILE, generate_identity, key_file_text
from homeops.scaffold.files import template_files
from homeops.scaffold.init import fill_age_recipient
from homeops.sops import identity_recipient, load_age_identities
from homeops.templating import ConfigureOptions, configure
from tests.templating.helpers import snapshot


def test_init_copies_the_template_and_creates_config_and_key(tmp_path: Path) -> None:
    dest = tmp_path / "new" / "home-ops"
    result = init_repo(InitOptions(dest=dest))
    bundle = template_files()
    assert set(result.created) == {*bundle, "bootstrap/config.yaml", AGE_KEY_FILE}
    assert result.skipped == ()
    for rel, content in bundle.items():
        assert (dest / rel).read_bytes() == content, rel
    key = dest / AGE_KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    (identity,) = load_age_identities(key_file=key, env={}, use_default_file=False)
    assert result.age_recipient == identity_recipient(identity)
    config = (dest / "bootstrap/config.yaml").read_text()
    sample = bundle["bootstrap/config.sample.yaml"].decode()
    assert config == sample.replace('age_public_key: ""', f'age_public_key: "{result.age_recipient}"')
    assert "fill in bootstrap/config.yaml" in result.summary()


def test_the_unfilled_sample_stops_configure_with_key_paths(tmp_path: Path) -> None:
    init_repo(InitOptions(dest=tmp_path))
    result = configure(ConfigureOptions(repo_dir=tmp_path, validator=validate_config))
    names = {f.name for f in result.errors}
    assert {"cluster.domain", "git.url", "romm.db_uri", "storage.nodes[0].name"} <= names
    assert "sops.age_public_key" not in names
    assert not result.written


def test_example_config_is_valid_and_uses_the_new_key(tmp_path: Path) -> None:
    result = init_repo(InitOptions(dest=tmp_path, example=True))
    data = yaml.safe_load((tmp_path / "bootstrap/config.yaml").read_text())
    assert data["sops"]["age_public_key"] == result.age_recipient
    assert validate_config(data) == []
    assert "example values" in result.summary()


def test_a_non_empty_destination_is_refused_without_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match="is not empty"):
        init_repo(InitOptions(dest=tmp_path, example=True))
    assert snapshot(tmp_path) == before


def test_a_file_destination_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        init_repo(InitOptions(dest=tmp_path / "file", force=True))


def test_force_adds_missing_files_and_never_touches_existing_ones(tmp_path: Path) -> None:
    identity = generate_identity()
    key_text = key_file_text(identity)
    (tmp_path / AGE_KEY_FILE).write_text(key_text)
    (tmp_path / "README.md").write_text("my readme\n")
    (tmp_path / "bootstrap").mkdir()
    (tmp_path / "bootstrap/config.yaml").write_text("cluster: {}\n")
    (tmp_path / "kubernetes/apps/mine").mkdir(parents=True)
    (tmp_path / "kubernetes/apps/mine/app.yaml").write_text("kind: Mine\n")
    result = init_repo(InitOptions(dest=tmp_path, example=True, force=True))
    assert set(result.skipped) == {"README.md", "bootstrap/config.yaml"}
    assert not result.age_key_created
    assert result.age_recipient == identity_recipient(identity)
    assert (tmp_path / "README.md").read_text() == "my readme\n"
    assert (tmp_path / "bootstrap/config.yaml").read_text() == "cluster: {}\n"
    assert (tmp_path / "kubernetes/apps/mine/app.yaml").read_text() == "kind: Mine\n"
    assert (tmp_path / AGE_KEY_FILE).read_text() == key_text
    assert (tmp_path / "Taskfile.yaml").is_file()
    assert "left 2 existing file(s) unchanged" in result.summary()
    again = init_repo(InitOptions(dest=tmp_path, force=True))
    assert again.created == ()


def test_generated_identities_round_trip() -> None:
    identity = generate_identity()
    assert identity.startswith("AGE-SECRET-KEY-1")
    assert identity_recipient(identity).startswith("age1")
    assert generate_identity() != identity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('sops:\n  age_public_key: ""\n', 'sops:\n  age_public_key: "age1x"\n'),
        ('sops:\n  age_public_key: "" # c\n', 'sops:\n  age_public_key: "age1x" # c\n'),
        ('sops:\n  age_public_key: "age1old"\n', 'sops:\n  age_public_key: "age1old"\n'),
    ],
)
def test_fill_age_recipient_only_fills_an_empty_value(text: str, expected: str) -> None:
    assert fill_age_recipient(text, "age1x") == expected


def test_configure_again_after_sops_encryption_changes_nothing(tmp_path: Path) -> None:
    """task configure encrypts *.sops.yaml after rendering; a second configure keeps the encrypted file."""
    from homeops.scaffold import InitOptions, init_repo, validator_for_repo
    from homeops.templating import ConfigureOptions, configure

    repo = tmp_path / "repo"
    init_repo(InitOptions(dest=repo, example=True))
    first = configure(ConfigureOptions(repo_dir=repo, validator=validator_for_repo(repo)))
    assert first.ok
    secret = next(repo.rglob("*.sops.yaml"))
    sops_block = "sops:\n    age:\n        - enc: ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]\n"
    encrypted = secret.read_text() + sops_block
    secret.write_text(encrypted)
    second = configure(ConfigureOptions(repo_dir=repo, validator=validator_for_repo(repo)))
    assert second.ok, [str(f) for f in second.findings]
    assert second.created == () and second.changed == ()
    assert secret.read_text() == encrypted
