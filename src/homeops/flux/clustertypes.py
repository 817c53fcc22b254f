"""The data of a built Flux tree: each Kustomization's node and outcome, the HelmReleases found in the
outputs, what nothing applies, and the options of a build (the builder is ``homeops.flux.cluster``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, overload

from homeops.errors import Location
from homeops.flux.artifactsrc import ArtifactSources
from homeops.flux.kinds import FluxKustomization, HelmRelease
from homeops.flux.repository import Repository
from homeops.yaml.nodes import YMap

if TYPE_CHECKING:
    from homeops.helm.releases import HelmOptions, TreeRenders

WALK_KINDS = frozenset(
    {"Kustomization", "ResourceSet", "ConfigMap", "Secret", "ExternalSecret", "ClusterExternalSecret"}
)
"""The kinds the tree walk reads from every Kustomization's build: the Kustomizations it applies, the
ResourceSets it expands, and what ``substituteFrom`` and secret masking look up. A cached build restores
objects of these kinds at once and the others when they are first used (``StoredObjects``); HelmReleases are
among the others, found when ``ClusterBuild.helmreleases`` is first used (``FoundReleases``)."""

Identity = tuple[str, str, str, str]
"""An object's apiVersion up to its ``/``, kind, namespace and name (see ``object_identity``)."""


def object_identity(obj: Any) -> Identity | None:
    """The first part of ``obj``'s apiVersion (its group; ``v1`` for the core group), kind, namespace and
    name (None without metadata)."""
    md = obj.get("metadata")
    if not isinstance(md, dict):
        return None
    return (
        str(obj.get("apiVersion", "")).split("/")[0],
        str(obj.get("kind", "")),
        str(md.get("namespace") or ""),
        str(md.get("name") or ""),
    )


class Deferred(Protocol):
    """A stored list of objects, unpickled when first asked for (see ``homeops.cache.nodes.Deferred``)."""

    def get(self) -> list[YMap]: ...


@dataclass(slots=True)
class StoredObjects:
    """A cached build's objects: those of ``WALK_KINDS`` (``walk``) restored with the entry, the others
    (``rest``) when first used; ``order`` says, for each object in build order, which list it is in."""

    walk: list[YMap]
    rest: Deferred
    order: bytes  # 1: the next object of walk, 0: the next of rest
    ids: list[Identity]  # object_identity of every object that has one, in order

    def load(self) -> list[YMap]:
        """Every object, in build order (the ``walk`` ones are the same objects, not copies)."""
        walk, rest = iter(self.walk), iter(self.rest.get())
        return [next(walk) if flag else next(rest) for flag in self.order]


class Unresolved(NamedTuple):
    """A variable used but not set, where Flux's strict substitution fails (a named tuple, as
    ``VariableUse``)."""

    variable: str
    object: str
    file: str
    line: int
    column: int
    reason: str = "not set"


class VariableUse(NamedTuple):
    """A ``${VARIABLE}`` that Flux will substitute, where it is written, and its default if any (a named
    tuple: a build records thousands, and the build cache restores them without running Python code)."""

    variable: str
    object: str
    file: str
    line: int
    column: int
    default: str | None = None


@dataclass
class KsNode:
    """One Flux Kustomization of the tree and the outcome of its build."""

    ks: FluxKustomization
    tree: str  # the cluster it belongs to ("" when the repository holds one cluster)
    parent: KsNode | None
    defined_at: Location
    status: str = "pending"  # ok | failed | external
    error: str = ""
    path: str = ""
    objects: list[YMap] = field(default_factory=list)
    generated: list[YMap] = field(default_factory=list)  # what its ResourceSets make flux-operator apply
    discovered: list[YMap] = field(default_factory=list)  # a failed offline build's objects without remotes
    rendered: list[YMap] = field(default_factory=list)  # what its HelmReleases' charts render (Helm stage)
    unresolved: list[Unresolved] = field(default_factory=list)
    uses: list[VariableUse] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    root_reason: str = ""  # why it was taken as a root ("" for a Kustomization another one applies)
    synthesized: bool = False  # made from a FluxInstance sync or the flux bootstrap layout, not an object
    files: frozenset[str] = frozenset()  # repository-relative files its build read
    kdir: Path | None = None  # the directory built
    kustomization: YMap | None = None  # the kustomization.yaml Flux's generator wrote for it
    source_dir: Path | None = None  # the top directory of the source (or artifact) the build reads
    cache_key: str = ""  # the build cache's key of its build (equal keys: equal objects); "" when uncached
    stored: StoredObjects | None = field(default=None, repr=False, compare=False)  # objects not yet loaded

    def restore_objects(self, stored: StoredObjects) -> None:
        """Take the objects of a cached build: loaded on first access to ``objects``; ``objects_of`` the
        ``WALK_KINDS``, ``object_count`` and ``identities`` do not load them."""
        self.__dict__.pop("objects", None)
        self.stored = stored

    def _pending(self) -> StoredObjects | None:
        return self.stored if "objects" not in self.__dict__ else None

    if not TYPE_CHECKING:  # a typo'd attribute stays a type error; only ``objects`` is ever looked up here

        def __getattr__(self, name: str) -> Any:
            stored = self.__dict__.get("stored")
            if name != "objects" or stored is None:
                raise AttributeError(name)
            objects = self.__dict__["objects"] = stored.load()
            self.stored = None
            return objects

    def objects_of(self, kinds: frozenset[str]) -> list[YMap]:
        """The objects of ``kinds``, in build order (for ``WALK_KINDS``, a cached build's others stay
        unloaded)."""
        stored = self._pending()
        if stored is not None and kinds <= WALK_KINDS:
            return [o for o in stored.walk if o.get("kind") in kinds]
        return [o for o in self.objects if o.get("kind") in kinds]

    @property
    def object_count(self) -> int:
        stored = self._pending()
        return len(stored.order) if stored is not None else len(self.objects)

    def identities(self) -> list[Identity]:
        """``object_identity`` of each object that has one, in build order."""
        stored = self._pending()
        if stored is not None:
            return stored.ids
        return [i for o in self.objects for i in [object_identity(o)] if i is not None]

    @property
    def namespace(self) -> str:
        return self.ks.namespace

    @property
    def name(self) -> str:
        return self.ks.name

    @property
    def ref(self) -> str:
        return f"Kustomization/{self.namespace}/{self.name}"

    @property
    def cluster(self) -> str:
        return self.tree


@dataclass(frozen=True, slots=True)
class HelmReleaseNode:
    """A HelmRelease as Flux will apply it, with the Kustomization that produces it."""

    hr: HelmRelease
    obj: YMap
    parent: KsNode
    chart_dir: Path | None = None  # a chart of this repository (a GitRepository/Bucket that is it)
    chart_error: str = ""  # why a chart of this repository cannot be used


@dataclass(frozen=True, slots=True)
class NotApplied:
    """A Flux Kustomization of the repository that nothing applies, and why."""

    ks: FluxKustomization
    defined_at: Location
    reason: str
    cluster: str = ""
    selected_out: bool = False  # outside the --root / --cluster selection, not a defect of the repository


class FoundReleases(Sequence["HelmReleaseNode"]):
    """The HelmReleases of a built tree, found by ``find`` when first used: a run that never looks at them
    (``build all`` without ``--helm``) never restores a cached build's HelmReleases."""

    __slots__ = ("_find", "_found")

    def __init__(self, find: Callable[[], list[HelmReleaseNode]]) -> None:
        self._find: Callable[[], list[HelmReleaseNode]] | None = find
        self._found: list[HelmReleaseNode] = []

    def _items(self) -> list[HelmReleaseNode]:
        if self._find is not None:
            self._found, self._find = self._find(), None
        return self._found

    @overload
    def __getitem__(self, index: int) -> HelmReleaseNode: ...

    @overload
    def __getitem__(self, index: slice) -> list[HelmReleaseNode]: ...

    def __getitem__(self, index: int | slice) -> HelmReleaseNode | list[HelmReleaseNode]:
        return self._items()[index]

    def __len__(self) -> int:
        return len(self._items())

    def __iter__(self) -> Iterator[HelmReleaseNode]:
        return iter(self._items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FoundReleases):
            other = other._items()
        return self._items() == other if isinstance(other, list) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like a list

    def __repr__(self) -> str:
        return repr(self._items()) if self._find is None else "FoundReleases(<not yet found>)"


@dataclass
class ClusterBuild:
    """Every Flux Kustomization of the repository, built, plus what was found in the outputs."""

    repo: Repository
    nodes: list[KsNode]
    helmreleases: Sequence[HelmReleaseNode]  # a FoundReleases, or a list (a part of a build)
    not_applied: list[NotApplied]
    problems: list[str]
    notes: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    artifacts: ArtifactSources | None = None  # keeps materialised artifacts (node.kdir) alive
    helm: TreeRenders | None = None  # the Helm stage (None: not run)
    finish: Callable[[], None] = field(default=lambda: None, repr=False, compare=False)
    """Writes what the build added to the caches, once (``build_cluster(flush=False)``: the caller's to
    call; otherwise done)."""

    @property
    def orphans(self) -> list[FluxKustomization]:
        """The Kustomizations nothing applies (those outside a --root/--cluster selection left out)."""
        return [n.ks for n in self.not_applied if not n.selected_out]

    def find(self, name: str, namespace: str | None = None) -> list[KsNode]:
        return [n for n in self.nodes if n.name == name and (namespace is None or n.namespace == namespace)]

    def objects_of(self, kinds: frozenset[str]) -> Iterable[YMap]:
        """``all_objects`` of ``kinds`` (of ``WALK_KINDS``: without loading cached builds' others)."""
        for node in self.nodes:
            yield from node.objects_of(kinds)
            yield from (o for o in node.generated if o.get("kind") in kinds)
            yield from (o for o in node.rendered if o.get("kind") in kinds)

    def all_objects(self) -> Iterable[YMap]:
        """Every object applied: each node's own, what its ResourceSets generate, what its HelmReleases'
        charts render (when the Helm stage ran)."""
        for node in self.nodes:
            yield from node.objects
            yield from node.generated
            yield from node.rendered


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """How to find and build the tree."""

    repo: Path
    roots: tuple[str, ...] = ()  # only roots defined under these repository paths (--root)
    cluster: str | None = None  # only this cluster (--cluster)
    source_root: str | None = None  # where this repository's Flux paths start (--source-root, sourceRoot:)
    sources: tuple[str, ...] = ()  # sources that are this repository (.homeops.yaml sources:)
    identities: tuple[str, ...] = ()
    strict: bool = True
    allow_network: bool = False  # fetch HTTPS remote resources (--allow-network, allowNetwork:)
    cache_dir: Path | None = None  # the persistent build cache (None: off, --no-cache)
    cache_max_size: int = 512 * 1024 * 1024  # pruned least recently used first beyond this
    helm: HelmOptions | None = None  # render the HelmReleases' charts after the build (None: not)
    cache_identity: str | None = None  # the repository a checkout of another ref belongs to (shared caches)
    helpers: bool = True  # on a cold cache, a forked helper fills it from the far end (homeops.cache.helper)
