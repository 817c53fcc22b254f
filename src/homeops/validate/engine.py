"""Run every selected rule over a built repository, in one run, and post-process the findings: severity
overrides, ignore globs and inline ``# homeops: ignore[CODE]`` suppressions."""

from __future__ import annotations

import contextlib
import fnmatch
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops.findings import Finding, Severity
from homeops.flux.api import RepoOptions
from homeops.flux.cluster import ClusterBuild, ClusterOptions, build_cluster
from homeops.flux.masking import SecretMasker, cluster_masker
from homeops.flux.worktree import repository_root
from homeops.rules.base import Rule
from homeops.rules.registry import find_rule, rules_of_kind
from homeops.validate.config import ValidateConfig, load_config
from homeops.validate.context import ValidateContext

if TYPE_CHECKING:
    from homeops.validate.changed import BaseSide

_SUPPRESS = re.compile(r"#\s*homeops:\s*ignore\[([^\]]*)\]")


@dataclass(frozen=True, slots=True)
class ValidateOptions:
    repo: Path | None = None
    roots: tuple[str, ...] = ()
    cluster: str | None = None
    source_root: str | None = None
    config_file: Path | None = None
    kubernetes_version: str | None = None
    schema_locations: tuple[str, ...] = ()
    allow_network: bool | None = None
    select: tuple[str, ...] = ()
    age_key: Path | None = None
    base: str | None = None  # report only what the change from this git ref reaches (validate --base)
    cache: bool = False  # use the persistent build cache (the CLI turns it on unless --no-cache)
    helm: bool = False  # render the HelmReleases' charts from the store (the CLI: unless --no-helm)


@dataclass
class ValidateResult:
    findings: list[Finding]
    rules_run: list[Rule]
    suppressed: int
    seconds: float
    repo: Path
    extra: dict[str, Any] = field(default_factory=dict)
    masker: SecretMasker | None = field(default=None, repr=False, compare=False)
    cluster: ClusterBuild | None = field(default=None, repr=False, compare=False)  # the build validated
    base_cluster: ClusterBuild | None = field(default=None, repr=False, compare=False)  # --base: its build

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    def summary(self) -> dict[str, Any]:
        by_sev = Counter(f.severity.value for f in self.findings)
        return {
            "errors": by_sev.get("error", 0),
            "warnings": by_sev.get("warning", 0),
            "infos": by_sev.get("info", 0),
            "by_rule": dict(sorted(Counter(f.code for f in self.findings).items())),
            "suppressed": self.suppressed,
            "rules": len(self.rules_run),
            "seconds": round(self.seconds, 3),
            **self.extra,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [
                {
                    "code": f.code,
                    "rule": f.rule,
                    "severity": f.severity.value,
                    "message": f.message,
                    "file": f.file,
                    "line": f.line,
                    "column": f.column,
                    "object": f.object,
                    "field": f.field,
                    "hint": f.hint,
                }
                for f in self.findings
            ],
            "summary": self.summary(),
        }


def _merge_config(config: ValidateConfig, options: ValidateOptions) -> ValidateConfig:
    from dataclasses import replace

    changes: dict[str, Any] = {}
    if options.kubernetes_version:
        changes["kubernetes_version"] = options.kubernetes_version
    if options.schema_locations:
        changes["schema_locations"] = config.schema_locations + options.schema_locations
    if options.allow_network is not None:
        changes["allow_network"] = options.allow_network
    if options.select:
        changes["select"] = tuple(s.upper() for s in options.select)
    return replace(config, **changes) if changes else config


def select_rules(config: ValidateConfig) -> list[Rule]:
    rules = list(rules_of_kind("validate"))
    if config.select:
        wanted = {find_rule(c).code for c in config.select}
        rules = [r for r in rules if r.code in wanted]
    if config.ignore_rules:
        skip = {find_rule(c).code for c in config.ignore_rules}
        rules = [r for r in rules if r.code not in skip]
    return rules


def validate(options: ValidateOptions) -> ValidateResult:
    """Build the repository's Flux tree and run every selected validate rule on it."""
    started = time.perf_counter()
    root = repository_root(options.repo)
    config = _merge_config(load_config(root, options.config_file), options)
    rules = select_rules(config)
    repo_options = RepoOptions(
        repo=root,
        roots=options.roots,
        cluster=options.cluster,
        source_root=options.source_root,
        age_key=options.age_key,
        config_file=options.config_file,
        allow_network=config.allow_network,
        cache=options.cache,
        helm=options.helm,
    )
    prefetch = repo_options.start_prefetch()  # a cold cache: the files are parsed from now on
    with contextlib.ExitStack() as stack:
        if prefetch is not None:
            stack.callback(prefetch.stop)
        cluster_options = repo_options.cluster_options()
        base_side = None
        if options.base is not None:
            from homeops.validate.changed import BaseSide

            base_side = stack.enter_context(BaseSide(cluster_options, options.base))  # extracted meanwhile
        cluster = build_cluster(cluster_options, prefetch)
        return _validated(options, rules, config, root, cluster_options, cluster, base_side, started)


def _validated(
    options: ValidateOptions,
    rules: list[Rule],
    config: ValidateConfig,
    root: Path,
    cluster_options: ClusterOptions,
    cluster: ClusterBuild,
    base_side: BaseSide | None,
    started: float,
) -> ValidateResult:
    build_seconds = time.perf_counter() - started
    ctx = ValidateContext(cluster, config)
    raw: list[Finding] = []
    for rule in rules:
        raw.extend(rule.check(ctx))
    findings, suppressed = postprocess(raw, config, root)
    extra: dict[str, Any] = {"build_seconds": round(build_seconds, 3), "kustomizations": len(cluster.nodes)}
    if cluster.helm is not None:
        extra["helm"] = cluster.helm.counts()
    if base_side is not None:
        reach = base_side.scope(cluster)
        kept = [f for f in findings if reach.keeps(f)]
        extra["base"] = {**reach.to_json(), "findings_outside": len(findings) - len(kept)}
        findings = kept
    masker = cluster_masker(cluster, cluster_options.identities)
    seconds = time.perf_counter() - started
    base = reach.build if base_side is not None else None
    return ValidateResult(findings, rules, suppressed, seconds, root, extra, masker, cluster, base)


def postprocess(findings: list[Finding], config: ValidateConfig, root: Path) -> tuple[list[Finding], int]:
    """Apply severity overrides, ignore globs and inline suppressions; dedupe and sort."""
    from dataclasses import replace

    out: list[Finding] = []
    suppressed = 0
    lines_cache: dict[str, list[str]] = {}
    seen: set[Finding] = set()
    for f in findings:
        if f.code in config.severity:
            f = replace(f, severity=config.severity[f.code])
        if f.file and any(fnmatch.fnmatch(f.file, pat) for pat in config.ignore_paths):
            suppressed += 1
            continue
        if f.file and f.line and _suppressed(root, f, lines_cache):
            suppressed += 1
            continue
        if f in seen:
            continue
        seen.add(f)
        out.append(f)
    out.sort(key=lambda f: (f.file, f.line, f.column, f.code, f.message))
    return out, suppressed


def _suppressed(root: Path, f: Finding, cache: dict[str, list[str]]) -> bool:
    lines = cache.get(f.file)
    if lines is None:
        try:
            lines = (root / f.file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        cache[f.file] = lines
    for index in (f.line - 1, f.line - 2):
        if 0 <= index < len(lines):
            m = _SUPPRESS.search(lines[index])
            if m:
                wanted = {c.strip().lower() for c in m.group(1).split(",")}
                if not wanted - {""} or f.code.lower() in wanted or f.rule in wanted or "all" in wanted:
                    return True
    return False
