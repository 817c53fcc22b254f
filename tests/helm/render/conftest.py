"""Fixtures of the renderer tests: the real Helm v4 (skip when none), charts, HelmRelease objects."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from homeops.helm.render import HelmBinary, HelmUnavailableError, find_helm
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap

REPO = Path(__file__).resolve().parents[3]
CHARTS = REPO / "tests" / "fixtures" / "helm"
ORACLE_BIN = REPO.parent / "shared" / "tools" / "oracle-bin"


def _oracle_helm() -> Path | None:
    venv = REPO / ".venv" / "bin" / "helm"
    if venv.is_file():
        return venv
    if ORACLE_BIN.is_file():
        try:
            out = subprocess.run([str(ORACLE_BIN)], capture_output=True, text=True, check=True, timeout=600)
        except (OSError, subprocess.SubprocessError):
            return None
        path = Path(out.stdout.strip()) / "helm"
        return path if path.is_file() else None
    found = shutil.which("helm")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def helm_binary() -> HelmBinary:
    """A Helm v4 binary: .venv/bin/helm (scripts/install_helm.py), the oracle's, or helm on PATH."""
    path = os.environ.get("HOMEOPS_HELM") or _oracle_helm()
    if not path:
        pytest.skip("no Helm v4: run `python scripts/install_helm.py` or provide ../shared/tools/oracle-bin")
    try:
        return find_helm({"HOMEOPS_HELM": str(path), "PATH": os.defpath})
    except HelmUnavailableError as exc:
        pytest.skip(f"no usable Helm v4: {exc}")


@pytest.fixture
def chart_copy(tmp_path: Path):
    """Copy a fixture chart into tmp_path (so a test may change it)."""

    def copy(name: str) -> Path:
        dest = tmp_path / "charts" / name
        shutil.copytree(CHARTS / name, dest)
        return dest

    return copy


def hr_obj(tmp_path: Path, text: str, name: str = "hr.yaml") -> YMap:
    """A HelmRelease written to a file (so it has positions) and loaded."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (doc,) = [d for d in load_documents(path.read_bytes(), str(path)) if d is not None]
    assert isinstance(doc, YMap)
    return doc
