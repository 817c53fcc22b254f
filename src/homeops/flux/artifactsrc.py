"""ExternalArtifacts built from this repository: a Kustomization with ``sourceRef.kind: ExternalArtifact``
reads the artifact an ArtifactGenerator of its cluster copies out of sources that are this repository.

The artifact is materialised once per run in a temporary directory (hard links to the repository's files)
and built there; every file of it maps back to the repository file it copies, so positions and the files a
build read are reported in the repository.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from homeops.flux.kinds import ObjectRef
from homeops.flux.sourceignore import SourceIgnore
from homeops.flux.sources import SourceSet
from homeops.kustomize.build import Builder
from homeops.yaml.nodes import YMap

if TYPE_CHECKING:  # the artifact engine is imported when an ExternalArtifact is met, not by every build
    from homeops.flux.artifacts import ArtifactGenerator, ArtifactSpec, SourceTree

EXTERNAL_ARTIFACT = "ExternalArtifact"


@dataclass
class Artifact:
    """A materialised artifact: where it is, how to build in it, and where its files come from."""

    root: Path
    builder: Builder
    origin: dict[str, str]  # artifact file (absolute path) -> repository-relative file
    generator: str
    notes: list[str] = field(default_factory=list)


@dataclass
class ArtifactResolution:
    """The artifact behind one ExternalArtifact reference, or why there is none."""

    artifact: Artifact | None
    error: str = ""
    external: bool = False


class ArtifactSources:
    """Resolves and materialises ExternalArtifacts for one cluster build (one temporary directory)."""

    def __init__(self, repo_root: Path, sources: SourceSet) -> None:
        self.repo_root = repo_root
        self.sources = sources
        self._tmp: Path | None = None
        self._tree: SourceTree | None = None
        self._done: dict[tuple[str, str, str, str], ArtifactResolution] = {}
        self.origins: dict[str, str] = {}  # every materialised file -> its repository file

    def _workdir(self) -> Path:
        """The temporary directory of this run's artifacts, removed when this object is collected."""
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="homeops-artifacts-"))
            weakref.finalize(self, shutil.rmtree, self._tmp, True)
        return self._tmp

    def _repo_tree(self) -> SourceTree:
        if self._tree is None:
            from homeops.flux.artifacts import SourceTree

            self._tree = SourceTree.scan(self.repo_root, SourceIgnore.from_repo(self.repo_root))
        return self._tree

    def resolve(self, ref: ObjectRef, tree: str, objects: Iterable[YMap]) -> ArtifactResolution:
        """The artifact ExternalArtifact ``ref`` names, from the ArtifactGenerators among ``objects`` (the
        objects the cluster ``tree`` applies: a generator no Kustomization of the cluster applies does not
        run in it)."""
        key = (tree, ref.namespace, ref.name, "")
        if key in self._done:
            return self._done[key]
        from homeops.flux.artifacts import find_artifact, parse_generators

        generators = parse_generators(objects)
        found = find_artifact(generators, ref.name, ref.namespace)
        if found is None:
            result = ArtifactResolution(
                None,
                f"ExternalArtifact {ref.namespace}/{ref.name}: no ArtifactGenerator of this cluster produces"
                " it (source.extensions.fluxcd.io/v1beta1)",
                external=True,
            )
        else:
            result = self._materialize(*found, tree)
        self._done[key] = result
        return result

    def _materialize(self, gen: ArtifactGenerator, spec: ArtifactSpec, tree: str) -> ArtifactResolution:
        from homeops.flux.artifacts import ArtifactPlan, materialize, plan_artifact

        where = f"ArtifactGenerator {gen.namespace}/{gen.name} artifact {spec.name}"
        if gen.problems:
            return ArtifactResolution(None, f"{where}: " + "; ".join(str(p) for p in gen.problems))
        trees: dict[str, Path | SourceTree] = {}
        foreign: list[str] = []
        for alias, src in gen.sources.items():
            local, why = self.sources.decide(ObjectRef(src.kind, src.name, src.namespace))
            if local:
                trees[alias] = self._repo_tree()
            else:
                foreign.append(f"@{alias} ({why})")
        plan: ArtifactPlan = plan_artifact(spec, trees)
        if plan.problems:
            return ArtifactResolution(None, f"{where}: " + "; ".join(str(p) for p in plan.problems))
        if plan.missing_aliases and not plan.files:
            return ArtifactResolution(
                None,
                f"{where} copies only from sources that are not this repository: {', '.join(foreign)}",
                external=True,
            )
        dest = self._workdir() / f"{len(self._done)}-{gen.namespace}-{gen.name}-{spec.name}"
        copied = materialize(plan, dest)
        origin: dict[str, str] = {}
        for target, source in copied.items():
            try:
                origin[str(target)] = source.resolve().relative_to(self.repo_root).as_posix()
            except ValueError:
                continue
        for rel, layers in plan.merges.items():
            # a merged file has several origins: the last layer is what the user edits most
            last = layers[-1].resolve()
            if last.is_relative_to(self.repo_root):
                origin[str(dest.joinpath(*rel.split("/")))] = last.relative_to(self.repo_root).as_posix()
        self.origins.update(origin)
        notes = []
        if plan.missing_aliases:
            notes.append(f"{where}: copies from {', '.join(foreign)} left out (not fetched)")
        return ArtifactResolution(Artifact(dest, Builder(dest), origin, f"{gen.namespace}/{gen.name}", notes))
