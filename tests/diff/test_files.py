"""`homeops diff --files` on real Git repositories made at test time: only files some Flux Kustomization
reads are named (README.md and templates are `unread`), `--root` and `--cluster` are honoured, and paths
resolve through a source that holds a subfolder of the repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeops.cli.diff_cmd import diff_command
from homeops.diff.api import DiffOptions, diff
from homeops.diff.files import FilesResult
from homeops.diff.render import render_markdown, render_text
from homeops.flux.api import RepoOptions
from tests.diff.gitrepo import commit_all, configmap, edit, make_repo, write
from tests.flux.fluxrepos import isolate_keys

WEB = "kubernetes/apps/web/app"


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_keys(monkeypatch, tmp_path)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def files_of(repo: Path, base: str = "HEAD", **repo_kwargs: object) -> FilesResult:
    options = DiffOptions(base=base, files_only=True, repo=RepoOptions(repo=repo, **repo_kwargs))  # type: ignore[arg-type]
    result = diff(options).files
    assert result is not None
    return result


def invoke(repo: Path, *args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    res = CliRunner().invoke(
        diff_command, [*args, "--repo", str(repo)], standalone_mode=False, catch_exceptions=False
    )
    return (res.return_value if isinstance(res.return_value, int) else 0), res.output


# -- what is read -----------------------------------------------------------------------------------------


def test_readme_and_templates_touch_nothing_and_are_listed_unread(repo: Path) -> None:
    write(repo, {"templates/config/kubernetes/apps/web/app/deployment.yaml.j2": "image: #{ image }#\n"})
    write(repo, {f"{WEB}/deployment.yaml.j2": "image: #{ image }#\n"})  # next to what Flux reads
    commit_all(repo, "templates")
    (repo / "README.md").write_text("# changed\n")
    edit(repo, f"{WEB}/deployment.yaml.j2", "#{ image }#", "#{ other }#")
    edit(repo, "templates/config/kubernetes/apps/web/app/deployment.yaml.j2", "image", "img")
    result = files_of(repo)
    assert result.kustomizations == {} and result.helmreleases == {}
    assert result.unread == [
        "README.md",
        "kubernetes/apps/web/app/deployment.yaml.j2",
        "templates/config/kubernetes/apps/web/app/deployment.yaml.j2",
    ]
    code, out = invoke(repo, "--base", "HEAD", "--files", "-o", "json")
    data = json.loads(out)
    assert code == 0
    assert data == {
        "files": result.changed,
        "kustomizations": [],
        "helmreleases": [],
        "unread": result.unread,
        "failed": [],
    }
    text = invoke(repo, "--base", "HEAD", "--files")[1]
    assert "Read by no Flux Kustomization" in text and "README.md" in text
    assert "Kustomization/" not in text


def test_a_read_file_names_its_kustomization_not_its_siblings_helmrelease(repo: Path) -> None:
    edit(repo, f"{WEB}/deployment.yaml", "nginx:1.25.0", "nginx:1.26.0")
    (repo / "README.md").write_text("x\n")
    result = files_of(repo)
    assert result.kustomizations == {"Kustomization/flux-system/web": [f"{WEB}/deployment.yaml"]}
    assert result.helmreleases == {}  # a plain resource next to it does not change the HelmRelease
    assert result.unread == ["README.md"]


def test_kustomization_file_touches_the_helmrelease_and_a_removed_file_counts(repo: Path) -> None:
    edit(repo, f"{WEB}/kustomization.yaml", "  - ./widget.yaml\n", "")
    (repo / f"{WEB}/widget.yaml").unlink()
    result = files_of(repo)
    assert result.kustomizations == {
        "Kustomization/flux-system/web": [f"{WEB}/kustomization.yaml", f"{WEB}/widget.yaml"]
    }
    assert result.helmreleases == {"HelmRelease/default/web-app": [f"{WEB}/kustomization.yaml"]}
    assert result.unread == []


def test_substitution_and_values_sources(repo: Path) -> None:
    write(
        repo,
        {f"{WEB}/values.yaml": configmap("web-values", **{"values.yaml": "replicas: 1\n"})},
    )
    edit(repo, f"{WEB}/kustomization.yaml", "  - ./widget.yaml\n", "  - ./widget.yaml\n  - ./values.yaml\n")
    edit(
        repo,
        f"{WEB}/helmrelease.yaml",
        "  values:\n",
        "  valuesFrom:\n    - kind: ConfigMap\n      name: web-values\n  values:\n    tz: ${TIMEZONE}\n",
    )
    commit_all(repo, "values and variables")
    edit(repo, f"{WEB}/values.yaml", "replicas: 1", "replicas: 2")
    result = files_of(repo)
    assert result.helmreleases == {"HelmRelease/default/web-app": [f"{WEB}/values.yaml"]}
    commit_all(repo, "values")
    edit(repo, "kubernetes/apps/settings.yaml", "Europe/Paris", "Europe/Rome")
    result = files_of(repo)
    assert result.kustomizations == {
        "Kustomization/flux-system/cluster-apps": ["kubernetes/apps/settings.yaml"],
        "Kustomization/flux-system/web": ["kubernetes/apps/settings.yaml"],  # substituteFrom
    }
    assert result.helmreleases == {"HelmRelease/default/web-app": ["kubernetes/apps/settings.yaml"]}


def test_build_failure_is_listed(repo: Path) -> None:
    (repo / f"{WEB}/pvc.yaml").unlink()
    result = files_of(repo)
    assert "Kustomization/flux-system/web" in result.kustomizations
    [failed] = result.to_json()["failed"]
    assert failed["object"] == "Kustomization/flux-system/web" and failed["side"] == "head"
    assert "pvc.yaml" in failed["error"]
    assert "fails to build on the head" in render_text(
        diff(DiffOptions(base="HEAD", files_only=True, repo=RepoOptions(repo=repo)))
    )
    assert invoke(repo, "--base", "HEAD", "--files")[0] == 1


# -- --root -----------------------------------------------------------------------------------------------

OTHER_ROOT = {
    "kubernetes/flux/other/ks.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: other
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/other
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "kubernetes/other/cm.yaml": configmap("other", "default"),
}


def test_root_selects_what_is_read(repo: Path) -> None:
    write(repo, OTHER_ROOT)
    commit_all(repo, "another root")
    edit(repo, "kubernetes/other/cm.yaml", "name: other", "name: other2")
    edit(repo, f"{WEB}/service.yaml", "port: 80", "port: 8080")
    default = files_of(repo)  # the roots found as Flux's layout has them: kubernetes/flux/cluster
    assert set(default.kustomizations) == {"Kustomization/flux-system/web"}
    assert default.unread == ["kubernetes/other/cm.yaml"]
    both = files_of(repo, roots=("kubernetes/flux/cluster", "kubernetes/flux/other"))
    assert set(both.kustomizations) == {"Kustomization/flux-system/other", "Kustomization/flux-system/web"}
    assert both.unread == []
    code, out = invoke(repo, "--base", "HEAD", "--files", "-o", "json", "--root", "kubernetes/flux/other")
    data = json.loads(out)
    assert code == 1
    assert [k["object"] for k in data["kustomizations"]] == ["Kustomization/flux-system/other"]
    assert data["unread"] == [f"{WEB}/service.yaml"]


# -- --cluster --------------------------------------------------------------------------------------------


def _cluster(name: str) -> dict[str, str]:
    return {
        f"clusters/{name}/flux-system/kustomization.yaml": "resources:\n  - gotk-sync.yaml\n",
        f"clusters/{name}/flux-system/gotk-sync.yaml": f"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  url: ssh://git@github.com/example/fleet
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./clusters/{name}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
        f"clusters/{name}/apps.yaml": f"""\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./apps/{name}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
        f"apps/{name}/kustomization.yaml": f"""\
resources:
  - ../base
patches:
  - patch: |-
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: settings
        namespace: default
      data:
        environment: {name}
""",
    }


FLEET = {
    **_cluster("staging"),
    **_cluster("production"),
    "apps/base/kustomization.yaml": "resources:\n  - ./configmap.yaml\n",
    "apps/base/configmap.yaml": configmap("settings", "default", environment="base"),
}


def test_cluster_selects_one_of_two(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, FLEET)
    edit(repo, "apps/staging/kustomization.yaml", "environment: staging", "environment: stage")
    everything = files_of(repo)
    assert everything.kustomizations == {
        "Kustomization/flux-system/apps@staging": ["apps/staging/kustomization.yaml"]
    }
    assert everything.to_json()["kustomizations"][0]["cluster"] == "staging"
    assert everything.unread == []
    production = files_of(repo, cluster="production")
    assert production.kustomizations == {} and production.unread == ["apps/staging/kustomization.yaml"]
    staging = files_of(repo, cluster="staging")
    assert set(staging.kustomizations) == {"Kustomization/flux-system/apps@staging"}
    code, out = invoke(repo, "--base", "HEAD", "--files", "-o", "json", "--cluster", "production")
    assert code == 0 and json.loads(out)["kustomizations"] == []
    edit(repo, "apps/base/configmap.yaml", "environment: base", "environment: shared")
    both = files_of(repo)
    assert set(both.kustomizations) == {
        "Kustomization/flux-system/apps@staging",
        "Kustomization/flux-system/apps@production",
    }
    assert "apps@production" in render_markdown(
        diff(DiffOptions(base="HEAD", files_only=True, repo=RepoOptions(repo=repo)))
    )


# -- a source holding a subfolder -------------------------------------------------------------------------

OCI_SUBFOLDER = {
    "README.md": "# home-ops\n",
    "kubernetes/flux/cluster/ks.yaml": """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  url: oci://ghcr.io/example/home-ops-manifests
  ref:
    tag: latest
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./apps
  prune: true
  sourceRef:
    kind: OCIRepository
    name: flux-system
""",
    "kubernetes/apps/kustomization.yaml": "resources:\n  - ./default/ks.yaml\n",
    "kubernetes/apps/default/ks.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: hello
  namespace: flux-system
spec:
  interval: 1h
  path: ./apps/default/hello/app
  prune: true
  sourceRef:
    kind: OCIRepository
    name: flux-system
""",
    "kubernetes/apps/default/hello/app/configmap.yaml": configmap("hello", "default", greeting="hi"),
}


def test_source_subfolder_paths_resolve_under_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, OCI_SUBFOLDER)
    edit(repo, "kubernetes/apps/default/hello/app/configmap.yaml", "greeting: hi", "greeting: hello")
    (repo / "README.md").write_text("# changed\n")
    result = files_of(repo)
    assert result.kustomizations == {
        "Kustomization/flux-system/hello": ["kubernetes/apps/default/hello/app/configmap.yaml"]
    }
    assert result.unread == ["README.md"]
    edit(repo, "kubernetes/apps/default/ks.yaml", "interval: 1h", "interval: 2h")
    assert set(files_of(repo).kustomizations) == {
        "Kustomization/flux-system/hello",  # its defining file
        "Kustomization/flux-system/cluster-apps",  # which applies that file
    }


def test_full_diff_keeps_two_clusters_apart(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, FLEET)
    edit(repo, "apps/production/kustomization.yaml", "environment: production", "environment: prod")
    result = diff(DiffOptions(base="HEAD", repo=RepoOptions(repo=repo)))
    assert [(c.ref, c.change, c.parent) for c in result.changes] == [
        ("ConfigMap/default/settings@production", "changed", "Kustomization/flux-system/apps@production")
    ]
    staging = diff(DiffOptions(base="HEAD", repo=RepoOptions(repo=repo, cluster="staging")))
    assert staging.changes == [] and staging.findings == []
    scoped = diff(DiffOptions(base="HEAD", target="ks", name="apps", repo=RepoOptions(repo=repo)))
    assert [c.ref for c in scoped.changes] == ["ConfigMap/default/settings@production"]
