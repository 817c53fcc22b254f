"""The kustomize engine behind ``Builder.build``: accumulate resources, run generators, components and
transformers (imported on the first build, so a run served from the build cache never loads it).

The order of steps follows kustomize v5.7.1's KustTarget:

1. resources (files and nested kustomization directories, depth first, in the order listed);
2. ``configurations:`` merged into the transformer config;
3. generators (configMapGenerator, secretGenerator);
4. components, each run against the resources accumulated so far;
5. transformers: patchesStrategicMerge, patches, namespace, namePrefix/nameSuffix, labels and commonLabels,
   commonAnnotations, patchesJson6902, replicas, images, replacements.

Then, once, at the top level: content-hash suffixes, name-reference fixing, dropping local-config resources,
and the output sort.
"""

from __future__ import annotations

import errno
import importlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.errors import BuildError, HomeopsError, Location
from homeops.kustomize import hashing, namereference
from homeops.kustomize.builtin_config import default_tconfig, load_configurations
from homeops.kustomize.context import KContext
from homeops.kustomize.files import FileLoader, is_remote
from homeops.kustomize.kustomization import (
    Kustomization,
    check_fields,
    find_kustomization_file,
    load_kustomization,
)
from homeops.kustomize.ordering import legacy_sort
from homeops.kustomize.remote import GIT_HINT, fetch_ref, git_base_error, is_url, looks_like_git_repo
from homeops.kustomize.resource import Appender, ResMap, Resource
from homeops.kustomize.tconfig import TransformerConfig
from homeops.yaml.nodes import YMap

LOCAL_CONFIG_ANNOTATION = "config.kubernetes.io/local-config"

Step = Callable[[ResMap, Any, KContext], None]

# The kustomization fields that transform, in kustomize's order, and what applies each (``module:function``
# of homeops.kustomize, imported when a kustomization first uses the field: a build without patches loads
# neither the patch engine nor PyYAML).
TRANSFORM_STEPS: tuple[tuple[str, str], ...] = (
    ("patchesStrategicMerge", "patches:apply_patches_strategic_merge"),
    ("patches", "patches:apply_patches"),
    ("namespace", "transformers:apply_namespace"),
    ("namePrefix|nameSuffix", "transformers:apply_prefix_suffix"),
    ("labels", "transformers:apply_labels"),
    ("commonLabels", "transformers:apply_common_labels"),
    ("commonAnnotations", "transformers:apply_common_annotations"),
    ("patchesJson6902", "patches:apply_patches_json6902"),
    ("replicas", "transformers:apply_replicas"),
    ("images", "transformers:apply_images"),
    ("replacements", "replacements:apply_replacements"),
)
GENERATOR_FIELDS = ("configMapGenerator", "secretGenerator", "generatorOptions")


def _step(target: str) -> Step:
    """The function ``module:function`` of ``TRANSFORM_STEPS`` (its module imported on the first use)."""
    module, name = target.split(":")
    step: Step = getattr(importlib.import_module(f"homeops.kustomize.{module}"), name)
    return step


def load_steps() -> None:
    """Import every module a build imports on first use (the steps, the generators): a process forked
    afterwards shares them instead of importing them again."""
    for _, target in TRANSFORM_STEPS:
        _step(target)
    importlib.import_module("homeops.kustomize.generators")


@dataclass
class _Accumulator:
    resmap: ResMap = field(default_factory=ResMap)
    tconfig: TransformerConfig = field(default_factory=default_tconfig)


class KustTarget:
    """One build: the loader it reads through, and whether remote resources are left out (and listed in
    ``skipped``) instead of failing."""

    def __init__(
        self, loader: FileLoader, *, skip_remote: bool = False, skipped: list[str] | None = None
    ) -> None:
        self.loader = loader
        self.root = loader.root
        self.skip_remote = skip_remote
        self.skipped_remote: list[str] = skipped if skipped is not None else []

    def build(self, kdir: Path, kustomization: YMap | None = None) -> ResMap:
        """See ``Builder.build``."""
        real = Path(self.loader.realpath(str(kdir)))  # Path.resolve, each directory once a run
        if not real.is_relative_to(self.root):
            raise BuildError(
                f"{kdir} is outside the repository root {self.root}",
                hint="run it from the repository, or pass --root with the directory holding all it reads",
            )
        if not real.is_dir():
            raise BuildError(f"{self.loader.display(real)} is not a directory")
        if kustomization is None:
            top = self._load(real, None)
        else:
            existing = find_kustomization_file(real, self.loader)
            display = self.loader.display(existing or real / "kustomization.yaml")
            top = Kustomization(
                dir=real, file=existing or real / "kustomization.yaml", display=display, data=kustomization
            )
            check_fields(top)
        acc = self._accumulate(top, _Accumulator(), [real])
        resmap = acc.resmap
        hashing.add_hash_suffixes(resmap)
        namereference.fix_name_references(resmap, acc.tconfig)
        resmap.set_all(r for r in resmap if not _is_local_config(r))
        for r in resmap:
            _clean_metadata(r)
        return ResMap(_sorted(top, resmap))

    def _load(self, kdir: Path, where: Location | None) -> Kustomization:
        return load_kustomization(self.loader, kdir, where)

    def _accumulate(self, k: Kustomization, acc: _Accumulator, stack: list[Path]) -> _Accumulator:
        ctx = KContext(
            loader=self.loader, kdir=k.dir, kfile=k.display, tconfig=acc.tconfig, kustomization=k.data
        )
        add = acc.resmap.appender()  # nothing changes the map's resources until they are all loaded
        for ref, loc in [*k.strings("resources"), *k.strings("bases")]:
            self._accumulate_resource(acc, add, k, ref, loc, stack)
        if k.data.get("configurations"):
            acc.tconfig = load_configurations(acc.tconfig, k.data["configurations"], ctx)
        ctx.tconfig = acc.tconfig
        if any(k.data.get(f) is not None for f in GENERATOR_FIELDS):
            from homeops.kustomize import generators

            generators.run_generators(acc.resmap, k.data, ctx)
        for ref, loc in k.strings("components"):
            self._accumulate_component(acc, ref, loc, stack)
        ctx.tconfig = acc.tconfig
        for key, target in TRANSFORM_STEPS:
            if "|" in key:
                if any(k.data.get(part) for part in key.split("|")):
                    _step(target)(acc.resmap, k.data, ctx)
                continue
            value = k.data.get(key)
            if value is not None and value != "" and value != [] and value != {}:
                _step(target)(acc.resmap, value, ctx)
        return acc

    def _resolve_ref(self, base: Path, ref: str, loc: Location, what: str) -> Path:
        if is_remote(ref):
            # Git-style bases, and URL components (kustomize clones both with git): never fetched here.
            raise git_base_error(what, ref, loc)
        return self.loader.resolve(base, ref, loc)

    def _accumulate_remote(self, add: Appender, ref: str, loc: Location) -> None:
        """A URL resource: kustomize GETs it as a file; when that fails, it would clone it as a git repo."""
        remote = fetch_ref(self.loader, "resource", ref, loc)
        try:
            docs = remote.load_yaml(ref, loc)
        except HomeopsError as exc:
            if not looks_like_git_repo(ref):
                raise
            raise BuildError(
                f"remote resource {ref!r}: {exc.message}; kustomize would then clone it as a git repository, "
                "which homeops does not do (not even with --allow-network)",
                location=loc,
                hint=GIT_HINT,
            ) from None
        for doc in docs:
            if doc is None:
                continue
            if not isinstance(doc, YMap):
                raise BuildError(
                    f"{ref}: a resource must be a YAML mapping with kind and metadata", location=loc
                )
            for obj in _expand_lists(doc):
                _append(add, _to_resource(obj, ref, loc), loc, ref)

    def _accumulate_resource(
        self, acc: _Accumulator, add: Appender, k: Kustomization, ref: str, loc: Location, stack: list[Path]
    ) -> None:
        if is_remote(ref) and self.skip_remote:
            self.skipped_remote.append(ref)
            return
        if is_remote(ref) and is_url(ref):
            self._accumulate_remote(add, ref, loc)
            return
        path = self._resolve_ref(k.dir, ref, loc, "resource")
        kind = _file_kind(path)
        if kind == stat.S_IFREG:
            for res in self._resources_from_file(path, loc):
                _append(add, res, loc, ref)
            return
        if kind == stat.S_IFDIR:
            if path in stack:
                chain = " includes ".join(self.loader.display(p) for p in [*stack[stack.index(path) :], path])
                raise BuildError(f"resource cycle: {chain}", location=loc)
            sub = self._load(path, loc)
            if sub.is_component:
                raise BuildError(
                    f"{ref!r} is a Component; list it under components:, not resources:", location=loc
                )
            sub_acc = self._accumulate(sub, _Accumulator(), [*stack, path])
            for res in sub_acc.resmap:
                _append(add, res, loc, ref)
            acc.tconfig = acc.tconfig.merged(sub_acc.tconfig)
            return
        raise BuildError(
            f"resource {ref!r} not found (expected a YAML file or a directory with a kustomization file)",
            location=loc,
        )

    def _accumulate_component(self, acc: _Accumulator, ref: str, loc: Location, stack: list[Path]) -> None:
        path = self._resolve_ref(stack[-1], ref, loc, "component")
        if not path.is_dir() or find_kustomization_file(path, self.loader) is None:
            raise BuildError(
                f"component {ref!r} not found (expected a directory with a kustomization file)", location=loc
            )
        if path in stack:
            chain = " includes ".join(self.loader.display(p) for p in [*stack[stack.index(path) :], path])
            raise BuildError(f"component cycle: {chain}", location=loc)
        comp = self._load(path, loc)
        if not comp.is_component:
            raise BuildError(
                f"{ref!r} is listed under components: but its kind is {comp.kind!r}, not 'Component'",
                location=loc,
            )
        self._accumulate(comp, acc, [*stack, path])

    def _resources_from_file(self, path: Path, loc: Location) -> list[Resource]:
        out: list[Resource] = []
        for doc in self.loader.load_yaml(path, loc):
            if doc is None:
                continue
            display = self.loader.display(path)
            if not isinstance(doc, YMap):
                raise BuildError(
                    f"{display}: a resource must be a YAML mapping with kind and metadata", location=loc
                )
            for obj in _expand_lists(doc):
                out.append(_to_resource(obj, display, loc))
        return out


_MISSING = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # what is_file and is_dir take for "no"


def _file_kind(path: Path) -> int:
    """``S_IFREG``, ``S_IFDIR`` or another file type of ``path`` (links followed), 0 when there is none:
    ``is_file`` and ``is_dir`` in one ``stat``."""
    try:
        return stat.S_IFMT(os.stat(path).st_mode)
    except ValueError:  # a NUL in the name
        return 0
    except OSError as exc:
        if exc.errno in _MISSING:
            return 0
        raise


def _expand_lists(doc: YMap) -> list[YMap]:
    kind = doc.get("kind")
    items = doc.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        out: list[YMap] = []
        for item in items:
            if isinstance(item, YMap):
                out.extend(_expand_lists(item))
        return out
    return [doc]


def _to_resource(obj: YMap, display: str, loc: Location) -> Resource:
    where = Location(obj.pos.file, obj.pos.line, obj.pos.column) if obj.pos else loc
    kind = obj.get("kind")
    if not isinstance(kind, str) or not kind:
        raise BuildError(f"resource in {display} has no kind", location=where)
    md = obj.get("metadata")
    name = md.get("name") if isinstance(md, dict) else None
    if name is None or name == "":
        raise BuildError(f"{kind} in {display} has no metadata.name", location=where)
    return Resource(obj, obj.pos)


def _append(add: Appender, res: Resource, loc: Location, ref: str) -> None:
    try:
        add.append(res)
    except ValueError as exc:
        raise BuildError(f"resources from {ref!r}: {exc}", location=loc) from None


def _is_local_config(res: Resource) -> bool:
    value = res.annotations().get(LOCAL_CONFIG_ANNOTATION)
    return value is not None and str(value).lower() not in ("false",)


def _clean_metadata(res: Resource) -> None:
    md = res.obj.get("metadata")
    if isinstance(md, dict) and isinstance(md.get("annotations"), dict) and not md["annotations"]:
        del md["annotations"]


def _sorted(top: Kustomization, resmap: ResMap) -> list[Resource]:
    options = top.data.get("sortOptions")
    if isinstance(options, dict):
        order = options.get("order")
        if order == "fifo":
            return resmap.resources()
        legacy = options.get("legacySortOptions")
        if order == "legacy" and isinstance(legacy, dict):
            first = [str(x) for x in legacy.get("orderFirst") or []]
            last = [str(x) for x in legacy.get("orderLast") or []]
            return legacy_sort(resmap.resources(), first, last)
        if order not in (None, "legacy"):
            raise BuildError(
                f"sortOptions.order must be 'legacy' or 'fifo', got {order!r}",
                location=top.where("sortOptions"),
            )
    return legacy_sort(resmap.resources())
