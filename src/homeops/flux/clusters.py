"""Clusters and the Kustomizations nothing applies.

Roots defined in one directory (``clusters/<name>/``, its ``flux-system/`` folder included) make one tree.
Trees are then grouped into clusters: a tree joins the first cluster none of whose Flux Kustomizations or
objects it defines again (two trees that both define ``flux-system/flux-system`` are two clusters; a tree
that only adds Kustomizations of its own belongs with the others). Each cluster is named by what tells its
roots' directories apart (``clusters/staging`` and ``clusters/production`` give ``staging`` and
``production``); a repository with one cluster names it ``""``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from homeops.flux.roots import Discovery, _is_under

if TYPE_CHECKING:
    from homeops.flux.cluster import ClusterOptions, KsNode, NotApplied
    from homeops.flux.repository import Repository


def _identities(nodes: list[KsNode]) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for n in nodes:
        out.add(("Kustomization", n.namespace, n.name))
        out.update(n.identities())
    return out


def cluster_names(keys: list[str]) -> list[str]:
    """Names telling the directories ``keys`` apart: their common leading and trailing parts dropped."""
    if len(keys) < 2:
        return [""] * len(keys)
    split = [k.split("/") if k else [] for k in keys]
    lead = 0
    while all(len(p) > lead for p in split) and len({p[lead] for p in split}) == 1:
        lead += 1
    trail = 0
    while all(len(p) > lead + trail for p in split) and len({p[len(p) - 1 - trail] for p in split}) == 1:
        trail += 1
    names = ["/".join(p[lead : len(p) - trail]) or (keys[i] or "(root)") for i, p in enumerate(split)]
    return names if len(set(names)) == len(names) else [k or "(root)" for k in keys]


def assign_clusters(nodes: list[KsNode], notes: list[str]) -> list[str]:
    """Group the trees of ``nodes`` (their ``tree`` is the roots' directory) into clusters, rename each
    node's ``tree`` to its cluster's name, and return the names, in order."""
    trees: dict[str, list[KsNode]] = {}
    for n in nodes:
        trees.setdefault(n.tree, []).append(n)
    clusters: list[tuple[str, set[tuple[str, ...]], list[str]]] = []  # (first key, identities, keys)
    for key, members in trees.items():
        ids = _identities(members)
        for _, seen, keys in clusters:
            if not (seen & ids):
                seen |= ids
                keys.append(key)
                break
        else:
            clusters.append((key, ids, [key]))
    names = cluster_names([first for first, _, _ in clusters])
    rename = {key: name for (_, _, keys), name in zip(clusters, names, strict=True) for key in keys}
    for n in nodes:
        n.tree = rename[n.tree]
    if len(names) > 1:
        shown = "; ".join(
            f"{name}: roots in {', '.join(k or '.' for k in keys)}"
            for (_, _, keys), name in zip(clusters, names, strict=True)
        )
        notes.append(f"{len(names)} clusters, each built as its own tree ({shown})")
    return names


def not_applied(
    repo: Repository, found: Discovery, nodes: list[KsNode], options: ClusterOptions
) -> list[NotApplied]:
    """Every Kustomization of the repository that no tree applies, once, with the reason."""
    from homeops.flux.cluster import NotApplied

    reached = {(n.defined_at.file, n.defined_at.line) for n in nodes}
    cluster_of = {(n.defined_at.file, n.defined_at.line): n.tree for n in nodes}
    node_at = {(n.defined_at.file, n.defined_at.line): n for n in nodes}
    out: list[NotApplied] = []
    for c in found.candidates:
        if c.synthetic or c.key in reached:
            continue
        holders = found.held_by.get(c.key, [])
        applied = [k for k in holders if k.key in reached]
        if applied:
            k = applied[0]
            where = k.dirs[0] if k.dirs else k.ks.path
            holder = node_at[k.key]
            if holder.status == "failed":
                reason = f"in the path of {k.ref} ({where or '.'}), whose build failed: {holder.error}"
            elif holder.status == "external":
                reason = f"in the path of {k.ref} ({where or '.'}), which is not built: {holder.error}"
            else:
                reason = (
                    f"in the path of {k.ref} ({where or '.'}), whose build does not include it:"
                    " no kustomization.yaml there lists it"
                )
            out.append(NotApplied(c.ks, c.defined_at, reason, cluster_of.get(k.key, "")))
        elif found.selected and not any(_is_under(c.file, s.strip("/")) for s in found.selected):
            reason = f"outside the selected roots (--root {' '.join(found.selected)})"
            out.append(NotApplied(c.ks, c.defined_at, reason, "", True))
        elif holders:
            k = holders[0]
            out.append(NotApplied(c.ks, c.defined_at, f"in the path of {k.ref}, which is not applied itself"))
        else:
            dirs = sorted({os.path.dirname(n.defined_at.file) for n in nodes if n.parent is None})
            reason = (
                "nothing applies it: no Kustomization's path holds its file, and it lies away from the"
                f" cluster's roots ({', '.join(dirs) or 'none'})"
            )
            out.append(NotApplied(c.ks, c.defined_at, reason))
    return out


def stray_roots(found: Discovery, nodes: list[KsNode]) -> set[int]:
    """Roots found only because nothing holds them, that apply no other Kustomization and lie away from
    the directories of the roots that do (a leftover ``ks.yaml`` nobody lists): they are not applied.
    When no root applies others, every root stays."""
    kinds = {(r.candidate.defined_at.file, r.candidate.defined_at.line): r.kind for r in found.roots}
    roots = [n for n in nodes if n.parent is None]
    parents = {id(n.parent) for n in nodes if n.parent is not None}
    trees = [
        n for n in roots if id(n) in parents or kinds.get((n.defined_at.file, n.defined_at.line)) != "plain"
    ]
    if not trees:
        return set()
    tree_dirs = {os.path.dirname(n.defined_at.file) for n in trees}
    stray: set[int] = set()
    for n in roots:
        key = (n.defined_at.file, n.defined_at.line)
        if kinds.get(key) != "plain" or id(n) in parents or os.path.dirname(n.defined_at.file) in tree_dirs:
            continue
        stray.add(id(n))
    return stray
