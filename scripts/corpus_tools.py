"""Shared helpers for the corpus scripts (conformance, benchmark): find dirs, run the oracle."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def corpus_repos(corpus: Path) -> list[Path]:
    """Every repository folder of the corpus, sorted."""
    return sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))


def kustomization_dirs(repo: Path) -> list[Path]:
    """Every directory of ``repo`` that holds a kustomization file, sorted."""
    found: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if any(name in filenames for name in KUSTOMIZATION_NAMES):
            found.add(Path(dirpath))
    return sorted(found)


def oracle_dir(shared: Path) -> Path:
    """Install (once) and locate the real kubectl through shared/tools/oracle-bin."""
    out = subprocess.run(
        ["bash", str(shared / "tools" / "oracle-bin")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def kubectl_build(kubectl: Path, kdir: Path) -> tuple[bool, str]:
    """(ok, stdout or stderr) of ``kubectl kustomize kdir --load-restrictor=LoadRestrictionsNone``."""
    proc = subprocess.run(
        [str(kubectl), "kustomize", str(kdir), "--load-restrictor=LoadRestrictionsNone"],
        capture_output=True,
        text=True,
        check=False,
    )
    return (proc.returncode == 0, proc.stdout if proc.returncode == 0 else proc.stderr)


def iter_chunks(items: list[Path], size: int) -> Iterator[list[Path]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
