"""Every YAML file of an app folder is listed in its kustomization.yaml, and every listed resource exists.

Why:
    When a directory has a ``kustomization.yaml``, kustomize builds only what it lists: a ``helmrelease.yaml``
    added next to it but left out of ``resources:`` is silently never applied. A file counts as listed when
    it is a resource, lies in a listed directory, or is used as a patch, generator, component, configuration
    or replacement source. Files in a sub-directory with its own kustomization file belong to that one, and
    files holding no Kubernetes object (values files for other tools) or named as templates (``*.tmpl.yaml``,
    ``templates/``) are not reported, nor files whose entry is commented out in the kustomization file
    (``# - ./grafana.yaml``: disabled on purpose). Only directories a Flux Kustomization's build reaches are
    checked. A listed resource that does not exist fails the build.

Bad:
    # app/ holds helmrelease.yaml, ocirepository.yaml and this kustomization.yaml
    resources:
      - ./ocirepository.yaml

Good:
    resources:
      - ./ocirepository.yaml
      - ./helmrelease.yaml
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from homeops.errors import HomeopsError
from homeops.findings import Finding, Severity
from homeops.kustomize.files import is_remote, path_problem
from homeops.kustomize.kustomization import KUSTOMIZATION_FILE_NAMES
from homeops.rules.base import finding
from homeops.rules.validate._common import as_map, as_seq, item_pos, key_pos
from homeops.validate.context import ValidateContext
from homeops.yaml.loader import load_file
from homeops.yaml.nodes import Pos, YMap

CODE = "HO101"
NAME = "kustomization-lists-all-files"
SEVERITY = Severity.WARNING
KIND = "validate"

_RESOURCE_FIELDS = ("resources", "bases", "components")
_FILE_LIST_FIELDS = ("crds", "configurations", "generators", "transformers", "validators")
_PATH_ITEM_FIELDS = ("patches", "patchesJson6902", "replacements")


@dataclass
class _Walk:
    """What the builds reach: kustomization directories, files and directories they use, missing refs."""

    root: Path
    kdirs: dict[Path, Path] = field(default_factory=dict)  # directory -> its kustomization file
    files: set[Path] = field(default_factory=set)
    dirs: set[Path] = field(default_factory=set)
    missing: list[tuple[str, Pos | None, Path]] = field(default_factory=list)
    _has_k: dict[Path, Path | None] = field(default_factory=dict)

    def kfile(self, d: Path) -> Path | None:
        if d not in self._has_k:
            found = [d / n for n in KUSTOMIZATION_FILE_NAMES if (d / n).is_file()]
            self._has_k[d] = found[0] if found else None
        return self._has_k[d]

    def visit(self, d: Path) -> None:
        """Record a kustomization directory and everything it references, recursively."""
        if d in self.kdirs or not d.is_relative_to(self.root):
            return
        kfile = self.kfile(d)
        if kfile is None:
            return
        self.kdirs[d] = kfile
        try:
            docs = [x for x in load_file(kfile, kfile.relative_to(self.root).as_posix()) if x is not None]
        except HomeopsError:
            return
        data = docs[0] if docs and isinstance(docs[0], YMap) else YMap()
        for ref, pos, name in _references(data):
            self.use(d, ref, pos, resource=name in _RESOURCE_FIELDS)

    def use(self, base: Path, ref: str, pos: Pos | None, *, resource: bool) -> None:
        if not ref or is_remote(ref) or "${" in ref or "\n" in ref or path_problem(ref) is not None:
            return  # a path the build cannot use is build-succeeds' finding
        target = Path(os.path.normpath(base / ref))
        if target.is_dir():
            if self.kfile(target) is not None:
                self.visit(target)
            else:
                self.dirs.add(target)
        elif target.is_file():
            self.files.add(target)
        elif resource:
            self.missing.append((ref, pos, base))

    def generated(self, d: Path) -> None:
        """A Flux path without a kustomization file: Flux lists every YAML file and kustomization below."""
        for sub, names, _ in os.walk(d):
            here = Path(sub)
            if here != d and self.kfile(here) is not None:
                self.visit(here)
                names[:] = []
                continue
            self.dirs.add(here)

    def owner(self, file: Path) -> Path | None:
        """The nearest directory above ``file`` (inside the root) with a kustomization file."""
        for d in file.parents:
            if not d.is_relative_to(self.root):
                return None
            if self.kfile(d) is not None:
                return d
        return None

    def covered(self, file: Path, owner: Path) -> bool:
        if file in self.files or file == self.kdirs.get(owner):
            return True
        for d in file.parents:
            if d in self.dirs:
                return True
            if d == owner:
                return False
        return False


def _strings(data: YMap, key: str) -> Iterator[tuple[str, Pos | None]]:
    seq = data.get(key)
    for i, item in enumerate(as_seq(seq)):
        if isinstance(item, str):
            yield item, item_pos(seq, i)


def _references(data: YMap) -> Iterator[tuple[str, Pos | None, str]]:
    """Every path a kustomization uses, where it is written, and the field holding it."""
    for name in (*_RESOURCE_FIELDS, *_FILE_LIST_FIELDS, "patchesStrategicMerge"):
        for ref, pos in _strings(data, name):
            yield ref, pos, name
    for name in _PATH_ITEM_FIELDS:
        seq = data.get(name)
        for i, item in enumerate(as_seq(seq)):
            path = as_map(item).get("path")
            if isinstance(path, str):
                yield path, item_pos(seq, i), name
    for name in ("configMapGenerator", "secretGenerator"):
        for gen in as_seq(data.get(name)):
            gen = as_map(gen)
            for ref, pos in [*_strings(gen, "files"), *_strings(gen, "envs")]:
                yield ref.split("=", 1)[-1], pos, name
            if isinstance(gen.get("env"), str):
                yield gen["env"], key_pos(gen, "env"), name
    for chart in as_seq(data.get("helmCharts")):
        values_file = as_map(chart).get("valuesFile")
        if isinstance(values_file, str):
            yield values_file, key_pos(chart, "valuesFile"), "helmCharts"
    openapi_path = as_map(data.get("openapi")).get("path")
    if isinstance(openapi_path, str):
        yield openapi_path, key_pos(data.get("openapi"), "path"), "openapi"


def _walk(ctx: ValidateContext) -> _Walk:
    walk = _Walk(ctx.root)
    for node in ctx.cluster.nodes:
        if node.status not in ("ok", "failed") or not node.path or path_problem(node.path) is not None:
            continue
        kdir = Path(os.path.normpath(ctx.root / node.path))
        if not kdir.is_dir() or not kdir.is_relative_to(ctx.root):
            continue
        if walk.kfile(kdir) is not None:
            walk.visit(kdir)
        else:
            walk.generated(kdir)
        for comp in node.ks.components:
            walk.use(kdir, comp, None, resource=False)
    return walk


def _commented_out(kfile: Path, listed: str) -> bool:
    """Whether the kustomization file mentions ``listed`` in a comment (``# - ./grafana.yaml``): the file
    was disabled on purpose."""
    try:
        text = kfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for raw in text.splitlines():
        comment = raw.partition("#")[2]
        if comment and listed in comment:
            return True
    return False


_TEMPLATE_MARKS = (".tmpl", ".template", ".j2")


def _has_objects(ctx: ValidateContext, rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    if any(m in name for m in _TEMPLATE_MARKS) or "/templates/" in f"/{rel}":
        return False
    return any(e.kind and e.api_version for e in ctx.repo.in_file(rel))


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Unlisted YAML files of reached kustomization directories, and listed resources that do not exist."""
    module = sys.modules[__name__]
    walk = _walk(ctx)
    for ref, pos, base in walk.missing:
        kfile = ctx.rel(str(walk.kdirs[base]))
        file, line, column = ctx.where(pos)
        yield finding(
            module,
            f"{kfile} lists {ref!r}, which does not exist",
            file=file or kfile,
            line=line,
            column=column,
            severity=Severity.ERROR,
            hint="fix the path, or remove the entry",
        )
    # a Kustomization nothing applies is HO005's finding: its file and the files under its path are not
    # reported again here
    skip_files = {na.defined_at.file for na in ctx.cluster.not_applied}
    skip_dirs = [
        os.path.normpath(na.ks.path.strip().removeprefix("./")) + "/"
        for na in ctx.cluster.not_applied
        if na.ks.path.strip() and "${" not in na.ks.path and os.path.normpath(na.ks.path.strip()) != "."
    ]
    for path in ctx.repo.files:
        owner = walk.owner(path)
        if owner is None or owner not in walk.kdirs or walk.covered(path, owner):
            continue
        rel = ctx.rel(str(path))
        if rel in skip_files or any(rel.startswith(d) for d in skip_dirs):
            continue
        if not _has_objects(ctx, rel):
            continue
        listed = os.path.relpath(path, owner)
        if _commented_out(walk.kdirs[owner], listed):
            continue
        kfile = ctx.rel(str(walk.kdirs[owner]))
        yield finding(
            module,
            f"{rel} is not listed in {kfile}: its objects are never applied",
            file=rel,
            line=1,
            column=1,
            hint=f"add ./{listed} to resources: in {kfile}, or delete the file",
        )
