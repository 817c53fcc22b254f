"""Two resources with one id in a kustomization's resources are an error, as in kustomize's resource map
(``resWrangler.Append``): same group, version, kind and name, and the same namespace (for a namespaced kind
an empty namespace is ``default``). homeops finds the id through an index by name (``Appender``); each case
here is checked against the real kubectl when it is installed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from homeops.errors import BuildError
from homeops.kustomize.build import Builder
from homeops.kustomize.resource import ResMap, Resource
from homeops.yaml.emitter import dump_documents
from homeops.yaml.nodes import YMap
from tests.kustomize.test_base64_wrap import ORACLE_BIN, _kubectl

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{ns}data: {{k: v}}\n"
NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"


def _cm(name: str, ns: str | None = None) -> str:
    return CM.format(name=name, ns=f"  namespace: {ns}\n" if ns is not None else "")


CASES = {
    "same-name-two-files": ({"a.yaml": _cm("x"), "b.yaml": _cm("x")}, ["a.yaml", "b.yaml"], True),
    "empty-namespace-is-default": (
        {"a.yaml": _cm("x"), "b.yaml": _cm("x", "default")},
        ["a.yaml", "b.yaml"],
        True,
    ),
    "other-namespace": ({"a.yaml": _cm("x"), "b.yaml": _cm("x", "other")}, ["a.yaml", "b.yaml"], False),
    "other-kind": (
        {"a.yaml": _cm("x"), "b.yaml": _cm("x").replace("ConfigMap", "Secret")},
        ["a.yaml", "b.yaml"],
        False,
    ),
    "other-group": (
        {"a.yaml": _cm("x"), "b.yaml": _cm("x").replace("apiVersion: v1", "apiVersion: example.com/v1")},
        ["a.yaml", "b.yaml"],
        False,
    ),
    "cluster-scoped-namespace-ignored": (
        {"a.yaml": NS.format(name="n"), "b.yaml": NS.format(name="n") + "  namespace: x\n"},
        ["a.yaml", "b.yaml"],
        True,
    ),
    "number-name-and-string-name": (
        {"a.yaml": _cm("123"), "b.yaml": _cm("'123'")},
        ["a.yaml", "b.yaml"],
        True,
    ),
    "within-one-file": ({"a.yaml": _cm("x") + "---\n" + _cm("x")}, ["a.yaml"], True),
    "across-directories": (
        {
            "d1/kustomization.yaml": "resources: [cm.yaml]\n",
            "d1/cm.yaml": _cm("x"),
            "d2/kustomization.yaml": "resources: [cm.yaml]\n",
            "d2/cm.yaml": _cm("x"),
        },
        ["d1", "d2"],
        True,
    ),
    "across-directories-after-a-prefix": (
        {
            "d1/kustomization.yaml": "namePrefix: p-\nresources: [cm.yaml]\n",
            "d1/cm.yaml": _cm("x"),
            "d2/kustomization.yaml": "resources: [cm.yaml]\n",
            "d2/cm.yaml": _cm("p-x"),
        },
        ["d1", "d2"],
        True,
    ),
    "renamed-away-by-a-prefix": (
        {
            "d1/kustomization.yaml": "namePrefix: p-\nresources: [cm.yaml]\n",
            "d1/cm.yaml": _cm("x"),
            "b.yaml": _cm("x"),
        },
        ["d1", "b.yaml"],
        False,
    ),
    "many-distinct": (
        {f"f{i}.yaml": _cm(f"x{i}") for i in range(40)},
        [f"f{i}.yaml" for i in range(40)],
        False,
    ),
    "many-then-one-again": (
        {**{f"f{i}.yaml": _cm(f"x{i}") for i in range(40)}, "again.yaml": _cm("x17", "default")},
        [*(f"f{i}.yaml" for i in range(40)), "again.yaml"],
        True,
    ),
}


def _write(root: Path, files: dict[str, str], resources: list[str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    listing = "".join(f"  - {r}\n" for r in resources)
    (root / "kustomization.yaml").write_text(f"resources:\n{listing}", encoding="utf-8")


def _homeops(root: Path) -> str | None:
    """The output, or None when the build fails on a registered id."""
    try:
        return dump_documents([r.obj for r in Builder(root).build(root)])
    except BuildError as exc:
        assert "already registered id" in str(exc), exc
        return None


@pytest.mark.parametrize(("files", "resources", "duplicate"), list(CASES.values()), ids=list(CASES))
def test_a_registered_id_is_an_error(
    tmp_path: Path, files: dict[str, str], resources: list[str], duplicate: bool
) -> None:
    _write(tmp_path, files, resources)
    assert (_homeops(tmp_path) is None) is duplicate


@pytest.mark.oracle
@pytest.mark.parametrize(("files", "resources", "duplicate"), list(CASES.values()), ids=list(CASES))
def test_kubectl_agrees(tmp_path: Path, files: dict[str, str], resources: list[str], duplicate: bool) -> None:
    kubectl = _kubectl()
    if kubectl is None:
        pytest.skip(f"the real kubectl is unavailable ({ORACLE_BIN} missing or failing)")
    _write(tmp_path, files, resources)
    proc = subprocess.run(
        [str(kubectl), "kustomize", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert (proc.returncode != 0) is duplicate, proc.stderr
    if duplicate:
        assert "already registered id" in proc.stderr
    else:
        assert _homeops(tmp_path) == proc.stdout


def test_an_appender_indexes_what_the_map_already_holds() -> None:
    held = Resource(YMap({"apiVersion": "v1", "kind": "ConfigMap", "metadata": YMap({"name": "x"})}))
    resmap = ResMap([held])
    add = resmap.appender()
    add.append(Resource(YMap({"apiVersion": "v1", "kind": "Secret", "metadata": YMap({"name": "x"})})))
    with pytest.raises(ValueError, match="already registered id"):
        add.append(Resource(YMap({"apiVersion": "v1", "kind": "ConfigMap", "metadata": YMap({"name": "x"})})))
    assert [r.kind for r in resmap] == ["ConfigMap", "Secret"]
