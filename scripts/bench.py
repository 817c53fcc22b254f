"""``make bench``: whole-process timings of homeops on the largest repositories of the corpus.

Every figure is the median wall time of ``--runs`` runs of a separate process (kubectl loops: of
``max(3, runs // 2)`` runs), the scenarios of one repository interleaved run by run so that machine noise
hits them alike; ratios are taken between medians of the same invocation. Peak memory is the largest
resident set size of a homeops process (``wait4``).

Scenarios, per repository (a private git copy of it, so nothing in the corpus is touched):

- ``startup``: ``homeops --version``;
- ``floor``: a Python process that parses every YAML file once with PyYAML's C loader;
- ``kustomize``: ``homeops kustomize`` of every kustomization directory in one process, vs ``kubectl
  kustomize`` once per directory;
- ``build-cold``: ``homeops build all -O`` with an empty cache, vs the kubectl loop over every Flux
  Kustomization's generated kustomization.yaml; ``build-nocache`` with ``--no-cache``;
- ``build-warm``: ``homeops build all`` (the summary) with a warm cache and no change; ``build-warm-out``
  the same with ``-O`` (every Kustomization's YAML written);
- ``build-one-app``: ``homeops build all``, warm, after one app's ``helmrelease.yaml`` changed (a new value
  every run);
- ``diff-cold`` / ``diff-warm``: ``homeops diff --base HEAD~1`` of a commit that changed that file;
- ``validate`` / ``validate-base``: ``homeops validate`` (warm), and with ``--base HEAD~1``.

    python scripts/bench.py --corpus ../shared/corpus --runs 5 [--repos N] [--skip-kubectl]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_tools import kustomization_dirs, oracle_dir

ROOT = Path(__file__).resolve().parent.parent
HOMEOPS = Path(sys.executable).parent / "homeops"
FLOOR = """
import os, sys, yaml
for top, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if d != ".git"]
    for name in files:
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(top, name), "rb") as fh:
                try:
                    for _ in yaml.load_all(fh, Loader=yaml.CSafeLoader):
                        pass
                except yaml.YAMLError:
                    pass
"""


@dataclass
class Sample:
    times: list[float] = field(default_factory=list)
    rss_kib: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def run(
    cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, exit code) of one process; a homeops exit code other than 0 or 1
    stops the benchmark with its error output (a figure of a failed run means nothing)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if Path(cmd[0]).name == "homeops" and proc.returncode not in (0, 1):
            err.seek(0)
            tail = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"{' '.join(cmd[:6])}...: exit {proc.returncode}\n{tail}")
    return elapsed, int(usage.ru_maxrss), proc.returncode


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def _one_app(repo: Path) -> Path:
    """A HelmRelease file of an app, to change (the first helmrelease.yaml in sorted order)."""
    for path in sorted(repo.rglob("helmrelease.yaml")):
        if ".git" not in path.parts and "kind: HelmRelease" in path.read_text(errors="replace"):
            return path
    raise SystemExit(f"no helmrelease.yaml in {repo}")


def _touch_app(path: Path, original: str, stamp: str) -> None:
    """Write the HelmRelease with a changed value: a ``bench`` annotation under its metadata."""
    lines = original.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("metadata:"):
            lines.insert(i + 1, f"  annotations: {{bench.homeops/stamp: '{stamp}'}}")
            break
    path.write_text("\n".join(lines) + "\n")


def flux_paths(repo: Path, work: Path) -> list[Path]:
    """``repo`` copied to ``work``, with the kustomization.yaml Flux's generator writes in each Flux
    Kustomization path; the paths (the kubectl side of the build benchmark)."""
    from homeops.flux.cluster import ClusterOptions, build_cluster
    from homeops.flux.generator import flux_kustomization_file
    from homeops.kustomize.build import Builder
    from homeops.kustomize.kustomization import KUSTOMIZATION_FILE_NAMES
    from homeops.yaml.emitter import dump_documents

    shutil.copytree(repo, work, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    cluster = build_cluster(ClusterOptions(repo=repo))
    builder = Builder(repo)
    done: list[Path] = []
    for node in cluster.nodes:
        if node.status != "ok" or node.kdir is None:
            continue
        src_dir = node.kdir.resolve()
        dst_dir = work / src_dir.relative_to(repo.resolve())
        if dst_dir in done:
            continue
        data = flux_kustomization_file(node.ks, src_dir, builder.loader)
        for name in KUSTOMIZATION_FILE_NAMES:
            (dst_dir / name).unlink(missing_ok=True)
        (dst_dir / "kustomization.yaml").write_text(dump_documents([data]), encoding="utf-8")
        done.append(dst_dir)
    return done


def bench_repo(src: Path, work: Path, runs: int, kubectl: Path | None) -> dict[str, Sample]:
    repo = work / "repo"
    shutil.copytree(src, repo, symlinks=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    app = _one_app(repo)
    original = app.read_text()
    _touch_app(app, original, "head")
    _git(repo, "commit", "-q", "-am", "one app")
    out = work / "out"
    warm_cache, diff_cache = work / "cache-warm", work / "cache-diff"
    env = {**os.environ}
    h = str(HOMEOPS)

    def with_cache(cache: Path) -> dict[str, str]:
        return {**env, "HOMEOPS_CACHE_DIR": str(cache)}

    def fresh(name: str) -> Path:
        path = work / name
        shutil.rmtree(path, ignore_errors=True)
        return path

    build = [h, "build", "all", "--repo", str(repo)]  # the summary only, as run by hand
    build_out = [*build, "-O", str(out)]  # every Kustomization's YAML written, as kubectl prints it
    run(build_out, env=with_cache(warm_cache))  # warm the cache (and the OS page cache)
    run([h, "diff", "--base", "HEAD~1", "--repo", str(repo)], env=with_cache(diff_cache))
    counter = [0]

    def one_app() -> list[str]:
        counter[0] += 1
        _touch_app(app, original, f"run-{counter[0]}")
        return build

    scenarios: dict[str, Callable[[], tuple[list[str], dict[str, str]]]] = {
        "startup": lambda: ([h, "--version"], env),
        "floor": lambda: ([sys.executable, "-c", FLOOR, str(repo)], env),
        "kustomize": lambda: (
            [h, "kustomize", *map(str, dirs), "--output-dir", str(fresh("kout"))],
            with_cache(fresh("cache-k")),
        ),
        "build-nocache": lambda: ([*build_out, "--no-cache"], env),
        "build-cold": lambda: (build_out, with_cache(fresh("cache-cold"))),
        "build-warm": lambda: (build, with_cache(warm_cache)),
        "build-warm-out": lambda: (build_out, with_cache(warm_cache)),
        "build-one-app": lambda: (one_app(), with_cache(warm_cache)),
        "diff-cold": lambda: (
            [h, "diff", "--base", "HEAD~1", "--repo", str(repo)],
            with_cache(fresh("cache-diff-cold")),
        ),
        "diff-warm": lambda: ([h, "diff", "--base", "HEAD~1", "--repo", str(repo)], with_cache(diff_cache)),
        "validate": lambda: ([h, "validate", "--repo", str(repo)], with_cache(warm_cache)),
        "validate-base": lambda: (
            [h, "validate", "--base", "HEAD~1", "--repo", str(repo)],
            with_cache(warm_cache),
        ),
    }
    dirs = kustomization_dirs(repo)
    samples = {name: Sample() for name in scenarios}
    for _ in range(runs):
        for name, make in scenarios.items():
            cmd, run_env = make()
            elapsed, rss, _ = run(cmd, env=run_env)
            if name == "build-one-app":  # back to the committed head for the diff scenarios
                _touch_app(app, original, "head")
            samples[name].times.append(elapsed)
            samples[name].rss_kib = max(samples[name].rss_kib, rss)
    if kubectl is not None:
        kruns = max(3, runs // 2)
        paths = flux_paths(repo, work / "flux-paths")
        for label, targets in (("kubectl-dirs", dirs), ("kubectl-ks", paths)):
            sample = samples[label] = Sample()
            for _ in range(kruns):
                start = time.perf_counter()
                for d in targets:
                    run([str(kubectl), "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(d)])
                sample.times.append(time.perf_counter() - start)
        samples["counts"] = Sample([float(len(dirs)), float(len(paths))])
    return samples


HELM_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: {name}, namespace: flux-system}}
spec:
  interval: 1h
  path: ./kubernetes/{path}
  prune: true
  sourceRef: {{kind: GitRepository, name: flux-system}}
"""
HELM_HR = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: app-{i}, namespace: apps-{ns}}}
spec:
  interval: 1h
  chart:
    spec:
      chart: ./charts/homelab-app
      sourceRef: {{kind: GitRepository, name: flux-system, namespace: flux-system}}
  values:
    controllers:
      main:
        type: {kind}
        containers:
          app:
            image: {{repository: ghcr.io/example/app-{i}, tag: 1.{i}.0}}
            env: {{TZ: Europe/Paris, APP_ID: "{i}"}}
    ingress:
      main: {{enabled: true, hosts: [{{host: "app-{i}.example.org"}}]}}
    persistence:
      config: {{enabled: true, size: 1Gi, storageClass: ceph-block}}
      cache: {{enabled: true, type: emptyDir}}
"""


def helm_repo(dest: Path, releases: int) -> Path:
    """A repository of ``releases`` HelmReleases of the fixture library-based chart (a chart of this
    repository, so no store is needed), in 10 namespaces."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "helm" / "homelab-app", dest / "charts" / "homelab-app")
    k = dest / "kubernetes"
    (k / "flux").mkdir(parents=True)
    (k / "flux" / "apps.yaml").write_text(HELM_KS.format(name="apps", path="apps"))
    names = []
    for i in range(releases):
        app = k / "apps" / f"app-{i}"
        app.mkdir(parents=True)
        kind = "statefulset" if i % 3 == 0 else "deployment"
        (app / "helmrelease.yaml").write_text(HELM_HR.format(i=i, ns=i % 10, kind=kind))
        (app / "kustomization.yaml").write_text("resources:\n  - ./helmrelease.yaml\n")
        (k / "apps" / f"app-{i}.yaml").write_text(HELM_KS.format(name=f"app-{i}", path=f"apps/app-{i}"))
        names.append(f"app-{i}.yaml")
    (k / "apps" / "kustomization.yaml").write_text("resources:\n" + "".join(f"  - ./{n}\n" for n in names))
    return dest


def bench_helm(work: Path, runs: int, releases: int) -> dict[str, Sample]:
    repo = helm_repo(work / "repo", releases)
    out = work / "out"
    h = str(HOMEOPS)
    warm = {**os.environ, "HOMEOPS_CACHE_DIR": str(work / "cache-warm")}
    build = [h, "build", "all", "--repo", str(repo), "-O", str(out)]
    run([*build, "--helm"], env=warm)  # fills the build and render caches

    def cold() -> dict[str, str]:
        shutil.rmtree(work / "cache-cold", ignore_errors=True)
        return {**os.environ, "HOMEOPS_CACHE_DIR": str(work / "cache-cold")}

    scenarios: dict[str, Callable[[], tuple[list[str], dict[str, str]]]] = {
        "build-all": lambda: (build, warm),
        "build-all-helm-cold": lambda: ([*build, "--helm"], cold()),
        "build-all-helm-warm": lambda: ([*build, "--helm"], warm),
    }
    samples = {name: Sample() for name in scenarios}
    for _ in range(runs):
        for name, make in scenarios.items():
            cmd, run_env = make()
            elapsed, rss, code = run(cmd, env=run_env)
            if code not in (0, 1):
                raise SystemExit(f"{name}: exit {code}")
            samples[name].times.append(elapsed)
            samples[name].rss_kib = max(samples[name].rss_kib, rss)
    return samples


def helm_report(s: dict[str, Sample], runs: int, releases: int) -> list[str]:
    lines = [f"## {releases} HelmReleases of the library-based fixture chart", ""]
    lines += [
        f"medians of {runs} whole-process runs",
        "",
        "| scenario | median s | peak RSS MiB |",
        "|---|---:|---:|",
    ]
    for k, v in s.items():
        lines.append(f"| {k} | {v.median:.3f} | {v.rss_kib / 1024:.0f} |")
    ratio = s["build-all-helm-warm"].median / s["build-all"].median
    lines += ["", f"- warm `build all --helm` / warm `build all`: {ratio:.2f}x", ""]
    return lines


def largest(corpus: Path, count: int) -> list[Path]:
    index = json.loads((corpus / "corpus.json").read_text())
    repos = [corpus / r["dir"] for r in index["repos"]]
    sizes = {r: sum(1 for _ in r.rglob("*.yaml")) for r in repos if r.is_dir()}
    return sorted(sizes, key=lambda r: -sizes[r])[:count]


def report(name: str, s: dict[str, Sample], runs: int) -> list[str]:
    med = {k: v.median for k, v in s.items() if v.times and k != "counts"}
    lines = [
        f"## {name}",
        "",
        f"medians of {runs} whole-process runs (kubectl loops: {max(3, runs // 2)})",
        "",
    ]
    lines += ["| scenario | median s | peak RSS MiB |", "|---|---:|---:|"]
    for k, v in s.items():
        if k != "counts" and v.times:
            rss = f"{v.rss_kib / 1024:.0f}" if v.rss_kib else ""
            lines.append(f"| {k} | {v.median:.3f} | {rss} |")
    lines.append("")
    lines.append(f"- cold build all / YAML floor: {med['build-cold'] / med['floor']:.2f}x")
    lines.append(f"- no-cache build all / YAML floor: {med['build-nocache'] / med['floor']:.2f}x")
    if "kubectl-ks" in med:
        dirs, paths = (int(x) for x in s["counts"].times)
        k_dirs = med["kubectl-dirs"] / med["kustomize"]
        k_cold, k_plain = med["kubectl-ks"] / med["build-cold"], med["kubectl-ks"] / med["build-nocache"]
        lines.append(f"- kustomize: {dirs} directories; kubectl loop / homeops: {k_dirs:.1f}x")
        lines.append(
            f"- build all: {paths} Flux Kustomization paths; kubectl loop / homeops cold: {k_cold:.1f}x"
            f" (no cache: {k_plain:.1f}x)"
        )
    lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--repos", type=int, default=3, help="how many of the largest repositories")
    ap.add_argument("--repo", action="append", default=[], help="a corpus directory name (repeatable)")
    ap.add_argument("--skip-kubectl", action="store_true", help="without the kubectl loops")
    ap.add_argument("--report", type=Path, default=ROOT / "bench-report.md")
    ap.add_argument(
        "--helm-releases", type=int, default=150, help="HelmReleases of the Helm benchmark (0: none)"
    )
    args = ap.parse_args(argv)
    if not (args.corpus / "corpus.json").is_file():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    # As an installed homeops runs: byte-compiled once (the environment may forbid writing .pyc files).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "homeops")], check=True)
    kubectl = None if args.skip_kubectl else oracle_dir(args.corpus.parent) / "kubectl"
    repos = [args.corpus / r for r in args.repo] or largest(args.corpus, args.repos)
    lines = ["# homeops bench", "", f"`{' '.join(['scripts/bench.py', *(argv or sys.argv[1:])])}`", ""]
    for repo in repos:
        with tempfile.TemporaryDirectory(prefix="homeops-bench-") as tmp:
            samples = bench_repo(repo, Path(tmp), args.runs, kubectl)
        block = report(repo.name, samples, args.runs)
        print("\n".join(block), flush=True)
        lines += block
    if args.helm_releases:
        with tempfile.TemporaryDirectory(prefix="homeops-bench-helm-") as tmp:
            samples = bench_helm(Path(tmp), args.runs, args.helm_releases)
        block = helm_report(samples, args.runs, args.helm_releases)
        print("\n".join(block), flush=True)
        lines += block
    args.report.write_text("\n".join(lines) + "\n")
    print(f"written {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
