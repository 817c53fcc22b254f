from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from homeops.errors import Location, UsageError
from homeops.templating import (
    UNDEFINED_HINT,
    ConfigFinding,
    ConfigureOptions,
    ConfigureResult,
    FindingCode,
    Severity,
    configure,
)
from tests.templating.helpers import make_repo, snapshot

CONFIG = """\
name: home
nodes:
  - name: k8s-0
    address: 10.0.0.10
cloudflare:
  enabled: true
"""


def undefined_findings(result: ConfigureResult) -> list[tuple[str, str | None, Severity]]:
    return [
        (str(f.location), f.name, f.severity)
        for f in result.findings
        if f.code is FindingCode.UNDEFINED_VARIABLE
    ]


def test_every_undefined_variable_of_every_template_is_reported_in_one_run(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "a.yaml.j2": "name: #{ name }#\ndomain: #{ domain }#\ntoken: #{ cloudflare.token }#\n",
            "sub/b.yaml.j2": (
                "#% for node in nodes %#\n"
                "- #{ node.name }# #{ node.gateway }#\n"
                "#% endfor %#\n"
                "size: #{ disk_size + 1 }#\n"
                "#% if cloudflare.enabled %#\n"
                "zone: #{ zone_id }#\n"
                "#% else %#\n"
                "never: #{ only_in_dead_branch }#\n"
                "#% endif %#\n"
            ),
            "c.yaml.j2": "fine: #{ name | upper }#\nguarded: #{ maybe | default('x') }#\n",
        },
        CONFIG,
    )
    result = configure(ConfigureOptions(repo_dir=repo))
    assert undefined_findings(result) == [
        ("templates/a.yaml.j2:2", "domain", Severity.ERROR),
        ("templates/a.yaml.j2:3", "cloudflare.token", Severity.ERROR),
        ("templates/sub/b.yaml.j2:2", "nodes[0].gateway", Severity.ERROR),
        ("templates/sub/b.yaml.j2:4", "disk_size", Severity.ERROR),
        ("templates/sub/b.yaml.j2:6", "zone_id", Severity.ERROR),
        ("templates/sub/b.yaml.j2:8", "only_in_dead_branch", Severity.WARNING),
    ]
    assert all(f.hint == UNDEFINED_HINT for f in result.findings)
    assert not result.ok and not result.written
    assert not (repo / "out").exists()


def test_undefined_in_an_included_partial_points_at_the_partial(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "main.yaml.j2": "top: #{ name }#\n#% include 'part.partial' %#\n",
            "part.partial": "\npartial: #{ missing_in_partial }#\n",
        },
    )
    result = configure(ConfigureOptions(repo_dir=repo, dry_run=True))
    assert undefined_findings(result) == [("templates/part.partial:2", "missing_in_partial", Severity.ERROR)]


@pytest.mark.parametrize(
    ("undefined", "template", "expected"),
    [
        ("chainable", "#% if flag %#x#% endif %#\n", [("templates/t.j2:1", "flag", Severity.WARNING)]),
        ("strict", "#% if flag %#x#% endif %#\n", [("templates/t.j2:1", "flag", Severity.ERROR)]),
        ("default", "#% if flag.sub %#x#% endif %#\n", [("templates/t.j2:1", "flag", Severity.ERROR)]),
        ("chainable", "#% if flag.sub %#x#% endif %#", [("templates/t.j2:1", "flag.sub", Severity.WARNING)]),
        ("chainable", "#% if flag is defined and flag.sub %#x#% endif %#\n", []),
        ("debug", "\n\n#{ x }#\n", [("templates/t.j2:3", "x", Severity.ERROR)]),
    ],
)
def test_undefined_modes(tmp_path: Path, undefined: str, template: str, expected: list[object]) -> None:
    repo = make_repo(tmp_path, {"t.j2": template}, undefined=undefined)
    result = configure(ConfigureOptions(repo_dir=repo, dry_run=True))
    assert undefined_findings(result) == expected


def test_optional_variables_silence_warnings_but_not_errors(tmp_path: Path) -> None:
    template = "#% if flag %#on#% endif %#\nv: #{ flag }#\n#% if other %#x#% endif %#\n"
    repo = make_repo(tmp_path, {"t.j2": template})
    result = configure(ConfigureOptions(repo_dir=repo, dry_run=True, optional_variables=frozenset({"flag"})))
    assert undefined_findings(result) == [
        ("templates/t.j2:2", "flag", Severity.ERROR),
        ("templates/t.j2:3", "other", Severity.WARNING),
    ]


def test_failing_render_leaves_output_byte_identical(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.yaml.j2": "a: #{ name }#\n", "b.yaml.j2": "b: #{ name }#\n"})
    first = configure(ConfigureOptions(repo_dir=repo))
    assert first.written and first.created == ("a.yaml", "b.yaml")
    (repo / "bootstrap/config.yaml").write_text("name: changed\n")
    (repo / "templates/b.yaml.j2").write_text("b: #{ name }# #{ oops }#\n")
    (repo / "templates/c.yaml.j2").write_text("c: #% if %# broken\n")
    before = snapshot(repo / "out")
    result = configure(ConfigureOptions(repo_dir=repo))
    assert not result.ok and not result.written
    assert {f.code for f in result.errors} == {FindingCode.UNDEFINED_VARIABLE, FindingCode.TEMPLATE_ERROR}
    assert snapshot(repo / "out") == before
    assert (repo / "out/a.yaml").read_text() == "a: home\n"


def test_unmanaged_files_are_not_overwritten_without_force(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.yaml.j2": "a: #{ name }#\n", "same.yaml.j2": "same\n"})
    (repo / "out").mkdir()
    (repo / "out/a.yaml").write_text("hand written\n")
    (repo / "out/same.yaml").write_text("same\n")
    result = configure(ConfigureOptions(repo_dir=repo))
    assert [(f.code, f.name, str(f.location)) for f in result.errors] == [
        (FindingCode.UNMANAGED_FILE, "a.yaml", "out/a.yaml")
    ]
    assert (repo / "out/a.yaml").read_text() == "hand written\n"
    assert not (repo / "out/.homeops").exists()
    forced = configure(ConfigureOptions(repo_dir=repo, force=True))
    assert forced.ok and forced.changed == ("a.yaml",) and forced.unchanged == ("same.yaml",)
    assert (repo / "out/a.yaml").read_text() == "a: home\n"


def test_files_edited_after_rendering_are_protected(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.yaml.j2": "a: #{ name }#\n"})
    configure(ConfigureOptions(repo_dir=repo))
    (repo / "out/a.yaml").write_text("a: edited\n")
    (repo / "bootstrap/config.yaml").write_text("name: other\n")
    result = configure(ConfigureOptions(repo_dir=repo))
    assert [(f.code, f.name) for f in result.errors] == [(FindingCode.MODIFIED_FILE, "a.yaml")]
    assert (repo / "out/a.yaml").read_text() == "a: edited\n"


def test_output_path_escaping_through_a_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = make_repo(tmp_path / "repo", {"apps/a.yaml.j2": "a: #{ name }#\n", "ok.yaml.j2": "ok\n"})
    (repo / "out").mkdir()
    (repo / "out/apps").symlink_to(outside, target_is_directory=True)
    before = snapshot(tmp_path)
    result = configure(ConfigureOptions(repo_dir=repo, force=True))
    assert [(f.code, f.name) for f in result.errors] == [(FindingCode.PATH_ESCAPE, "apps/a.yaml")]
    assert "symbolic link out of the output directory" in result.errors[0].message
    assert snapshot(tmp_path) == before
    assert list(outside.iterdir()) == []


def test_output_directory_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.j2": "x\n"})
    toml = repo / "makejinja.toml"
    toml.write_text(toml.read_text().replace('output = "./out"', 'output = "../elsewhere"'))
    with pytest.raises(UsageError, match="outside the repository"):
        configure(ConfigureOptions(repo_dir=repo))
    assert not (tmp_path / "elsewhere").exists()


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.yaml.j2": "a: #{ name }#\n", "plain.txt": "copied\n"})
    first = configure(ConfigureOptions(repo_dir=repo))
    assert first.created == ("a.yaml", "plain.txt")
    before = snapshot(repo)
    mtimes = {p: p.stat().st_mtime_ns for p in (repo / "out").rglob("*")}
    second = configure(ConfigureOptions(repo_dir=repo))
    assert (second.created, second.changed, second.stale, second.written) == ((), (), (), False)
    assert second.unchanged == ("a.yaml", "plain.txt")
    assert snapshot(repo) == before
    assert {p: p.stat().st_mtime_ns for p in (repo / "out").rglob("*")} == mtimes


def test_changed_and_stale_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.yaml.j2": "a: #{ name }#\n", "gone/b.yaml.j2": "b\n", "c.j2": "c\n"})
    configure(ConfigureOptions(repo_dir=repo))
    (repo / "templates/gone/b.yaml.j2").unlink()
    (repo / "templates/c.j2").write_text("#| now renders empty |#\n")
    (repo / "bootstrap/config.yaml").write_text("name: new\n")
    dry = configure(ConfigureOptions(repo_dir=repo, dry_run=True))
    stale = ("c", "gone/b.yaml")
    assert (dry.changed, dry.stale, dry.pruned, dry.written) == (("a.yaml",), stale, stale, False)
    assert (repo / "out/gone/b.yaml").exists()
    result = configure(ConfigureOptions(repo_dir=repo))
    assert result.written and result.pruned == ("c", "gone/b.yaml")
    assert not (repo / "out/gone").exists() and not (repo / "out/c").exists()
    manifest = json.loads((repo / "out/.homeops/configure-manifest.json").read_text())
    assert list(manifest["files"]) == ["a.yaml"]


def test_edited_stale_file_is_kept_with_a_warning(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.j2": "a\n", "b.j2": "b\n"})
    configure(ConfigureOptions(repo_dir=repo))
    (repo / "out/b").write_text("mine now\n")
    (repo / "templates/b.j2").unlink()
    result = configure(ConfigureOptions(repo_dir=repo))
    assert result.ok and result.stale == ("b",) and result.pruned == ()
    assert [(f.severity, f.code, f.name) for f in result.findings] == [
        (Severity.WARNING, FindingCode.MODIFIED_FILE, "b")
    ]
    assert (repo / "out/b").read_text() == "mine now\n"


def test_validator_findings_point_at_the_config_key(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.j2": "#{ name }#\n"}, CONFIG)

    def validator(data):
        assert data["nodes"][0]["address"] == "10.0.0.10"
        return [ConfigFinding(("nodes", 0, "address"), "must be inside node_cidr")]

    result = configure(ConfigureOptions(repo_dir=repo, validator=validator))
    assert [(f.code, f.name, f.location, f.message) for f in result.findings] == [
        (
            FindingCode.CONFIG_INVALID,
            "nodes[0].address",
            Location("bootstrap/config.yaml", 4, 5),
            "must be inside node_cidr",
        )
    ]
    assert not result.written


def test_plugin_modules_and_process_state_are_restored(tmp_path: Path) -> None:
    cwd = os.getcwd()
    for name in ("one", "two"):
        repo = make_repo(tmp_path / name, {"a.j2": "#{ tag() }#\n"})
        toml = repo / "makejinja.toml"
        toml.write_text(
            toml.read_text().replace(
                "[makejinja]\n", '[makejinja]\nimport_paths = ["./scripts"]\nplugins = ["plugin:Plugin"]\n'
            )
        )
        (repo / "scripts").mkdir()
        (repo / "scripts/plugin.py").write_text(
            "import makejinja\n"
            "def tag():\n"
            f"    return {name!r}\n"
            "class Plugin(makejinja.plugin.Plugin):\n"
            "    def functions(self):\n"
            "        return [tag]\n"
        )
        result = configure(ConfigureOptions(repo_dir=repo))
        assert result.ok
        assert (repo / "out/a").read_text() == f"{name}\n"
        assert not (repo / "scripts/__pycache__").exists()
    assert os.getcwd() == cwd
    import sys

    assert "plugin" not in sys.modules
