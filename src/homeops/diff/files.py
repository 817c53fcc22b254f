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

from homeops.flux.kinds import FluxKustomization, HelmRelease
from homeops.flux.repository import Repository
from homeops.kustomize.kustomization import KUSTOMIZATION_FILE_NAMES
from homeops.yaml.loader import load_file


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


def touched(changed: list[str], base_root: Path, head_root: Path) -> FilesResult:
    """The Kustomizations and HelmReleases of either side that ``changed`` (root-relative paths) touch."""
    result = FilesResult(changed)
    wanted = set(changed)
    for root in (head_root, base_root):
        repo = Repository.load(root)
        cm_files: dict[tuple[str, str, str], set[str]] = {}
        for e in repo.entries:
            if e.kind in ("ConfigMap", "Secret") and e.name:
                cm_files.setdefault((e.kind, e.namespace or "", e.name), set()).add(e.rel)
        hr_entries = [e for e in repo.entries if e.kind == "HelmRelease" and e.group == "helm.toolkit.fluxcd.io"]
        for entry in repo.entries:
            if entry.kind != "Kustomization" or entry.group != "kustomize.toolkit.fluxcd.io":
                continue
            ks = FluxKustomization.from_obj(entry.obj)
            ref = f"Kustomization/{ks.namespace}/{ks.name}"
            closure = _closure_of(root, ks.path)
            hits = {entry.rel} & wanted
            hits |= (closure.resources | closure.others) & wanted
            for sub in ks.substitute_from:
                hits |= cm_files.get((sub.kind, ks.namespace, sub.name), set()) & wanted
            if hits:
                _add(result.kustomizations, ref, hits)
            structural = (closure.others & wanted) | ({entry.rel} & wanted)
            for hr_entry in hr_entries:
                if hr_entry.rel not in closure.resources:
                    continue
                hr = HelmRelease.from_obj(hr_entry.obj)
                hr_hits = {hr_entry.rel} & wanted | structural
                for ref_v in hr.values_from:
                    hr_hits |= cm_files.get((ref_v.kind, hr.namespace, ref_v.name), set()) & wanted
                    hr_hits |= cm_files.get((ref_v.kind, "", ref_v.name), set()) & wanted & closure.resources
                if hr_hits:
                    _add(result.helmreleases, f"HelmRelease/{hr.namespace}/{hr.name}", hr_hits)
        for hr_entry in hr_entries:  # a HelmRelease file changed, whichever Kustomization holds it
            if hr_entry.rel in wanted:
                hr = HelmRelease.from_obj(hr_entry.obj)
                _add(result.helmreleases, f"HelmRelease/{hr.namespace}/{hr.name}", {hr_entry.rel})
    result.kustomizations = dict(sorted(result.kustomizations.items()))
    result.helmreleases = dict(sorted(result.helmreleases.items()))
    return result


def _add(table: dict[str, list[str]], ref: str, files: set[str]) -> None:
    table[ref] = sorted(set(table.get(ref, [])) | files)


def _closure_of(root: Path, path: str) -> _Closure:
    closure = _Closure()
    if not path or "${" in path:
        return closure
    start = (root / path).resolve()
    if not start.is_dir() or not start.is_relative_to(root):
        return closure
    _walk_dir(root, start, closure, set())
    return closure


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _walk_dir(root: Path, directory: Path, closure: _Closure, seen: set[Path]) -> None:
    if directory in seen:
        return
    seen.add(directory)
    kfile = next((directory / n for n in KUSTOMIZATION_FILE_NAMES if (directory / n).is_file()), None)
    if kfile is None:
        for dirpath, _, filenames in os.walk(directory):
            for name in filenames:
                if name.endswith((".yaml", ".yml", ".json")):
                    closure.resources.add(_rel(root, Path(dirpath) / name))
                else:
                    closure.others.add(_rel(root, Path(dirpath) / name))
        return
    closure.others.add(_rel(root, kfile))
    try:
        docs = load_file(kfile, _rel(root, kfile))
    except Exception:
        return
    doc = docs[0] if docs and isinstance(docs[0], dict) else {}
    for target, role in _references(doc):
        candidate = (directory / target).resolve()
        if not candidate.is_relative_to(root):
            continue
        if candidate.is_dir():
            _walk_dir(root, candidate, closure, seen)
        elif candidate.is_file():
            (closure.resources if role == "resource" else closure.others).add(_rel(root, candidate))


def _references(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, role) of every local file or directory a kustomization.yaml refers to."""
    out: list[tuple[str, str]] = []
    for key in ("resources", "bases", "components"):
        out.extend((str(v), "resource") for v in _seq(doc.get(key)) if isinstance(v, str) and "://" not in v)
    for key in ("patchesStrategicMerge", "transformers", "generators", "validators", "crds", "configurations"):
        out.extend((str(v), "other") for v in _seq(doc.get(key)) if isinstance(v, str) and "\n" not in v)
    for key in ("patches", "patchesJson6902", "replacements"):
        out.extend((str(v["path"]), "other") for v in _seq(doc.get(key)) if isinstance(v, dict) and "path" in v)
    for key in ("configMapGenerator", "secretGenerator"):
        for gen in _seq(doc.get(key)):
            if not isinstance(gen, dict):
                continue
            for f in _seq(gen.get("files")):
                if isinstance(f, str):
                    out.append((f.split("=", 1)[-1], "other"))
            for f in [*_seq(gen.get("envs")), gen.get("env")]:
                if isinstance(f, str):
                    out.append((f, "other"))
    for chart in _seq(doc.get("helmCharts")):
        if isinstance(chart, dict) and isinstance(chart.get("valuesFile"), str):
            out.append((chart["valuesFile"], "other"))
    return out


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
