"""Benchmark: homeops building every kustomization dir of a corpus repo in one process, against the real
kubectl run once per directory. Reports medians of several runs and the ratio, measured in the same run.

    python scripts/bench.py --corpus ../shared/corpus --repo onedr0p__home-ops --runs 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
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


def flux_paths(repo: Path, work: Path) -> list[Path]:
    """Copy ``repo`` to ``work`` and write, in each Flux Kustomization's path, the kustomization.yaml that
    Flux's generator produces for it; return those paths (the kubectl side of the build-all benchmark)."""
    from homeops.flux.cluster import ClusterOptions, build_cluster
    from homeops.flux.generator import flux_kustomization_file
    from homeops.kustomize.kustomization import KUSTOMIZATION_FILE_NAMES

    shutil.copytree(repo, work, symlinks=True)
    cluster = build_cluster(ClusterOptions(repo=repo))
    builder = Builder(repo)
    done: list[Path] = []
    for node in cluster.nodes:
        if node.status != "ok":
            continue
        src_dir = (repo / node.ks.path).resolve()
        dst_dir = work / src_dir.relative_to(repo.resolve())
        if dst_dir in done:
            continue
        data = flux_kustomization_file(node.ks, src_dir, builder.loader)
        for name in KUSTOMIZATION_FILE_NAMES:
            (dst_dir / name).unlink(missing_ok=True)
        (dst_dir / "kustomization.yaml").write_text(dump_documents([data]), encoding="utf-8")
        done.append(dst_dir)
    return done


def homeops_build_all(repo: Path) -> int:
    from homeops.flux.cluster import ClusterOptions, build_cluster

    cluster = build_cluster(ClusterOptions(repo=repo))
    for node in cluster.nodes:
        dump_documents(node.objects)
    return sum(1 for n in cluster.nodes if n.status == "failed")


def homeops_validate(repo: Path) -> int:
    from homeops.validate.engine import ValidateOptions, validate

    return len(validate(ValidateOptions(repo=repo)).findings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    ap.add_argument("--repo", default="onedr0p__home-ops")
    ap.add_argument("--runs", type=int, default=5, help="runs of homeops (kubectl gets max(3, runs // 2))")
    ap.add_argument("--skip-flux", action="store_true", help="only the kustomize-directory benchmark")
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
    if args.skip_flux:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        paths = flux_paths(repo, Path(tmp) / "repo")
        print(f"\n{args.repo}: {len(paths)} Flux Kustomization paths (after Flux's generator step)")
        homeops_build_all(repo)  # warm-up
        b_times = _time(lambda: homeops_build_all(repo), args.runs)
        f_times = _time(lambda: kubectl_all(kubectl, paths), k_runs)
        v_times = _time(lambda: homeops_validate(repo), args.runs)
    b_med, f_med, v_med = statistics.median(b_times), statistics.median(f_times), statistics.median(v_times)
    print(f"homeops build all, one process  : median {b_med:.3f} s over {args.runs} runs")
    print(f"kubectl per Flux Kustomization : median {f_med:.3f} s over {k_runs} runs")
    print(f"speed-up (kubectl / homeops)   : {f_med / b_med:.1f}x")
    print(f"homeops validate (build incl.) : median {v_med:.3f} s over {args.runs} runs")
    print(f"validate / build all           : {v_med / b_med:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
