"""The validate engine: one run reports everything; config, suppression and every report format."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from homeops.errors import UsageError
from homeops.validate.config import load_config
from homeops.validate.engine import ValidateOptions, ValidateResult, validate
from homeops.validate.report import render

GRAPH_RULES = ("HO201", "HO202")


def codes(result: ValidateResult) -> list[tuple[str, str, int]]:
    return [(f.code, f.file, f.line) for f in result.findings]


def test_missing_dependency_is_reported_at_its_line(chain_repo: Path) -> None:
    result = validate(ValidateOptions(repo=chain_repo, select=GRAPH_RULES))
    assert codes(result) == [("HO201", "kubernetes/apps/broken/ks.yaml", 14)]
    f = result.findings[0]
    assert f.object == "Kustomization/flux-system/broken"
    assert "nothere" in f.message
    assert result.errors == 1


def test_json_shape_is_fixed(chain_repo: Path) -> None:
    result = validate(ValidateOptions(repo=chain_repo, select=GRAPH_RULES))
    data = json.loads(render(result, "json"))
    assert set(data) == {"findings", "summary"}
    assert set(data["findings"][0]) == {
        "code",
        "rule",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "object",
        "field",
        "hint",
    }
    assert data["findings"][0]["rule"] == "depends-on-exists"
    assert data["summary"]["errors"] == 1


def test_inline_suppression(chain_repo: Path) -> None:
    ks = chain_repo / "kubernetes/apps/broken/ks.yaml"
    ks.write_text(
        ks.read_text().replace("    - name: nothere\n", "    - name: nothere # homeops: ignore[HO201]\n")
    )
    result = validate(ValidateOptions(repo=chain_repo, select=GRAPH_RULES))
    assert result.findings == []
    assert result.summary()["suppressed"] == 1


def test_config_severity_and_ignore_globs(chain_repo: Path) -> None:
    (chain_repo / ".homeops.yaml").write_text("rules:\n  severity:\n    HO201: warning\n")
    result = validate(ValidateOptions(repo=chain_repo, select=GRAPH_RULES))
    assert [f.severity.value for f in result.findings] == ["warning"]
    assert result.errors == 0
    (chain_repo / ".homeops.yaml").write_text("ignore:\n  - kubernetes/apps/broken/*\n")
    assert validate(ValidateOptions(repo=chain_repo, select=GRAPH_RULES)).findings == []


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("rule:\n  select: []\n", "unknown key 'rule'", 1),
        ("rules:\n  pick: []\n", "unknown key 'rules.pick'", 2),
        ("rules:\n  severity:\n    HO201: fatal\n", "must be error, warning or info", 3),
        ("allowNetwork: maybe\n", "allowNetwork must be true or false", 1),
    ],
)
def test_config_is_strict(tmp_path: Path, text: str, message: str, line: int) -> None:
    (tmp_path / ".homeops.yaml").write_text(text)
    with pytest.raises(UsageError) as info:
        load_config(tmp_path)
    assert message in info.value.message
    assert info.value.location is not None and info.value.location.line == line


def test_github_sarif_junit(chain_repo: Path) -> None:
    result = validate(ValidateOptions(repo=chain_repo, select=GRAPH_RULES))
    gh = render(result, "github")
    assert gh.startswith(
        "::error file=kubernetes/apps/broken/ks.yaml,line=14,col=7,title=HO201 depends-on-exists::"
    )
    sarif = json.loads(render(result, "sarif"))
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    assert run["results"][0]["ruleId"] == "HO201"
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 14
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"HO201", "HO202"}
    junit = ET.fromstring(render(result, "junit"))
    assert junit.attrib["failures"] == "1"
    text = render(result, "text")
    assert "kubernetes/apps/broken/ks.yaml:14:7: error HO201" in text


def test_cli_exit_codes_and_github_autoselect(chain_repo: Path) -> None:
    def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        import os

        return subprocess.run(
            [sys.executable, "-c", "from homeops.cli.main import main; main()", *args],
            capture_output=True, text=True, cwd=chain_repo, env={**os.environ, **(env or {})}, check=False,
        )  # fmt: skip

    bad = run(["validate", "--select", "HO201"], {"GITHUB_ACTIONS": "true"})
    assert bad.returncode == 1
    assert bad.stdout.startswith("::error file=kubernetes/apps/broken/ks.yaml,line=14")
    (chain_repo / "kubernetes/apps/broken/ks.yaml").unlink()
    apps = chain_repo / "kubernetes/apps/kustomization.yaml"
    apps.write_text(apps.read_text().replace("  - ./broken/ks.yaml\n", ""))
    ok = run(["validate", "--select", "HO201", "-o", "json"], {"GITHUB_ACTIONS": ""})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["findings"] == []
    usage = run(["validate", "--select", "HO999"])
    assert usage.returncode == 2
    rules = run(["rules", "HO201"])
    assert (
        rules.returncode == 0
        and "Why:" in rules.stdout
        and "Bad:" in rules.stdout
        and "Good:" in rules.stdout
    )
