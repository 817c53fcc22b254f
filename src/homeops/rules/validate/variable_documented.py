"""Every ``${VARIABLE}`` used is documented in ``TEMPLATE_GUIDE.md``.

Why:
    A repository rendered from a template documents its Flux variables in ``TEMPLATE_GUIDE.md`` (what they
    mean, where their value comes from). A variable used in ``kubernetes/`` but missing from the guide is
    one nobody will know how to set on a fresh install. Checked only when the guide exists; reported once
    per variable, at its first use.

Bad:
    # TEMPLATE_GUIDE.md does not mention ${MEDIA_PATH}
    path: ${MEDIA_PATH}/games

Good:
    # TEMPLATE_GUIDE.md
    | `${MEDIA_PATH}` | ConfigMap `cluster-settings` | `media.nfs_path` | The media export path. |
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

from homeops.findings import Finding, Severity
from homeops.flux.cluster import VariableUse
from homeops.rules.base import finding
from homeops.validate.context import ValidateContext

CODE = "HO107"
NAME = "variable-documented"
SEVERITY = Severity.WARNING
KIND = "validate"


def check(ctx: ValidateContext) -> Iterator[Finding]:
    """Variables the tree uses that the guide never mentions (by name, as a whole word)."""
    guide = ctx.guide_text
    if guide is None:
        return
    first: dict[str, VariableUse] = {}
    for node in ctx.cluster.nodes:
        for use in node.uses:
            if not use.file:  # a generated object: where its Kustomization is defined
                loc = node.defined_at
                use = use._replace(file=loc.file, line=loc.line or 0, column=loc.column or 0)
            known = first.get(use.variable)
            if known is None or (use.file, use.line, use.column) < (known.file, known.line, known.column):
                first[use.variable] = use
    for name in sorted(first):
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", guide):
            continue
        use = first[name]
        yield finding(
            sys.modules[__name__],
            f"${{{name}}} is used but TEMPLATE_GUIDE.md does not document it",
            file=ctx.rel(use.file),
            line=use.line,
            column=use.column,
            obj=use.object,
            hint="add a row for it to the Flux variables table of TEMPLATE_GUIDE.md",
        )
