"""``homeops status``: the live Flux Kustomizations and HelmReleases, compared with the repository's tree.

Each live object is listed with its Ready condition, last applied revision and whether it is suspended.
Unless told not to, the repository's tree is built offline (as ``homeops get`` does) and the two sides are
compared by kind, namespace and name: objects Git defines that the cluster lacks, and objects the cluster
has that no Kustomization of the tree applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from homeops.flux.api import RepoOptions
from homeops.flux.cluster import ClusterBuild, build_cluster
from homeops.live.kube import Kube, KubeOptions, camel_json, ready_condition

LIVE_KINDS = ("Kustomization", "HelmRelease")


@dataclass(frozen=True, slots=True)
class StatusOptions:
    """Which namespace (None: all), whether to compare with the repository, which cluster."""

    namespace: str | None = None
    compare: bool = True
    kube: KubeOptions = field(default_factory=KubeOptions)
    repo: RepoOptions = field(default_factory=RepoOptions)


@dataclass(frozen=True, slots=True)
class LiveObject:
    """A Flux object in the cluster. ``in_git`` is None when the comparison was not made."""

    kind: str
    namespace: str
    name: str
    ready: str  # True | False | Unknown | "" (no Ready condition yet)
    reason: str
    message: str
    revision: str
    suspended: bool
    in_git: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return camel_json(self)


@dataclass(frozen=True, slots=True)
class GitObject:
    """A Flux object the repository's tree applies, with where it is defined."""

    kind: str
    namespace: str
    name: str
    file: str = ""
    line: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return camel_json(self)


@dataclass(frozen=True, slots=True)
class StatusResult:
    """The live objects and, when compared, what Git has that the cluster lacks."""

    context: str
    server: str
    objects: tuple[LiveObject, ...]
    missing: tuple[GitObject, ...] = ()  # in Git, not in the cluster
    compared: bool = False
    problems: tuple[str, ...] = ()

    @property
    def not_in_git(self) -> tuple[LiveObject, ...]:
        """Live objects no Kustomization of the tree applies."""
        return tuple(o for o in self.objects if o.in_git is False)

    @property
    def ok(self) -> bool:
        """Nothing is Ready=False and nothing from Git is missing."""
        return not self.missing and all(o.ready != "False" for o in self.objects)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (documented shape: context, server, objects, missing, notInGit, problems)."""
        return {
            "context": self.context,
            "server": self.server,
            "compared": self.compared,
            "objects": [o.to_json() for o in self.objects],
            "missing": [m.to_json() for m in self.missing],
            "notInGit": [f"{o.kind}/{o.namespace}/{o.name}" for o in self.not_in_git],
            "problems": list(self.problems),
        }


def _revision(kind: str, status: dict[str, Any]) -> str:
    # A HelmRelease (v2) keeps its chart version in history[0]; lastAppliedRevision is v2beta1's.
    history = status.get("history") if kind == "HelmRelease" else None
    first = history[0] if isinstance(history, list) and history and isinstance(history[0], dict) else {}
    attempted = status.get("lastAttemptedRevision") if kind == "HelmRelease" else ""
    return str(status.get("lastAppliedRevision") or first.get("chartVersion") or attempted or "")


def live_object(kind: str, obj: dict[str, Any]) -> LiveObject:
    """A LiveObject from an object's JSON data."""
    meta = obj.get("metadata") or {}
    status = obj.get("status") or {}
    cond = ready_condition(obj)
    return LiveObject(
        kind=kind,
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        ready=cond.status,
        reason=cond.reason,
        message=cond.message,
        revision=_revision(kind, status if isinstance(status, dict) else {}),
        suspended=(obj.get("spec") or {}).get("suspend") is True,
    )


def git_objects(cluster: ClusterBuild) -> tuple[list[GitObject], list[str]]:
    """The Kustomizations and HelmReleases the tree applies, and notes about builds that failed (whose
    children are unknown, so may show up as not in Git)."""
    found: dict[tuple[str, str, str], GitObject] = {}
    notes: list[str] = []
    for node in cluster.nodes:
        loc = node.defined_at
        key = ("Kustomization", node.namespace, node.name)
        found.setdefault(key, GitObject(*key, loc.file, loc.line))
        if node.status == "failed":
            notes.append(f"{node.ref}: offline build failed, its children are unknown: {node.error}")
    for item in cluster.helmreleases:
        pos = item.obj.pos
        key = ("HelmRelease", item.hr.namespace, item.hr.name)
        found.setdefault(key, GitObject(*key, _rel(pos.file, cluster) if pos else "", pos.line if pos else 0))
    return list(found.values()), notes


def _rel(file: str, cluster: ClusterBuild) -> str:
    path = Path(file) if Path(file).is_absolute() else (Path.cwd() / file).resolve()
    try:
        return path.relative_to(cluster.repo.root).as_posix()
    except ValueError:
        return file


def status(options: StatusOptions, kube: Kube | None = None) -> StatusResult:
    """List the live Flux Kustomizations and HelmReleases and, with ``compare``, match them with Git."""
    # the repository options (--repo, --root, --source-root) are checked before the cluster is contacted
    cluster_options = options.repo.cluster_options() if options.compare else None
    own = kube is None
    client = kube or Kube(options.kube)
    try:
        live = [live_object(kind, obj) for kind in LIVE_KINDS for obj in client.list(kind, options.namespace)]
        context, server = client.context, client.server
    finally:
        if own:
            client.close()
    live.sort(key=lambda o: (o.kind != "Kustomization", o.namespace, o.name))
    if cluster_options is None:
        return StatusResult(context, server, tuple(live))
    cluster = build_cluster(cluster_options)
    wanted, notes = git_objects(cluster)
    if options.namespace is not None:
        wanted = [g for g in wanted if g.namespace == options.namespace]
    in_git = {(g.kind, g.namespace, g.name) for g in wanted}
    in_cluster = {(o.kind, o.namespace, o.name) for o in live}
    marked = tuple(replace(o, in_git=(o.kind, o.namespace, o.name) in in_git) for o in live)
    missing = tuple(g for g in wanted if (g.kind, g.namespace, g.name) not in in_cluster)
    return StatusResult(context, server, marked, missing, True, (*cluster.problems, *notes))
