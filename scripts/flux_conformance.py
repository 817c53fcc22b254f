"""Flux-level conformance: every Flux Kustomization homeops builds, built again by the real kubectl.

For each corpus repository the Flux tree is built with ``build_cluster``. For every node homeops builds
(status ok), the kustomization Flux's generator produces for it is written into a copy of its source (the
file Flux rewrites: the existing kustomization file, else ``kustomization.yaml``), built with ``kubectl
kustomize DIR --load-restrictor=LoadRestrictionsNone``, and the original file restored. Its output is
compared with homeops' kustomize stage for the same input (``Builder(source_dir).build(kdir,
kustomization)``, before substitution, ``commonMetadata`` and the ownership labels): the object identities
(group, kind, namespace, name, in order) always, the bytes where the Kustomization has no ``spec.postBuild``.

kubectl runs on ``jobs`` workers; each worker has its own copy of the sources, so that a kustomization
written for one build is never read by a concurrent one (a Flux path may be a resource of another).
"""

from __future__ import annotations

import difflib
import queue
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus_tools import kubectl_build

from homeops.errors import HomeopsError
from homeops.flux.cluster import ClusterBuild, ClusterOptions, build_cluster
from homeops.kustomize.build import Builder
from homeops.kustomize.kustomization import find_kustomization_file
from homeops.kustomize.resource import split_api_version
from homeops.yaml.emitter import dump_document, dump_documents
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, deep_copy

# the per-Kustomization outcomes; "differing" in the table counts identities-differ and bytes-differ
OUTCOMES = ("equal", "bytes-differ", "identities-differ", "kubectl-failed", "both-failed", "homeops-failed")
COLUMNS = (
    "built",
    "identities equal",
    "bytes comparable",
    "bytes equal",
    "differing",
    "kubectl failed",
    "both failed",
    "homeops failed",
)

Identity = tuple[str, str, str, str]  # group, kind, namespace, name
_DOC_SEPARATOR = re.compile(r"^---\n", re.M)


@dataclass(frozen=True, slots=True)
class FluxInput:
    """What kustomize-controller builds for one Flux Kustomization."""

    ref: str
    kdir: Path
    kustomization: YMap
    source_dir: Path
    post_build: bool


@dataclass(frozen=True, slots=True)
class FluxCase:
    """The outcome for one Flux Kustomization."""

    repo: str
    ref: str
    dir: str
    outcome: str
    bytes_comparable: bool
    first_difference: str = ""
    detail: str = ""
    # with spec.postBuild the bytes are not counted, but the kustomize stage precedes the substitution: a
    # byte difference there is still shown, for information
    uncounted_bytes_differ: bool = False

    @property
    def identities_equal(self) -> bool:
        return self.outcome in ("equal", "bytes-differ")

    @property
    def shown(self) -> bool:
        return self.outcome != "equal" or self.uncounted_bytes_differ


@dataclass(frozen=True, slots=True)
class FluxFigures:
    """The per-repository counts of the Flux level (what the baseline records and the table shows)."""

    built: int = 0
    identities_equal: int = 0
    bytes_comparable: int = 0
    bytes_equal: int = 0
    differing: int = 0
    kubectl_failed: int = 0
    both_failed: int = 0
    homeops_failed: int = 0

    @classmethod
    def of(cls, cases: Iterable[FluxCase]) -> FluxFigures:
        cases = list(cases)
        n = Counter(c.outcome for c in cases)
        return cls(
            built=len(cases),
            identities_equal=sum(1 for c in cases if c.identities_equal),
            bytes_comparable=sum(1 for c in cases if c.bytes_comparable and c.identities_equal),
            bytes_equal=sum(1 for c in cases if c.bytes_comparable and c.outcome == "equal"),
            differing=n["identities-differ"] + n["bytes-differ"],
            kubectl_failed=n["kubectl-failed"],
            both_failed=n["both-failed"],
            homeops_failed=n["homeops-failed"],
        )

    def row(self) -> tuple[int, ...]:
        return (
            self.built,
            self.identities_equal,
            self.bytes_comparable,
            self.bytes_equal,
            self.differing,
            self.kubectl_failed,
            self.both_failed,
            self.homeops_failed,
        )

    def __add__(self, other: FluxFigures) -> FluxFigures:
        return FluxFigures(*(a + b for a, b in zip(self.row(), other.row(), strict=True)))


# -- the inputs -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FluxInputs:
    """The build inputs of one repository's Flux tree. ``cluster`` must stay referenced while they are
    used: it keeps the materialised artifact directories (ExternalArtifact sources) alive."""

    inputs: list[FluxInput]
    problems: list[str]
    cluster: ClusterBuild


def flux_inputs(repo: Path) -> FluxInputs:
    """The build input of every node homeops builds in ``repo``'s Flux tree, and the nodes built without
    a recorded input (as messages)."""
    cluster = build_cluster(ClusterOptions(repo=repo.resolve()))
    inputs: list[FluxInput] = []
    problems: list[str] = []
    for node in cluster.nodes:
        if node.status != "ok":
            continue
        ref = f"{node.tree}:{node.ref}" if node.tree else node.ref
        if node.kdir is None or node.kustomization is None or node.source_dir is None:
            problems.append(f"{ref}: built, but its kdir, kustomization or source_dir is not recorded")
            continue
        inputs.append(FluxInput(ref, node.kdir, node.kustomization, node.source_dir, node.ks.has_post_build))
    return FluxInputs(inputs, problems, cluster)


# -- the comparison -------------------------------------------------------------------------------------
def identity(obj: Any) -> Identity:
    if not isinstance(obj, dict):
        return ("", "<not a mapping>", "", "")
    md = obj.get("metadata")
    md = md if isinstance(md, dict) else {}
    api = obj.get("apiVersion")
    kind, ns, name = obj.get("kind"), md.get("namespace"), md.get("name")
    return (
        split_api_version(api if isinstance(api, str) else "")[0],
        str(kind or ""),
        str(ns or ""),
        str(name or ""),
    )


def show(ident: Identity | None) -> str:
    if ident is None:
        return "(nothing)"
    group, kind, ns, name = ident
    return f"{kind}{'.' + group if group else ''} {ns + '/' if ns else ''}{name}"


def _first_difference(ours: list[Identity], theirs: list[Identity]) -> str:
    for i in range(max(len(ours), len(theirs))):
        a = ours[i] if i < len(ours) else None
        b = theirs[i] if i < len(theirs) else None
        if a != b:
            extra = " (same set, other order)" if sorted(ours) == sorted(theirs) else ""
            return f"#{i}: homeops {show(a)}, kubectl {show(b)}{extra}"
    return ""


def _first_byte_difference(ours: str, theirs: str) -> str:
    a, b = _DOC_SEPARATOR.split(ours), _DOC_SEPARATOR.split(theirs)
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            docs = load_documents(x.encode(), "<homeops>")
            return f"#{i}: {show(identity(docs[0]) if docs else None)}"
    return f"#{min(len(a), len(b))}: document count {len(a)} vs {len(b)}"


def _homeops_build(item: FluxInput, builders: dict[Path, Builder]) -> tuple[str | None, str]:
    builder = builders.setdefault(item.source_dir, Builder(item.source_dir))
    try:
        return dump_documents(r.obj for r in builder.build(item.kdir, deep_copy(item.kustomization))), ""
    except HomeopsError as exc:
        return None, str(exc)
    except Exception as exc:  # an engine bug must not stop the survey
        return None, f"INTERNAL {type(exc).__name__}: {exc}"


def _compare(
    repo: str, item: FluxInput, rel: str, ours: tuple[str | None, str], kube: tuple[bool, str]
) -> FluxCase:
    out, err = ours
    k_ok, k_out = kube
    comparable = not item.post_build
    if out is None:
        if k_ok:
            return FluxCase(repo, item.ref, rel, "homeops-failed", comparable, detail=err)
        return FluxCase(
            repo, item.ref, rel, "both-failed", comparable, detail=f"homeops: {err}\nkubectl: {k_out}"
        )
    if not k_ok:
        return FluxCase(repo, item.ref, rel, "kubectl-failed", comparable, detail=k_out.strip())
    mine = [identity(d) for d in load_documents(out.encode(), "<homeops>") if d is not None]
    try:
        theirs = [identity(d) for d in load_documents(k_out.encode(), "<kubectl>") if d is not None]
    except HomeopsError as exc:
        return FluxCase(
            repo, item.ref, rel, "identities-differ", comparable, "kubectl output unreadable", str(exc)
        )
    if mine != theirs:
        first = _first_difference(mine, theirs)
        return FluxCase(repo, item.ref, rel, "identities-differ", comparable, first, _diff(k_out, out))
    if out != k_out:
        first = _first_byte_difference(out, k_out)
        outcome = "bytes-differ" if comparable else "equal"
        return FluxCase(repo, item.ref, rel, outcome, comparable, first, _diff(k_out, out), not comparable)
    return FluxCase(repo, item.ref, rel, "equal", comparable)


def _diff(theirs: str, ours: str) -> str:
    lines = difflib.unified_diff(theirs.splitlines(True), ours.splitlines(True), "kubectl", "homeops", n=2)
    return "".join(lines)[:6000]


class _Copies:
    """One worker's private copies of the sources (a source under the repository is the repository)."""

    def __init__(self, repo: Path, scratch: Path) -> None:
        self.repo = repo
        self.scratch = scratch
        self._copies: dict[Path, Path] = {}

    def target(self, item: FluxInput) -> Path:
        top = self.repo if item.source_dir.is_relative_to(self.repo) else item.source_dir
        copy = self._copies.get(top)
        if copy is None:
            copy = self.scratch / f"src{len(self._copies)}"
            shutil.copytree(top, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            self._copies[top] = copy
        return copy / item.kdir.relative_to(top)


def _kubectl(kubectl: Path, item: FluxInput, text: str, pool: queue.Queue[_Copies]) -> tuple[bool, str]:
    copies = pool.get()
    try:
        target = copies.target(item)
        try:
            existing = find_kustomization_file(target)
        except HomeopsError as exc:
            return False, f"(harness) {exc}"
        kfile = existing or target / "kustomization.yaml"
        original = kfile.read_bytes() if existing else None
        kfile.write_text(text, encoding="utf-8")
        try:
            return kubectl_build(kubectl, target)
        finally:
            if original is None:
                kfile.unlink()
            else:
                kfile.write_bytes(original)
    finally:
        pool.put(copies)


def start_flux_repo(
    repo: Path, kubectl: Path, executor: ThreadPoolExecutor, scratch: Path, jobs: int
) -> Callable[[], tuple[list[FluxCase], list[str]]]:
    """Queue kubectl's builds of every Flux Kustomization homeops builds in ``repo`` on ``executor``
    (``jobs`` workers, copies of the sources under ``scratch``), build homeops' side meanwhile, and return
    what waits for kubectl and compares: the cases and the nodes whose input could not be taken."""
    root = repo.resolve()
    found = flux_inputs(root)
    inputs, problems = found.inputs, found.problems
    pool: queue.Queue[_Copies] = queue.Queue()
    for i in range(jobs):
        (scratch / f"w{i}").mkdir(parents=True)
        pool.put(_Copies(root, scratch / f"w{i}"))
    # Kustomizations with the same input (a multi-cluster tree applying one path with other variables)
    # are built once on each side
    keys = [(item.source_dir, item.kdir, dump_document(item.kustomization)) for item in inputs]
    unique = {key: item for key, item in zip(keys, inputs, strict=True)}
    futures: dict[tuple[Path, Path, str], Future[tuple[bool, str]]] = {
        key: executor.submit(_kubectl, kubectl, item, key[2], pool) for key, item in unique.items()
    }
    builders: dict[Path, Builder] = {}
    built = {key: _homeops_build(item, builders) for key, item in unique.items()}

    def finish() -> tuple[list[FluxCase], list[str]]:
        oracle = {key: f.result() for key, f in futures.items()}
        assert found.cluster is not None  # referenced until kubectl is done: its artifacts stay on disk
        cases = [
            _compare(repo.name, item, _rel(item, root), built[key], oracle[key])
            for item, key in zip(inputs, keys, strict=True)
        ]
        return cases, problems

    return finish


def compare_flux_repo(repo: Path, kubectl: Path, jobs: int) -> tuple[list[FluxCase], list[str]]:
    """Every Flux Kustomization homeops builds in ``repo``, compared with kubectl's build of the same."""
    with (
        tempfile.TemporaryDirectory(prefix="homeops-flux-conf-") as tmp,
        ThreadPoolExecutor(max_workers=jobs) as executor,
    ):
        return start_flux_repo(repo, kubectl, executor, Path(tmp), jobs)()


def _rel(item: FluxInput, root: Path) -> str:
    """The built directory as shown: repository-relative, or artifact-relative for a materialised one."""
    if item.kdir.is_relative_to(root):
        return str(item.kdir.relative_to(root)) or "."
    return f"<artifact>/{item.kdir.relative_to(item.source_dir)}"


# -- output ---------------------------------------------------------------------------------------------
def markdown_table(per_repo: dict[str, FluxFigures]) -> list[str]:
    """The Flux-level figures as a markdown table, one row per repository and a total."""
    head = ["repository", *COLUMNS, "identity %"]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    total = FluxFigures()
    for name, fig in per_repo.items():
        total = total + fig
        lines.append(_row(name, fig))
    lines.append(_row("**total**", total))
    return lines


def _row(name: str, fig: FluxFigures) -> str:
    pct = 100.0 * fig.identities_equal / fig.built if fig.built else 100.0
    return "| " + " | ".join([name, *(str(v) for v in fig.row()), f"{pct:.1f}%"]) + " |"


def difference_lines(cases: list[FluxCase]) -> list[str]:
    """One line per Kustomization whose builds differ or fail, with the first differing identity."""
    return [
        f"- {c.repo} {c.ref} ({c.dir}): {_label(c)} {c.first_difference}".rstrip() for c in cases if c.shown
    ]


def _label(case: FluxCase) -> str:
    if case.uncounted_bytes_differ:
        return "bytes-differ (has spec.postBuild: not counted)"
    return case.outcome


def report_lines(cases: list[FluxCase], problems: list[str], per_repo: dict[str, FluxFigures]) -> list[str]:
    lines = ["## Flux level: every Flux Kustomization homeops builds, against kubectl", ""]
    lines += markdown_table(per_repo)
    uncounted = [c for c in cases if not c.bytes_comparable and c.identities_equal]
    same = sum(1 for c in uncounted if not c.uncounted_bytes_differ)
    lines += [
        "",
        "identity % = identities equal / built; bytes are counted only without spec.postBuild. For",
        f"information: with spec.postBuild, {same} of {len(uncounted)} kustomize-stage outputs (before the",
        "substitution) with equal identities are byte-identical too.",
        "",
    ]
    if problems:
        lines += ["### Inputs not reconstructed", "", *(f"- {p}" for p in problems), ""]
    odd = [c for c in cases if c.shown]
    if odd:
        lines += ["### Differences and failures", "", *difference_lines(cases), ""]
    for c in odd:
        lines += [f"### {c.repo} {c.ref}: {_label(c)}", "", f"dir `{c.dir}` {c.first_difference}", ""]
        lines += ["```", c.detail.rstrip(), "```", ""]
    return lines
