"""The three outputs of ``homeops diff``: text, JSON and Markdown (for a pull-request comment, kept under a
byte limit by leaving out whole sections, with a notice of what was cut)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from homeops.diff.api import DiffResult
from homeops.diff.compare import ImageChange, ResourceChange
from homeops.diff.nodes import EXTERNAL, NotCompared
from homeops.findings import Finding, Severity

DEFAULT_LIMIT_BYTES = 60000


def _groups(changes: Iterable[ResourceChange]) -> dict[str, list[ResourceChange]]:
    out: dict[str, list[ResourceChange]] = {}
    for change in changes:
        out.setdefault(change.parent, []).append(change)
    return out


def _finding_line(f: Finding) -> str:
    where = f"{f.location}: " if f.location else ""
    obj = f" [{f.object}]" if f.object else ""
    return f"{where}{f.severity.value} {f.code} {f.rule}: {f.message}{obj}"


def _image_line(i: ImageChange) -> str:
    return f"{i.object} {i.where}: {i.old or '(none)'} -> {i.new or '(none)'}"


def _summary_rows(result: DiffResult) -> list[tuple[str, int, int, int]]:
    return [(k, v["added"], v["changed"], v["removed"]) for k, v in result.summary().items()]


def _external(result: DiffResult) -> list[NotCompared]:
    """The Kustomizations not compared because their source is elsewhere (failures are findings)."""
    return [n for n in result.not_compared if n.status == EXTERNAL]


def render_text(result: DiffResult) -> str:
    """Unified diffs grouped by Flux Kustomization, then the summary, images and findings ("" when none);
    secret values and their derived forms masked."""
    return result.mask_text(_render_text(result))


def _render_text(result: DiffResult) -> str:
    if result.files is not None:
        return _files_text(result)
    if not result.changes and not result.findings and not result.not_compared:
        return ""
    out: list[str] = []
    for parent, changes in _groups(result.changes).items():
        out.append(f"=== {parent}\n")
        for c in changes:
            out.append(f"### {c.ref} ({c.change})\n")
            out.append(c.diff)
            if c.note:
                out.append(f"# {c.note}\n")
            if c.values_diff:
                out.append(f"### {c.ref} computed values\n")
                out.append(c.values_diff)
        out.append("\n")
    out.append(f"Summary ({result.base} -> {result.head}):\n")
    rows = _summary_rows(result)
    if rows:
        width = max(len("KIND"), *(len(r[0]) for r in rows))
        out.append(f"  {'KIND':<{width}}  ADDED  CHANGED  REMOVED\n")
        for kind, n_add, n_chg, n_rm in rows:
            out.append(f"  {kind:<{width}}  {n_add:>5}  {n_chg:>7}  {n_rm:>7}\n")
    if result.images:
        out.append("Images:\n")
        out.extend(f"  {_image_line(i)}\n" for i in result.images)
    external = _external(result)
    if external:
        out.append("Not compared:\n")
        out.extend(f"  {n.summary}\n" for n in external)
    if result.findings:
        out.append("Findings:\n")
        out.extend(f"  {_finding_line(f)}\n" for f in result.findings)
    return "".join(out)


def _files_text(result: DiffResult) -> str:
    files = result.files
    assert files is not None
    out: list[str] = []
    for title, table in (("Kustomizations", files.kustomizations), ("HelmReleases", files.helmreleases)):
        if table:
            out.append(f"{title}:\n")
            out.extend(f"  {ref}  ({', '.join(paths)})\n" for ref, paths in table.items())
    if files.failed:
        out.append("Failing to build (what they read may be incomplete):\n")
        out.extend(f"  {f.problem}\n" for f in files.failed)
    if files.unread:
        out.append("Read by no Flux Kustomization:\n")
        out.extend(f"  {path}\n" for path in files.unread)
    return "".join(out)


def render_json(result: DiffResult) -> str:
    """The fixed JSON shape: ``{"changes", "images", "findings"}`` (``--files``: files and touched); masked
    by ``to_json``."""
    return json.dumps(result.to_json(), indent=2) + "\n"


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return fence


def _md_block(text: str, lang: str) -> str:
    fence = _fence(text)
    return f"{fence}{lang}\n{text if text.endswith(chr(10)) else text + chr(10)}{fence}\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_ICON = {Severity.ERROR: "🛑", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def render_markdown(result: DiffResult, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> str:
    """A pull-request comment of at most ``limit_bytes`` UTF-8 bytes: the summary, findings and image
    changes first, then one collapsible section per changed resource until the limit; what does not fit
    is left out whole and named in a closing notice. Secret values and their derived forms are masked
    before the sizes are measured."""
    mask = result.mask_text
    if result.files is not None:
        listing = _files_text(result) or "Nothing touched."
        return _md_clip([f"### homeops diff --files\n\n{listing}\n"], limit_bytes, mask=mask)
    title = f"### homeops diff `{result.base}` → `{result.head}`\n\n"
    skipped = ""
    external = _external(result)
    if external:
        skipped = f"#### Not compared ({len(external)})\n\n"
        skipped += "".join(f"- {_md_cell(n.summary)}\n" for n in external) + "\n"
    if not result.changes and not result.findings:
        return mask(title + "No differences.\n" + ("\n" + skipped if skipped else ""))
    head: list[str] = [title]
    rows = _summary_rows(result)
    if rows:
        table = "| Kind | Added | Changed | Removed |\n| --- | ---: | ---: | ---: |\n"
        table += "".join(f"| {k} | {a} | {c} | {r} |\n" for k, a, c, r in rows)
        head.append(table + "\n")
    units: list[tuple[str, str]] = []
    if result.findings:
        head.append(f"#### Findings ({len(result.findings)})\n\n")
        for f in result.findings:
            where = f" `{f.location}`" if f.location else ""
            obj = f" `{f.object}`" if f.object else ""
            units.append((f"- {_ICON[f.severity]} **{f.code}** {f.rule}{where}{obj}: {_md_cell(f.message)}\n",
                          f"finding {f.code} {f.object}"))  # fmt: skip
        units.append(("\n", ""))
    if skipped:
        units.append((skipped, "not compared"))
    bumps = chart_bumps(result.changes)
    if bumps:
        units.append(("#### Charts\n\n| Chart | Old | New | HelmReleases |\n| --- | --- | --- | --- |\n", ""))
        for (chart, old, new), refs in bumps.items():
            shown = refs[0] if len(refs) == 1 else f"{len(refs)} HelmReleases: same bump"
            units.append(
                (f"| `{chart}` | `{old or '-'}` | `{new or '-'}` | {_md_cell(shown)} |\n", f"chart {chart}")
            )
        units.append(("\n", ""))
    if result.images:
        units.append(("#### Images\n\n| Object | Container | Old | New |\n| --- | --- | --- | --- |\n", ""))
        for i in result.images:
            units.append(
                (f"| {i.object} | `{i.where}` | `{i.old or '-'}` | `{i.new or '-'}` |\n", f"image {i.object}")
            )
        units.append(("\n", ""))
    if result.changes:
        units.append(("#### Changes\n\n", ""))
    for parent, changes in _groups(result.changes).items():
        for c in changes:
            body = c.diff + (f"# {c.note}\n" if c.note else "") + c.values_diff
            units.append(
                (
                    f"<details><summary>{c.ref} ({c.change}) — {parent}</summary>\n\n"
                    f"{_md_block(body or '# no textual difference', 'diff')}\n</details>\n\n",
                    c.ref,
                )
            )
    return _md_clip(head, limit_bytes, units, mask)


def _chart_of(obj: Any) -> tuple[str, str] | None:
    """(chart, version) a HelmRelease's chart template or an OCIRepository pins, else None."""
    if not isinstance(obj, dict):
        return None
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    if obj.get("kind") == "HelmRelease":
        chart = spec.get("chart")
        tpl = chart.get("spec") if isinstance(chart, dict) else None
        if isinstance(tpl, dict) and tpl.get("chart"):
            return str(tpl.get("chart")), str(tpl.get("version") or "")
        return None
    if obj.get("kind") == "OCIRepository":
        ref = spec.get("ref")
        pin = ""
        if isinstance(ref, dict):
            pin = str(ref.get("digest") or ref.get("tag") or ref.get("semver") or "")
        return str(spec.get("url") or ""), pin
    return None


def chart_bumps(changes: Iterable[ResourceChange]) -> dict[tuple[str, str, str], list[str]]:
    """Chart version changes, (chart, old, new) -> the HelmReleases (or OCIRepositories) that make them, so
    that one bump across many HelmReleases is one row."""
    out: dict[tuple[str, str, str], list[str]] = {}
    for c in changes:
        if c.kind not in ("HelmRelease", "OCIRepository"):
            continue
        before = _chart_of(c.base.obj) if c.base is not None else None
        after = _chart_of(c.head.obj) if c.head is not None else None
        if before == after or (before is None and after is None):
            continue
        chart = (after or before or ("", ""))[0]
        out.setdefault((chart, before[1] if before else "", after[1] if after else ""), []).append(c.ref)
    return out


def _md_clip(
    head: list[str],
    limit: int,
    units: list[tuple[str, str]] | None = None,
    mask: Callable[[str], str] = str,
) -> str:
    out = mask("".join(head))
    left_out: list[str] = []
    reserve = 600
    for text, label in units or []:
        text, label = mask(text), mask(label)
        if left_out or len((out + text).encode()) > limit - reserve:
            if label:
                left_out.append(label)
            continue
        out += text
    if left_out:
        names = ", ".join(left_out[:15]) + (f" and {len(left_out) - 15} more" if len(left_out) > 15 else "")
        notice = (
            f"\n> [!NOTE]\n> Truncated to {limit} bytes: {len(left_out)} item(s) not shown: "
            f"{_md_cell(names)}. Run `homeops diff` locally for the full output.\n"
        )
        while len((out + notice).encode()) > limit and len(names) > 20:
            names = names[: len(names) // 2] + "…"
            notice = f"\n> [!NOTE]\n> Truncated: {len(left_out)} item(s) not shown: {_md_cell(names)}.\n"
        out += notice
    encoded = out.encode()
    if len(encoded) > limit:  # a head alone larger than the limit: cut at a line boundary
        cut = encoded[: max(0, limit - 80)].decode("utf-8", "ignore")
        out = cut[: cut.rfind("\n") + 1] + "\n> [!NOTE]\n> Truncated.\n"
    return out
