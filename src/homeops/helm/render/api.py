"""Render HelmReleases as helm-controller installs them: ``helm template``, then the post-render chain.

``render_release`` never raises for a chart or values problem: it returns a RenderResult whose
``problems`` say what helm-controller would have failed on. It raises HelmUnavailableError only when no
usable Helm v4 is found. ``render_many`` renders a batch on a thread pool (one helm process per release).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from homeops.errors import HomeopsError
from homeops.helm.render.apiversions import api_versions
from homeops.helm.render.cache import (
    CachedRun,
    RenderCache,
    canonical_json,
    default_render_cache_dir,
    hash_chart_dir,
    render_key,
)
from homeops.helm.render.charts import (
    ChartFiles,
    chart_crds,
    coalesced_values,
    enabled_subcharts,
    load_chart_dir,
    remote_schema_refs,
)
from homeops.helm.render.crds import crd_objects
from homeops.helm.render.helmbin import HELM_ENV, HelmBinary, HelmUnavailableError, find_helm, run_helm
from homeops.helm.render.model import (
    CHART_VALUES_VALID,
    ReleaseInput,
    ReleaseSettings,
    RenderOptions,
    RenderProblem,
    RenderResult,
)
from homeops.helm.render.postrender import PostRenderError, post_render, sort_manifests
from homeops.helm.render.template import parse_errors, parse_output, template_args
from homeops.helm.types import StoredChart
from homeops.yaml.nodes import to_plain


def resolve_helm(options: RenderOptions) -> HelmBinary:
    """The helm binary of ``options`` (``helm``), else ``$HOMEOPS_HELM``, else ``helm`` on PATH."""
    memo = _cache(options).directory if options.use_cache else None
    if options.helm is not None:
        return find_helm({**os.environ, HELM_ENV: str(options.helm)}, memo)
    return find_helm(memo=memo)


def _cache(options: RenderOptions) -> RenderCache:
    return RenderCache(options.cache_dir or default_render_cache_dir())


def _subchart_prefixes(chart: ChartFiles, values: dict[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(c: ChartFiles, prefix: str) -> None:
        for sub in enabled_subcharts(c, values, prefix):
            out.setdefault(sub.name, f"{prefix}{sub.name}.")
            walk(sub, f"{prefix}{sub.name}.")

    walk(chart, "")
    return out


def _chart_version(chart: StoredChart) -> str:
    """The version helm-controller renders: ``<version>+<digest12>`` for an OCIRepository artifact."""
    if chart.source_kind == "OCIRepository" and chart.digest:
        base = chart.version.removeprefix("v").split("+", 1)[0]
        return f"{base}+{chart.digest.split(':', 1)[-1][:12]}"
    return chart.version


def render_release(release: ReleaseInput, chart: StoredChart, options: RenderOptions) -> RenderResult:
    """Render one HelmRelease (see module doc)."""
    return _Renderer(resolve_helm(options), options).render(release, chart)


def render_many(
    items: Sequence[tuple[ReleaseInput, StoredChart]], options: RenderOptions
) -> list[RenderResult]:
    """Render every (release, chart) pair in parallel (``options.workers``, default the CPU count).

    Results come back in the order of ``items``, equal to rendering them one by one.
    """
    if not items:
        return []
    renderer = _Renderer(resolve_helm(options), options)
    workers = max(1, options.workers or os.cpu_count() or 1)
    done = [0]
    lock = threading.Lock()

    def one(pair: tuple[ReleaseInput, StoredChart]) -> RenderResult:
        result = renderer.render(*pair)
        if options.progress is not None:
            with lock:
                done[0] += 1
                options.progress(done[0], len(items))
        return result

    if workers == 1 or len(items) == 1:
        return [one(pair) for pair in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="homeops-helm") as pool:
        return list(pool.map(one, items))


class _Renderer:
    def __init__(self, helm: HelmBinary, options: RenderOptions) -> None:
        self.helm = helm
        self.options = options
        self.cache = _cache(options)
        self._charts: dict[tuple[Path, str], tuple[ChartFiles, str]] = {}  # read once per run
        self._lock = threading.Lock()

    def _chart(self, chart: StoredChart) -> tuple[ChartFiles, str]:
        """The chart's files and its identity (the artifact digest, else a hash of the files), read once
        for all the releases of a run that use it."""
        key = (chart.path, chart.digest)
        with self._lock:
            found = self._charts.get(key)
        if found is None:
            found = (load_chart_dir(chart.path), chart.digest or hash_chart_dir(chart.path))
            with self._lock:
                self._charts[key] = found
        return found

    def render(self, release: ReleaseInput, chart: StoredChart) -> RenderResult:
        version = _chart_version(chart)
        base = RenderResult(release=release, chart_name=chart.name, chart_version=version)
        settings = ReleaseSettings.from_obj(release.obj)
        problems = [RenderProblem("render", msg, release.location) for msg in settings.invalid]
        if problems:
            return _with(base, problems=problems)
        if not (chart.path / "Chart.yaml").is_file():
            return _with(base, problems=[_problem(release, f"{chart.path} holds no Chart.yaml")])
        try:
            return self._render(release, chart, version, settings, base)
        except PostRenderError as exc:
            return _with(base, problems=[RenderProblem("postrender", exc.message, release.location)])
        except HelmUnavailableError:
            raise
        except HomeopsError as exc:
            return _with(base, problems=[_problem(release, str(exc))])
        except OSError as exc:
            return _with(base, problems=[_problem(release, f"cannot read chart {chart.path}: {exc}")])

    def _render(
        self,
        release: ReleaseInput,
        chart: StoredChart,
        version: str,
        settings: ReleaseSettings,
        base: RenderResult,
    ) -> RenderResult:
        values = to_plain(dict(release.values))
        files, chart_id = self._chart(chart)
        problems: list[RenderProblem] = []
        notes: list[str] = []
        skip_schema = settings.skip_schema_validation
        remote = remote_schema_refs(files)
        if remote and not skip_schema:
            skip_schema = True
            where = ", ".join(f"{url} (chart {c})" for c, url in remote[:3])
            problems.append(
                RenderProblem(
                    "remote-ref",
                    f"the values schema of chart {chart.name} refers to {where}, which cannot be fetched "
                    "offline: the values were not checked against the schema (rendered with "
                    "--skip-schema-validation)",
                    release.location,
                    rule=CHART_VALUES_VALID,
                    fatal=False,
                )
            )
        if settings.disable_openapi_validation:
            notes.append("disableOpenAPIValidation is a server-side check; it changes nothing offline")
        crd_docs = list(chart_crds(files, values)) if settings.crds != "Skip" else []
        crds, crd_notes = crd_objects(crd_docs, release.name, release.hr_namespace)
        notes.extend(crd_notes)
        apis = api_versions((*self.options.crds, *crds), self.options.extra_api_versions)
        run, cached, args = self._template(
            release, chart, version, chart_id, values, apis, settings, skip_schema
        )
        result_args = tuple(args)
        if run.returncode != 0:
            prefixes = _subchart_prefixes(files, coalesced_values(files, values))
            problems += parse_errors(
                run.stderr, files.name, release.location, subchart_paths=prefixes, chart_dir=chart.path
            )
            return _with(base, problems=problems, notes=notes, helm_args=result_args, cached=cached)
        docs, read_problems = parse_output(run.stdout, f"{release.ref} rendered")
        problems += [_problem(release, f"helm output: {p}") for p in read_problems]
        files_out = post_render(docs, settings, release.name, release.hr_namespace)
        ordered = sort_manifests(files_out)
        notes += [f"{ref}: unknown hook event, Helm leaves it out" for ref in ordered.skipped_hooks]
        hooks = [] if settings.disable_hooks else ordered.hooks
        return RenderResult(
            release=release,
            chart_name=chart.name,
            chart_version=version,
            crds=tuple(crds),
            manifests=tuple(ordered.manifests),
            hooks=tuple(hooks),
            problems=tuple(problems),
            notes=tuple(notes),
            helm_args=result_args,
            cached=cached,
        )

    def _template(
        self,
        release: ReleaseInput,
        chart: StoredChart,
        version: str,
        chart_id: str,
        values: object,
        apis: Sequence[str],
        settings: ReleaseSettings,
        skip_schema: bool,
    ) -> tuple[CachedRun, bool, list[str]]:
        """Run (or find in the cache) ``helm template``; the outcome, whether cached, the arguments."""
        flag_args = template_args(
            release.release_name,
            Path("<chart>"),
            release.namespace,
            Path("<values>"),
            kube_version=self.options.kube_version,
            api_versions=(),
            include_tests=settings.include_tests,
            skip_schema_validation=skip_schema,
            disable_hooks=settings.disable_hooks,
        )
        key = render_key(
            helm_version=self.helm.version,
            chart_id=f"{chart_id}@{version}",
            release_name=release.release_name,
            namespace=release.namespace,
            values=values if isinstance(values, dict) else {},
            kube_version=self.options.kube_version,
            api_versions=apis,
            flags=flag_args,
        )
        if self.options.use_cache:
            hit = self.cache.get(key)
            if hit is not None:
                return hit, True, _real_args(flag_args, apis)
        with tempfile.TemporaryDirectory(prefix="homeops-render-") as tmp:
            chart_dir = chart.path
            if version != chart.version:
                store = self.cache if self.options.use_cache else RenderCache(Path(tmp) / "copy")
                chart_dir = store.chart_with_version(chart.path, version, chart_id)
            values_file = Path(tmp) / "values.json"
            values_file.write_text(canonical_json(values), encoding="utf-8")
            args = template_args(
                release.release_name,
                chart_dir,
                release.namespace,
                values_file,
                kube_version=self.options.kube_version,
                api_versions=apis,
                include_tests=settings.include_tests,
                skip_schema_validation=skip_schema,
                disable_hooks=settings.disable_hooks,
            )
            proc = run_helm(self.helm, args, cwd=Path(tmp))
        run = CachedRun(proc.returncode, proc.stdout, proc.stderr)
        if self.options.use_cache and proc.returncode >= 0:
            self.cache.put(key, run)
        return run, False, _real_args(flag_args, apis)


def _real_args(flag_args: Sequence[str], apis: Iterable[str]) -> list[str]:
    out = list(flag_args)
    for api in apis:
        out += ["--api-versions", api]
    return out


def _problem(release: ReleaseInput, message: str) -> RenderProblem:
    return RenderProblem("render", message, release.location)


def _with(
    base: RenderResult,
    *,
    problems: Iterable[RenderProblem] = (),
    notes: Iterable[str] = (),
    helm_args: tuple[str, ...] = (),
    cached: bool = False,
) -> RenderResult:
    return RenderResult(
        release=base.release,
        chart_name=base.chart_name,
        chart_version=base.chart_version,
        problems=tuple(problems),
        notes=tuple(notes),
        helm_args=helm_args,
        cached=cached,
    )


__all__ = ["render_many", "render_release", "resolve_helm"]
