"""The small typed interface between the chart store and the renderer.

A HelmRelease's chart is first resolved to a :class:`ChartRequest` (which source, which chart, which
version), then looked up in the store, which answers a :class:`StoredChart` (an extracted chart directory
and where it came from) or ``None`` (not in the store). The renderer only ever sees ``StoredChart``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

SourceKind = Literal["HelmRepository", "OCIRepository", "HelmChart", "GitRepository", "Bucket", "Local"]


@dataclass(frozen=True, slots=True)
class ChartRequest:
    """What a HelmRelease asks for, resolved against the source objects of its cluster.

    - ``HelmRepository`` (``repo_type`` ``default``): ``url`` is the repository URL (``https://…``), ``chart``
      the chart name, ``version`` an exact version or a semver range (``*`` = latest).
    - ``HelmRepository`` of ``type: oci``: ``url`` is ``oci://host/path``, ``chart`` the chart name.
    - ``OCIRepository``: ``url`` is ``oci://host/path/chart``; ``version`` is the tag or a semver range and
      ``digest`` the pinned digest, if any; ``layer_media_type``/``layer_operation`` its ``layerSelector``.
    - ``GitRepository``/``Bucket``/``Local``: ``local_path`` is the chart directory in this repository.
    """

    source_kind: SourceKind
    url: str = ""
    chart: str = ""
    version: str = "*"
    digest: str = ""
    repo_type: Literal["default", "oci"] = "default"
    layer_media_type: str = ""
    layer_operation: str = ""
    local_path: Path | None = None
    source: str = ""  # "Kind/namespace/name" of the source object, for messages

    def describe(self) -> str:
        """A one-line description for findings: ``chart@version from url``."""
        where = str(self.local_path) if self.local_path is not None else self.url
        name = f"{self.chart}@" if self.chart else ""
        pin = f"@{self.digest}" if self.digest else ""
        return f"{name}{self.version}{pin} from {where}"


@dataclass(frozen=True, slots=True)
class StoredChart:
    """A chart ready to render: an extracted chart directory (with ``Chart.yaml``) and its provenance."""

    path: Path
    name: str
    version: str  # the resolved version (never a range)
    digest: str = ""  # "sha256:…" of the artifact (chart .tgz or OCI manifest); "" for local charts
    source_kind: SourceKind = "Local"

    @property
    def helm_controller_version(self) -> str:
        """The chart version helm-controller renders: ``<version>+<digest12>`` for OCIRepository sources."""
        if self.source_kind == "OCIRepository" and self.digest:
            return f"{self.version}+{self.digest.split(':', 1)[-1][:12]}"
        return self.version


class ChartLookup(Protocol):
    """Read-only access to the chart store (never touches the network)."""

    def lookup(self, request: ChartRequest) -> StoredChart | None: ...
