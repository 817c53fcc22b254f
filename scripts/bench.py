"""Benchmark: homeops building every kustomization dir of a corpus repo in one process, against the real
kubectl run once per directory. Reports medians of several runs and the ratio, measured in the same run.

    python scripts/bench.py --corpus ../shared/corpus --repo onedr0p__home-ops --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_tools import kubectl_build, kustomization_dirs, oracle_dir

from homeops.errors import HomeopsError
from homeops.kustomize.build import Builder
from homeops.yaml.emitter import dump_documents


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def homeops_all(repo: Path, dirs: list[Path]) -> int:
    """Build every dir with a fresh Builder (cold parse cache), render to text; returns failures."""
    builder = Builder(repo)
    failed = 0
    for d in dirs:
        try:
            dump_documents(r.obj for r in builder.build(d))
        except HomeopsError:
            failed += 1
    return failed


def kubectl_all(kubectl: Path, dirs: list[Path]) -> int:
    return sum(0 if kubectl_build(kubectl, d)[0] else 1 for d in dirs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    ap.add_argument("--repo", default="onedr0p__home-ops")
    ap.add_argument("--runs", type=int, default=5, help="runs of homeops (kubectl gets max(3, runs // 2))")
    args = ap.parse_args(argv)
    repo = args.corpus / args.repo
    if not repo.is_dir():
        print(f"corpus repo not found: {repo}", file=sys.stderr)
        return 2
    dirs = kustomization_dirs(repo)
    kubectl = oracle_dir(args.corpus.parent) / "kubectl"
    print(f"{args.repo}: {len(dirs)} kustomization directories")
    h_failed = homeops_all(repo, dirs)  # warm-up (imports), not timed
    h_times = _time(lambda: homeops_all(repo, dirs), args.runs)
    k_runs = max(3, args.runs // 2)
    k_times = _time(lambda: kubectl_all(kubectl, dirs), k_runs)
    h_med, k_med = statistics.median(h_times), statistics.median(k_times)
    print(
        f"homeops kustomize, one process : median {h_med:.3f} s over {args.runs} runs"
        f" ({h_failed} dirs failed)"
    )
    print(f"kubectl kustomize, per directory: median {k_med:.3f} s over {k_runs} runs")
    print(f"speed-up (kubectl / homeops)   : {k_med / h_med:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
