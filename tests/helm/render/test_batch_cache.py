"""The render cache (a hit equals a cold render; a corrupt entry is rendered again) and parallel batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from homeops.helm.render import HelmBinary, ReleaseInput, RenderOptions, render_many, render_release
from homeops.helm.types import StoredChart
from homeops.rules.validate import chart_values_valid
from homeops.yaml.emitter import dump_documents
from homeops.yaml.nodes import to_plain
from tests.helm.render.conftest import CHARTS, hr_obj

pytestmark = pytest.mark.oracle

HR = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  namespace: apps
spec:
  interval: 1h
  commonMetadata:
    labels: {{team: t{i}}}
  values:
    replicas: {replicas}
"""


def _release(tmp_path: Path, i: int, replicas: Any = 1) -> ReleaseInput:
    obj = hr_obj(tmp_path, HR.format(name=f"app{i}", i=i, replicas=replicas), f"hr{i}.yaml")
    return ReleaseInput.from_obj(obj, to_plain(obj["spec"]["values"]))


def _text(res: Any) -> str:
    return dump_documents(res.objects) + repr(res.problems)


def test_cache_hit_is_identical_and_corrupt_entry_rerenders(helm_binary: HelmBinary, tmp_path: Path) -> None:
    chart = StoredChart(CHARTS / "app", "app", "1.2.3")
    cache = tmp_path / "cache"
    opts = RenderOptions(helm=helm_binary.path, cache_dir=cache)
    release = _release(tmp_path, 0)
    cold = render_release(release, chart, opts)
    assert not cold.cached and cold.ok
    entries = [p for p in cache.rglob("*") if p.is_file() and p.name != "helm-versions.json"]
    assert len(entries) == 1 and entries[0].read_bytes().startswith(b"HOR1")
    warm = render_release(release, chart, opts)
    assert warm.cached and _text(warm) == _text(cold)
    uncached = render_release(
        release, chart, RenderOptions(helm=helm_binary.path, cache_dir=cache, use_cache=False)
    )
    assert not uncached.cached and _text(uncached) == _text(cold)
    entries[0].write_bytes(entries[0].read_bytes()[:-10] + b"0123456789")
    again = render_release(release, chart, opts)
    assert not again.cached and _text(again) == _text(cold)
    assert render_release(release, chart, opts).cached
    other = render_release(_release(tmp_path, 0, replicas=2), chart, opts)
    assert not other.cached  # other values, other key


def test_parallel_batch_equals_sequential(helm_binary: HelmBinary, tmp_path: Path) -> None:
    chart = StoredChart(CHARTS / "app", "app", "1.2.3")
    items = [(_release(tmp_path, i, replicas=i if i % 7 else "bad"), chart) for i in range(20)]
    parallel = render_many(items, RenderOptions(helm=helm_binary.path, use_cache=False, workers=8))
    sequential = [
        render_release(r, c, RenderOptions(helm=helm_binary.path, use_cache=False)) for r, c in items
    ]
    assert [_text(r) for r in parallel] == [_text(r) for r in sequential]
    assert [r.release.name for r in parallel] == [f"app{i}" for i in range(20)]
    assert [r.ok for r in parallel] == [bool(i % 7) for i in range(20)]
    assert {o["metadata"]["labels"]["team"] for o in parallel[3].manifests} == {"t3"}


class _Ctx:
    def __init__(self, renders: list[Any], root: Path) -> None:
        self.helm_renders = renders
        self.root = root

    def rel(self, file: str) -> str:
        return Path(file).relative_to(self.root).as_posix() if file else ""

    def where(self, pos: Any) -> tuple[str, int, int]:
        return (self.rel(pos.file), pos.line, pos.column) if pos else ("", 0, 0)


def test_rule_chart_values_valid(helm_binary: HelmBinary, tmp_path: Path) -> None:
    chart = StoredChart(CHARTS / "app", "app", "1.2.3")
    opts = RenderOptions(helm=helm_binary.path, cache_dir=tmp_path / "cache")
    bad = render_release(_release(tmp_path, 1, replicas="two"), chart, opts)
    good = render_release(_release(tmp_path, 2), chart, opts)
    remote = render_release(
        _release(tmp_path, 3), StoredChart(CHARTS / "remote-ref", "remote-ref", "0.3.0"), opts
    )
    findings = list(chart_values_valid.check(cast(Any, _Ctx([bad, good, remote], tmp_path))))
    assert [(f.code, f.file, f.line, f.field, f.severity.value) for f in findings] == [
        ("HO114", "hr1.yaml", 11, "spec.values.replicas", "error"),
        ("HO114", "hr3.yaml", 1, "spec.values", "warning"),
    ]
    assert "HelmRelease/apps/app1 chart app@1.2.3" in findings[0].message
    assert "got string, want integer" in findings[0].message
    assert list(chart_values_valid.check(cast(Any, object()))) == []


def test_progress_reports_every_render(helm_binary: HelmBinary, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    chart = StoredChart(CHARTS / "app", "app", "1.2.3")
    items = [(_release(tmp_path, i), chart) for i in range(4)]
    options = RenderOptions(
        helm=helm_binary.path,
        cache_dir=tmp_path / "cache",
        workers=2,
        progress=lambda d, t: seen.append((d, t)),
    )
    render_many(items, options)
    assert sorted(seen) == [(1, 4), (2, 4), (3, 4), (4, 4)]
