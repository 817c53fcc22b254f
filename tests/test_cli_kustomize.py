"""The fixed CLI interface of `homeops kustomize`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  key: value\n"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from homeops.cli.main import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    for name in ("one", "two"):
        d = tmp_path / name
        d.mkdir()
        (d / "kustomization.yaml").write_text("resources:\n  - cm.yaml\n")
        (d / "cm.yaml").write_text(CM.format(name=name))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "kustomization.yaml").write_text("resources:\n  - nothere.yaml\n")
    return tmp_path


def test_single_dir_prints_yaml(repo: Path) -> None:
    proc = run(["kustomize", "one"], repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "apiVersion: v1\ndata:\n  key: value\nkind: ConfigMap\nmetadata:\n  name: one\n"
    assert proc.stderr == ""


def test_single_dir_error_goes_to_stderr_with_exit_1(repo: Path) -> None:
    proc = run(["kustomize", "bad"], repo)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "bad/kustomization.yaml:2:5" in proc.stderr
    assert "nothere.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_output_dir_numbers_each_dir_and_keeps_going(repo: Path) -> None:
    out = repo / "out"
    proc = run(["kustomize", "one", "bad", "two", "--output-dir", str(out)], repo)
    assert proc.returncode == 1
    assert sorted(p.name for p in out.iterdir()) == ["1.yaml", "2.err", "3.yaml"]
    assert "name: one" in (out / "1.yaml").read_text()
    assert "nothere.yaml" in (out / "2.err").read_text()
    assert "name: two" in (out / "3.yaml").read_text()


def test_output_dir_all_ok_exits_0(repo: Path) -> None:
    out = repo / "out"
    proc = run(["kustomize", "one", "two", "--output-dir", str(out)], repo)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["1.yaml", "2.yaml"]


def test_version_and_help(repo: Path) -> None:
    version = run(["--version"], repo)
    assert version.returncode == 0 and "homeops" in version.stdout
    helptext = run(["kustomize", "--help"], repo)
    assert helptext.returncode == 0 and "--output-dir" in helptext.stdout


def test_usage_error_exit_2(repo: Path) -> None:
    proc = run(["kustomize"], repo)
    assert proc.returncode == 2
