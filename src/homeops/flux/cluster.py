"""The cluster tree: every Flux Kustomization built as kustomize-controller would build it.

The roots (see ``homeops.flux.roots``) are built from their ``spec.path`` in the source that is this
repository (see ``homeops.flux.sources``), with Flux's generator, post-build substitution,
``commonMetadata`` and the ownership labels ``flux build`` adds. Every Flux Kustomization found in a build's
output is then built in turn. One failure never stops the others: it is recorded on its node. Kustomizations
that nothing applies are listed once, with the reason; the roots are grouped into clusters (see
``homeops.flux.clusters``) whose objects are never merged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from homeops.errors import HomeopsError, Location
from homeops.flux.artifactsrc import EXTERNAL_ARTIFACT, ArtifactSources
from homeops.flux.clustercache import cache_writer, load_repository, node_cache, start_helper, stored_objects
from homeops.flux.kinds import (
    FluxKustomization,
    HelmRelease,
    is_flux_kustomization,
    is_helmrelease,
)
from homeops.flux.postbuild import (
    NAME_LABEL,
    NAMESPACE_LABEL,
    add_owner_labels,
    apply_common_metadata,
    pos_location,
    variable_uses,
)
from homeops.flux.repository import Repository
from homeops.flux.roots import Discovery, discover, resolve_dirs
from homeops.flux.secrets import SecretResolver
from homeops.flux.sources import SourceSet, chart_in_repository, git_remote_urls, normalize_url
from homeops.flux.variables import is_substitution_disabled
from homeops.kustomize.build import Builder
from homeops.yaml.nodes import YMap

if TYPE_CHECKING:
    from homeops.cache.nodes import NodeResult
    from homeops.flux.prefetch import Prefetch

__all__ = ["NAMESPACE_LABEL", "NAME_LABEL", "variable_uses"]


from homeops.flux.clustertypes import (
    ClusterBuild as ClusterBuild,
)
from homeops.flux.clustertypes import (
    ClusterOptions as ClusterOptions,
)
from homeops.flux.clustertypes import FoundReleases
from homeops.flux.clustertypes import (
    HelmReleaseNode as HelmReleaseNode,
)
from homeops.flux.clustertypes import (
    KsNode as KsNode,
)
from homeops.flux.clustertypes import (
    NotApplied as NotApplied,
)
from homeops.flux.clustertypes import (
    Unresolved as Unresolved,
)
from homeops.flux.clustertypes import (
    VariableUse as VariableUse,
)

_CHILD_KINDS = frozenset({"Kustomization"})  # what the walk goes on with
_RELEASE_KINDS = frozenset({"HelmRelease"})
_RESOURCE_SET = frozenset({"ResourceSet"})


def _obj_location(obj: YMap, repo: Repository) -> Location:
    pos = obj.pos
    if pos is None:
        return Location("")
    return Location(repo.rel_file(pos.file), pos.line, pos.column)


class ClusterBuilder:
    """Walks and builds the tree of Flux Kustomizations of one repository."""

    def __init__(self, repo: Repository, options: ClusterOptions, builder: Builder | None = None) -> None:
        self.repo = repo
        self.options = options
        self.builder = builder or Builder(repo.root)
        self.secrets = SecretResolver(repo, options.identities)
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.sources = SourceSet(remotes=git_remote_urls(repo.root), configured=options.sources)
        for source in repo.sources():
            self.sources.add_object(source)
        self._bases: dict[tuple[str, str, str], str] = {}
        self.artifacts = ArtifactSources(repo.root, self.sources)
        self.cache = node_cache(options, self.builder)  # None: off

    # -- roots ----------------------------------------------------------------------------------------
    def discover(self) -> Discovery:
        """The roots, and which sources they make this repository."""
        found = discover(
            self.repo, self.sources, selected=self.options.roots, source_root=self.options.source_root
        )
        for root in found.roots:
            c = root.candidate
            ref = c.ks.source_ref
            if ref is None:
                continue
            trusted = bool(c.synthetic) or not self.options.roots or ref.name == "flux-system"
            if c.sync_url:
                self.sources.self_urls.add(normalize_url(c.sync_url))
            self.sources.mark_synced(ref, f"what root {c.ref} syncs", trusted=trusted)
            key = (ref.kind, ref.namespace, ref.name)
            if c.base and key not in self._bases:
                self._bases[key] = c.base
        self.notes.extend(found.notes)
        return found

    # -- the walk -------------------------------------------------------------------------------------
    def build(self) -> ClusterBuild:
        from homeops.flux.clusters import assign_clusters, not_applied, stray_roots

        found = self.discover()
        nodes: list[KsNode] = []
        starts = [
            KsNode(c.ks, c.group, None, c.defined_at, root_reason=r.reason, synthesized=bool(c.synthetic))
            for r in found.roots
            for c in [r.candidate]
        ]
        try:
            for i, start in enumerate(starts):
                self.walk_root(start, nodes, starts[i + 1 :])
        finally:
            if self.cache is not None and self.cache.feed is not None:
                self.cache.feed.stop()
                self.cache.feed = None
        stray = stray_roots(found, nodes)
        if stray:
            nodes = [n for n in nodes if id(n) not in stray]
        clusters = assign_clusters(nodes, self.notes)
        left_out = not_applied(self.repo, found, nodes, self.options)
        if self.options.cluster is not None:
            from homeops.errors import UsageError

            if self.options.cluster not in clusters:
                known = ", ".join(c or "(default)" for c in clusters) or "none"
                raise UsageError(
                    f"no cluster named {self.options.cluster!r}", hint=f"known clusters: {known}"
                )
            nodes = [n for n in nodes if n.tree == self.options.cluster]
            left_out = [
                n
                if n.cluster in (self.options.cluster, "")
                else NotApplied(n.ks, n.defined_at, f"in cluster {n.cluster}, not selected", n.cluster, True)
                for n in left_out
            ]
        return ClusterBuild(
            self.repo,
            nodes,
            FoundReleases(lambda: [h for n in nodes for h in self.releases_of(n)]),
            left_out,
            self.problems + list(dict.fromkeys(self.secrets.problems)) + [str(p) for p in self.repo.problems],
            self.notes,
            clusters,
            self.artifacts,
        )

    def walk_root(
        self,
        start: KsNode,
        nodes: list[KsNode],
        later: list[KsNode] | None = None,
    ) -> None:
        """Build the tree under ``start`` (``later``: the roots walked after it, which a helper process may
        build meanwhile; in a helper, ``later`` is None and the queue is taken from its end)."""
        seen = {(n.tree, n.namespace, n.name): n for n in nodes if n.tree == start.tree}
        self.walk_queue([start], seen, nodes, later)

    def walk_queue(
        self,
        queue: list[KsNode],
        seen: dict[tuple[str, str, str], KsNode],
        nodes: list[KsNode],
        later: list[KsNode] | None,
    ) -> None:
        while queue:
            node = queue.pop(0 if later is not None else -1)
            if later is not None and self.cache is not None:
                feed = self.cache.feed
                if feed is None or feed.finished:  # none yet, or one that did all it was given
                    start_helper(self, self.cache, (queue, seen, nodes), later)
            key = (node.tree, node.namespace, node.name)
            if key in seen:
                first = seen[key]
                if (first.defined_at.file, first.defined_at.line) == (
                    node.defined_at.file,
                    node.defined_at.line,
                ) or first.root_reason:
                    by = node.parent.ref if node.parent else "a root"
                    first.notes.append(f"also applied by {by} (the same object: applied once)")
                else:
                    self.problems.append(
                        f"{node.defined_at}: {node.ref} is defined more than once in the tree"
                        f" (first at {first.defined_at})"
                    )
                continue
            seen[key] = node
            nodes.append(node)
            self._build_node(node, nodes)
            self._expand_resourcesets(node)
            for obj in [*node.objects_of(_CHILD_KINDS), *node.generated, *node.discovered]:
                if is_flux_kustomization(obj):
                    child = FluxKustomization.from_obj(obj)
                    queue.append(KsNode(child, node.tree, node, _obj_location(obj, self.repo)))

    def releases_of(self, node: KsNode) -> list[HelmReleaseNode]:
        """The HelmReleases ``node`` applies (its own and those its ResourceSets generate), in order."""
        found: list[HelmReleaseNode] = []
        for obj in [*node.objects_of(_RELEASE_KINDS), *node.generated, *node.discovered]:
            if is_helmrelease(obj):
                hr = HelmRelease.from_obj(obj)
                chart_dir, chart_error = self._local_chart(hr)
                found.append(HelmReleaseNode(hr, obj, node, chart_dir, chart_error))
        return found

    def _expand_resourcesets(self, node: KsNode) -> None:
        """flux-operator ResourceSets with static inputs in ``node``'s output: the objects they make
        flux-operator apply go to ``node.generated``; what cannot be expanded offline is said."""
        generated: list[YMap] = []
        sets = node.objects_of(_RESOURCE_SET)
        if not sets:
            node.generated = generated  # nothing to expand (and the expander is not even imported)
            return
        from homeops.findings import describe_object
        from homeops.flux.resourceset import expand_resourceset, is_resourceset

        for obj in sets:
            if not is_resourceset(obj):
                continue
            result = expand_resourceset(obj)
            where = describe_object(obj)
            generated.extend(result.objects)
            self.problems.extend(f"{p.location}: {p.message}" for p in result.problems)
            self.notes.extend(f"unresolved ({_obj_location(obj, self.repo)}): {u}" for u in result.unresolved)
            if result.objects:
                node.notes.append(f"{len(result.objects)} objects generated by {where} (flux-operator)")
        node.generated = generated

    def _local_chart(self, hr: HelmRelease) -> tuple[Path | None, str]:
        """The directory of a chart that a GitRepository or Bucket that is this repository holds
        (``chart.spec.chart: ./charts/app``), or None; and why it cannot be used, when it cannot."""
        tpl = hr.chart
        if tpl is None or tpl.source_ref is None or tpl.source_ref.kind not in ("GitRepository", "Bucket"):
            return None, ""
        local, why = self.sources.decide(tpl.source_ref)
        if not local:
            return None, why
        ref = tpl.source_ref
        base = self.options.source_root
        if base is None:
            base = self._bases.get((ref.kind, ref.namespace, ref.name), "")
        return chart_in_repository(self.repo.root, base, tpl.chart, f"{ref.kind}/{ref.namespace}/{ref.name}")

    def rebuild(self, node: KsNode, done: list[KsNode]) -> None:
        """Build one node outside the tree walk (e.g. ``build ks --path``), its source taken as local."""
        if node.ks.source_ref is not None:
            self.sources.mark_synced(node.ks.source_ref, "given with --path", trusted=False)
        self._build_node(node, done)

    def _source_dir(self, node: KsNode) -> tuple[Path | None, str]:
        """The directory ``node``'s path points to in this repository, or None and why not."""
        ks = node.ks
        ref = ks.source_ref
        key = (ref.kind, ref.namespace, ref.name) if ref else ("", "", "")
        base = self.options.source_root if self.options.source_root is not None else self._bases.get(key)
        found = resolve_dirs(self.repo.root, ks, node.defined_at.file, base)
        if found is None and os.path.normpath(os.path.join(base or "", ks.path.strip())).startswith(".."):
            return None, f"path {ks.path!r} leaves the repository"
        if found is None:
            return None, f"{node.defined_at}: path {ks.path!r} not found in the source (expected a directory)"
        kdir = Path(self.builder.loader.realpath(str(self.repo.root / found[0])))
        if not kdir.is_relative_to(self.repo.root):
            return None, f"path {ks.path!r} leaves the repository"
        return kdir, ""

    def _build_node(self, node: KsNode, done: list[KsNode]) -> None:
        ks = node.ks
        node.path = ks.path or "./"
        if ks.suspend:
            node.notes.append("suspended: Flux does not apply it until resumed")
        if "${" in ks.path:
            node.status = "failed"
            node.error = f"path {ks.path!r} holds a variable no parent Kustomization substituted"
            return
        builder = self.builder
        ref = ks.source_ref
        if ref is not None and ref.kind == EXTERNAL_ARTIFACT:
            seen = [o for n in done if n.tree == node.tree for o in n.objects]
            found = self.artifacts.resolve(ref, node.tree, seen)
            if found.artifact is None:
                node.status, node.error = ("external" if found.external else "failed"), found.error
                return
            art = found.artifact
            self.repo.aliases.update(art.origin)
            node.notes.extend(art.notes)
            kdir = (art.root / (ks.path or ".")).resolve()
            if not kdir.is_relative_to(art.root) or not kdir.is_dir():
                node.status = "failed"
                node.error = f"path {ks.path!r} not found in the artifact of {art.generator}"
                return
            builder, node.source_dir = art.builder, art.root
        else:
            local, why = self.sources.decide(ref)
            if not local:
                node.status, node.error = "external", why
                return
            found_dir, error = self._source_dir(node)
            if found_dir is None:
                node.status, node.error = "failed", error
                return
            kdir, node.source_dir = found_dir, self.repo.root
        node.kdir = kdir
        cache, prekey = (self.cache, "") if builder is self.builder else (None, "")
        decrypted = self.secrets.decrypted
        # the node's variables, for the cache key and then the build
        resolved = self.secrets.node_variables(node, done) if cache is not None else None
        if cache is not None:
            prekey = cache.prekey(node, kdir, resolved)
            if self._restore(node, cache.lookup(prekey)):
                node.cache_key = cache.last_key
                return
        from homeops.flux.generator import flux_kustomization_file  # building: the cache missed

        notes, problems = len(node.notes), len(self.secrets.problems)
        reads: set[Path] = set()
        try:
            with builder.loader.tracking() as reads:
                kustomization = flux_kustomization_file(ks, kdir, builder.loader)
                node.kustomization = kustomization
                resmap = builder.build(kdir, kustomization)
            node.objects = self._finish(node, [r.obj for r in resmap], done, resolved)
            node.status = "ok"
        except HomeopsError as exc:
            node.status = "failed"
            node.error = str(exc)
            self._discover_offline(node, builder, kdir, done)
        finally:
            node.files = frozenset(self.repo.rel_file(str(p)) for p in reads)
        # Decrypted SOPS values never reach the disk: such a build is not cached.
        if cache is not None and node.status == "ok" and self.secrets.decrypted == decrypted:
            from homeops.cache.nodes import NodeResult

            result = NodeResult(
                stored_objects(node.objects),
                node.unresolved,
                node.uses,
                node.notes[notes:],
                node.kustomization,
                node.files,
                self.secrets.problems[problems:],
            )
            cache.save(prekey, kdir, reads, result)
            node.cache_key = cache.last_key

    def _restore(self, node: KsNode, hit: NodeResult | None) -> bool:
        """Take a cached build of ``node``; False when there is none."""
        if hit is None:
            return False
        node.restore_objects(hit.objects)
        node.unresolved, node.uses = hit.unresolved, hit.uses
        node.notes.extend(hit.notes)
        node.kustomization, node.files, node.status = hit.kustomization, hit.files, "ok"
        self.secrets.problems.extend(hit.problems)
        return True

    def _discover_offline(self, node: KsNode, builder: Builder, kdir: Path, done: list[KsNode]) -> None:
        """A build that failed offline on a remote resource: Flux, online, would apply the rest. Build it
        without its remote resources, only to find the Kustomizations and HelmReleases it applies."""
        if node.kustomization is None or "remote" not in node.error:
            return
        partial = builder.without_remote()
        try:
            objects = [r.obj for r in partial.build(kdir, node.kustomization)]
        except HomeopsError:
            return
        if not partial.skipped_remote:
            return
        unresolved, uses = list(node.unresolved), len(node.uses)
        found = self._finish(node, objects, done)
        node.unresolved = unresolved  # the failed build's own findings stand; these objects are not applied
        del node.uses[uses:]
        node.discovered = [o for o in found if is_flux_kustomization(o) or is_helmrelease(o)]
        skipped = ", ".join(sorted(set(partial.skipped_remote)))
        node.notes.append(
            f"offline, built without its remote resources ({skipped}) to find the "
            f"{len(node.discovered)} Kustomizations and HelmReleases it applies"
        )

    def _finish(
        self,
        node: KsNode,
        objects: list[YMap],
        done: list[KsNode],
        resolved: tuple[dict[str, str], list[Unresolved], str] | None = None,
    ) -> list[YMap]:
        """Flux's post-build on the kustomize output: substitution, decryption, common metadata, labels
        (``resolved``: the node's variables, when already looked up)."""
        from homeops.findings import describe_object
        from homeops.flux.varsub import substitute_object  # the substitution engine: only when building

        ks = node.ks
        variables, unresolved_sources, open_note = resolved or self.secrets.node_variables(node, done)
        node.unresolved.extend(unresolved_sources)
        reason = f"not set (may be {open_note})" if open_note else "not set"
        opaque = {u.variable: u for u in unresolved_sources if not u.variable.startswith("<")}
        node.unresolved = [u for u in node.unresolved if u.variable not in opaque]
        out: list[YMap] = []
        for obj in objects:
            uses = []
            if ks.has_post_build and not is_substitution_disabled(obj):
                uses = variable_uses(obj)
                node.uses.extend(
                    VariableUse(name, describe_object(obj), where.file, where.line, where.column, default)
                    for name, pos, default in uses
                    for where in [pos_location(pos, self.repo) or _obj_location(obj, self.repo)]
                )
                for use in node.uses[len(node.uses) - len(uses) :]:
                    if use.variable in opaque and use.default is None:
                        u = opaque[use.variable]
                        node.unresolved.append(
                            Unresolved(use.variable, use.object, use.file, use.line, use.column, u.reason)
                        )
            if ks.has_post_build:
                obj, missing = substitute_object(
                    obj,
                    variables,
                    strict=self.options.strict,
                    always=ks.substitute_strategy == "Always",
                    uses_found=bool(uses),
                )
                for m in missing:
                    loc = pos_location(m.pos, self.repo) or _obj_location(obj, self.repo)
                    node.unresolved.append(
                        Unresolved(m.name, describe_object(obj), loc.file, loc.line, loc.column, reason)
                    )
            obj, _ = self.secrets.decrypt_if_possible(obj)
            apply_common_metadata(obj, ks.common_metadata)
            add_owner_labels(obj, ks)
            out.append(obj)
        return out


def build_cluster(
    options: ClusterOptions, prefetch: Prefetch | None = None, *, flush: bool = True
) -> ClusterBuild:
    """Load the repository and build its whole Flux tree (fetching HTTPS remote resources only when
    ``options.allow_network``); ``prefetch``: a helper parsing the repository since before the build
    (``homeops.flux.prefetch``), stopped once the files are loaded. With ``flush`` False (and no Helm
    stage) the caches are written when the caller calls the result's ``finish`` (``build all -O``: while
    a helper writes)."""
    root = options.repo.resolve()
    if not options.allow_network:
        return _build(root, options, Builder(root), prefetch, flush)
    from homeops.kustomize.remote import RemoteFetcher

    with RemoteFetcher() as remote:  # connects only when a URL is fetched
        return _build(root, options, Builder(root, remote=remote), prefetch, flush)


def _build(
    root: Path, options: ClusterOptions, builder: Builder, prefetch: Prefetch | None, flush: bool
) -> ClusterBuild:
    repo, parses = load_repository(root, options, builder, prefetch)
    cb = ClusterBuilder(repo, options, builder)
    if cb.cache is not None and parses is not None:
        cb.cache.cold = parses.helped
    result = cb.build()
    result.finish = cache_writer(parses, cb.cache)
    if flush or options.helm is not None:  # before the charts render: an interrupted render keeps them
        result.finish()
    if options.helm is not None:
        from homeops.helm.releases import render_tree

        result.helm = render_tree(result, options.helm)
    return result
