"""Conformance harness: homeops against the real kubectl on every corpus repository, at two levels.

kustomize level: every kustomization dir, built by homeops and by kubectl. Categories per directory:
identical bytes; same objects with different bytes; different objects; both failed; only homeops failed;
only kubectl failed.

Flux level (scripts/flux_conformance.py): every Flux Kustomization homeops builds, its generated
kustomization written into a copy of the source and built by kubectl, compared with homeops' kustomize
stage: identities always, bytes without spec.postBuild.

Prints a table per level, writes the tables and every difference to the report file, and with --ratchet
fails when a figure drops below conformance-baseline.json (identical dirs; Flux identities equal and bytes
equal) or when the Flux identity match falls under 99% of the Kustomizations homeops builds.
--write-baseline records the figures measured.

    python scripts/conformance.py --corpus ../shared/corpus --report conformance-report.md
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_tools import corpus_repos, kubectl_build, kustomization_dirs, oracle_dir
from flux_conformance import FluxCase, FluxFigures, start_flux_repo
from flux_conformance import difference_lines as flux_difference_lines
from flux_conformance import markdown_table as flux_markdown_table
from flux_conformance import report_lines as flux_report_lines

from homeops.errors import HomeopsError
from homeops.kustomize.build import Builder
from homeops.yaml.emitter import dump_documents
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import to_plain

CATEGORIES = (
    "identical",
    "same-objects",
    "different-objects",
    "both-failed",
    "only-homeops-failed",
    "only-kubectl-failed",
)
BASELINE = Path(__file__).resolve().parent.parent / "conformance-baseline.json"
FLUX_RECORDED = ("built", "identities_equal", "bytes_equal")  # the Flux figures the baseline keeps
FLUX_MIN_IDENTITY_SHARE = 0.99  # of the Flux Kustomizations homeops builds, identities equal to kubectl's


@dataclass
class Case:
    repo: str
    dir: str
    category: str
    detail: str = ""


def _parsed(text: str) -> list[Any]:
    try:
        return [to_plain(d) for d in load_documents(text.encode(), "<output>") if d is not None]
    except HomeopsError:
        return [text]


def start_repo(repo: Path, kubectl: Path, executor: ThreadPoolExecutor) -> Callable[[], list[Case]]:
    """Queue kubectl's build of every kustomization dir of ``repo`` on ``executor``, build homeops' side
    meanwhile, and return what waits for kubectl and compares."""
    dirs = kustomization_dirs(repo)
    futures = [executor.submit(kubectl_build, kubectl, d) for d in dirs]
    builder = Builder(repo)
    ours: list[tuple[str | None, str]] = []
    for kdir in dirs:
        try:
            ours.append((dump_documents(r.obj for r in builder.build(kdir)), ""))
        except HomeopsError as exc:
            ours.append((None, str(exc)))
        except Exception as exc:  # an engine bug must not stop the survey
            ours.append((None, f"INTERNAL {type(exc).__name__}: {exc}"))

    def finish() -> list[Case]:
        return [
            _case(repo, kdir, mine, future.result())
            for kdir, mine, future in zip(dirs, ours, futures, strict=True)
        ]

    return finish


def compare_repo(repo: Path, kubectl: Path, jobs: int) -> list[Case]:
    with ThreadPoolExecutor(max_workers=jobs) as executor:
        return start_repo(repo, kubectl, executor)()


def _case(repo: Path, kdir: Path, mine: tuple[str | None, str], kube: tuple[bool, str]) -> Case:
    rel = str(kdir.relative_to(repo)) or "."
    (ours, err), (k_ok, k_out) = mine, kube
    if ours is not None and k_ok:
        if ours == k_out:
            return Case(repo.name, rel, "identical")
        diff = "".join(
            difflib.unified_diff(k_out.splitlines(True), ours.splitlines(True), "kubectl", "homeops", n=2)
        )
        same = _parsed(ours) == _parsed(k_out)
        return Case(repo.name, rel, "same-objects" if same else "different-objects", diff[:6000])
    if ours is None and not k_ok:
        return Case(repo.name, rel, "both-failed", f"homeops: {err}\nkubectl: {k_out.strip()}")
    if ours is None:
        return Case(repo.name, rel, "only-homeops-failed", err)
    return Case(repo.name, rel, "only-kubectl-failed", k_out.strip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    ap.add_argument("--report", type=Path, default=Path("conformance-report.md"))
    ap.add_argument("--jobs", type=int, default=2, help="parallel kubectl processes")
    ap.add_argument("--repo", action="append", default=[], help="only these corpus repos (folder names)")
    ap.add_argument("--level", choices=("all", "kustomize", "flux"), default="all", help="what to compare")
    ap.add_argument("--ratchet", action="store_true", help="fail if a figure drops below the baseline")
    ap.add_argument(
        "--write-baseline",
        "--update-baseline",
        dest="write_baseline",
        action="store_true",
        help="record the figures measured as the baseline (merged into the file when --repo limits the run)",
    )
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}; nothing to compare", file=sys.stderr)
        return 0
    kubectl = oracle_dir(args.corpus.resolve().parent) / "kubectl"
    repos = [r for r in corpus_repos(args.corpus) if not args.repo or r.name in args.repo]
    results = run(repos, kubectl, args.jobs, args.level)
    write_report(args.report, results)
    print(f"report: {args.report}")
    if args.write_baseline:
        BASELINE.write_text(json.dumps(merged_baseline(load_baseline(), results), indent=2) + "\n")
        print(f"baseline written: {BASELINE}")
    if args.ratchet:
        failures = ratchet_failures(results, load_baseline())
        if failures:
            print("conformance ratchet failed:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
    return 0


@dataclass
class Results:
    """Everything one run measured, per level."""

    kustomize_cases: list[Case] = field(default_factory=list)
    kustomize: dict[str, Counter[str]] = field(default_factory=dict)
    flux_cases: list[FluxCase] = field(default_factory=list)
    flux_problems: list[str] = field(default_factory=list)
    flux: dict[str, FluxFigures] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def run(repos: list[Path], kubectl: Path, jobs: int, level: str = "all") -> Results:
    """Compare ``repos`` at the kustomize-directory level, the Flux level, or both; print the tables.

    One pool of ``jobs`` kubectl workers serves both levels, and homeops' side is built while kubectl runs,
    so the machine stays busy; the seconds recorded are when each level's last comparison was done."""
    results = Results()
    start = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="homeops-conformance-") as tmp,
        ThreadPoolExecutor(max_workers=jobs) as executor,
    ):
        pending_k = [(r, start_repo(r, kubectl, executor)) for r in repos if level in ("all", "kustomize")]
        pending_f = [
            (r, start_flux_repo(r, kubectl, executor, Path(tmp) / r.name, jobs))
            for r in repos
            if level in ("all", "flux")
        ]
        for repo, finish in pending_k:
            cases = finish()
            results.kustomize_cases.extend(cases)
            results.kustomize[repo.name] = Counter(c.category for c in cases)
        if pending_k:
            results.seconds["kustomize done"] = time.monotonic() - start
        for repo, finish_flux in pending_f:
            flux_cases, problems = finish_flux()
            results.flux_cases.extend(flux_cases)
            results.flux_problems.extend(f"{repo.name}: {p}" for p in problems)
            results.flux[repo.name] = FluxFigures.of(flux_cases)
        if pending_f:
            results.seconds["flux done"] = time.monotonic() - start
    results.seconds["total"] = time.monotonic() - start
    if results.kustomize:
        _print_kustomize(results)
    if results.flux:
        print()
        print("\n".join(flux_markdown_table(results.flux)))
        print("identity % = identities equal / Flux Kustomizations homeops builds")
        print("\n".join([*flux_difference_lines(results.flux_cases), *results.flux_problems]))
    print("wall time: " + ", ".join(f"{k} {v:.1f}s" for k, v in results.seconds.items()))
    return results


def _print_kustomize(results: Results) -> None:
    header = (
        f"{'repository':36} {'dirs':>5} " + " ".join(f"{c:>19}" for c in CATEGORIES) + f" {'identical%':>11}"
    )
    print(header)
    for name, counts in results.kustomize.items():
        print(_kustomize_row(name, sum(counts.values()), counts))
    total = Counter(c.category for c in results.kustomize_cases)
    print(_kustomize_row("TOTAL", len(results.kustomize_cases), total))
    print("identical% = identical / directories kubectl builds")


def _kustomize_row(name: str, dirs: int, counts: Counter[str]) -> str:
    built = sum(counts[c] for c in ("identical", "same-objects", "different-objects", "only-homeops-failed"))
    pct = 100.0 * counts["identical"] / built if built else 100.0
    return f"{name:36} {dirs:5} " + " ".join(f"{counts[c]:19}" for c in CATEGORIES) + f" {pct:10.1f}%"


# -- the baseline and the ratchet ------------------------------------------------------------------------
def load_baseline(path: Path = BASELINE) -> dict[str, Any]:
    """``{"kustomize": {repo: identical dirs}, "flux": {repo: {figure: count}}}``; empty when absent."""
    if not path.is_file():
        return {"kustomize": {}, "flux": {}}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {"kustomize": dict(data.get("kustomize", {})), "flux": dict(data.get("flux", {}))}


def merged_baseline(baseline: dict[str, Any], results: Results) -> dict[str, Any]:
    """``baseline`` with the figures of ``results`` recorded (repositories not run are kept)."""
    kustomize = dict(baseline.get("kustomize", {}))
    kustomize.update({name: c["identical"] for name, c in results.kustomize.items()})
    flux = dict(baseline.get("flux", {}))
    flux.update({name: {f: getattr(fig, f) for f in FLUX_RECORDED} for name, fig in results.flux.items()})
    return {"kustomize": dict(sorted(kustomize.items())), "flux": dict(sorted(flux.items()))}


def ratchet_failures(results: Results, baseline: dict[str, Any]) -> list[str]:
    """Why ``results`` fall short of ``baseline``: a repository without a baseline, an identical-dir,
    identities-equal or bytes-equal count that dropped, or an overall identity match under 99%."""
    failures: list[str] = []
    recorded_k: dict[str, int] = baseline.get("kustomize", {})
    for name, counts in results.kustomize.items():
        if name not in recorded_k:
            failures.append(f"kustomize {name}: no baseline (run with --write-baseline)")
        elif counts["identical"] < recorded_k[name]:
            failures.append(f"kustomize {name}: identical dirs {counts['identical']} < {recorded_k[name]}")
    recorded_f: dict[str, dict[str, int]] = baseline.get("flux", {})
    for name, fig in results.flux.items():
        if name not in recorded_f:
            failures.append(f"flux {name}: no baseline (run with --write-baseline)")
            continue
        for figure in ("identities_equal", "bytes_equal"):
            want = int(recorded_f[name].get(figure, 0))
            if getattr(fig, figure) < want:
                failures.append(f"flux {name}: {figure.replace('_', ' ')} {getattr(fig, figure)} < {want}")
    built = sum(f.built for f in results.flux.values())
    equal = sum(f.identities_equal for f in results.flux.values())
    if built and equal < FLUX_MIN_IDENTITY_SHARE * built:
        failures.append(
            f"flux: identities equal for {equal} of {built} Kustomizations homeops builds "
            f"({100.0 * equal / built:.1f}%), under {100 * FLUX_MIN_IDENTITY_SHARE:.0f}%"
        )
    return failures


def write_report(path: Path, results: Results) -> None:
    lines = ["# homeops conformance report", ""]
    lines.append("wall time: " + ", ".join(f"{k} {v:.1f}s" for k, v in results.seconds.items()))
    lines.append("")
    if results.kustomize:
        lines += ["## kustomize level: every kustomization directory, against kubectl", ""]
        for name, counts in results.kustomize.items():
            lines.append(f"- {name}: " + ", ".join(f"{c} {counts[c]}" for c in CATEGORIES if counts[c]))
        lines.append("")
        for case in results.kustomize_cases:
            if case.category == "identical":
                continue
            lines += [
                f"### {case.repo}/{case.dir}: {case.category}",
                "",
                "```",
                case.detail.rstrip(),
                "```",
                "",
            ]
    if results.flux:
        lines += flux_report_lines(results.flux_cases, results.flux_problems, results.flux)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
