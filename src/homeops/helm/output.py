"""What the Helm stage shows: rendered objects, with Secrets and secret values masked unless asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeops.flux.cluster import ClusterBuild
from homeops.yaml.nodes import YMap


def masker(
    cluster: ClusterBuild, show_secrets: bool, identities: Iterable[str] = ()
) -> Callable[[YMap], YMap]:
    """Secret data masked, and every secret value (or a form derived from it) found in a string, unless
    ``show_secrets`` (see ``homeops.flux.masking``)."""
    if show_secrets:
        return lambda obj: obj
    from homeops.flux.masking import cluster_masker

    return cluster_masker(cluster, identities)
