"""`homeops diff` on real Git repositories made at test time: pairing, masking, scopes, outputs, exit codes,
and each breaking-change rule (HO301-HO307)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeops.cli.diff_cmd import diff_command
from homeops.diff.api import DiffOptions, DiffResult, diff
from homeops.diff.render import render_json, render_markdown, render_text
from homeops.flux.api import RepoOptions
from tests.diff.gitrepo import (
    DOMAIN_VALUE,
    NEW_SECRET_VALUE,
    SECRET_VALUE,
    commit_all,
    edit,
    git,
    make_repo,
)
from tests.flux.fluxrepos import isolate_keys

WEB = "kubernetes/apps/web/app"


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_keys(monkeypatch, tmp_path)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def run(repo: Path, **kwargs: object) -> DiffResult:
    options = DiffOptions(base=str(kwargs.pop("base", "HEAD")), repo=RepoOptions(repo=repo), **kwargs)  # type: ignore[arg-type]
    return diff(options)


def codes(result: DiffResult) -> list[str]:
    return sorted({f.code for f in result.findings})


def changed(result: DiffResult) -> dict[str, str]:
    return {c.ref: c.change for c in result.changes}


def invoke(repo: Path, *args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    runner = CliRunner()
    argv = [*args, "--repo", str(repo)]
    res = runner.invoke(diff_command, argv, standalone_mode=False, catch_exceptions=False)
    code = res.return_value if isinstance(res.return_value, int) else 0
    return code, res.output


# -- basics ------------------------------------------------------------------------------------------------


def test_identical_refs_are_empty_and_exit_zero(repo: Path) -> None:
    result = run(repo)
    assert result.changes == [] and result.findings == [] and not result.has_differences
    for fmt in ("text", "json"):
        code, out = invoke(repo, "--base", "HEAD", "-o", fmt)
        assert code == 0
        empty: dict[str, list[object]] = {"changes": [], "images": [], "findings": [], "not_compared": []}
        assert out == "" if fmt == "text" else json.loads(out) == empty
    code, out = invoke(repo, "all", "--base", "HEAD", "--head", "main")
    assert (code, out) == (0, "")


def test_work_tree_changes_are_the_head_and_checkout_untouched(repo: Path) -> None:
    edit(repo, f"{WEB}/deployment.yaml", "nginx:1.25.0", "nginx:1.26.0")
    status_before = git(repo, "status", "--porcelain")
    result = run(repo)
    assert changed(result) == {"Deployment/default/web": "changed"}
    assert result.changes[0].parent == "Kustomization/flux-system/web"
    assert "-        image: nginx:1.25.0\n+        image: nginx:1.26.0\n" in result.changes[0].diff
    assert [(i.object, i.old, i.new) for i in result.images] == [
        ("Deployment/default/web", "nginx:1.25.0", "nginx:1.26.0")
    ]
    assert git(repo, "status", "--porcelain") == status_before
    assert git(repo, "worktree", "list").count("\n") == 1
    code, out = invoke(repo, "--base", "HEAD")
    assert code == 1 and "nginx:1.25.0 -> nginx:1.26.0" in out
    assert invoke(repo, "--base", "HEAD", "--exit-zero")[0] == 0


def test_two_revisions_untracked_file_and_added_removed(repo: Path) -> None:
    (repo / f"{WEB}/configmap.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n")
    edit(repo, f"{WEB}/kustomization.yaml", "  - ./widget.yaml\n", "  - ./configmap.yaml\n")
    assert changed(run(repo)) == {"ConfigMap/default/extra": "added", "Widget/default/gadget": "removed"}
    commit_all(repo, "head")
    result = run(repo, base="HEAD~1", head="HEAD")
    assert changed(result) == {"ConfigMap/default/extra": "added", "Widget/default/gadget": "removed"}
    assert result.summary() == {
        "ConfigMap": {"added": 1, "changed": 0, "removed": 0},
        "Widget": {"added": 0, "changed": 0, "removed": 1},
    }


def test_noise_is_stripped_by_default_and_configurable(repo: Path) -> None:
    edit(repo, f"{WEB}/deployment.yaml", "checksum/config: aaaa", "checksum/config: bbbb")
    assert run(repo).changes == []
    assert changed(run(repo, strip_attrs=())) == {"Deployment/default/web": "changed"}


def test_scopes_ks_and_hr(repo: Path) -> None:
    edit(repo, f"{WEB}/helmrelease.yaml", "tag: 1.0.0", "tag: 1.1.0")
    edit(repo, "kubernetes/apps/db/app/configmap.yaml", '"100"', '"200"')
    assert changed(run(repo, target="ks", name="db")) == {"ConfigMap/db/postgres-conf": "changed"}
    hr = run(repo, target="hr", name="web-app", namespace="default")
    assert changed(hr) == {"HelmRelease/default/web-app": "changed"}
    # values written inline: the HelmRelease's own diff shows them, the computed values are not repeated
    assert "tag: 1.1.0" in hr.changes[0].diff and hr.changes[0].values_diff == ""
    assert [i.new for i in hr.images] == ["ghcr.io/example/app:1.1.0"]


def test_secret_values_never_printed_in_any_format(repo: Path) -> None:
    edit(repo, f"{WEB}/secret.yaml", SECRET_VALUE, NEW_SECRET_VALUE)
    edit(repo, "kubernetes/apps/settings.yaml", "TIMEZONE: Europe/Paris", "TIMEZONE: Europe/Rome")
    result = run(repo)
    assert changed(result)["Secret/default/web-secret"] == "changed"
    secret_change = next(c for c in result.changes if c.ref == "Secret/default/web-secret")
    assert "stringData.password" in secret_change.note
    outputs = [render_text(result), render_json(result), render_markdown(result)]
    outputs += [invoke(repo, "--base", "HEAD", "-o", fmt)[1] for fmt in ("text", "json", "markdown")]
    for out in outputs:
        assert "Secret/default/web-secret" in out
        for value in (SECRET_VALUE, NEW_SECRET_VALUE, DOMAIN_VALUE):
            assert value not in out


def test_markdown_is_truncated_cleanly(repo: Path) -> None:
    for i in range(30):
        (repo / f"{WEB}/cm{i}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\ndata:\n  k: {'x' * 200}\n"
        )
    listed = "".join(f"  - ./cm{i}.yaml\n" for i in range(30))
    edit(repo, f"{WEB}/kustomization.yaml", "resources:\n", "resources:\n" + listed)
    result = run(repo)
    full = render_markdown(result, 10**6)
    cut = render_markdown(result, 4000)
    assert len(cut.encode()) <= 4000 < len(full.encode())
    assert "Truncated" in cut and "item(s) not shown" in cut
    assert cut.count("<details>") == cut.count("</details>")
    assert cut.count("```") % 2 == 0


def test_files_lists_touched_kustomizations_and_helmreleases(repo: Path) -> None:
    edit(repo, f"{WEB}/helmrelease.yaml", "tag: 1.0.0", "tag: 1.1.0")
    edit(repo, "kubernetes/apps/db/app/configmap.yaml", '"100"', '"200"')
    result = run(repo, files_only=True)
    assert result.files is not None
    assert set(result.files.kustomizations) == {
        "Kustomization/flux-system/web",
        "Kustomization/flux-system/db",
    }
    assert set(result.files.helmreleases) == {"HelmRelease/default/web-app"}
    assert result.files.changed == ["kubernetes/apps/db/app/configmap.yaml", f"{WEB}/helmrelease.yaml"]
    code, out = invoke(repo, "--base", "HEAD", "--files", "-o", "json")
    assert code == 1 and json.loads(out)["helmreleases"][0]["object"] == "HelmRelease/default/web-app"
