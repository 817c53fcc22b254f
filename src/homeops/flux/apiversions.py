"""The Flux API versions homeops recognises, which controller release stopped serving each old one, and the
notes an old object deserves (fields later controllers ignore or dropped).

Taken from the CRDs (config/crd/bases) at the release tags of kustomize-controller, helm-controller and
source-controller. Only the beta and GA versions are listed: the ``v1alpha1``/``v2alpha1`` versions of 2020
(before kustomize-controller v0.1.0, helm-controller v0.3.0) are not recognised.
"""

from __future__ import annotations

from typing import Any

from homeops.kustomize.gvk import split_api_version
from homeops.yaml.nodes import as_map, as_seq

KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
SOURCE_EXTENSIONS_GROUP = "source.extensions.fluxcd.io"

_KC = "kustomize-controller"
_HC = "helm-controller"
_SC = "source-controller"
_SOURCE_BETAS = {"v1beta1": f"{_SC} v1.7.0", "v1beta2": f"{_SC} v1.8.0"}

API_VERSIONS: dict[tuple[str, str], dict[str, str | None]] = {
    (KUSTOMIZE_GROUP, "Kustomization"): {
        "v1": None,
        "v1beta2": f"{_KC} v1.8.0",
        "v1beta1": f"{_KC} v1.7.0",
    },
    (HELM_GROUP, "HelmRelease"): {"v2": None, "v2beta2": f"{_HC} v1.5.0", "v2beta1": f"{_HC} v1.4.0"},
    (SOURCE_GROUP, "GitRepository"): {"v1": None, **_SOURCE_BETAS},
    (SOURCE_GROUP, "HelmRepository"): {"v1": None, **_SOURCE_BETAS},
    (SOURCE_GROUP, "HelmChart"): {"v1": None, **_SOURCE_BETAS},
    (SOURCE_GROUP, "Bucket"): {"v1": None, **_SOURCE_BETAS},
    # OCIRepository arrived in v1beta2 (source-controller v0.25); it never had a v1beta1.
    (SOURCE_GROUP, "OCIRepository"): {"v1": None, "v1beta2": f"{_SC} v1.8.0"},
    (SOURCE_GROUP, "ExternalArtifact"): {"v1": None},
    (SOURCE_EXTENSIONS_GROUP, "ArtifactGenerator"): {"v1beta1": None},
}
"""Every (group, kind) homeops knows: each API version, with the first controller release that no longer
serves it (None: still served)."""

VALIDATION_IGNORED_SINCE = f"{_KC} v0.15.0"
"""The release that moved to server-side apply (API v1beta2) and stopped honouring ``spec.validation``."""
TARGETLESS_PATCH_SINCE = f"{_KC} v1.0.0"
"""Before this release a ``spec.patches`` entry without ``target`` got an empty selector (every object)."""
RELEASE_NAME_SHORTENED_SINCE = f"{_HC} v0.37.0"
"""The release that shortens release names over 53 characters (with API v2beta2); before, Helm refused."""


def removed_in(api_version: str, kind: str) -> str | None:
    """The controller release that stopped serving this version of a Flux kind, or None."""
    group, version = split_api_version(api_version)
    return API_VERSIONS.get((group, kind), {}).get(version)


def _served_note(api_version: str, kind: str) -> list[str]:
    gone = removed_in(api_version, kind)
    return (
        [f"{api_version} {kind} is no longer served since {gone}: move it to a served version"]
        if gone
        else []
    )


def kustomization_notes(api_version: str, spec: Any) -> tuple[str, ...]:
    """What an old-API Flux Kustomization's reader should know: ignored, dropped or changed fields."""
    spec = as_map(spec)
    _, version = split_api_version(api_version)
    notes = _served_note(api_version, "Kustomization")
    validation = spec.get("validation")
    if validation not in (None, ""):
        notes.append(
            f"spec.validation ({validation}) is ignored since {VALIDATION_IGNORED_SINCE}: objects are "
            "applied server-side, which validates them; kustomize.toolkit.fluxcd.io/v1 has no such field"
        )
    for key in ("patchesStrategicMerge", "patchesJson6902"):
        if not as_seq(spec.get(key)):
            continue
        if version == "v1":
            notes.append(
                f"spec.{key} is not a field of kustomize.toolkit.fluxcd.io/v1: the API server drops it and "
                "Flux never applies it; move the patches to spec.patches"
            )
        else:
            notes.append(
                f"spec.{key} is deprecated (not in kustomize.toolkit.fluxcd.io/v1): use spec.patches"
            )
    if version != "v1":
        for i, entry in enumerate(as_seq(spec.get("patches"))):
            if isinstance(entry, dict) and not isinstance(entry.get("target"), dict):
                notes.append(
                    f"spec.patches[{i}] has no target: it patches the object its metadata names; before "
                    f"{TARGETLESS_PATCH_SINCE} Flux applied such a patch to every object of the build"
                )
    return tuple(notes)


def helmrelease_notes(api_version: str, spec: Any, release_name: str) -> tuple[str, ...]:
    """What an old-API HelmRelease's reader should know (``release_name``: before shortening)."""
    spec = as_map(spec)
    _, version = split_api_version(api_version)
    notes = _served_note(api_version, "HelmRelease")
    for i, item in enumerate(as_seq(spec.get("postRenderers"))):
        kz = as_map(as_map(item).get("kustomize"))
        for key in ("patchesStrategicMerge", "patchesJson6902"):
            if not as_seq(kz.get(key)):
                continue
            where = f"spec.postRenderers[{i}].kustomize.{key}"
            if version == "v2":
                notes.append(
                    f"{where} is not a field of helm.toolkit.fluxcd.io/v2: the API server drops it and "
                    "Flux never applies it; use kustomize.patches"
                )
            else:
                notes.append(
                    f"{where} is deprecated (not in helm.toolkit.fluxcd.io/v2): use kustomize.patches"
                )
    if version == "v2beta1" and len(release_name.encode()) > 53:
        notes.append(
            f"release name {release_name!r} is longer than 53 characters: helm-controller before "
            f"{RELEASE_NAME_SHORTENED_SINCE} failed to install it; later ones shorten it with a hash"
        )
    return tuple(notes)
