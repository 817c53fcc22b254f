"""Finding the real Helm v4 binary and running it so that it never touches the network or the user's setup.

The binary is ``$HOMEOPS_HELM`` when set, else ``helm`` on ``PATH``; ``helm version --short`` must say v4.
Every run gets an environment of its own: ``HELM_CACHE_HOME``, ``HELM_CONFIG_HOME`` and ``HELM_DATA_HOME``
in a fresh temporary directory (no repositories, no registry credentials, no plugins), no kubeconfig, and
proxies that point nowhere, so even a schema ``$ref`` that slipped through cannot be fetched. Only local
chart directories are ever passed to it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from homeops.errors import HomeopsError

HELM_ENV = "HOMEOPS_HELM"
"""Environment variable naming the helm binary to use."""

_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(\S*)")
_TIMEOUT = 300.0
_KEEP = ("HOME", "TMPDIR", "LANG", "LC_ALL", "SYSTEMROOT")
_INSTALL_HINT = "install Helm v4 (`python scripts/install_helm.py` puts a pinned one in .venv/bin/helm)"


class HelmUnavailableError(HomeopsError):
    """No usable Helm v4 binary: not found, not executable, not v4, or it does not run."""


@dataclass(frozen=True, slots=True)
class HelmBinary:
    """A helm binary that answered ``helm version --short`` with a v4 version."""

    path: Path
    version: str  # as printed, e.g. "v4.1.4+g05fa379"

    @property
    def semver(self) -> tuple[int, int, int]:
        m = _VERSION.match(self.version)
        return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else (0, 0, 0)


def isolated_env(home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment helm runs with: private HELM_* homes under ``home``, no network, no kubeconfig."""
    source = os.environ if base is None else base
    env = {k: source[k] for k in _KEEP if k in source}
    env["PATH"] = os.defpath
    for name in ("CACHE", "CONFIG", "DATA"):
        path = home / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[f"HELM_{name}_HOME"] = str(path)
    env["HELM_REGISTRY_CONFIG"] = str(home / "registry.json")
    env["HELM_REPOSITORY_CONFIG"] = str(home / "repositories.yaml")
    env["HELM_REPOSITORY_CACHE"] = str(home / "repository")
    env["HELM_PLUGINS"] = str(home / "plugins")
    env["KUBECONFIG"] = str(home / "kubeconfig")  # absent: nothing to talk to
    env["HELM_KUBECONTEXT"] = ""
    # A discard address: any HTTP(S) request helm might still make fails at once instead of going out.
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[key] = "http://127.0.0.1:9"
    env["NO_PROXY"] = env["no_proxy"] = ""
    env["HELM_DEBUG"] = "false"
    return env


def _candidate(env: Mapping[str, str]) -> tuple[Path, str]:
    explicit = env.get(HELM_ENV, "").strip()
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise HelmUnavailableError(
                f"${HELM_ENV} is {explicit!r}, which is not a file", hint=_INSTALL_HINT
            )
        if not os.access(path, os.X_OK):
            raise HelmUnavailableError(f"${HELM_ENV} ({explicit}) is not executable", hint=_INSTALL_HINT)
        return path, f"${HELM_ENV} ({explicit})"
    found = shutil.which("helm", path=env.get("PATH", os.defpath))
    if found is not None:
        return Path(found), f"helm on PATH ({found})"
    beside = Path(sys.executable).parent / "helm"  # the pinned one `make` installs into the virtualenv
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside, f"helm beside homeops ({beside})"
    raise HelmUnavailableError(
        f"helm was not found: ${HELM_ENV} is not set, there is no `helm` on PATH nor in {beside.parent}",
        hint=_INSTALL_HINT,
    )


def find_helm(env: Mapping[str, str] | None = None, memo: Path | None = None) -> HelmBinary:
    """The helm binary to use (``$HOMEOPS_HELM``, else ``helm`` on PATH), checked to be Helm v4.

    With ``memo`` (a directory), the version found is remembered there by the binary's path, size and
    modification time, so later runs do not start helm just to ask it. Raises HelmUnavailableError naming
    what is missing.
    """
    source = os.environ if env is None else env
    path, what = _candidate(source)
    stamp = _stamp(path)
    memo_file = memo / "helm-versions.json" if memo is not None and stamp else None
    known = _read_memo(memo_file)
    if stamp and known.get(stamp):
        return HelmBinary(path=path.resolve(), version=known[stamp])
    found = _ask_version(path, what, source)
    if memo_file is not None:
        _write_memo(memo_file, {**known, stamp: found.version})
    return found


def _stamp(path: Path) -> str:
    try:
        st = path.resolve().stat()
    except OSError:
        return ""
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def _read_memo(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_memo(path: Path, data: dict[str, str]) -> None:
    """Best effort, atomic: a memo that cannot be written only costs a helm start next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        pass


def _ask_version(path: Path, what: str, source: Mapping[str, str]) -> HelmBinary:
    with tempfile.TemporaryDirectory(prefix="homeops-helm-") as tmp:
        try:
            proc = subprocess.run(
                [str(path), "version", "--short"],
                env=isolated_env(Path(tmp), source),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HelmUnavailableError(f"{what} cannot be run: {exc}", hint=_INSTALL_HINT) from None
    out = proc.stdout.strip()
    m = _VERSION.search(out)
    if proc.returncode != 0 or m is None:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise HelmUnavailableError(
            f"{what}: `helm version --short` failed: {detail[-1] if detail else f'exit {proc.returncode}'}",
            hint=_INSTALL_HINT,
        )
    if m.group(1) != "4":
        raise HelmUnavailableError(f"{what} is Helm {m.group(0)}; homeops needs Helm v4", hint=_INSTALL_HINT)
    return HelmBinary(path=path.resolve(), version=m.group(0))


@dataclass(frozen=True, slots=True)
class HelmRun:
    """What one helm invocation printed."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run_helm(helm: HelmBinary, args: Sequence[str], *, cwd: Path | None = None) -> HelmRun:
    """Run ``helm ARGS`` in an isolated environment (see module doc). Never raises for a non-zero exit."""
    with tempfile.TemporaryDirectory(prefix="homeops-helm-") as tmp:
        try:
            proc = subprocess.run(
                [str(helm.path), *args],
                env=isolated_env(Path(tmp)),
                capture_output=True,
                cwd=cwd or tmp,
                timeout=_TIMEOUT,
                check=False,
            )
        except OSError as exc:
            raise HelmUnavailableError(f"{helm.path} cannot be run: {exc}", hint=_INSTALL_HINT) from None
        except subprocess.TimeoutExpired:
            return HelmRun(tuple(args), -1, "", f"Error: helm did not finish within {_TIMEOUT:.0f}s")
    return HelmRun(
        tuple(args),
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


__all__ = [
    "HELM_ENV",
    "HelmBinary",
    "HelmRun",
    "HelmUnavailableError",
    "find_helm",
    "isolated_env",
    "run_helm",
]
