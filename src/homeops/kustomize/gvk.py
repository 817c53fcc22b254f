"""API versions split as kustomize splits them, without the resource model (``homeops.kustomize.resource``):
the Flux views read an apiVersion of every document they look at, a warm run builds nothing."""

from __future__ import annotations


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    group, sep, version = api_version.partition("/")
    if sep:
        return group, version
    return "", api_version
