"""HO102: HelmReleases and HelmCharts pin one chart version."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.rules.validate import chart_version_pinned as rule
from tests.rules.harness import head, run, where, write_repo

F = "kubernetes/apps/hr.yaml"


def hr(chart: str) -> dict[str, str]:
    return {
        F: head("helm.toolkit.fluxcd.io/v2", "HelmRelease", "x", "apps") + "spec:\n  interval: 1h\n" + chart
    }


SPEC = (
    "  chart:\n    spec:\n      chart: x\n      sourceRef:\n        kind: HelmRepository\n        name: r\n"
)
OCI = (
    "---\n"
    + head("source.toolkit.fluxcd.io/v1", "OCIRepository", "x")
    + "spec:\n  url: oci://ghcr.io/x\n  ref:\n    {ref}\n"
)
CHARTREF = "  chartRef:\n    kind: OCIRepository\n    name: x\n"

BAD = [
    ("no version", hr(SPEC), 8),
    ("range >=", hr(SPEC + '      version: ">=1.0.0"\n'), 14),
    ("caret", hr(SPEC + "      version: ^2.1.0\n"), 14),
    ("wildcard", hr(SPEC + "      version: 1.x\n"), 14),
    ("partial", hr(SPEC + "      version: '1.2'\n"), 14),
    ("or", hr(SPEC + "      version: 1.2.3 || 1.2.4\n"), 14),
    ("chartRef to a latest OCIRepository", {F: hr(CHARTREF)[F] + OCI.format(ref="tag: latest")}, 8),
    ("chartRef to a semver range", {F: hr(CHARTREF)[F] + OCI.format(ref="semver: '>=4.0.0'")}, 8),
    (
        "HelmChart range",
        {
            F: head("source.toolkit.fluxcd.io/v1", "HelmChart", "c", "apps")
            + "spec:\n  chart: c\n  version: '~1.2'\n  sourceRef:\n    kind: HelmRepository\n    name: r\n"
        },
        8,
    ),
]

GOOD = [
    ("exact", hr(SPEC + "      version: 1.2.3\n")),
    ("v prefix", hr(SPEC + "      version: v1.20.6\n")),
    ("pre-release", hr(SPEC + "      version: 1.0.0-rc.1\n")),
    ("chartRef to a pinned tag", {F: hr(CHARTREF)[F] + OCI.format(ref="tag: 4.1.2")}),
    ("chartRef to a digest", {F: hr(CHARTREF)[F] + OCI.format(ref="digest: sha256:abc")}),
    # source-controller ignores version for charts of a GitRepository or Bucket: the revision pins them
    ("local chart of a GitRepository", hr(SPEC.replace("HelmRepository", "GitRepository"))),
    ("chart of a Bucket", hr(SPEC.replace("HelmRepository", "Bucket"))),
]


@pytest.mark.parametrize(("case", "files", "line"), BAD, ids=[c[0] for c in BAD])
def test_bad(case: str, files: dict[str, str], line: int, tmp_path: Path) -> None:
    assert where(run(rule, write_repo(tmp_path, files))) == [("HO102", F, line)]


@pytest.mark.parametrize(("case", "files"), GOOD, ids=[c[0] for c in GOOD])
def test_good(case: str, files: dict[str, str], tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, files)) == []
