"""HO101: unlisted YAML files of app folders, and listed resources that do not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.findings import Severity
from homeops.rules.validate import kustomization_lists_all_files as rule
from tests.rules.harness import run, where, write_repo

CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: apps
"""
APP = "kubernetes/apps/app"


def _files(kustomization: str, *names: str) -> dict[str, str]:
    files = {f"{APP}/{n}": CM.format(name=n.split(".")[0].replace("/", "-")) for n in names}
    files[f"{APP}/kustomization.yaml"] = kustomization
    return files


BAD = [
    (
        "unlisted file",
        _files("resources:\n  - ./a.yaml\n", "a.yaml", "helmrelease.yaml"),
        [("HO101", f"{APP}/helmrelease.yaml", 1)],
    ),
    (
        "missing resource",
        _files("resources:\n  - ./a.yaml\n  - ./gone.yaml\n", "a.yaml"),
        [("HO101", f"{APP}/kustomization.yaml", 3)],
    ),
    (
        "unlisted file in a plain sub-directory",
        _files("resources:\n  - ./a.yaml\n", "a.yaml", "extra/b.yaml"),
        [("HO101", f"{APP}/extra/b.yaml", 1)],
    ),
]

GOOD = [
    ("all listed", _files("resources:\n  - ./a.yaml\n  - ./b.yaml\n", "a.yaml", "b.yaml")),
    ("listed directory", _files("resources:\n  - ./a.yaml\n  - ./extra\n", "a.yaml", "extra/b.yaml")),
    (
        "patch and generator sources",
        {
            **_files(
                "resources:\n  - ./a.yaml\npatches:\n  - path: ./patch.yaml\n"
                "configMapGenerator:\n  - name: v\n    files:\n      - values.yaml=./values.yaml\n",
                "a.yaml",
                "patch.yaml",
            ),
            f"{APP}/values.yaml": "replicas: 1\n",
        },
    ),
    ("commented out on purpose", _files("resources:\n  - ./a.yaml\n  # - ./b.yaml\n", "a.yaml", "b.yaml")),
    (
        "not a Kubernetes object",
        {**_files("resources:\n  - ./a.yaml\n", "a.yaml"), f"{APP}/v.yaml": "x: 1\n"},
    ),
    ("template file", _files("resources:\n  - ./a.yaml\n", "a.yaml", "job.tmpl.yaml")),
]


@pytest.mark.parametrize(("case", "files", "expected"), BAD, ids=[c[0] for c in BAD])
def test_bad(case: str, files: dict[str, str], expected: list[tuple[str, str, int]], tmp_path: Path) -> None:
    found = run(rule, write_repo(tmp_path, files))
    assert where(found) == expected
    if case == "missing resource":
        assert found[0].severity is Severity.ERROR and "gone.yaml" in found[0].message
    if case == "unlisted file":
        assert f"{APP}/kustomization.yaml" in found[0].message


@pytest.mark.parametrize(("case", "files"), GOOD, ids=[c[0] for c in GOOD])
def test_good(case: str, files: dict[str, str], tmp_path: Path) -> None:
    assert run(rule, write_repo(tmp_path, files)) == []


def test_unreached_directory_is_not_checked(tmp_path: Path) -> None:
    files = {f"other/{k.split('/', 3)[-1]}": v for k, v in _files("resources: []\n", "a.yaml").items()}
    assert run(rule, write_repo(tmp_path, files)) == []
