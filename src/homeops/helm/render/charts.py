"""What the renderer reads from a chart itself: subcharts, their conditions, ``crds/``, schemas.

A chart is a directory (``Chart.yaml``); its subcharts are the directories and ``.tgz`` archives of
``charts/``. Which subcharts are enabled follows Helm's ``ProcessDependencies``
(pkg/chart/v2/util/dependencies.go): subcharts that ``Chart.yaml`` does not list are kept; listed ones
(matched by name, renamed by ``alias``) are enabled unless their ``tags`` are all false or the first
``condition`` path that holds a boolean is false, looked up in the chart's values coalesced with the
user's values; nested subcharts look their conditions up under their parents' names.
"""

from __future__ import annotations

import copy
import io
import json
import posixpath
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from homeops.yaml.loader import load_documents

_MANIFEST_EXT = (".yaml", ".yml", ".json")
_MAX_MEMBER = 16 * 1024 * 1024


@dataclass
class ChartFiles:
    """One chart (or subchart): its files by path relative to the chart root, and its subcharts."""

    name: str
    where: str  # how messages show it: "app", "app/charts/sub"
    files: dict[str, bytes]
    subcharts: list[ChartFiles] = field(default_factory=list)
    parsed: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)  # by file

    def _map(self, name: str) -> dict[str, Any]:
        """``name`` parsed once per chart (a fresh copy each call: callers merge into it)."""
        found = self.parsed.get(name)
        if found is None:
            found = self.parsed[name] = _yaml_map(self.files.get(name, b""))
        return copy.deepcopy(found)

    @property
    def metadata(self) -> dict[str, Any]:
        return self._map("Chart.yaml")

    @property
    def values(self) -> dict[str, Any]:
        return self._map("values.yaml")

    def crd_files(self) -> list[str]:
        """``crds/`` files with a manifest extension, in the order Helm loads them (sorted paths)."""
        return sorted(p for p in self.files if p.startswith("crds/") and p.endswith(_MANIFEST_EXT))


def _yaml_map(data: bytes) -> dict[str, Any]:
    try:
        loaded = yaml.load(data.decode("utf-8", "replace"), Loader=yaml.CSafeLoader) if data else None
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _wanted(rel: str) -> bool:
    top = rel.split("/", 1)[0]
    return rel in ("Chart.yaml", "values.yaml", "values.schema.json") or top == "crds"


def load_chart_dir(path: Path, parent: str = "") -> ChartFiles:
    """Read a chart directory (only what the renderer needs) with its subcharts.

    ``where`` is Helm's full chart path: ``parent/charts/<name>`` for a subchart, by chart name.
    """
    files: dict[str, bytes] = {}
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix()
        if rel.startswith("charts/") or not p.is_file() or not _wanted(rel):
            continue
        files[rel] = p.read_bytes()
    name = str(_yaml_map(files.get("Chart.yaml", b"")).get("name") or path.name)
    chart = ChartFiles(name, f"{parent}/charts/{name}" if parent else name, files)
    charts_dir = path / "charts"
    if charts_dir.is_dir():
        for entry in sorted(charts_dir.iterdir()):
            if entry.is_dir() and (entry / "Chart.yaml").is_file():
                chart.subcharts.append(load_chart_dir(entry, chart.where))
            elif entry.is_file() and entry.name.endswith(".tgz"):
                chart.subcharts.extend(_load_tgz(entry.read_bytes(), chart.where))
    return chart


def _load_tgz(data: bytes, parent: str) -> list[ChartFiles]:
    """The chart(s) of a packaged subchart (``name/...`` members), with their own nested subcharts."""
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for m in tar:
                if m.isfile() and m.size <= _MAX_MEMBER:
                    f = tar.extractfile(m)
                    if f is not None:
                        members[posixpath.normpath(m.name)] = f.read()
    except (tarfile.TarError, OSError, EOFError):
        return []
    roots = sorted({n.split("/", 1)[0] for n in members if "/" in n})
    found = (
        _from_members({n[len(r) + 1 :]: d for n, d in members.items() if n.startswith(r + "/")}, parent)
        for r in roots
    )
    return [c for c in found if c is not None]


def _from_members(own: Mapping[str, bytes], parent: str) -> ChartFiles | None:
    """A chart from its files (paths relative to its root), as packaged in a ``.tgz``."""
    if "Chart.yaml" not in own:
        return None
    files = {rel: d for rel, d in own.items() if not rel.startswith("charts/") and _wanted(rel)}
    name = str(_yaml_map(own["Chart.yaml"]).get("name") or "")
    chart = ChartFiles(name, f"{parent}/charts/{name}", files)
    nested = sorted({rel.split("/")[1] for rel in own if rel.startswith("charts/") and rel.count("/") >= 2})
    for sub in nested:
        prefix = f"charts/{sub}/"
        sub_chart = _from_members(
            {r[len(prefix) :]: d for r, d in own.items() if r.startswith(prefix)}, chart.where
        )
        if sub_chart is not None:
            chart.subcharts.append(sub_chart)
    for rel, data in sorted(own.items()):
        if rel.startswith("charts/") and rel.count("/") == 1 and rel.endswith(".tgz"):
            chart.subcharts.extend(_load_tgz(data, chart.where))
    return chart


# -- dependency conditions -------------------------------------------------------------------------------


def _merge(base: Any, over: Any) -> Any:
    """Coalesce: ``over`` (user values) wins; maps merge; a null in ``over`` deletes the key."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge(out.get(k), v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out


def _with_defaults(chart: ChartFiles) -> dict[str, Any]:
    """A chart's values with each subchart's defaults under its name (Helm's coalesced defaults)."""
    values = chart.values
    for sub in chart.subcharts:
        values[sub.name] = _merge(_with_defaults(sub), values.get(sub.name) or {})
    return values


def _path_value(values: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def enabled_subcharts(chart: ChartFiles, values: Mapping[str, Any], path: str = "") -> list[ChartFiles]:
    """The enabled subcharts of ``chart`` in Helm's order: unlisted ones, then listed ones as listed."""
    deps = [d for d in chart.metadata.get("dependencies") or [] if isinstance(d, dict)]
    listed_names = {str(d.get("name")) for d in deps}
    unlisted = [s for s in chart.subcharts if s.name not in listed_names]
    tags = values.get("tags") if isinstance(values.get("tags"), Mapping) else None
    out = list(unlisted)
    for dep in deps:
        sub = next((s for s in chart.subcharts if s.name == str(dep.get("name"))), None)
        if sub is None:
            continue
        name = str(dep.get("alias") or dep.get("name"))
        enabled = True
        dep_tags = [str(t) for t in dep.get("tags") or []]
        if tags is not None and dep_tags:
            bools = [tags[t] for t in dep_tags if isinstance(tags.get(t), bool)]
            enabled = any(bools) or not bools
        for cond in str(dep.get("condition") or "").strip().split(","):
            if cond:
                found, value = _path_value(values, path + cond)
                if found and isinstance(value, bool):
                    enabled = value
                    break
        if enabled:
            out.append(ChartFiles(name, sub.where, sub.files, sub.subcharts, sub.parsed))
    return out


def coalesced_values(chart: ChartFiles, user: Mapping[str, Any]) -> dict[str, Any]:
    """The chart's (and subcharts') default values with the user's values over them."""
    merged = _merge(_with_defaults(chart), dict(user))
    return merged if isinstance(merged, dict) else {}


@dataclass(frozen=True, slots=True)
class CrdDocument:
    """One document of a ``crds/`` file."""

    source: str  # "app/charts/sub/crds/gadgets.yaml"
    obj: Any


def chart_crds(chart: ChartFiles, user_values: Mapping[str, Any]) -> Iterator[CrdDocument]:
    """The documents of the ``crds/`` files of the chart and of its enabled subcharts, in Helm's order."""
    values = coalesced_values(chart, user_values)

    def walk(c: ChartFiles, path: str) -> Iterator[CrdDocument]:
        for rel in c.crd_files():
            source = f"{c.where}/{rel}"
            for doc in load_documents(c.files[rel], source):
                if doc is not None:
                    yield CrdDocument(source, doc)
        for sub in enabled_subcharts(c, values, path):
            yield from walk(sub, f"{path}{sub.name}.")

    yield from walk(chart, "")


# -- schemas ---------------------------------------------------------------------------------------------


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def remote_schema_refs(chart: ChartFiles) -> list[tuple[str, str]]:
    """(chart, URL) of every ``$ref`` to http(s) in the values schemas of the chart and its subcharts."""
    out: list[tuple[str, str]] = []

    def walk(c: ChartFiles) -> None:
        raw = c.files.get("values.schema.json")
        if raw:
            try:
                schema = json.loads(raw.decode("utf-8", "replace"))
            except ValueError:
                schema = None
            out.extend((c.where, ref) for ref in _refs(schema) if ref.startswith(("http://", "https://")))
        for sub in c.subcharts:
            walk(sub)

    walk(chart)
    return out


__all__ = [
    "ChartFiles",
    "CrdDocument",
    "chart_crds",
    "coalesced_values",
    "enabled_subcharts",
    "load_chart_dir",
    "remote_schema_refs",
]
