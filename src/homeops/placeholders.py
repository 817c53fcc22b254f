"""The canonical inventory of the Flux placeholders (``${VAR}``) of a repository.

For each placeholder: every place it is used (file:line), where it is defined (a Flux Kustomization's
``postBuild.substitute``, or a key of a ConfigMap/Secret named in ``postBuild.substituteFrom``, SOPS-encrypted
or not, or produced by an ExternalSecret), its defaults, and whether ``TEMPLATE_GUIDE.md`` documents it.

``TEMPLATE_GUIDE.md`` holds a generated table between two markers; ``write_guide`` regenerates that table
and leaves the rest of the file alone. A placeholder counts as documented when its row has a description or
its name appears in the guide outside the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeops.errors import UsageError
from homeops.flux.cluster import ClusterBuild, ClusterOptions, build_cluster
from homeops.flux.masking import cluster_masker
from homeops.flux.secrets import external_secret_target
from homeops.flux.worktree import repository_root
from homeops.sops import is_sops_encrypted

GUIDE = "TEMPLATE_GUIDE.md"
START = "<!-- homeops:placeholders:start -->"
END = "<!-- homeops:placeholders:end -->"
_ROW = re.compile(r"^\|\s*`\$\{([_A-Za-z][_A-Za-z0-9]*)\}`\s*\|(.*)\|\s*$")


@dataclass(frozen=True, slots=True)
class Use:
    file: str
    line: int
    column: int
    default: str | None


@dataclass(frozen=True, slots=True)
class Definition:
    kind: str  # substitute | ConfigMap | Secret | SOPS Secret | ExternalSecret
    source: str  # Kind/namespace/name of the defining object
    file: str
    line: int


@dataclass
class Placeholder:
    name: str
    uses: list[Use] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    description: str = ""
    documented: bool = False

    @property
    def defaults(self) -> list[str]:
        return sorted({u.default for u in self.uses if u.default is not None})

    @property
    def problems(self) -> list[str]:
        out = []
        if self.uses and not self.definitions and len(self.defaults) == 0:
            out.append("used but not defined")
        if not self.uses and self.definitions:
            out.append("defined but not used")
        if self.uses and not self.documented:
            out.append(f"not documented in {GUIDE}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uses": [
                {"file": u.file, "line": u.line, "column": u.column, "default": u.default} for u in self.uses
            ],
            "definitions": [
                {"kind": d.kind, "source": d.source, "file": d.file, "line": d.line} for d in self.definitions
            ],
            "defaults": self.defaults,
            "documented": self.documented,
            "description": self.description,
            "problems": self.problems,
        }


@dataclass(frozen=True, slots=True)
class PlaceholderOptions:
    repo: Path | None = None
    write: bool = False
    identities: tuple[str, ...] = ()


@dataclass
class PlaceholderResult:
    repo: Path
    placeholders: list[Placeholder]
    guide: Path | None
    guide_written: bool = False

    @property
    def problem_count(self) -> int:
        return sum(len(p.problems) for p in self.placeholders)

    def to_json(self) -> dict[str, Any]:
        counts = {
            "placeholders": len(self.placeholders),
            "undefined": sum(1 for p in self.placeholders if "used but not defined" in p.problems),
            "undocumented": sum(1 for p in self.placeholders if any("documented" in x for x in p.problems)),
            "unused": sum(1 for p in self.placeholders if "defined but not used" in p.problems),
            "encrypted_only": sum(
                1
                for p in self.placeholders
                if p.definitions and all(d.kind == "SOPS Secret" for d in p.definitions)
            ),
        }
        return {"placeholders": [p.to_json() for p in self.placeholders], "summary": counts}


def _definitions(cluster: ClusterBuild) -> dict[str, list[Definition]]:
    defs: dict[str, list[Definition]] = {}
    seen_sources: set[tuple[str, str, str]] = set()
    entries = cluster.repo.entries

    def add(name: str, d: Definition) -> None:
        if d not in defs.setdefault(name, []):
            defs[name].append(d)

    for node in cluster.nodes:
        ks = node.ks
        for key in ks.substitute:
            add(key, Definition("substitute", node.ref, node.defined_at.file, node.defined_at.line))
        for ref in ks.substitute_from:
            key3 = (ref.kind, ks.namespace, ref.name)
            if key3 in seen_sources:
                continue
            seen_sources.add(key3)
            for e in entries:
                if e.kind == ref.kind and e.name == ref.name and e.namespace in (None, "", ks.namespace):
                    kind = "SOPS Secret" if is_sops_encrypted(e.obj) else e.kind
                    source = f"{e.kind}/{ks.namespace}/{e.name}"
                    for field_name in ("data", "stringData"):
                        data = e.obj.get(field_name)
                        if isinstance(data, dict):
                            for k in data:
                                add(str(k), Definition(kind, source, e.rel, e.line))
                if ref.kind == "Secret":
                    produced = external_secret_target(e.obj, ks.namespace)
                    if produced is not None and produced[0] == ref.name:
                        for k in produced[1]:
                            add(
                                k,
                                Definition(
                                    "ExternalSecret", f"{e.kind}/{e.namespace or ''}/{e.name}", e.rel, e.line
                                ),
                            )
    return defs


def _guide_rows(text: str) -> tuple[dict[str, str], str]:
    """Descriptions from the generated table, and the guide's text outside the markers."""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        table, after = rest.split(END, 1)
    else:
        before, table, after = text, "", ""
    rows: dict[str, str] = {}
    for line in table.splitlines():
        m = _ROW.match(line.strip())
        if m:
            cells = [c.strip() for c in m.group(2).split("|")]
            rows[m.group(1)] = cells[-1] if cells else ""
    return rows, before + after


def inventory(options: PlaceholderOptions) -> PlaceholderResult:
    """Build the inventory (and, with ``write``, regenerate the guide's table)."""
    root = repository_root(options.repo)
    if not root.is_dir():
        raise UsageError(f"repository {root} is not a directory")
    cluster = build_cluster(ClusterOptions(repo=root, identities=options.identities))
    mask = cluster_masker(cluster, options.identities)  # a default may spell out a secret value
    uses: dict[str, list[Use]] = {}
    for node in cluster.nodes:
        for u in node.uses:
            use = Use(u.file, u.line, u.column, None if u.default is None else mask.text(u.default))
            if use not in uses.setdefault(u.variable, []):
                uses[u.variable].append(use)
    defs = _definitions(cluster)
    guide = root / GUIDE
    guide_text = guide.read_text(encoding="utf-8") if guide.is_file() else ""
    rows, outside = _guide_rows(guide_text)
    placeholders = []
    for name in sorted(set(uses) | set(defs)):
        p = Placeholder(name, uses.get(name, []), defs.get(name, []), mask.text(rows.get(name, "")))
        p.documented = bool(p.description) or re.search(rf"\b{re.escape(name)}\b", outside) is not None
        placeholders.append(p)
    result = PlaceholderResult(root, placeholders, guide if guide.is_file() else None)
    if options.write:
        write_guide(guide, guide_text, placeholders)
        result.guide, result.guide_written = guide, True
    return result


def render_table(placeholders: list[Placeholder]) -> str:
    lines = [
        "| Placeholder | Used | Defined in | Default | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for p in placeholders:
        used = f"{len(p.uses)} ({p.uses[0].file}:{p.uses[0].line})" if p.uses else "0"
        defined = ", ".join(sorted({f"{d.kind} {d.source}" for d in p.definitions})) or "**undefined**"
        default = ", ".join(f"`{d}`" for d in p.defaults)
        lines.append(f"| `${{{p.name}}}` | {used} | {defined} | {default} | {p.description} |")
    return "\n".join(lines)


def write_guide(guide: Path, text: str, placeholders: list[Placeholder]) -> None:
    """Replace the table between the markers (append a section with them when absent)."""
    block = f"{START}\n{render_table(placeholders)}\n{END}"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        _, after = rest.split(END, 1)
        new = before + block + after
    else:
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        new = text + sep + "## Placeholders\n\n" + block + "\n"
    if new != text:
        guide.write_text(new, encoding="utf-8")
