"""Container images an object runs: ``image:`` of every container of a pod template, and, in HelmRelease
values, ``image:`` strings and ``{repository, tag}`` maps (the common chart conventions)."""

from __future__ import annotations

from typing import Any

from homeops.diff.objects import dotted, walk

_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})


def object_images(obj: Any) -> dict[str, str]:
    """Images of a Kubernetes object: ``{location: image}``; a container is located by its list and name."""
    out: dict[str, str] = {}
    for path, node in walk(obj):
        if not path or path[-1] not in _CONTAINER_LISTS or not isinstance(node, list):
            continue
        for i, container in enumerate(node):
            if isinstance(container, dict) and isinstance(container.get("image"), str):
                name = container.get("name")
                where = f"{dotted(path)}[{name}]" if isinstance(name, str) else f"{dotted(path)}[{i}]"
                out[where] = container["image"]
    return out


def values_images(values: Any) -> dict[str, str]:
    """Images named in Helm values: ``{values.path: image}``."""
    out: dict[str, str] = {}
    for path, node in walk(values):
        if not isinstance(node, dict):
            continue
        repo = node.get("repository")
        if isinstance(repo, str) and repo and ("tag" in node or "digest" in node):
            image = repo
            tag, digest = node.get("tag"), node.get("digest")
            if tag not in (None, ""):
                image += f":{tag}"
            if isinstance(digest, str) and digest:
                image += f"@{digest}"
            out["values." + dotted(path) if path else "values"] = image
        direct = node.get("image")
        if isinstance(direct, str) and direct and "${" not in direct:
            out["values." + dotted((*path, "image"))] = direct
    return out


def image_changes(base: dict[str, str], head: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    """(location, old, new) for every image that differs; None for a side where it is absent."""
    out: list[tuple[str, str | None, str | None]] = []
    for where in sorted(set(base) | set(head)):
        old, new = base.get(where), head.get(where)
        if old != new:
            out.append((where, old, new))
    return out
