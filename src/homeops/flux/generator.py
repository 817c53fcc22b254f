"""Flux's kustomization generator: what kustomize-controller writes into ``spec.path`` before building.

When the path has no kustomization file, Flux generates one that lists, in lexical walk order, every
``.yaml``/``.yml`` file below the path and every subdirectory holding a kustomization file (without
descending into it). Then, whether generated or not, it merges the Flux Kustomization's own fields into it:
``targetNamespace`` becomes ``namespace``, ``patches`` (and the deprecated ``patchesStrategicMerge`` and
``patchesJson6902``) and ``components`` are appended, ``images`` merged by name, ``namePrefix``/``nameSuffix``
set. The patches and images are written as Flux writes them (see ``homeops.flux.kustomizetypes``): the same
in kustomize-controller's controllers/kustomization_generator.go of the v1beta1/v1beta2 releases (v0.13.0,
v0.26.0) and in fluxcd/pkg kustomize/kustomize_generator.go used since. Since kustomize orders the fields'
effects itself (``patchesStrategicMerge`` before ``patchesJson6902``...), only the order within each list
matters: the kustomization file's own entries first, then the Flux Kustomization's, in order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from homeops.errors import BuildError, HomeopsError, Location
from homeops.flux.kinds import FluxKustomization
from homeops.flux.kustomizetypes import (
    extend_kustomization,
    merge_images,
    parse_images,
    parse_patches,
    parse_patches_json6902,
    parse_patches_strategic_merge,
)
from homeops.kustomize.files import FileLoader
from homeops.kustomize.kustomization import KUSTOMIZATION_FILE_NAMES, find_kustomization_file
from homeops.yaml.nodes import YMap, YSeq

_YAML_EXTENSIONS = (".yaml", ".yml")


def _has_kustomization(directory: str) -> bool:
    return any(os.path.isfile(os.path.join(directory, n)) for n in KUSTOMIZATION_FILE_NAMES)


def scan_resources(kdir: Path, loader: FileLoader) -> list[str]:
    """The ``resources`` Flux lists for a path without a kustomization file (``./``-relative, walk order)."""
    found: list[str] = []
    base = str(kdir)

    def walk(directory: str) -> None:
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            raise BuildError(f"cannot list {loader.display(Path(directory))}: {exc.strerror}") from None
        for name in names:
            full = os.path.join(directory, name)
            if os.path.islink(full) and not Path(full).resolve().is_relative_to(loader.root):
                continue
            if os.path.isdir(full):
                if _has_kustomization(full):
                    found.append(full)
                else:
                    walk(full)
                continue
            if os.path.splitext(name)[1] not in _YAML_EXTENSIONS:
                continue
            try:
                loader.load_yaml(Path(full))
            except HomeopsError as exc:
                raise BuildError(
                    f"failed to decode Kubernetes YAML from {loader.display(Path(full))}: {exc.message}",
                    location=exc.location,
                ) from None
            found.append(full)

    walk(base)
    return ["./" + os.path.relpath(p, base) for p in found]


def _seq(value: Any) -> YSeq:
    return value if isinstance(value, YSeq) else YSeq(value if isinstance(value, list) else [])


def flux_kustomization_file(ks: FluxKustomization, kdir: Path, loader: FileLoader) -> YMap:
    """The kustomization Flux builds for ``ks`` at ``kdir``: existing or generated, plus Flux's fields."""
    existing = find_kustomization_file(kdir, loader)
    if existing is None:
        data = YMap()
        data["apiVersion"] = "kustomize.config.k8s.io/v1beta1"
        data["kind"] = "Kustomization"
        data["resources"] = YSeq(scan_resources(kdir, loader))
    else:
        docs = [d for d in loader.load_yaml(existing) if d is not None]
        first = docs[0] if docs else YMap()
        if not isinstance(first, YMap):
            raise BuildError(
                "a kustomization file must be a YAML mapping", location=Location(loader.display(existing))
            )
        data = first
    if ks.target_namespace:
        data["namespace"] = ks.target_namespace
    extend_kustomization(
        data,
        parse_patches(ks.patches),
        parse_patches_strategic_merge(ks.patches_strategic_merge),
        parse_patches_json6902(ks.patches_json6902),
    )
    merge_images(data, parse_images(ks.images))
    if ks.components:
        components = list(_seq(data.get("components")))
        for comp in ks.components:
            if ks.ignore_missing_components and not (kdir / comp).is_dir():
                continue
            components.append(comp)
        data["components"] = YSeq(components)
    if ks.name_prefix:
        data["namePrefix"] = ks.name_prefix
    if ks.name_suffix:
        data["nameSuffix"] = ks.name_suffix
    return data
