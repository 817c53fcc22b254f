"""HO107: every used variable is documented in TEMPLATE_GUIDE.md."""

from __future__ import annotations

from pathlib import Path

from homeops.rules.validate import variable_documented as rule
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/cm.yaml"
CM = head("v1", "ConfigMap", "c", "apps") + "data:\n  TZ: ${TZ}\n  B: ${TZ}\n"


def test_undocumented_variable_at_its_first_use(tmp_path: Path) -> None:
    files = {F: CM, "TEMPLATE_GUIDE.md": "# Guide\n\n`${TIMEZONE_X}` is something else.\n"}
    assert where(run(rule, write_repo(tmp_path, files))) == [("HO107", F, 7)]


def test_documented_variable(tmp_path: Path) -> None:
    files = {F: CM, "TEMPLATE_GUIDE.md": "| `${TZ}` | ConfigMap | the time zone |\n"}
    assert run(rule, write_repo(tmp_path, files)) == []


def test_no_guide_no_check(tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, {F: CM})) == []
