"""Repository loading and indexing, and the typed Flux views with Flux's defaults."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from homeops.flux.kinds import (
    FluxKustomization,
    HelmRelease,
    NamespacedName,
    ObjectRef,
    SubstituteRef,
    flux_kind,
    shorten_release_name,
)
from homeops.flux.repository import Repository
from homeops.flux.worktree import git_root, repository_root
from homeops.yaml.loader import load_documents

FIXTURE = Path(__file__).parent.parent / "fixtures" / "flux" / "repo-basic"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


@pytest.fixture(scope="module")
def repo() -> Repository:
    return Repository.load(FIXTURE)


def test_load_files_honour_default_ignores(repo: Repository) -> None:
    rels = [p.relative_to(repo.root).as_posix() for p in repo.files]
    assert rels == [
        "kubernetes/apps/default/app/broken.yaml",
        "kubernetes/apps/default/app/helmrelease.yaml",
        "kubernetes/apps/default/app/ks.yaml",
        "kubernetes/apps/default/app/kustomization.yaml",
        "kubernetes/apps/default/app/values.yaml",
        "kubernetes/flux/cluster/ks.yaml",
        "kubernetes/flux/repos/sources.yml",
    ]  # no .sops.yaml, no .github/


def test_parse_failure_is_a_problem_not_an_exception(repo: Repository) -> None:
    assert len(repo.problems) == 1
    problem = repo.problems[0]
    assert problem.location.file == "kubernetes/apps/default/app/broken.yaml"
    assert problem.location.line == 6  # libyaml reports the unclosed flow sequence at EOF
    assert "invalid YAML" in problem.message
    assert repo.find("ConfigMap", "default", "app-values") is not None  # the rest still loaded


def test_index_and_lookups(repo: Repository) -> None:
    kinds = [(e.kind, e.name, e.line) for e in repo.entries]
    assert ("HelmRelease", "app", 2) in kinds
    assert ("ConfigMap", "app-values", 37) in kinds
    assert len(repo.objects(kind="Kustomization")) == 3  # two Flux + one kustomize.config.k8s.io
    assert len(repo.objects(kind="Kustomization", group="kustomize.toolkit.fluxcd.io")) == 2
    assert [e.name for e in repo.objects(namespace="default")] == ["app", "app-values", "app"]
    entry = repo.find("GitRepository", "flux-system", "flux-system")
    assert entry is not None and entry.location.line == 1 and entry.group == "source.toolkit.fluxcd.io"
    assert repo.find("GitRepository", "flux-system", "missing") is None
    assert [e.kind for e in repo.in_file("kubernetes/flux/repos/sources.yml")] == [
        "GitRepository",
        "OCIRepository",
        "HelmRepository",
        "GitRepository",
    ]


def test_flux_views(repo: Repository) -> None:
    ks = {k.name: k for k in repo.flux_kustomizations()}
    assert set(ks) == {"cluster-apps", "app"}
    root = ks["cluster-apps"]
    assert root.source_ref == ObjectRef("GitRepository", "flux-system", "flux-system")
    assert root.path == "./kubernetes/apps" and root.prune and not root.suspend
    assert root.substitute == {"CLUSTER": "main", "REPLICAS": "2"}
    assert root.substitute_from == (
        SubstituteRef("ConfigMap", "cluster-settings", False),
        SubstituteRef("Secret", "cluster-secrets", True),
    )
    assert root.decryption_provider == "sops" and root.decryption_secret == "sops-age"
    assert root.meta.location is not None and root.meta.location.line == 2
    app = ks["app"]
    assert app.depends_on == (
        NamespacedName("flux-system", "cluster-apps"),
        NamespacedName("storage-system", "storage"),
    )
    assert app.source_ref == ObjectRef("OCIRepository", "app-oci", "other")
    assert app.target_namespace == "default" and app.suspend and not app.prune
    assert app.components == ("../../components/common",) and app.ignore_missing_components
    assert app.name_prefix == "pre-" and app.name_suffix == ""
    assert app.common_metadata == {"labels": {"app.kubernetes.io/name": "app"}}
    assert len(app.patches) == 1 and app.images[0]["newTag"] == "1.27"

    (hr,) = repo.helmreleases()
    assert hr.chart is None and hr.chart_ref == ObjectRef("OCIRepository", "app", "default")
    assert (
        hr.release_name == "app" and hr.release_namespace == "default" and hr.storage_namespace == "default"
    )
    assert [(v.kind, v.name, v.values_key, v.target_path, v.optional) for v in hr.values_from] == [
        ("ConfigMap", "app-values", "values.yaml", "", False),
        ("Secret", "app-secret", "password", "auth.password", True),
    ]
    assert hr.values_from[1].location is not None and hr.values_from[1].location.line == 15

    sources = repo.sources()
    assert [(s.kind, s.name) for s in sources] == [
        ("GitRepository", "flux-system"),
        ("OCIRepository", "app"),
        ("HelmRepository", "bitnami"),
    ]  # v1alpha1 is no longer served
    assert sources[0].ignore == "/*\n!/kubernetes\n"


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "Kustomization"),
        ("kustomize.toolkit.fluxcd.io/v1beta1", "Kustomization", "Kustomization"),
        ("kustomize.config.k8s.io/v1beta1", "Kustomization", None),
        ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease", "HelmRelease"),
        ("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease", "HelmRelease"),
        ("helm.toolkit.fluxcd.io/v1", "HelmRelease", None),
        ("source.toolkit.fluxcd.io/v1", "ExternalArtifact", "ExternalArtifact"),
        ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", "OCIRepository"),
        ("source.toolkit.fluxcd.io/v1beta1", "Bucket", "Bucket"),
        ("source.extensions.fluxcd.io/v1beta1", "ArtifactGenerator", "ArtifactGenerator"),
        ("v1", "ConfigMap", None),
    ],
)
def test_flux_kind(api_version: str, kind: str, expected: str | None) -> None:
    assert flux_kind(api_version, kind) == expected


def _hr(spec: str, name: str = "podinfo", namespace: str = "apps") -> HelmRelease:
    text = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        f"metadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n{spec}"
    )
    return HelmRelease.from_obj(load_documents(text, "hr.yaml")[0])


def test_helmrelease_defaults() -> None:
    hr = _hr(
        "  targetNamespace: prod\n  chart:\n    spec:\n      chart: podinfo\n"
        "      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n"
        "  dependsOn:\n    - name: db\n  storageNamespace: helm\n"
    )
    assert hr.release_name == "prod-podinfo"
    assert hr.release_namespace == "prod" and hr.storage_namespace == "helm"
    assert hr.chart is not None and hr.chart.version == "*" and hr.chart.reconcile_strategy == "ChartVersion"
    assert hr.chart.source_ref == ObjectRef("HelmRepository", "podinfo", "apps")
    assert hr.depends_on == (NamespacedName("apps", "db"),)
    assert _hr("  releaseName: custom\n  targetNamespace: prod\n").release_name == "custom"


def test_release_name_shortening() -> None:
    name = "some-front-appended-namespace-release-with-a-very-long-name"
    assert len(name) > 53
    short = shorten_release_name(name)
    assert len(short) == 53 and short.startswith(name[:40] + "-")
    import hashlib

    assert short.endswith(hashlib.sha256(name.encode()).hexdigest()[:12])
    assert shorten_release_name("x" * 53) == "x" * 53


def test_views_are_lenient_on_bad_types() -> None:
    obj = load_documents(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: k\n"
        "spec:\n  prune: 'yes'\n  dependsOn: notalist\n  sourceRef: str\n",
        "k.yaml",
    )[0]
    k = FluxKustomization.from_obj(obj)
    assert k.prune is False and k.depends_on == () and k.source_ref is None and k.namespace == ""


def test_git_root(tmp_path: Path) -> None:
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert git_root(sub) == sub.resolve()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert git_root(sub) == tmp_path.resolve()


def test_repository_root_is_the_one_given_else_the_work_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(sub)
    assert repository_root(None) == tmp_path.resolve()
    assert repository_root(Path("..")) == (tmp_path / "a").resolve()


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_corpus_counts() -> None:
    meta = json.loads((CORPUS / "corpus.json").read_text())
    for info in meta["repos"]:
        root = CORPUS / info["dir"]
        repo = Repository.load(root)
        assert not repo.problems, info["dir"]
        # corpus.json counts some files its copy left out (Apocrathia's chart templates): count the disk
        on_disk = [p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
        assert len(repo.files) == len(on_disk), info["dir"]
        assert len(repo.flux_kustomizations()) == info["flux_kustomizations"], info["dir"]
        assert len(repo.helmreleases()) == info["helmreleases"], info["dir"]


def test_rel_file_follows_symlinks_as_realpath_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cwd-relative position file is shown under the root as ``os.path.realpath`` resolves it: through a
    linked directory, a linked file, and ``..``; outside the root it is kept as given."""
    root = tmp_path / "repo"
    (root / "apps" / "real").mkdir(parents=True)
    (root / "apps" / "real" / "a.yaml").write_text("a: 1\n")
    (root / "apps" / "linked").symlink_to("real")
    (root / "apps" / "b.yaml").symlink_to("real/a.yaml")
    (root / "apps" / "c.yaml").write_text("c: 1\n")
    (tmp_path / "outside.yaml").write_text("o: 1\n")
    monkeypatch.chdir(root / "apps")
    repo = Repository(root.resolve(), [], [], [])
    cases = {
        "real/a.yaml": "apps/real/a.yaml",
        "linked/a.yaml": "apps/real/a.yaml",
        "b.yaml": "apps/real/a.yaml",
        "c.yaml": "apps/c.yaml",
        "linked/../c.yaml": "apps/c.yaml",
        "missing/x.yaml": "apps/missing/x.yaml",
        "../../outside.yaml": "../../outside.yaml",
    }
    for file, expected in cases.items():
        real = Path(os.path.realpath(file))
        assert real.is_relative_to(root.resolve()) == (expected != file)
        assert repo.rel_file(file) == expected, file
        assert repo.rel_file(file) == expected, file  # the remembered answer
