"""Conformance harness: build every kustomization dir of every corpus repo with homeops and with the real
kubectl, and compare.

Categories per directory: identical bytes; same objects with different bytes; different objects; both
failed; only homeops failed; only kubectl failed. Prints a table per repository and a total, writes the
differing cases to a report file, and with --ratchet fails when the identical count drops below the figure
recorded in conformance-baseline.json.

    python scripts/conformance.py --corpus ../shared/corpus --report conformance-report.md
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_tools import corpus_repos, kubectl_build, kustomization_dirs, oracle_dir

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


def compare_repo(repo: Path, kubectl: Path, jobs: int) -> list[Case]:
    dirs = kustomization_dirs(repo)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        oracle = list(pool.map(lambda d: kubectl_build(kubectl, d), dirs))
    builder = Builder(repo)
    cases: list[Case] = []
    for kdir, (k_ok, k_out) in zip(dirs, oracle, strict=True):
        rel = str(kdir.relative_to(repo)) or "."
        try:
            ours: str | None = dump_documents(r.obj for r in builder.build(kdir))
            err = ""
        except HomeopsError as exc:
            ours, err = None, str(exc)
        except Exception as exc:  # an engine bug must not stop the survey
            ours, err = None, f"INTERNAL {type(exc).__name__}: {exc}"
        if ours is not None and k_ok:
            if ours == k_out:
                cases.append(Case(repo.name, rel, "identical"))
                continue
            diff = "".join(
                difflib.unified_diff(k_out.splitlines(True), ours.splitlines(True), "kubectl", "homeops", n=2)
            )
            same = _parsed(ours) == _parsed(k_out)
            cases.append(Case(repo.name, rel, "same-objects" if same else "different-objects", diff[:6000]))
        elif ours is None and not k_ok:
            cases.append(Case(repo.name, rel, "both-failed", f"homeops: {err}\nkubectl: {k_out.strip()}"))
        elif ours is None:
            cases.append(Case(repo.name, rel, "only-homeops-failed", err))
        else:
            cases.append(Case(repo.name, rel, "only-kubectl-failed", k_out.strip()))
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    ap.add_argument("--report", type=Path, default=Path("conformance-report.md"))
    ap.add_argument("--jobs", type=int, default=2, help="parallel kubectl processes")
    ap.add_argument("--repo", action="append", default=[], help="only these corpus repos (folder names)")
    ap.add_argument("--ratchet", action="store_true", help="fail if identical dirs drop below the baseline")
    ap.add_argument("--update-baseline", action="store_true", help="record the identical counts as baseline")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}; nothing to compare", file=sys.stderr)
        return 0
    kubectl = oracle_dir(args.corpus.parent) / "kubectl"
    repos = [r for r in corpus_repos(args.corpus) if not args.repo or r.name in args.repo]
    all_cases: list[Case] = []
    header = (
        f"{'repository':34} {'dirs':>5} " + " ".join(f"{c:>19}" for c in CATEGORIES) + f" {'identical%':>11}"
    )
    print(header)
    per_repo: dict[str, Counter[str]] = {}
    for repo in repos:
        cases = compare_repo(repo, kubectl, args.jobs)
        all_cases.extend(cases)
        counts = Counter(c.category for c in cases)
        per_repo[repo.name] = counts
        built = sum(
            counts[c] for c in ("identical", "same-objects", "different-objects", "only-homeops-failed")
        )
        pct = 100.0 * counts["identical"] / built if built else 100.0
        print(
            f"{repo.name:34} {len(cases):5} "
            + " ".join(f"{counts[c]:19}" for c in CATEGORIES)
            + f" {pct:10.1f}%"
        )
    total = Counter(c.category for c in all_cases)
    built = sum(total[c] for c in ("identical", "same-objects", "different-objects", "only-homeops-failed"))
    pct = 100.0 * total["identical"] / built if built else 100.0
    print(
        f"{'TOTAL':34} {len(all_cases):5} "
        + " ".join(f"{total[c]:19}" for c in CATEGORIES)
        + f" {pct:10.1f}%"
    )
    print("identical% = identical / directories kubectl builds")
    _write_report(args.report, all_cases, per_repo)
    print(f"report: {args.report}")
    if args.update_baseline:
        BASELINE.write_text(
            json.dumps({name: c["identical"] for name, c in sorted(per_repo.items())}, indent=2) + "\n"
        )
    if args.ratchet and BASELINE.is_file():
        baseline: dict[str, int] = json.loads(BASELINE.read_text())
        dropped = [
            f"{name}: {per_repo[name]['identical']} < {want}"
            for name, want in baseline.items()
            if name in per_repo and per_repo[name]["identical"] < want
        ]
        if dropped:
            print(
                "conformance ratchet failed (identical dirs dropped): " + "; ".join(dropped), file=sys.stderr
            )
            return 1
    return 0


def _write_report(path: Path, cases: list[Case], per_repo: dict[str, Counter[str]]) -> None:
    lines = ["# homeops kustomize conformance report", ""]
    for name, counts in per_repo.items():
        lines.append(f"- {name}: " + ", ".join(f"{c} {counts[c]}" for c in CATEGORIES if counts[c]))
    lines.append("")
    for case in cases:
        if case.category == "identical":
            continue
        lines += [f"## {case.repo}/{case.dir}: {case.category}", "", "```", case.detail.rstrip(), "```", ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
