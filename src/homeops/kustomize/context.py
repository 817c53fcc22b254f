"""What each kustomize step receives: the file loader, the kustomization's directory and file, and the
transformer configuration (field specs) in force.

Every step has the same shape::

    def apply_something(resmap: ResMap, value: Any, ctx: KContext) -> None

``value`` is the raw field from the kustomization file (a YMap/YSeq/scalar, with positions) and the step
mutates ``resmap`` in place. A step raises ``BuildError`` (with ``ctx.where(...)`` as location) when the build
cannot go on: kustomize stops at the first error, and so does a build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops.errors import Location
from homeops.kustomize.files import FileLoader
from homeops.yaml.nodes import Pos, YMap, YSeq

if TYPE_CHECKING:
    from homeops.kustomize.tconfig import TransformerConfig


@dataclass
class KContext:
    """The build context of one kustomization directory."""

    loader: FileLoader
    kdir: Path  # resolved directory holding the kustomization file
    kfile: str  # the kustomization file as shown to the user
    tconfig: TransformerConfig
    kustomization: YMap = field(default_factory=YMap)

    def where(self, value: Any = None, key: str | int | None = None) -> Location:
        """Best location for ``value`` (or its ``key``/index) in the kustomization file."""
        pos: Pos | None = None
        if isinstance(value, YMap):
            pos = value.key_pos(key) if isinstance(key, str) else value.pos
        elif isinstance(value, YSeq):
            pos = value.item_pos(key) if isinstance(key, int) else value.pos
        if pos is None:
            return Location(self.kfile)
        return Location(pos.file, pos.line, pos.column)

    def field_location(self, name: str) -> Location:
        """Where top-level field ``name`` is written in the kustomization file."""
        return self.where(self.kustomization, name)
