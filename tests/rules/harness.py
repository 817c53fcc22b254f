"""Small Flux repositories written into tmp_path, and the findings of one rule on them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import ModuleType

from homeops.findings import Finding
from homeops.flux.cluster import ClusterOptions, build_cluster
from homeops.rules.base import rule_from_module
from homeops.validate.config import ValidateConfig
from homeops.validate.context import ValidateContext

ROOT_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      TZ: Etc/UTC
"""

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: apps
"""


def write_repo(root: Path, files: dict[str, str], *, base: bool = True) -> Path:
    """A repository with a root Flux Kustomization building ``kubernetes/apps`` (and a Namespace ``apps``
    there) plus ``files`` (paths relative to the root, text dedented)."""
    all_files = (
        {"kubernetes/flux/ks.yaml": ROOT_KS, "kubernetes/apps/namespace.yaml": NAMESPACE} if base else {}
    )
    all_files.update(files)
    for rel, text in all_files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def context(root: Path, config: ValidateConfig | None = None) -> ValidateContext:
    """The validate context of a repository."""
    return ValidateContext(build_cluster(ClusterOptions(repo=root)), config or ValidateConfig())


def run(module: ModuleType, root: Path, config: ValidateConfig | None = None) -> list[Finding]:
    """The findings of one rule module on a repository (the module must be a valid rule)."""
    rule = rule_from_module(module)
    return list(rule.check(context(root, config)))


def where(findings: list[Finding]) -> list[tuple[str, str, int]]:
    """(code, file, line) of each finding, sorted."""
    return sorted((f.code, f.file, f.line) for f in findings)


def head(api_version: str, kind: str, name: str, namespace: str = "apps") -> str:
    """The first five lines of an object: apiVersion, kind, metadata name and namespace."""
    return f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
