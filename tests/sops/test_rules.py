"""``.sops.yaml`` creation rules: which rule a file gets, recipients, selectors and what is unsupported."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.sops.document import SopsError
from homeops.sops.encrypt import Selection
from homeops.sops.rules import find_config, parse_config

R1 = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
R2 = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"
CONFIG = f"""\
creation_rules:
  - path_regex: talos/.+\\.sops\\.ya?ml
    age: "{R1}, {R2}"
  - path_regex: (bootstrap|kubernetes)/.+\\.sops\\.ya?ml
    encrypted_regex: "^(data|stringData)$"
    key_groups:
      - age:
          - {R1}
  - path_regex: (?i)^LEGACY/
    unencrypted_suffix: _clear
    age: [{R2}]
  - path_regex: ^clear/
    mac_only_encrypted: true
    encrypted_suffix: _secret
    age: {R1}
stores:
  yaml:
    indent: 2
"""


@pytest.mark.parametrize(
    ("rel", "index", "age", "selection"),
    [
        ("talos/talenv.sops.yaml", 0, (R1, R2), Selection("_unencrypted")),
        ("kubernetes/apps/x/secret.sops.yml", 1, (R1,), Selection(encrypted_regex="^(data|stringData)$")),
        ("bootstrap/a/b.sops.yaml", 1, (R1,), Selection(encrypted_regex="^(data|stringData)$")),
        (
            "nested/talos/x.sops.yaml",
            0,
            (R1, R2),
            Selection("_unencrypted"),
        ),  # unanchored, as Go's MatchString
        ("legacy/file.yaml", 2, (R2,), Selection("_clear")),
        ("clear/x.yaml", 3, (R1,), Selection(encrypted_suffix="_secret", mac_only_encrypted=True)),
        ("kubernetes/apps/x/secret.yaml", None, (), None),
        ("README.md", None, (), None),
    ],
)
def test_first_matching_rule_wins(
    tmp_path: Path, rel: str, index: int | None, age: tuple[str, ...], selection: Selection | None
) -> None:
    config = parse_config(CONFIG, tmp_path / ".sops.yaml")
    assert config.indent == 2
    rule = config.rule_for(tmp_path / rel)
    if index is None:
        assert rule is None
        return
    assert rule is not None and rule.index == index and rule.age == age
    assert Selection.of_rule(rule) == selection


def test_a_rule_without_path_regex_matches_everything(tmp_path: Path) -> None:
    config = parse_config(f"creation_rules:\n  - age: {R1}\n", tmp_path / ".sops.yaml")
    rule = config.rule_for(tmp_path / "any" / "file.yaml")
    assert rule is not None and rule.age == (R1,)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("pgp: ABCDEF", "pgp keys are not supported"),
        ("kms: arn:aws:kms:x", "kms keys are not supported"),
        ("hc_vault_transit_uri: https://v/x", "hc_vault keys are not supported"),
        (f"key_groups: [{{age: [{R1}]}}, {{age: [{R2}]}}]", "Shamir"),
        (f"key_groups: [{{age: [{R1}], pgp: [ABC]}}]", "pgp keys are not supported"),
        ("encrypted_regex: x", "names no age recipient"),
    ],
)
def test_unsupported_rules_name_what_is_unsupported(tmp_path: Path, rule: str, message: str) -> None:
    config = parse_config(f"creation_rules:\n  - path_regex: x\n    {rule}\n", tmp_path / ".sops.yaml")
    with pytest.raises(SopsError, match=message):
        config.rule_for(tmp_path / "x.yaml")


def test_unsupported_rule_that_does_not_match_is_harmless(tmp_path: Path) -> None:
    config = parse_config(
        f"creation_rules:\n  - path_regex: ^other\n    pgp: ABC\n  - age: {R1}\n", tmp_path / ".sops.yaml"
    )
    assert config.rule_for(tmp_path / "x.yaml") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"creation_rules:\n  - age: {R1}\n    encrypted_regex: a\n    unencrypted_suffix: b\n",
            "more than one",
        ),
        ("creation_rules: 3\n", "must be a list"),
        ("creation_rules:\n  - path_regex: '('\n    age: x\n", "invalid regular expression"),
        ("creation_rules:\n  - age: 3\n", "invalid age key configuration"),
    ],
)
def test_malformed_configs(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SopsError, match=message):
        parse_config(text, tmp_path / ".sops.yaml")


def test_find_config_walks_up_to_the_stop(tmp_path: Path) -> None:
    (tmp_path / "repo" / "a" / "b").mkdir(parents=True)
    (tmp_path / ".sops.yaml").write_text(f"creation_rules:\n  - age: {R2}\n")
    (tmp_path / "repo" / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: ^a/\n    age: {R1}\n")
    config = find_config(tmp_path / "repo" / "a" / "b" / "x.yaml", tmp_path / "repo")
    assert config is not None and config.path == tmp_path / "repo" / ".sops.yaml"
    rule = config.rule_for(tmp_path / "repo" / "a" / "b" / "x.yaml")
    assert rule is not None and rule.age == (R1,)
    (tmp_path / "repo" / ".sops.yaml").unlink()
    assert find_config(tmp_path / "repo" / "a" / "x.yaml", tmp_path / "repo") is None
    above = find_config(tmp_path / "repo" / "a" / "x.yaml")
    assert above is not None and above.path == tmp_path / ".sops.yaml"
