from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import yaml
from homeops.scaffold import validate_config, validator_for_repo
from homeops.scaffold.files import example_config, template_files
from homeops.templating import FindingCode, Severity

AGE = "age1w2cvy6ke5m4z9yf55qgnlcayj8s0a8q2zzwprf3zmnmr5y22xpfq8cpqm5"


def example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(example_config())
    data["sops"]["age_public_key"] = AGE
    return data


def test_the_example_config_is_valid() -> None:
    assert validate_config(example()) == []


def _set(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    here: Any = data
    for part in path[:-1]:
        here = here[part]
    if value is _DELETE:
        del here[path[-1]]
    else:
        here[path[-1]] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected_path", "message"),
    [
        (("cluster", "colour"), "blue", ("cluster", "colour"), "cluster.colour: unknown key"),
        (("extra",), {}, ("extra",), "extra: unknown key"),
        (
            ("storage", "nodes", 1, "disks"),
            [],
            ("storage", "nodes", 1, "disks"),
            "storage.nodes[1].disks: unknown",
        ),
        (("cluster", "domain"), _DELETE, ("cluster", "domain"), "cluster.domain: is required"),
        (("cluster", "domain"), "", ("cluster", "domain"), "cluster.domain: must not be empty"),
        (("cluster", "domain"), "localhost", ("cluster", "domain"), "'localhost' is not a domain name"),
        (("cluster", "name"), 42, ("cluster", "name"), "cluster.name: must be a string, not an integer"),
        (("git", "url"), "github.com/x", ("git", "url"), "is not an https:// or ssh:// URL"),
        (("sops", "age_public_key"), "age1short", ("sops", "age_public_key"), "is not an age public key"),
        (("storage", "replicas"), "3", ("storage", "replicas"), "must be an integer, not a string"),
        (("storage", "replicas"), 0, ("storage", "replicas"), "must be at least 1"),
        (
            ("storage", "replicas"),
            4,
            ("storage", "replicas"),
            "4 copies need at least 4 storage nodes, not 3",
        ),
        (("storage", "nodes"), [], ("storage", "nodes"), "needs at least 1 item"),
        (("storage", "nodes", 2, "devices", 0), "sda", ("storage", "nodes", 2, "devices", 0), "under /dev/"),
        (("storage", "nodes", 2, "name"), "k8s-0", ("storage", "nodes", 2, "name"), "listed twice"),
        (("media",), "nas", ("media",), "media: must be a mapping, not a string"),
        (("romm", "db_uri"), 'x://a"b', ("romm", "db_uri"), "must not contain quotes"),
    ],
)
def test_each_problem_is_reported_with_its_key_path(
    path: tuple[str | int, ...], value: Any, expected_path: tuple[str | int, ...], message: str
) -> None:
    data = copy.deepcopy(example())
    _set(data, path, value)
    findings = validate_config(data)
    assert [f.key_path for f in findings] == [expected_path]
    assert message in findings[0].message
    assert findings[0].severity is Severity.ERROR


def test_optional_keys_may_be_empty_or_absent() -> None:
    data = example()
    del data["git"]["secret_name"]
    assert validate_config(data) == []


def test_the_sample_config_lists_every_empty_required_value() -> None:
    sample = yaml.safe_load(template_files()["bootstrap/config.sample.yaml"])
    paths = {f.key_path for f in validate_config(sample)}
    assert ("cluster", "domain") in paths
    assert ("storage", "nodes", 0, "devices", 0) in paths
    assert ("git", "secret_name") not in paths


def test_configure_reports_unknown_keys_at_their_line_and_writes_nothing(tmp_path: Path) -> None:
    from homeops.scaffold import InitOptions, init_repo
    from homeops.templating import ConfigureOptions, configure

    init_repo(InitOptions(dest=tmp_path, example=True))
    config = tmp_path / "bootstrap/config.yaml"
    lines = config.read_text().splitlines()
    index = lines.index("  timezone: Europe/Paris")
    lines.insert(index + 1, "  colour: blue")
    config.write_text("\n".join(lines) + "\n")
    validator = validator_for_repo(tmp_path)
    assert validator is validate_config
    result = configure(ConfigureOptions(repo_dir=tmp_path, validator=validator))
    (finding,) = result.errors
    assert finding.code is FindingCode.CONFIG_INVALID
    assert finding.name == "cluster.colour"
    assert finding.location is not None
    assert (finding.location.file, finding.location.line) == ("bootstrap/config.yaml", index + 2)
    assert not result.written
    assert not (tmp_path / "kubernetes").exists()


def test_validator_for_repo_is_none_for_other_repositories(tmp_path: Path) -> None:
    assert validator_for_repo(tmp_path) is None
    (tmp_path / "makejinja.toml").write_text('[makejinja]\ninputs = ["t"]\noutput = "o"\n')
    assert validator_for_repo(tmp_path) is None


def test_a_config_that_is_not_a_mapping_is_one_finding() -> None:
    from homeops.scaffold import validate_config

    findings = validate_config([1, 2])  # type: ignore[arg-type]
    assert [(f.key_path, f.message) for f in findings] == [
        ((), "the configuration: must be a mapping, not a list")
    ]
