"""ArtifactGenerator objects (``source.extensions.fluxcd.io/v1beta1``, source-watcher v2.0.x in Flux 2.7).

:func:`parse_generator` reads one object into typed values and records, with their file:line, what the API
server would refuse (the CRD's patterns, enums and item limits of config/crd/bases/
source.extensions.fluxcd.io_artifactgenerators.yaml) and what the controller's ``validateSpec``
(internal/controller/artifactgenerator_validation.go) stalls on: duplicate aliases, duplicate artifact
names, a ``revision`` naming no alias. Each artifact becomes an ExternalArtifact named after it, in the
generator's namespace (``reconcileExternalArtifact`` in artifactgenerator_controller.go).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from homeops.errors import Location
from homeops.yaml.nodes import Pos, YMap, YSeq

__all__ = [
    "API_GROUP",
    "KIND",
    "MERGE",
    "OVERWRITE",
    "ArtifactGenerator",
    "ArtifactSpec",
    "CopyOp",
    "Problem",
    "SourceRef",
    "is_artifact_generator",
    "parse_generator",
    "parse_generators",
]

API_GROUP = "source.extensions.fluxcd.io"
KIND = "ArtifactGenerator"
OVERWRITE = "Overwrite"
MERGE = "Merge"
SOURCE_KINDS = ("Bucket", "GitRepository", "OCIRepository")  # v2.0.x enum (HelmChart etc. came in v2.1)
DEFAULT_NAMESPACE = "default"

_ALIAS = r"[a-z0-9]([a-z0-9_-]*[a-z0-9])?"
ALIAS_RE = re.compile(rf"^{_ALIAS}$")
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
NAMESPACE_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
REVISION_RE = re.compile(rf"^@({_ALIAS})$")
FROM_RE = re.compile(rf"^@({_ALIAS})/(.*)$")
TO_RE = re.compile(r"^@(artifact)/(.*)$")


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the API server, source-watcher's validation or its builder refuses."""

    message: str
    location: Location | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass(frozen=True, slots=True)
class SourceRef:
    """``spec.sources[]``: the namespace is already defaulted to the generator's."""

    kind: str
    name: str
    namespace: str


@dataclass(frozen=True, slots=True)
class CopyOp:
    """One ``copy`` entry, as written (``from`` is ``@alias/pattern``, ``to`` is ``@artifact/path``)."""

    source: str
    to: str
    exclude: tuple[str, ...] = ()
    strategy: str = OVERWRITE
    location: Location | None = None

    def __str__(self) -> str:
        return f"from '{self.source}' to '{self.to}'"


@dataclass(frozen=True, slots=True)
class ArtifactSpec:
    """``spec.artifacts[]``: the ExternalArtifact ``name`` and the copies that fill it, in order."""

    name: str
    copy: tuple[CopyOp, ...]
    revision: str = ""  # "@alias" or ""
    origin_revision: str = ""  # "@alias" or ""
    aliases: frozenset[str] = frozenset()  # every alias the generator declares
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class ArtifactGenerator:
    """One ArtifactGenerator; ``problems`` lists every refused entry with its location."""

    namespace: str
    name: str
    sources: dict[str, SourceRef]
    artifacts: tuple[ArtifactSpec, ...]
    problems: tuple[Problem, ...] = ()
    location: Location | None = None
    obj: YMap = field(default_factory=YMap, compare=False, repr=False)

    def artifact(self, name: str) -> ArtifactSpec | None:
        """The first artifact spec named ``name`` (the controller refuses duplicates)."""
        return next((a for a in self.artifacts if a.name == name), None)


def is_artifact_generator(obj: Any) -> bool:
    """A ``source.extensions.fluxcd.io/v1beta1`` ArtifactGenerator."""
    return (
        isinstance(obj, dict) and obj.get("kind") == KIND and obj.get("apiVersion") == f"{API_GROUP}/v1beta1"
    )


def _loc(pos: Pos | None) -> Location | None:
    return Location(pos.file, pos.line, pos.column) if pos else None


def _key_loc(m: Any, key: str, fallback: Location | None) -> Location | None:
    if isinstance(m, YMap):
        return _loc(m.key_pos(key)) or fallback
    return fallback


def _item_loc(seq: Any, i: int, fallback: Location | None) -> Location | None:
    if isinstance(seq, YSeq):
        return _loc(seq.item_pos(i)) or fallback
    return fallback


class _Parser:
    def __init__(self, obj: YMap) -> None:
        self.obj = obj
        self.problems: list[Problem] = []

    def problem(self, message: str, where: Location | None) -> None:
        self.problems.append(Problem(message, where))

    def string(self, m: dict[str, Any], key: str, where: Location | None, required: bool = True) -> str:
        value = m.get(key)
        if value is None:
            if required:
                self.problem(f"{key} is required", where)
            return ""
        if not isinstance(value, str):
            self.problem(f"{key} must be a string", _key_loc(m, key, where))
            return ""
        return value

    def check(self, value: str, rx: re.Pattern[str], max_len: int, what: str, where: Location | None) -> bool:
        if not value:
            return False
        if len(value) > max_len:
            self.problem(f"{what} '{value}' is longer than {max_len} characters", where)
            return False
        if not rx.match(value):
            self.problem(f"{what} '{value}' does not match {rx.pattern}", where)
            return False
        return True

    def items(self, m: dict[str, Any], key: str, where: Location | None, lo: int, hi: int) -> list[Any]:
        value = m.get(key)
        if value is None:
            value = []
        if not isinstance(value, list):
            self.problem(f"{key} must be a list", _key_loc(m, key, where))
            return []
        if len(value) < lo:
            self.problem(f"{key} must have at least {lo} item(s)", _key_loc(m, key, where))
        if len(value) > hi:
            self.problem(f"{key} must have at most {hi} items", _key_loc(m, key, where))
        return value

    def sources(self, spec: dict[str, Any], namespace: str, where: Location | None) -> dict[str, SourceRef]:
        out: dict[str, SourceRef] = {}
        seq = self.items(spec, "sources", where, 1, 1000)
        for i, item in enumerate(seq):
            at = _item_loc(seq, i, where)
            if not isinstance(item, dict):
                self.problem("sources[] entries must be mappings", at)
                continue
            alias = self.string(item, "alias", at)
            self.check(alias, ALIAS_RE, 63, "source alias", _key_loc(item, "alias", at))
            name = self.string(item, "name", at)
            self.check(name, NAME_RE, 253, "source name", _key_loc(item, "name", at))
            kind = self.string(item, "kind", at)
            if kind and kind not in SOURCE_KINDS:
                self.problem(
                    f"source kind '{kind}' is not one of {', '.join(SOURCE_KINDS)}",
                    _key_loc(item, "kind", at),
                )
            ns = self.string(item, "namespace", at, required=False)
            if "namespace" in item:
                self.check(ns, NAMESPACE_RE, 63, "source namespace", _key_loc(item, "namespace", at))
                if not ns:
                    self.problem("source namespace must not be empty", _key_loc(item, "namespace", at))
            if not alias:
                continue
            if alias in out:
                self.problem(f"duplicate source alias '{alias}' found", _key_loc(item, "alias", at))
                continue
            out[alias] = SourceRef(kind, name, ns or namespace)
        return out

    def copy_op(self, item: Any, at: Location | None) -> CopyOp | None:
        if not isinstance(item, dict):
            self.problem("copy[] entries must be mappings", at)
            return None
        src = self.string(item, "from", at)
        to = self.string(item, "to", at)
        for key, value, rx in (("from", src, FROM_RE), ("to", to, TO_RE)):
            self.check(value, rx, 1024, key, _key_loc(item, key, at))
        excludes: list[str] = []
        ex = self.items(item, "exclude", at, 0, 100)
        for j, pattern in enumerate(ex):
            if isinstance(pattern, str):
                excludes.append(pattern)
            else:
                self.problem("exclude[] entries must be strings", _item_loc(ex, j, at))
        strategy = self.string(item, "strategy", at, required=False) or OVERWRITE
        if strategy not in (OVERWRITE, MERGE):
            self.problem(
                f"strategy '{strategy}' is not one of {OVERWRITE}, {MERGE}", _key_loc(item, "strategy", at)
            )
        return CopyOp(src, to, tuple(excludes), strategy, at)

    def artifacts(
        self, spec: dict[str, Any], aliases: frozenset[str], where: Location | None
    ) -> list[ArtifactSpec]:
        out: list[ArtifactSpec] = []
        names: set[str] = set()
        seq = self.items(spec, "artifacts", where, 1, 1000)
        for i, item in enumerate(seq):
            at = _item_loc(seq, i, where)
            if not isinstance(item, dict):
                self.problem("artifacts[] entries must be mappings", at)
                continue
            name = self.string(item, "name", at)
            self.check(name, NAME_RE, 253, "artifact name", _key_loc(item, "name", at))
            refs: dict[str, str] = {}
            for key in ("revision", "originRevision"):
                value = self.string(item, key, at, required=False)
                kat = _key_loc(item, key, at)
                if value and self.check(value, REVISION_RE, 64, key, kat) and value[1:] not in aliases:
                    if key == "revision":
                        self.problem(f"artifact {name} revision source alias '{value[1:]}' not found", kat)
                    else:  # setArtifactRevisions silently skips it: no revision annotation is set
                        self.problem(
                            f"artifact {name} originRevision source alias '{value[1:]}' not found "
                            "(the origin revision annotation is not set)",
                            kat,
                        )
                refs[key] = value
            ops = self.items(item, "copy", at, 1, 1 << 30)
            copies = tuple(
                op for j, c in enumerate(ops) if (op := self.copy_op(c, _item_loc(ops, j, at))) is not None
            )
            for op in copies:
                m = FROM_RE.match(op.source)
                if m and m.group(1) not in aliases:
                    self.problem(f"source alias '{m.group(1)}' not found", op.location)
            if name in names:
                self.problem(f"duplicate artifact name '{name}' found", _key_loc(item, "name", at))
                continue
            if name:
                names.add(name)
            out.append(ArtifactSpec(name, copies, refs["revision"], refs["originRevision"], aliases, at))
        return out


def parse_generator(obj: YMap, namespace: str | None = None) -> ArtifactGenerator:
    """One ArtifactGenerator object. ``namespace`` is the namespace the caller knows the object goes to
    (e.g. a Flux Kustomization's ``targetNamespace``) when ``metadata.namespace`` is unset.

    With neither, the namespace is ``default`` (kubectl's) and a problem is recorded: kustomize-controller
    refuses to apply a namespaced object without a namespace (fluxcd/pkg/ssa "namespace not specified").
    """
    p = _Parser(obj)
    where = _loc(obj.pos)
    md = obj.get("metadata")
    md = md if isinstance(md, dict) else {}
    name = p.string(md, "name", _key_loc(obj, "metadata", where))
    ns = md.get("namespace") if isinstance(md.get("namespace"), str) else ""
    ns = ns or namespace or ""
    if not ns:
        p.problem(
            "metadata.namespace is not set: kustomize-controller refuses to apply it "
            f"(namespace not specified); assuming '{DEFAULT_NAMESPACE}'",
            _key_loc(obj, "metadata", where),
        )
        ns = DEFAULT_NAMESPACE
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        p.problem("spec is required", where)
        spec = {}
    spec_at = _key_loc(obj, "spec", where)
    sources = p.sources(spec, ns, spec_at)
    artifacts = p.artifacts(spec, frozenset(sources), spec_at)
    return ArtifactGenerator(ns, name, sources, tuple(artifacts), tuple(p.problems), where, obj)


def parse_generators(objs: Iterable[Any], namespace: str | None = None) -> list[ArtifactGenerator]:
    """Every ArtifactGenerator among ``objs`` (other objects are skipped), parsed."""
    return [parse_generator(o, namespace) for o in objs if isinstance(o, YMap) and is_artifact_generator(o)]
