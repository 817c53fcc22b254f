"""The roots of the applied tree: what bootstraps the cluster, as Flux has it.

A Flux Kustomization is *applied* when an applied Kustomization's build contains it. Before anything is
built, a Kustomization J is *held* by another K when J's file lies in K's ``spec.path`` (resolved through
K's source). The roots are:

- ``FluxInstance.spec.sync`` (flux-operator): the Kustomization and source the operator creates;
- the Kustomization ``flux bootstrap`` creates, when ``<dir>/flux-system/`` holds its generated files but
  no Kustomization object (placeholder ``gotk-sync.yaml``);
- every Kustomization no other Kustomization holds, including one whose own path holds its file (the
  ``flux bootstrap`` layout: ``flux-system`` syncs ``./clusters/<name>``, where it is defined);
- in a cycle that nothing outside holds (apps -> flux -> apps), one member, chosen as said in its reason.

With ``--root PATH`` (several allowed) only the candidates defined under those paths are considered.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from homeops.errors import Location, UsageError
from homeops.flux.kinds import KUSTOMIZE_GROUP, FluxKustomization
from homeops.flux.repository import ObjectEntry, Repository
from homeops.flux.sources import LOCAL_SOURCE_KINDS, SourceSet
from homeops.kustomize.files import path_problem
from homeops.yaml.nodes import YMap, as_map

OPERATOR_GROUP = "fluxcd.controlplane.io"
_BOOTSTRAP_FILES = ("gotk-sync.yaml", "gotk-components.yaml")


@dataclass
class Candidate:
    """A Flux Kustomization that may be a root: defined in a file, or synthesised for a bootstrap."""

    ks: FluxKustomization
    defined_at: Location
    file: str  # repository-relative file that defines it
    synthetic: str = ""  # why it was synthesised ("" for a Kustomization object of the repository)
    dirs: tuple[str, ...] = ()  # repository-relative directories (or glob patterns) its path covers
    base: str = ""  # the source root its path was resolved under ("" = the repository root)
    group: str = ""  # the directory that groups the roots of one cluster
    sync_url: str = ""  # for a FluxInstance sync: the URL it syncs

    @property
    def key(self) -> tuple[str, int]:
        return (self.file, self.defined_at.line)

    @property
    def ref(self) -> str:
        return f"Kustomization/{self.ks.namespace}/{self.ks.name}"


@dataclass(frozen=True, slots=True)
class Root:
    """A root of the tree and why it was taken as one."""

    candidate: Candidate
    reason: str
    kind: str = "plain"  # synthetic | self | plain | cycle (how it was found)


@dataclass
class Discovery:
    """The roots, every candidate and which candidates hold which."""

    roots: list[Root]
    candidates: list[Candidate]
    held_by: dict[tuple[str, int], list[Candidate]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    selected: tuple[str, ...] = ()  # the --root paths, when given


def _is_under(path: str, directory: str) -> bool:
    if directory in ("", "."):
        return True
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _norm(path: str) -> str:
    p = os.path.normpath(path.strip().lstrip("/")) if path.strip() else "."
    return "" if p == "." else p


def _ancestors(rel_file: str) -> list[str]:
    """The directories holding ``rel_file``, from the top-level one down."""
    parts = rel_file.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def resolve_dirs(
    repo: Path, ks: FluxKustomization, rel_file: str, source_root: str | None
) -> tuple[str, str] | None:
    """(directory, base): where ``ks.path`` points in the repository, and the source root it resolved
    under. A literal path is looked up under the source root (``--source-root``), else the repository root,
    else each directory holding the defining file (an OCI artifact pushed from a subfolder); a ``${VAR}``
    path becomes a glob pattern. ``""`` is the repository root; None when the path points nowhere."""
    path = ks.path.strip() or "./"
    if path_problem(path) is not None:
        return None  # no directory has that name: the Kustomization's "path not found" says where
    bases = [_norm(source_root)] if source_root is not None else ["", *_ancestors(rel_file)]
    if "${" in path:
        pattern = re.sub(r"\$\{[^}]*\}", "*", path)
        return _norm(os.path.join(bases[0], pattern)), bases[0]
    for base in bases:
        rel = _norm(os.path.join(base, path))
        if rel.startswith(".."):
            continue
        if (repo / rel).is_dir():
            return rel, base
    return None


def _holds(k: Candidate, rel_file: str) -> bool:
    directory = os.path.dirname(rel_file)
    for d in k.dirs:
        if "*" in d:
            if fnmatch.fnmatchcase(directory, d) or fnmatch.fnmatchcase(directory, d + "/*"):
                return True
        elif _is_under(rel_file, d):
            return True
    return False


def _held_by(everything: list[Candidate]) -> dict[tuple[str, int], list[Candidate]]:
    """For each candidate, the others whose directories hold its file (``_holds``), in ``everything``
    order; literal directories are looked up by the file's ancestors, globs are matched one by one."""
    by_dir: dict[str, list[int]] = {}
    globbed: list[int] = []
    for i, k in enumerate(everything):
        for d in k.dirs:
            if "*" in d:
                globbed.append(i)
            else:
                by_dir.setdefault("" if d in ("", ".") else d.rstrip("/"), []).append(i)
    out: dict[tuple[str, int], list[Candidate]] = {}
    for c in everything:
        found = {i for a in ["", *_ancestors(c.file)] for i in by_dir.get(a, ())}
        found.update(by_dir.get(c.file, ()))
        found.update(i for i in globbed if _holds(everything[i], c.file))
        out[c.key] = [everything[i] for i in sorted(found) if everything[i] is not c]
    return out


def _group(rel_dir: str) -> str:
    parts = [p for p in rel_dir.split("/") if p]
    if parts and parts[-1] == "flux-system":
        parts = parts[:-1]
    return "/".join(parts)


def _synthetic_ks(name: str, namespace: str, path: str, source: YMap, at: Location) -> FluxKustomization:
    from homeops.yaml.nodes import Pos

    obj = YMap()
    obj["apiVersion"] = "kustomize.toolkit.fluxcd.io/v1"
    obj["kind"] = "Kustomization"
    md = YMap()
    md["name"] = name
    md["namespace"] = namespace
    obj["metadata"] = md
    spec = YMap()
    spec["interval"] = "10m"
    spec["path"] = path
    spec["prune"] = True
    spec["sourceRef"] = source
    obj["spec"] = spec
    obj.pos = Pos(at.file, at.line, at.column or 1)
    return FluxKustomization.from_obj(obj)


def fluxinstance_roots(repo: Repository) -> list[Candidate]:
    """The Kustomization each ``FluxInstance.spec.sync`` makes flux-operator create (named after
    ``spec.sync.name``, else the FluxInstance's namespace, in that namespace)."""
    out: list[Candidate] = []
    for e in repo.entries:
        if e.kind != "FluxInstance" or e.group != OPERATOR_GROUP:
            continue
        sync = as_map(as_map(e.obj.get("spec")).get("sync"))
        if not sync:
            continue
        namespace = e.namespace or "flux-system"
        name = str(sync.get("name") or namespace)
        kind = str(sync.get("kind") or "GitRepository")
        path = str(sync.get("path") or "./")
        src = YMap()
        src["kind"] = kind
        src["name"] = name
        src["namespace"] = namespace
        at = e.location
        ks = _synthetic_ks(name, namespace, path, src, at)
        why = (
            f"synced by FluxInstance {namespace}/{e.name or ''} ({at}): {kind} {sync.get('url', '')}"
            f" ref {sync.get('ref', '')} path {path}"
        )
        out.append(Candidate(ks, at, e.rel, synthetic=why, sync_url=str(sync.get("url") or "")))
    return out


def implied_bootstrap_roots(repo: Repository, existing: list[Candidate]) -> list[Candidate]:
    """The Kustomization ``flux bootstrap`` creates, for each ``<dir>/flux-system/`` that holds its generated
    files but defines no Kustomization (a placeholder ``gotk-sync.yaml``), unless another one syncs
    ``<dir>``."""
    out: list[Candidate] = []
    defined_dirs = {os.path.dirname(c.file) for c in existing}
    synced_dirs = {d for c in existing for d in c.dirs}
    seen: set[str] = set()
    for path in repo.files:
        if path.name not in _BOOTSTRAP_FILES or path.parent.name != "flux-system":
            continue
        rel = repo.rel(path)
        directory, name = os.path.split(rel)
        if name not in _BOOTSTRAP_FILES or os.path.basename(directory) != "flux-system":
            continue
        cluster_dir = os.path.dirname(directory)
        if directory in seen or directory in defined_dirs or cluster_dir in synced_dirs:
            continue
        seen.add(directory)
        src = YMap()
        src["kind"] = "GitRepository"
        src["name"] = "flux-system"
        src["namespace"] = "flux-system"
        at = Location(
            f"{directory}/gotk-sync.yaml" if (repo.root / directory / "gotk-sync.yaml").is_file() else rel, 1
        )
        ks = _synthetic_ks("flux-system", "flux-system", f"./{cluster_dir}", src, at)
        why = (
            f"the Kustomization flux bootstrap creates for ./{cluster_dir}: {directory}/ holds its generated"
            " files but no Kustomization object"
        )
        out.append(Candidate(ks, at, at.file, synthetic=why))
    return out


def _entry_candidate(e: ObjectEntry) -> Candidate:
    return Candidate(FluxKustomization.from_obj(e.obj), e.location, e.rel)


def discover(
    repo: Repository,
    sources: SourceSet,
    *,
    selected: tuple[str, ...] = (),
    source_root: str | None = None,
) -> Discovery:
    """Every candidate, who holds whom, and the roots (restricted to ``selected`` paths when given)."""
    entries = [_entry_candidate(e) for e in repo.flux_entries(KUSTOMIZE_GROUP, "Kustomization")]
    synthetic = fluxinstance_roots(repo)
    for c in [*synthetic, *entries]:
        c.dirs, c.base = _dirs_of(repo, c, sources, source_root)
    implied = implied_bootstrap_roots(repo, [*synthetic, *entries])
    for c in implied:
        c.dirs, c.base = _dirs_of(repo, c, sources, source_root)
    everything = [*synthetic, *implied, *entries]
    held_by = _held_by(everything)
    pool = everything
    notes: list[str] = []
    if selected:
        wanted = [_norm(p) for p in selected]
        for w in wanted:
            if w.startswith(".."):
                raise UsageError(f"--root {w} is outside the repository {repo.root}")
            if not (repo.root / w).exists():
                raise UsageError(f"--root {w} does not exist in the repository {repo.root}")
        pool = [c for c in everything if any(_is_under(c.file, w) for w in wanted)]
        if not pool:
            shown = ", ".join(wanted)
            raise UsageError(
                f"no Flux Kustomization or FluxInstance is defined under {shown}",
                hint="give the directory holding the root Kustomization (e.g. clusters/<name>/flux-system)",
            )
    roots = _roots(pool, held_by, forced=synthetic)
    if selected:
        roots = [Root(r.candidate, f"selected with --root; {r.reason}", "selected") for r in roots]
    for r in roots:
        c = r.candidate
        c.group = (
            _group(_norm(c.ks.path))
            if c.synthetic.startswith("synced by")
            else _group(os.path.dirname(c.file))
        )
        if c.base:
            notes.append(
                f"{c.ref} ({c.defined_at}): its source's paths resolve under {c.base}/ ({c.ks.path} does not"
                " exist at the repository root); override with --source-root or sourceRoot:"
            )
    return Discovery(roots, everything, held_by, notes, tuple(selected))


def _dirs_of(
    repo: Repository, c: Candidate, sources: SourceSet, source_root: str | None
) -> tuple[tuple[str, ...], str]:
    ref = c.ks.source_ref
    if ref is None or ref.kind not in LOCAL_SOURCE_KINDS:
        return (), ""
    url = sources.url_of(ref)
    if url and sources.remote_confirmed() and url not in sources.remotes and not sources.configured:
        return (), ""
    found = resolve_dirs(repo.root, c.ks, c.file, source_root)
    return ((found[0],), found[1]) if found is not None else ((), "")


def _roots(
    pool: list[Candidate], held_by: dict[tuple[str, int], list[Candidate]], forced: Iterable[Candidate]
) -> list[Root]:
    in_pool = {id(c) for c in pool}
    holders = {c.key: [k for k in held_by[c.key] if id(k) in in_pool] for c in pool}
    roots: list[Root] = []
    forced_ids = {id(c) for c in forced}
    for c in pool:
        if id(c) in forced_ids or c.synthetic:
            roots.append(Root(c, c.synthetic, "synthetic"))
        elif not holders[c.key]:
            if _holds(c, c.file):
                why = (
                    f"nothing else applies it; its own path {c.ks.path} holds the file that defines it"
                    " (the flux bootstrap layout)"
                )
                roots.append(Root(c, why, "self"))
            else:
                why = f"nothing else applies it: no other Kustomization's path holds {c.file}"
                roots.append(Root(c, why, "plain"))
    children: dict[int, list[Candidate]] = {}
    for c in pool:
        for k in holders[c.key]:
            children.setdefault(id(k), []).append(c)
    while True:
        reached = _reach([r.candidate for r in roots], children)
        left = [c for c in pool if id(c) not in reached]
        if not left:
            return roots
        pick = _pick_cycle_root(left, holders, children)
        roots.append(pick)


def _reach(start: list[Candidate], children: dict[int, list[Candidate]]) -> set[int]:
    seen: set[int] = set()
    stack = list(start)
    while stack:
        c = stack.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        stack.extend(children.get(id(c), ()))
    return seen


def _pick_cycle_root(
    left: list[Candidate],
    holders: dict[tuple[str, int], list[Candidate]],
    children: dict[int, list[Candidate]],
) -> Root:
    """Among the candidates nothing reached, a strongly connected set that nothing outside it holds (a
    cycle such as apps -> flux -> apps) gives one root."""
    left_ids = {id(c) for c in left}
    inner = {k: [c for c in v if id(c) in left_ids] for k, v in children.items()}
    reach = {id(c): _reach([c], inner) for c in left}
    for c in left:
        scc = [d for d in left if id(d) in reach[id(c)] and id(c) in reach[id(d)]]
        scc_ids = {id(d) for d in scc}
        if all(id(k) in scc_ids for d in scc for k in holders[d.key] if id(k) in left_ids):
            break
    chosen = min(scc, key=_rank)
    names = " -> ".join(d.ks.name for d in [*_cycle_order(chosen, scc_ids, inner), chosen])
    if _holds(chosen, chosen.file):
        why = "its own path holds its file"
    elif chosen.ks.name == "flux-system":
        why = "it is named flux-system"
    else:
        why = f"its file {chosen.file} is the least deep"
    return Root(
        chosen, f"the cycle {names} is applied by nothing outside it; taken as the root because {why}"
    )


def _rank(c: Candidate) -> tuple[int, int, int, str, int]:
    return (
        0 if _holds(c, c.file) else 1,
        0 if c.ks.name == "flux-system" else 1,
        c.file.count("/"),
        c.file,
        c.defined_at.line,
    )


def _cycle_order(start: Candidate, scc_ids: set[int], inner: dict[int, list[Candidate]]) -> list[Candidate]:
    """``start`` and the members it applies, in order, until the cycle closes."""
    order = [start]
    current = start
    while True:
        nxt = next((c for c in inner.get(id(current), ()) if id(c) in scc_ids and c not in order), None)
        if nxt is None:
            return order
        order.append(nxt)
        current = nxt
