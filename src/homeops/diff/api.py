"""``homeops diff``: what a change would do to the cluster, offline.

Both sides are built with ``build_cluster``, through the build cache (a Kustomization whose inputs did not
change is a cache hit on both sides): the base from Git's objects (``git archive`` piped into ``tar``, in a
temporary directory, written while the head builds), the head from the work tree (uncommitted and untracked
files included) or from a second revision. When both sides have the same Git tree nothing is built at all.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.diff.compare import ImageChange, ResourceChange, compare
from homeops.diff.context import DiffContext
from homeops.diff.files import FilesResult, touched
from homeops.diff.gitsrc import GitRepo, mirror_remotes, scratch_dir
from homeops.diff.nodes import NotCompared, Pairing, in_cluster, node_id, pair, require_built, subtree
from homeops.diff.objects import DEFAULT_STRIP_ATTRS, Item, ObjKey, index_cluster
from homeops.diff.values import side_values
from homeops.errors import UsageError
from homeops.findings import Finding, Severity
from homeops.flux.api import RepoOptions
from homeops.flux.cluster import ClusterBuild, KsNode, build_cluster
from homeops.flux.masking import SecretMasker, clusters_masker
from homeops.flux.sources import git_remote_urls
from homeops.rules.registry import rules_of_kind

TARGETS = ("all", "ks", "hr")
HO308 = "HO308"  # build-failed: kept by every scope that concerns its Kustomization


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """What to compare, and how."""

    base: str
    head: str | None = None  # None: the work tree, uncommitted changes included
    target: str = "all"  # all | ks | hr
    name: str | None = None  # the Kustomization or HelmRelease (target ks/hr)
    namespace: str | None = None
    strip_attrs: tuple[str, ...] = DEFAULT_STRIP_ATTRS
    files_only: bool = False  # only list the Kustomizations and HelmReleases the changed files touch
    repo: RepoOptions = field(default_factory=RepoOptions)


@dataclass
class DiffResult:
    """The differences, image changes and breaking-change findings (or, with ``files_only``, the touched
    Kustomizations and HelmReleases)."""

    base: str
    head: str
    changes: list[ResourceChange] = field(default_factory=list)
    images: list[ImageChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: FilesResult | None = None
    problems: list[str] = field(default_factory=list)
    not_compared: list[NotCompared] = field(default_factory=list)  # failed (also a finding) or external
    masker: SecretMasker | None = field(default=None, repr=False)  # what every output goes through
    builds: tuple[ClusterBuild, ClusterBuild] | None = field(default=None, repr=False, compare=False)
    """The base and head builds compared."""

    @property
    def has_differences(self) -> bool:
        if self.files is not None:
            return bool(self.files.kustomizations or self.files.helmreleases or self.files.failed)
        return bool(self.changes or self.findings)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == Severity.ERROR)

    def summary(self) -> dict[str, dict[str, int]]:
        """``{kind: {"added": n, "changed": n, "removed": n}}``, kinds sorted."""
        counts: Counter[tuple[str, str]] = Counter((c.kind, c.change) for c in self.changes)
        out: dict[str, dict[str, int]] = {}
        for kind in sorted({k for k, _ in counts}):
            out[kind] = {what: counts[(kind, what)] for what in ("added", "changed", "removed")}
        return out

    def to_json(self) -> dict[str, Any]:
        if self.files is not None:
            data = self.files.to_json()
        else:
            data = {
                "changes": [c.to_json() for c in self.changes],
                "images": [i.to_json() for i in self.images],
                "findings": [_finding_json(f) for f in self.findings],
                "not_compared": [n.to_json() for n in self.not_compared],
            }
        masked: dict[str, Any] = self.masker.data(data) if self.masker is not None else data
        return masked

    def mask_text(self, text: str) -> str:
        """``text`` (rendered from this result) with every secret value and derived form masked."""
        return self.masker.text(text) if self.masker is not None else text


def _finding_json(f: Finding) -> dict[str, Any]:
    keys = ("code", "rule", "severity", "message", "file", "line", "column", "object")
    data = f.to_json()
    return {k: data[k] for k in keys}


def diff(options: DiffOptions) -> DiffResult:
    """Compare the cluster built from ``options.base`` with the one built from the head."""
    if options.target not in TARGETS:
        raise UsageError(f"unknown target {options.target!r}: use ks NAME, hr NAME or all")
    if options.target != "all" and not options.name:
        raise UsageError(f"`diff {options.target}` needs a name")
    copts = options.repo.cluster_options()
    git = GitRepo.at(copts.repo)
    head_label = options.head or "work tree"
    git.commit(options.base)
    if options.head is not None:
        git.commit(options.head)
    if _same_tree(git, options.base, options.head):
        empty = FilesResult([]) if options.files_only else None
        return DiffResult(options.base, head_label, files=empty)
    with tempfile.TemporaryDirectory(prefix="homeops-diff-", dir=scratch_dir()) as tmp:
        remotes = git_remote_urls(copts.repo)
        cluster = options.repo.cluster
        extraction = git.start_extract(options.base, Path(tmp) / "base")  # written while the head builds
        try:
            head_root = copts.repo
            if options.head is not None:
                head_root = git.extract(options.head, Path(tmp) / "head")
                mirror_remotes(remotes, head_root)
            head = in_cluster(
                build_cluster(dataclasses.replace(copts, repo=head_root, cache_identity=str(copts.repo))),
                cluster,
            )
            base_root = extraction.wait()
        finally:
            extraction.stop()
        mirror_remotes(remotes, base_root)
        base = in_cluster(
            build_cluster(dataclasses.replace(copts, repo=base_root, cache_identity=str(copts.repo))), cluster
        )
        require_built(base, head, options.base, head_label)
        changed = git.changed_files(options.base, options.head)
        pairing = pair(base, head)
        masker = clusters_masker((base, head), copts.identities)
        if options.files_only:
            files = touched(changed, base, head)
            files.failed = pairing.failures
            return DiffResult(options.base, head_label, files=files, masker=masker, builds=(base, head))
        result = _masked(_compare(options, base, head, changed, head_label, pairing, masker), masker)
        result.builds = (base, head)
        return result


def _same_tree(git: GitRepo, base: str, head: str | None) -> bool:
    base_tree = git.tree(base)
    if head is not None:
        return base_tree == git.tree(head)
    return base_tree == git.tree("HEAD") and git.worktree_clean()


def _compare(
    options: DiffOptions,
    base: ClusterBuild,
    head: ClusterBuild,
    changed: list[str],
    head_label: str,
    pairing: Pairing,
    masker: SecretMasker,
) -> DiffResult:
    base_index, head_index = index_cluster(base), index_cluster(head)
    for key in pairing.excluded:  # under a Kustomization that cannot be compared: neither added nor removed
        base_index.pop(key, None)
        head_index.pop(key, None)
    base_values, head_values = side_values(base), side_values(head)
    unchanged = _unchanged(base_index, head_index)
    changes, images = compare(
        base_index, head_index, base_values, head_values, options.strip_attrs, masker, unchanged
    )
    ctx = DiffContext(
        base, head, base_index, head_index, base_values, head_values, changes, tuple(changed),
        pairing.not_compared,
    )  # fmt: skip
    findings: list[Finding] = []
    for rule in rules_of_kind("diff"):
        findings.extend(rule.check(ctx))
    findings.sort(key=lambda f: (f.code, f.file, f.line, f.object))
    problems = sorted(set(head.problems) - set(base.problems))
    result = DiffResult(
        options.base, head_label, changes, images, findings, None, problems, pairing.not_compared, masker
    )
    return _scoped(result, options, base, head)


def _masked(result: DiffResult, mask: SecretMasker) -> DiffResult:
    """``result`` with the secret values (and derived forms) masked in every text it holds: the object
    diffs were made from masked objects, but computed values, images, notes and messages were not."""
    if not mask.active:
        return result
    result.changes = [
        dataclasses.replace(
            c, diff=mask.text(c.diff), values_diff=mask.text(c.values_diff), note=mask.text(c.note)
        )
        for c in result.changes
    ]
    result.images = [
        ImageChange(
            i.object,
            mask.text(i.where),
            None if i.old is None else mask.text(i.old),
            None if i.new is None else mask.text(i.new),
        )
        for i in result.images
    ]
    result.findings = [mask.finding(f) for f in result.findings]
    result.problems = [mask.text(p) for p in result.problems]
    result.not_compared = [dataclasses.replace(n, error=mask.text(n.error)) for n in result.not_compared]
    return result


def _scoped(result: DiffResult, options: DiffOptions, base: ClusterBuild, head: ClusterBuild) -> DiffResult:
    """Keep what ``ks NAME`` / ``hr NAME`` / ``all -n NS`` asks for. Kustomizations that cannot be compared
    are kept when they are the one asked for, above it or below it (with ``all``: always)."""
    ns, name = options.namespace, options.name
    related: set[str] | None = None  # ids of the Kustomizations whose failures matter; None: all
    if options.target == "all":
        if ns is None:
            return result
        keep = [c for c in result.changes if c.key.namespace == ns]
    elif options.target == "ks":
        found = [(side, n) for side in (base, head) for n in side.find(str(name), ns)]
        if not found:
            known = sorted({n.name for side in (base, head) for n in side.nodes})
            raise UsageError(
                f"no Kustomization named {name!r} on either side", hint=_known(known, result.not_compared)
            )
        parents = {node_id(n) for _, n in found}
        keep = [c for c in result.changes if c.parent in parents]
        related = {node_id(n) for side, top in found for n in (*_ancestors(top), *subtree(side, top))}
    else:
        hrs = [
            h for side in (base, head) for h in side.helmreleases
            if h.hr.name == name and (ns is None or h.hr.namespace == ns)
        ]  # fmt: skip
        if not hrs:
            known = sorted({h.hr.name for side in (base, head) for h in side.helmreleases})
            raise UsageError(
                f"no HelmRelease named {name!r} on either side", hint=_known(known, result.not_compared)
            )
        wanted = {(h.hr.namespace, h.hr.name) for h in hrs}
        keep = [
            c for c in result.changes
            if c.key.kind == "HelmRelease" and (c.key.namespace, c.key.name) in wanted
        ]  # fmt: skip
        related = {node_id(n) for h in hrs for n in _ancestors(h.parent)}
    refs = {c.ref for c in keep}
    if related is not None:
        result.not_compared = [n for n in result.not_compared if n.id in related]
    kept = {n.id for n in result.not_compared}
    result.changes = keep
    result.images = [i for i in result.images if i.object in refs]
    result.findings = [
        f for f in result.findings if f.object in refs or (f.code == HO308 and f.object in kept)
    ]
    return result


def _ancestors(node: KsNode) -> list[KsNode]:
    """``node`` and the Kustomizations applying it, up to its root."""
    out: list[KsNode] = []
    cursor: KsNode | None = node
    while cursor is not None:
        out.append(cursor)
        cursor = cursor.parent
    return out


def _known(names: list[str], not_compared: list[NotCompared]) -> str | None:
    parts = ["known: " + ", ".join(names[:20])] if names else []
    failed = [n.id for n in not_compared if n.status == "failed"]
    if failed:
        parts.append("these fail to build, so what they apply is unknown: " + ", ".join(failed[:10]))
    return "; ".join(parts) or None


__all__ = ["TARGETS", "DiffOptions", "DiffResult", "diff"]


def _unchanged(base: dict[ObjKey, Item], head: dict[ObjKey, Item]) -> frozenset[ObjKey]:
    """Keys whose object a Kustomization with the same build-cache key built on both sides (so the same
    object); objects a chart rendered are not covered by that key."""
    nodes = {id(i.node): i.node for side in (base, head) for i in side.values()}
    own = {id(o) for n in nodes.values() for o in n.objects}
    out = []
    for key, h in head.items():
        b = base.get(key)
        if b is None or not h.node.cache_key or b.node.cache_key != h.node.cache_key:
            continue
        if id(h.obj) in own and id(b.obj) in own:
            out.append(key)
    return frozenset(out)
