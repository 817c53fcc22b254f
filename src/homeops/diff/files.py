"""``homeops diff --files``: which Flux Kustomizations and HelmReleases the changed files touch, without
building anything (the cheap CI pre-check).

A Flux Kustomization is touched when the file defining it changes, when a file of its source closure changes
(its ``spec.path`` directory: the kustomization.yaml files, resources, components, patches and generator
inputs they reach; every file under the directory when it has no kustomization.yaml), or when a ConfigMap or
Secret it substitutes from is in a changed file. A HelmRelease is touched when its own file changes, when its
Kustomization is touched by a file that is not a plain resource (a kustomization.yaml, a patch, a generator
input such as values.yaml), or when a ConfigMap or Secret it takes values from is in a changed file.
Both sides are read, so that a removed file or Kustomization counts too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.errors import HomeopsError
from homeops.flux.kinds import FluxKustomization, HelmRelease
from homeops.flux.repository import Repository
from homeops.kustomize.kustomization import KUSTOMIZATION_FILE_NAMES
from homeops.yaml.loader import load_file
from homeops.yaml.nodes import as_seq

_HELM = "helm.toolkit.fluxcd.io"
_KS = "kustomize.toolkit.fluxcd.io"
_PLAIN_REFS = ("patchesStrategicMerge", "transformers", "generators", "validators", "crds", "configurations")


@dataclass
class FilesResult:
    """Changed files and, for each touched Kustomization or HelmRelease, the files that touch it."""

    changed: list[str]
    kustomizations: dict[str, list[str]] = field(default_factory=dict)
    helmreleases: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.changed,
            "kustomizations": [{"object": k, "files": v} for k, v in self.kustomizations.items()],
            "helmreleases": [{"object": k, "files": v} for k, v in self.helmreleases.items()],
        }


@dataclass
class _Closure:
    resources: set[str] = field(default_factory=set)  # files holding objects applied as they are
    others: set[str] = field(default_factory=set)  # kustomization files, patches, generator inputs
    namespaces: dict[str, str] = field(default_factory=dict)  # resource file -> namespace kustomize sets


def touched(changed: list[str], base_root: Path, head_root: Path) -> FilesResult:
    """The Kustomizations and HelmReleases of either side that ``changed`` (root-relative paths) touch."""
    result = FilesResult(changed)
    wanted = set(changed)
    for root in (head_root, base_root):
        _touched_side(root, wanted, result)
    result.kustomizations = dict(sorted(result.kustomizations.items()))
    result.helmreleases = dict(sorted(result.helmreleases.items()))
    return result


def _touched_side(root: Path, wanted: set[str], result: FilesResult) -> None:
    repo = Repository.load(root)
    cm_files: dict[tuple[str, str, str], set[str]] = {}
    hr_entries = [e for e in repo.entries if e.kind == "HelmRelease" and e.group == _HELM]
    ks_entries = [e for e in repo.entries if e.kind == "Kustomization" and e.group == _KS]
    closures = []
    file_ns: dict[str, str] = {}
    for entry in ks_entries:
        ks = FluxKustomization.from_obj(entry.obj)
        closure = _closure_of(root, ks.path, ks.target_namespace or "")
        closures.append((entry, ks, closure))
        for rel, ns in closure.namespaces.items():
            file_ns.setdefault(rel, ns)
    for e in repo.entries:
        if e.kind in ("ConfigMap", "Secret") and e.name:
            ns = file_ns.get(e.rel) or e.namespace or ""
            cm_files.setdefault((e.kind, ns, e.name), set()).add(e.rel)
    named: set[str] = set()
    for entry, ks, closure in closures:
        ks_ns = file_ns.get(entry.rel) or ks.namespace
        hits = {entry.rel} & wanted
        hits |= (closure.resources | closure.others) & wanted
        for sub in ks.substitute_from:
            hits |= cm_files.get((sub.kind, ks_ns, sub.name), set()) & wanted
        if hits:
            _add(result.kustomizations, f"Kustomization/{ks_ns}/{ks.name}", hits)
        structural = (closure.others & wanted) | ({entry.rel} & wanted)
        for hr_entry in hr_entries:
            if hr_entry.rel not in closure.resources:
                continue
            hr = HelmRelease.from_obj(hr_entry.obj)
            ns = file_ns.get(hr_entry.rel) or hr.namespace
            hr_hits = {hr_entry.rel} & wanted | structural
            for ref_v in hr.values_from:
                hr_hits |= cm_files.get((ref_v.kind, ns, ref_v.name), set()) & wanted
            if hr_hits:
                _add(result.helmreleases, f"HelmRelease/{ns}/{hr.name}", hr_hits)
                named.add(hr_entry.rel)
    for hr_entry in hr_entries:  # a HelmRelease file changed outside any Kustomization's closure
        if hr_entry.rel in wanted and hr_entry.rel not in named:
            hr = HelmRelease.from_obj(hr_entry.obj)
            _add(result.helmreleases, f"HelmRelease/{hr.namespace}/{hr.name}", {hr_entry.rel})


def _add(table: dict[str, list[str]], ref: str, files: set[str]) -> None:
    table[ref] = sorted(set(table.get(ref, [])) | files)


def _closure_of(root: Path, path: str, namespace: str) -> _Closure:
    closure = _Closure()
    if not path or "${" in path:
        return closure
    start = (root / path).resolve()
    if not start.is_dir() or not start.is_relative_to(root):
        return closure
    _walk_dir(root, start, closure, set(), namespace)
    return closure


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _walk_dir(root: Path, directory: Path, closure: _Closure, seen: set[Path], outer_ns: str) -> None:
    if directory in seen:
        return
    seen.add(directory)
    kfile = next((directory / n for n in KUSTOMIZATION_FILE_NAMES if (directory / n).is_file()), None)
    if kfile is None:  # Flux generates one: yaml files, and directories that have their own
        for dirpath, dirnames, filenames in os.walk(directory):
            for sub in list(dirnames):
                if any((Path(dirpath) / sub / n).is_file() for n in KUSTOMIZATION_FILE_NAMES):
                    dirnames.remove(sub)
                    _walk_dir(root, Path(dirpath) / sub, closure, seen, outer_ns)
            for name in filenames:
                if name.endswith((".yaml", ".yml", ".json")):
                    rel = _rel(root, Path(dirpath) / name)
                    closure.resources.add(rel)
                    if outer_ns:
                        closure.namespaces[rel] = outer_ns
                else:
                    closure.others.add(_rel(root, Path(dirpath) / name))
        return
    closure.others.add(_rel(root, kfile))
    try:
        docs = load_file(kfile, _rel(root, kfile))
    except HomeopsError:  # an unreadable file touches nothing more
        return
    doc = docs[0] if docs and isinstance(docs[0], dict) else {}
    own_ns = doc.get("namespace")
    ns = outer_ns or (own_ns if isinstance(own_ns, str) else "")
    for target, role in _references(doc):
        candidate = (directory / target).resolve()
        if not candidate.is_relative_to(root):
            continue
        if candidate.is_dir():
            _walk_dir(root, candidate, closure, seen, ns)
        elif candidate.is_file():
            rel = _rel(root, candidate)
            (closure.resources if role == "resource" else closure.others).add(rel)
            if role == "resource" and ns:
                closure.namespaces[rel] = ns


def _references(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, role) of every local file or directory a kustomization.yaml refers to."""
    out: list[tuple[str, str]] = []
    for key in ("resources", "bases", "components"):
        out.extend(
            (str(v), "resource") for v in as_seq(doc.get(key)) if isinstance(v, str) and "://" not in v
        )
    for key in _PLAIN_REFS:
        out.extend((str(v), "other") for v in as_seq(doc.get(key)) if isinstance(v, str) and "\n" not in v)
    for key in ("patches", "patchesJson6902", "replacements"):
        items = as_seq(doc.get(key))
        out.extend((str(v["path"]), "other") for v in items if isinstance(v, dict) and "path" in v)
    for key in ("configMapGenerator", "secretGenerator"):
        for gen in as_seq(doc.get(key)):
            if not isinstance(gen, dict):
                continue
            for f in as_seq(gen.get("files")):
                if isinstance(f, str):
                    out.append((f.split("=", 1)[-1], "other"))
            for f in [*as_seq(gen.get("envs")), gen.get("env")]:
                if isinstance(f, str):
                    out.append((f, "other"))
    for chart in as_seq(doc.get("helmCharts")):
        if isinstance(chart, dict) and isinstance(chart.get("valuesFile"), str):
            out.append((chart["valuesFile"], "other"))
    return out
