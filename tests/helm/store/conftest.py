"""Fixtures on 127.0.0.1: Debian's docker-registry and a plain HTTP chart repository (http.server)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from tests.helm.store.helpers import free_port

REGISTRY_BIN = "/usr/bin/docker-registry"


@dataclass(frozen=True)
class Endpoint:
    host: str  # 127.0.0.1:port
    root: Path  # storage (registry) or served directory (HTTP repository)

    @property
    def url(self) -> str:
        return f"http://{self.host}"


def _wait(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            pytest.fail(f"{what} exited early: {err[-2000:]}")
        try:
            if httpx2.get(url, timeout=1, trust_env=False).status_code < 500:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.05)
    pytest.fail(f"{what} did not start on {url}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's Docker/Helm credentials or writes the user's cache."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker"))
    monkeypatch.setenv("HELM_REGISTRY_CONFIG", str(tmp_path / "no-helm-registry.json"))
    monkeypatch.setenv("HELM_REPOSITORY_CONFIG", str(tmp_path / "no-repositories.yaml"))
    monkeypatch.setenv("HOMEOPS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Endpoint]:
    """A real OCI registry (Debian's docker-registry) on 127.0.0.1:<free port>, storage in tmp_path."""
    binary = shutil.which("docker-registry") or (REGISTRY_BIN if Path(REGISTRY_BIN).exists() else None)
    if binary is None:
        pytest.skip("docker-registry is not installed (apt-get install -y docker-registry)")
    port = free_port()
    storage = tmp_path / "registry"
    storage.mkdir()
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path
    )
    try:
        _wait(f"http://127.0.0.1:{port}/v2/", proc, "docker-registry")
        yield Endpoint(f"127.0.0.1:{port}", storage)
    finally:
        _stop(proc)


@pytest.fixture
def http_repo(tmp_path: Path) -> Iterator[Endpoint]:
    """``python -m http.server --bind 127.0.0.1`` over tmp_path/repo (fill it with index.yaml and charts)."""
    root = tmp_path / "repo"
    root.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/", proc, "http.server")
        yield Endpoint(f"127.0.0.1:{port}", root)
    finally:
        _stop(proc)
