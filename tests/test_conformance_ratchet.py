"""The corpus conformance ratchet, at two levels, against conformance-baseline.json:

- kustomize level: the corpus directories whose homeops build is byte-identical to kubectl's;
- Flux level: the Flux Kustomizations whose kustomize stage (Flux's generated kustomization, built) has the
  same object identities as kubectl's build of the same input, and the same bytes where there is no
  spec.postBuild; overall, identities must match for at least 99% of the Kustomizations homeops builds.

Every corpus repository must have a baseline at both levels. The full run needs ../shared (the corpus and
the oracle installer) and is skipped with a reason when either is absent.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
ORACLE_BIN = SHARED / "tools" / "oracle-bin"


@pytest.fixture(scope="module")
def conformance() -> Iterator[ModuleType]:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location("conformance", ROOT / "scripts" / "conformance.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["conformance"] = module
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(ROOT / "scripts"))
        sys.modules.pop("conformance", None)
        sys.modules.pop("flux_conformance", None)
        sys.modules.pop("corpus_tools", None)


def _figures(conformance: ModuleType, **counts: int) -> Any:
    return conformance.FluxFigures(**counts)


def _results(conformance: ModuleType, identical: int, flux: dict[str, object]) -> Any:
    results = conformance.Results()
    results.kustomize["repo"] = Counter({"identical": identical})
    results.flux.update(flux)
    return results


BASELINE: dict[str, Any] = {
    "kustomize": {"repo": 10},
    "flux": {"repo": {"built": 100, "identities_equal": 100, "bytes_equal": 40}},
}


def test_ratchet_passes_at_the_baseline(conformance: ModuleType) -> None:
    fig = _figures(conformance, built=100, identities_equal=100, bytes_comparable=50, bytes_equal=40)
    assert conformance.ratchet_failures(_results(conformance, 10, {"repo": fig}), BASELINE) == []


def test_ratchet_fails_on_each_drop(conformance: ModuleType) -> None:
    fig = _figures(conformance, built=100, identities_equal=100, bytes_comparable=50, bytes_equal=39)
    failures = conformance.ratchet_failures(_results(conformance, 9, {"repo": fig}), BASELINE)
    assert failures == ["kustomize repo: identical dirs 9 < 10", "flux repo: bytes equal 39 < 40"]


def test_ratchet_fails_under_99_percent_of_the_built_kustomizations(conformance: ModuleType) -> None:
    # more Kustomizations built than recorded, none lost: the counts hold but the share falls to 98%
    fig = _figures(
        conformance, built=102, identities_equal=100, bytes_comparable=50, bytes_equal=40, differing=2
    )
    failures = conformance.ratchet_failures(_results(conformance, 10, {"repo": fig}), BASELINE)
    assert len(failures) == 1 and "100 of 102" in failures[0] and "under 99%" in failures[0]


def test_ratchet_fails_for_a_repository_without_baseline(conformance: ModuleType) -> None:
    fig = _figures(conformance, built=1, identities_equal=1)
    results = _results(conformance, 10, {"repo": _figures(conformance, built=100, identities_equal=100)})
    results.kustomize["new"] = Counter({"identical": 3})
    results.flux["new"] = fig
    failures = conformance.ratchet_failures(results, BASELINE)
    assert "kustomize new: no baseline (run with --write-baseline)" in failures
    assert "flux new: no baseline (run with --write-baseline)" in failures


def test_written_baseline_keeps_repositories_not_run(conformance: ModuleType) -> None:
    fig = _figures(conformance, built=5, identities_equal=4, bytes_comparable=3, bytes_equal=2, differing=1)
    results = conformance.Results()
    results.flux["other"] = fig
    merged = conformance.merged_baseline(BASELINE, results)
    assert merged["kustomize"] == {"repo": 10}
    assert merged["flux"]["repo"] == BASELINE["flux"]["repo"]
    assert merged["flux"]["other"] == {"built": 5, "identities_equal": 4, "bytes_equal": 2}


@pytest.mark.corpus
@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus is absent: no conformance baseline to check"
)
def test_every_corpus_repository_is_in_both_ratchets(conformance: ModuleType) -> None:
    repos = {p.name for p in conformance.corpus_repos(CORPUS)}
    baseline = conformance.load_baseline()
    assert set(baseline["kustomize"]) >= repos, sorted(repos - set(baseline["kustomize"]))
    assert set(baseline["flux"]) >= repos, sorted(repos - set(baseline["flux"]))


def _kubectl(conformance: ModuleType) -> Path:
    if not ORACLE_BIN.is_file():
        pytest.skip(f"{ORACLE_BIN} is absent: no oracle kubectl for the conformance run")
    try:
        kubectl: Path = conformance.oracle_dir(SHARED) / "kubectl"
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"the oracle kubectl could not be installed by {ORACLE_BIN}: {exc}")
    if not kubectl.is_file():
        pytest.skip(f"{ORACLE_BIN} did not provide {kubectl}")
    return kubectl


@pytest.mark.corpus
@pytest.mark.oracle
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent: no conformance run")
def test_conformance_does_not_regress(conformance: ModuleType, tmp_path: Path) -> None:
    kubectl = _kubectl(conformance)
    results = conformance.run(conformance.corpus_repos(CORPUS), kubectl, 2)
    report = tmp_path / "report.md"
    conformance.write_report(report, results)
    failures = conformance.ratchet_failures(results, conformance.load_baseline())
    assert failures == [], "\n".join(failures) + "\n\n" + report.read_text()


def _mini_repo(root: Path) -> Path:
    """A Flux repository: one root Kustomization applying ./apps with a targetNamespace and a patch."""
    (root / "clusters").mkdir(parents=True)
    (root / "clusters" / "ks.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: apps, namespace: flux-system}\n"
        "spec:\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
        "  targetNamespace: media\n"
        "  patches:\n    - patch: |-\n        - op: add\n          path: /metadata/labels\n"
        "          value: {team: a}\n      target: {kind: ConfigMap}\n"
    )
    (root / "apps").mkdir()
    (root / "apps" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (root / "apps" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n")
    return root


def test_flux_level_reports_the_first_differing_identity(conformance: ModuleType, tmp_path: Path) -> None:
    repo = _mini_repo(tmp_path / "repo")
    before = (repo / "apps" / "kustomization.yaml").read_bytes()
    # a stand-in kubectl that shows the kustomization it was given, then answers with another object
    fake = tmp_path / "kubectl"
    fake.write_text(
        '#!/bin/sh\ncat "$2/kustomization.yaml" > "$0.seen"\n'
        "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: other\\n  namespace: media\\n'\n"
    )
    fake.chmod(0o755)
    flux = sys.modules["flux_conformance"]
    cases, problems = flux.compare_flux_repo(repo, fake, 2)
    assert problems == []
    assert [(c.ref, c.dir, c.outcome) for c in cases] == [
        ("Kustomization/flux-system/apps", "apps", "identities-differ")
    ]
    assert cases[0].first_difference == "#0: homeops ConfigMap media/cfg, kubectl ConfigMap media/other"
    seen = (tmp_path / "kubectl.seen").read_text()
    assert "namespace: media" in seen and "op: add" in seen  # Flux's generated kustomization was built
    assert (repo / "apps" / "kustomization.yaml").read_bytes() == before  # the repository is never written
    figures = flux.FluxFigures.of(cases)
    assert (figures.built, figures.identities_equal, figures.differing) == (1, 0, 1)


@pytest.mark.oracle
def test_flux_level_matches_kubectl_on_a_small_repository(conformance: ModuleType, tmp_path: Path) -> None:
    kubectl = _kubectl(conformance)
    repo = _mini_repo(tmp_path / "repo")
    cases, _ = sys.modules["flux_conformance"].compare_flux_repo(repo, kubectl, 2)
    assert [(c.outcome, c.bytes_comparable) for c in cases] == [("equal", True)], cases[0].detail
