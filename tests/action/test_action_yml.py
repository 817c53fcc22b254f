"""action.yml holds together: scripts it runs exist, inputs it uses are declared, actions are pinned, no
expression is spliced into a shell script, and the bundled template's workflow uses this very version."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import yaml
from homeops import __version__

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
TEMPLATE_WORKFLOW = ROOT / "src/homeops/scaffold/template/dot-github/workflows/homeops.yaml"
ACTION_PATH_REF = re.compile(
    r"(?:\$GITHUB_ACTION_PATH|\$\{GITHUB_ACTION_PATH\}|\$\{\{\s*github\.action_path\s*\}\})/([\w./-]+)"
)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return load(ACTION)


def steps(action: dict[str, Any]) -> list[dict[str, Any]]:
    assert action["runs"]["using"] == "composite"
    found = action["runs"]["steps"]
    assert isinstance(found, list) and found
    return found


def test_every_script_a_step_runs_exists(action: dict[str, Any]) -> None:
    referenced = [m.group(1) for s in steps(action) for m in ACTION_PATH_REF.finditer(str(s.get("run", "")))]
    assert "action/comment.py" in referenced
    for rel in referenced:
        assert (ROOT / rel).is_file(), f"action.yml runs {rel}, which is not in the repository"


def test_the_checker_sees_a_missing_script() -> None:
    run = 'python "$GITHUB_ACTION_PATH/action/nope.py" x'
    (rel,) = [m.group(1) for m in ACTION_PATH_REF.finditer(run)]
    assert not (ROOT / rel).exists()


def test_inputs_used_are_declared_and_declared_inputs_are_used(action: dict[str, Any]) -> None:
    declared = set(action["inputs"])
    text = ACTION.read_text()
    used = set(re.findall(r"\binputs\.([A-Za-z0-9_-]+)", text))
    assert used - declared == set()
    assert declared - used == set()
    assert {"version", "python-version", "args", "comment-diff", "github-token"} <= declared
    for name, spec in action["inputs"].items():
        assert spec.get("description"), f"input {name} has no description"


def test_step_ids_referenced_exist_and_composite_run_steps_have_a_shell(action: dict[str, Any]) -> None:
    ids = {s["id"] for s in steps(action) if "id" in s}
    assert set(re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.", ACTION.read_text())) <= ids
    for step in steps(action):
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", f"{step.get('name')}: composite run steps need a shell"


def test_actions_are_pinned_and_no_expression_is_spliced_into_a_script(action: dict[str, Any]) -> None:
    uses = [s["uses"] for s in steps(action) if "uses" in s]
    assert "github/codeql-action/upload-sarif@v4" in uses
    assert any(u.startswith("actions/setup-python@") for u in uses)
    for ref in uses:
        assert PINNED.match(ref), f"{ref} is not pinned to a major version or a commit"
    for step in steps(action):
        assert "${{" not in str(step.get("run", "")), f"{step.get('name')}: pass expressions through env"


def test_the_default_version_is_the_project_version(action: dict[str, Any]) -> None:
    assert action["inputs"]["version"]["default"] == __version__
    install = next(s for s in steps(action) if "pip install" in str(s.get("run", "")))
    assert '"homeops==$HOMEOPS_VERSION"' in install["run"] and '"$GITHUB_ACTION_PATH"' in install["run"]


def test_validate_output_is_uploaded_and_the_comment_step_runs_on_pull_requests(
    action: dict[str, Any],
) -> None:
    by_id = {s.get("id"): s for s in steps(action)}
    assert "homeops validate -o sarif" in by_id["validate"]["run"]
    assert "> homeops.sarif" in by_id["validate"]["run"]
    upload = next(s for s in steps(action) if str(s.get("uses", "")).startswith("github/codeql-action/"))
    assert upload["with"]["sarif_file"] == "homeops.sarif"
    assert "pull_request" in by_id["diff"]["if"]
    assert "homeops diff -o markdown --base" in by_id["diff"]["run"]
    assert "comment.py" in by_id["comment"]["run"]
    assert by_id["comment"]["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"


def uses_of_homeops(workflow: dict[str, Any]) -> list[str]:
    return [
        step["uses"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).split("@")[0].endswith("/homeops")
    ]


def test_the_template_workflow_uses_this_action_at_this_version() -> None:
    workflow = load(TEMPLATE_WORKFLOW)
    (ref,) = uses_of_homeops(workflow)
    assert ref.endswith(f"/homeops@v{__version__}")
    text = TEMPLATE_WORKFLOW.read_text()
    assert "pip install" not in text
    assert "fetch-depth: 0" in text  # diff --base needs the base commit
    permissions = workflow["permissions"]
    assert permissions["pull-requests"] == "write" and permissions["security-events"] == "write"
    # the README documents the same reference
    assert f"uses: {ref}" in (ROOT / "README.md").read_text()
