"""What a repository says about the template it was made from: its schema id and its placeholder guide."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from homeops.scaffold.schema import validate_config
from homeops.templating import ConfigValidator

TEMPLATE_ID = "homeops-cluster/v1"
"""The ``[homeops] template`` value of the bundled template's ``makejinja.toml``."""

PLACEHOLDERS_START = "<!-- homeops:placeholders:start -->"
PLACEHOLDERS_END = "<!-- homeops:placeholders:end -->"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def validator_for_repo(repo: Path, config_file: str = "makejinja.toml") -> ConfigValidator | None:
    """The configuration validator of the template ``repo`` was made from, or None when it is unknown.

    The bundled template declares itself with ``[homeops] template = "homeops-cluster/v1"`` in its
    ``makejinja.toml`` (makejinja ignores tables other than ``[makejinja]``).
    """
    try:
        doc = tomllib.loads((repo / config_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = doc.get("homeops")
    if isinstance(section, dict) and section.get("template") == TEMPLATE_ID:
        return validate_config
    return None


@dataclass(frozen=True, slots=True)
class PlaceholderDoc:
    """One row of the placeholder table of ``TEMPLATE_GUIDE.md``: the variable name and the other cells."""

    name: str
    cells: tuple[str, ...]
    line: int


def read_placeholder_table(text: str) -> list[PlaceholderDoc]:
    """The rows between ``<!-- homeops:placeholders:start -->`` and ``...:end -->`` whose first cell names
    a variable (``${NAME}``); header and separator rows are skipped. Empty when the markers are missing."""
    rows: list[PlaceholderDoc] = []
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped == PLACEHOLDERS_START:
            inside = True
            continue
        if stripped == PLACEHOLDERS_END:
            break
        if not inside or not stripped.startswith("|"):
            continue
        cells = tuple(c.strip() for c in stripped.strip("|").split("|"))
        match = _VARIABLE.search(cells[0]) if cells else None
        if match is not None:
            rows.append(PlaceholderDoc(match.group(1), cells[1:], number))
    return rows
