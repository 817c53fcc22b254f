"""``configure --check`` (the homeops-configure-check pre-commit hook): a verdict, and never a write."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.cli.main import main
from homeops.templating import ConfigureOptions, configure
from homeops.templating.check import ChangeKind, PendingChange, check_configure
from tests.templating.helpers import make_repo, snapshot

TEMPLATES = {"a.yaml.j2": "a: #{ name }#\n", "sub/b.yaml.j2": "b: 1\n", "plain.txt": "copied\n"}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code, out, err


def kinds(check_changes: tuple[PendingChange, ...]) -> list[tuple[str, str]]:
    return [(c.kind.value, c.path) for c in check_changes]


def test_a_repository_never_configured_would_change_and_nothing_is_written(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, TEMPLATES)
    before = snapshot(repo)
    # dry_run=False on purpose: the check never writes, whatever the options say
    check = check_configure(ConfigureOptions(repo_dir=repo, dry_run=False))
    assert not check.up_to_date
    assert kinds(check.changes) == [("create", "a.yaml"), ("create", "plain.txt"), ("create", "sub/b.yaml")]
    assert snapshot(repo) == before
    assert not (repo / "out").exists()


def test_after_configure_the_tree_is_up_to_date(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, TEMPLATES)
    assert configure(ConfigureOptions(repo_dir=repo)).written
    check = check_configure(ConfigureOptions(repo_dir=repo))
    assert check.up_to_date and check.changes == ()
    assert check.result.unchanged == ("a.yaml", "plain.txt", "sub/b.yaml")


def test_changed_data_template_and_removed_template_are_listed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, TEMPLATES)
    configure(ConfigureOptions(repo_dir=repo))
    (repo / "bootstrap/config.yaml").write_text("name: other\n")
    (repo / "templates/sub/b.yaml.j2").unlink()
    (repo / "templates/new.yaml.j2").write_text("new: true\n")
    before = snapshot(repo)
    check = check_configure(ConfigureOptions(repo_dir=repo))
    assert kinds(check.changes) == [("change", "a.yaml"), ("create", "new.yaml"), ("prune", "sub/b.yaml")]
    assert snapshot(repo) == before


def test_a_missing_manifest_is_a_change_even_when_every_file_matches(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, TEMPLATES)
    configure(ConfigureOptions(repo_dir=repo))
    (repo / "out/.homeops/configure-manifest.json").unlink()
    check = check_configure(ConfigureOptions(repo_dir=repo))
    assert check.changes == (PendingChange(ChangeKind.MANIFEST, ".homeops/configure-manifest.json"),)
    assert not check.up_to_date


def test_a_render_error_is_not_up_to_date(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.yaml.j2": "a: #{ missing.key }#\n"}, undefined="strict")
    check = check_configure(ConfigureOptions(repo_dir=repo))
    assert not check.result.ok and not check.up_to_date
    assert [f.name for f in check.result.errors] == ["missing"]


def test_cli_check_exit_codes_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path, TEMPLATES)
    code, out, err = run_cli(capsys, "configure", "--check", "--repo", str(repo))
    assert code == 1
    assert out.splitlines() == [
        "  would create: out/a.yaml",
        "  would create: out/plain.txt",
        "  would create: out/sub/b.yaml",
    ]
    assert "3 path(s) out of date; run `homeops configure`" in err
    assert not (repo / "out").exists()

    assert run_cli(capsys, "configure", "--repo", str(repo))[0] == 0
    code, out, err = run_cli(capsys, "configure", "--check", "--repo", str(repo))
    assert (code, out) == (0, "configure --check: up to date (3 rendered file(s))\n")

    (repo / "out/a.yaml").write_text("a: edited by hand\n")
    before = snapshot(repo)
    code, out, err = run_cli(capsys, "configure", "--check", "--repo", str(repo))
    assert code == 1
    assert "out/a.yaml: error: a.yaml was edited since configure wrote it" in err
    assert "configure would stop with 1 error(s)" in err
    assert snapshot(repo) == before


def test_the_bundled_example_is_up_to_date_after_configure_sops_files_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from homeops.scaffold import InitOptions, init_repo, validator_for_repo

    for name in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    repo = tmp_path / "cluster"
    init_repo(InitOptions(dest=repo, example=True))
    options = ConfigureOptions(repo_dir=repo, validator=validator_for_repo(repo))
    assert not check_configure(options).up_to_date
    assert configure(options).written
    check = check_configure(options)
    assert check.up_to_date, [str(c) for c in check.changes] + [str(f) for f in check.result.findings]
    assert any(rel.endswith(".sops.yaml") for rel in check.result.unchanged)

    config = repo / "bootstrap/config.yaml"
    config.write_text(config.read_text().replace("example.com", "example.org"))
    before = snapshot(repo)
    changed = check_configure(options)
    assert changed.changes and {c.kind for c in changed.changes} == {ChangeKind.CHANGE}
    assert snapshot(repo) == before
