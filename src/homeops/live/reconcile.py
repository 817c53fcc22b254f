"""``homeops reconcile``: ask Flux to reconcile objects now, as ``flux reconcile`` does.

A reconciliation request is the annotation ``reconcile.fluxcd.io/requestedAt`` set to the current time
(Go's RFC3339Nano), here through a JSON merge patch. The controllers notice the change and reconcile; once
done they copy the value to ``status.lastHandledReconcileAt``. Without ``wait`` nothing more is done.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeops.errors import UsageError
from homeops.flux.api import RepoOptions
from homeops.flux.cluster import ClusterBuilder
from homeops.flux.repository import Repository
from homeops.flux.worktree import repository_root
from homeops.live.kube import Kube, KubeOptions, camel_json, ready_condition

REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
DEFAULT_NAMESPACE = "flux-system"
SOURCE_ALIASES = {
    "git": "GitRepository",
    "oci": "OCIRepository",
    "helm": "HelmRepository",
    "chart": "HelmChart",
    "bucket": "Bucket",
}
SOURCE_KINDS = frozenset(SOURCE_ALIASES.values())


@dataclass(frozen=True, slots=True)
class ReconcileTarget:
    """One Flux object to reconcile."""

    kind: str  # Kustomization | HelmRelease | a source kind
    name: str
    namespace: str = DEFAULT_NAMESPACE

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ReconcileOptions:
    """What to reconcile and whether to wait. No targets: the root Kustomizations of the repository,
    with their sources first."""

    targets: tuple[ReconcileTarget, ...] = ()
    with_source: bool = False
    wait: bool = False
    timeout: float = 300.0  # seconds, for each wait
    poll_interval: float = 2.0
    kube: KubeOptions = field(default_factory=KubeOptions)
    repo: RepoOptions = field(default_factory=RepoOptions)


@dataclass(frozen=True, slots=True)
class ReconcileStep:
    """What happened to one object: ``requested`` (annotated, not waited for); after a wait ``reconciled``,
    ``failed`` (Ready=False) or ``timeout``; ``suspended`` (not annotated: Flux's CLI refuses too) or
    ``skipped`` (its source was not reconciled)."""

    target: ReconcileTarget
    outcome: str
    requested_at: str = ""
    ready: str = ""  # the Ready condition's status after the wait: True | False | Unknown | ""
    message: str = ""
    revision: str = ""
    is_source: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the target's kind, namespace and name, then the other fields."""
        data = camel_json(self)
        return {**data.pop("target"), **data}


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    """Every object annotated (sources first), on which cluster."""

    context: str
    server: str
    steps: tuple[ReconcileStep, ...]

    @property
    def ok(self) -> bool:
        """Every object was requested or reconciled."""
        return all(s.outcome in ("requested", "reconciled") for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"context": self.context, "server": self.server, "steps": [s.to_json() for s in self.steps]}


def go_rfc3339nano(ns: int | None = None) -> str:
    """The local time ``ns`` (nanoseconds since the epoch; default now) as Go's ``time.RFC3339Nano``:
    trailing zeros of the fraction dropped (and the dot with them), ``Z`` for UTC, else ``+hh:mm``."""
    ns = time.time_ns() if ns is None else ns
    seconds, frac = divmod(ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds).astimezone()
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    if minutes == 0:
        return text + "Z"
    sign = "+" if minutes > 0 else "-"
    return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_target(kind: str, name: str, namespace: str | None = None) -> ReconcileTarget:
    """A target from the command line: ``ks NAME``, ``hr NAME`` or ``source KIND/NAME`` (KIND: git, oci,
    helm, chart, bucket or the full kind)."""
    ns = namespace or DEFAULT_NAMESPACE
    low = kind.lower()
    if low in ("ks", "kustomization"):
        return ReconcileTarget("Kustomization", name, ns)
    if low in ("hr", "helmrelease"):
        return ReconcileTarget("HelmRelease", name, ns)
    if low == "source":
        src_kind, sep, src_name = name.partition("/")
        full = SOURCE_ALIASES.get(src_kind.lower()) or next(
            (k for k in SOURCE_KINDS if k.lower() == src_kind.lower()), None
        )
        if not sep or not src_name or full is None:
            raise UsageError(
                f"source {name!r}: expected KIND/NAME with KIND one of {', '.join(SOURCE_ALIASES)}"
            )
        return ReconcileTarget(full, src_name, ns)
    raise UsageError(f"cannot reconcile {kind!r}: expected ks, hr or source")


def root_targets(repo: RepoOptions) -> list[ReconcileTarget]:
    """The root Flux Kustomizations of the repository (those the bootstrap applies), as targets."""
    root = repository_root(repo.repo)
    if not root.is_dir():
        raise UsageError(f"repository {root} is not a directory")
    copts = dataclasses.replace(repo, repo=root).cluster_options()
    builder = ClusterBuilder(Repository.load(root), copts)
    targets = [
        ReconcileTarget("Kustomization", r.candidate.ks.name, r.candidate.ks.namespace or DEFAULT_NAMESPACE)
        for r in builder.discover().roots
    ]
    if not targets:
        raise UsageError(
            f"no root Flux Kustomization found in {root}", hint="name one: homeops reconcile ks NAME"
        )
    return list(dict.fromkeys(targets))


def source_of(obj: dict[str, Any], target: ReconcileTarget) -> ReconcileTarget | None:
    """The source Flux's ``--with-source`` reconciles first: a Kustomization's ``sourceRef``, a
    HelmRelease's ``chartRef`` or its HelmChart (``status.helmChart``, else ``NAMESPACE-NAME``)."""
    spec = obj.get("spec") or {}
    if target.kind == "Kustomization":
        ref = spec.get("sourceRef") or {}
        if ref.get("kind") and ref.get("name"):
            return ReconcileTarget(ref["kind"], ref["name"], ref.get("namespace") or target.namespace)
        return None
    if target.kind == "HelmRelease":
        ref = spec.get("chartRef") or {}
        if ref.get("kind") and ref.get("name"):
            return ReconcileTarget(ref["kind"], ref["name"], ref.get("namespace") or target.namespace)
        chart_ns, sep, chart_name = str((obj.get("status") or {}).get("helmChart") or "").partition("/")
        if sep:
            return ReconcileTarget("HelmChart", chart_name, chart_ns)
        src_ref = ((spec.get("chart") or {}).get("spec") or {}).get("sourceRef") or {}
        ns = src_ref.get("namespace") or target.namespace
        return ReconcileTarget("HelmChart", f"{target.namespace}-{target.name}", ns)
    return None


class _Reconciler:
    def __init__(self, kube: Kube, options: ReconcileOptions, sleep: Callable[[float], None]) -> None:
        self.kube = kube
        self.options = options
        self.sleep = sleep
        self.done: dict[ReconcileTarget, ReconcileStep] = {}

    def run(self, target: ReconcileTarget, with_source: bool, is_source: bool = False) -> ReconcileStep:
        if target in self.done:
            return self.done[target]
        obj = self.kube.get(target.kind, target.name, target.namespace)
        if (obj.get("spec") or {}).get("suspend") is True:
            step = ReconcileStep(target, "suspended", message="resource is suspended", is_source=is_source)
            return self._record(step)
        if with_source:
            source = source_of(obj, target)
            if source is not None:
                src_step = self.run(source, False, is_source=True)
                if src_step.outcome not in ("requested", "reconciled"):
                    msg = f"source {source} is {src_step.outcome}"
                    return self._record(ReconcileStep(target, "skipped", message=msg, is_source=is_source))
        requested_at = go_rfc3339nano()
        patch = {"metadata": {"annotations": {REQUESTED_AT: requested_at}}}
        self.kube.merge_patch(target.kind, target.name, target.namespace, patch)
        if not self.options.wait:
            return self._record(ReconcileStep(target, "requested", requested_at, is_source=is_source))
        return self._record(self._wait(target, requested_at, is_source))

    def _wait(self, target: ReconcileTarget, requested_at: str, is_source: bool) -> ReconcileStep:
        deadline = time.monotonic() + self.options.timeout
        while True:
            obj = self.kube.get(target.kind, target.name, target.namespace)
            status = obj.get("status") or {}
            if status.get("lastHandledReconcileAt") == requested_at:
                cond = ready_condition(obj)
                outcome = "failed" if cond.status == "False" else "reconciled"
                revision = str(status.get("lastAppliedRevision") or _artifact_revision(status))
                return ReconcileStep(
                    target, outcome, requested_at, cond.status, cond.message, revision, is_source
                )
            if time.monotonic() >= deadline:
                last = status.get("lastHandledReconcileAt")
                msg = f"not handled within {self.options.timeout:g}s (lastHandledReconcileAt: {last!r})"
                return ReconcileStep(target, "timeout", requested_at, message=msg, is_source=is_source)
            self.sleep(self.options.poll_interval)

    def _record(self, step: ReconcileStep) -> ReconcileStep:
        self.done[step.target] = step
        return step


def _artifact_revision(status: dict[str, Any]) -> str:
    artifact = status.get("artifact") or {}
    return str(artifact.get("revision") or status.get("lastAttemptedRevision") or "")


def reconcile(
    options: ReconcileOptions, kube: Kube | None = None, sleep: Callable[[float], None] = time.sleep
) -> ReconcileResult:
    """Annotate each target (its source first with ``with_source``; always for the default roots) and,
    with ``wait``, poll until Flux has handled each request, reading the Ready condition then."""
    targets = list(options.targets) or root_targets(options.repo)
    with_source = options.with_source or not options.targets
    if with_source and any(t.kind in SOURCE_KINDS for t in targets):
        raise UsageError("--with-source applies to Kustomizations and HelmReleases, not to sources")
    own = kube is None
    client = kube or Kube(options.kube)
    try:
        reconciler = _Reconciler(client, options, sleep)
        for target in targets:
            reconciler.run(target, with_source)
        return ReconcileResult(client.context, client.server, tuple(reconciler.done.values()))
    finally:
        if own:
            client.close()
