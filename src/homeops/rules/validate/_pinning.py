"""Whether chart versions and OCI references are pinned to one artifact (Masterminds semver semantics)."""

from __future__ import annotations

import re
from typing import Any

from homeops.rules.validate._common import as_map
from homeops.yaml.nodes import YMap

# One exact version: three numeric parts (a partial "1.2" means 1.2.x), an optional pre-release and build.
_EXACT = re.compile(r"^=?\s*v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def is_exact_version(version: str) -> bool:
    """Whether a semver constraint admits a single version (``1.2.3``, ``v1.2.3``, ``=1.2.3-rc.1``)."""
    return bool(_EXACT.match(version.strip()))


def unknown(value: Any) -> bool:
    """A value homeops cannot judge: still holding a variable after substitution."""
    return isinstance(value, str) and "${" in value


def oci_ref_problem(spec: YMap) -> tuple[str, str] | None:
    """Why an OCIRepository ``spec`` is not pinned, and the ``ref`` key to point at; None when pinned
    (or unknown). Flux's precedence: ``digest``, then ``semver``, then ``tag`` (``latest`` when none)."""
    ref = as_map(spec.get("ref"))
    digest, semver, tag = ref.get("digest"), ref.get("semver"), ref.get("tag")
    if any(unknown(v) for v in (digest, semver, tag)):
        return None
    if isinstance(digest, str) and digest:
        return None
    if semver is not None and str(semver).strip():
        if is_exact_version(str(semver)):
            return None
        return f"ref.semver {str(semver)!r} is a range", "semver"
    if tag is not None and str(tag).strip():
        if str(tag).strip() == "latest":
            return "ref.tag is 'latest'", "tag"
        return None
    return "no ref.tag, ref.semver or ref.digest: Flux follows the 'latest' tag", "ref"
