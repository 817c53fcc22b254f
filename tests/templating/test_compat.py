"""Compatibility: a cluster-template-shaped repository renders byte for byte as under makejinja 2.8.1.

``tests/fixtures/templating/cluster-expected`` is what ``makejinja`` 2.8.1 (Jinja2 3.1.6) wrote for
``tests/fixtures/templating/cluster``; when a ``makejinja`` executable is on PATH the comparison is also
made against a fresh run of it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from homeops.errors import UsageError
from homeops.templating import ConfigureOptions, FindingCode, Severity, UndefinedMode, configure
from homeops.templating.makejinja_config import load_makejinja_config
from tests.templating.helpers import snapshot

FIXTURES = Path(__file__).parent.parent / "fixtures" / "templating"
CLUSTER = FIXTURES / "cluster"
EXPECTED = FIXTURES / "cluster-expected"
CILIUM = "kubernetes/apps/kube-system/cilium/helmrelease.yaml"
RENDERED = (
    "kubernetes/apps/kube-system/cilium/helmrelease.yaml",
    "kubernetes/apps/kube-system/cilium/kustomization.yaml",
    "kubernetes/apps/kube-system/namespace.yaml",
    "kubernetes/flux/cluster-settings.yaml",
    "talos/notrail.txt",
    "talos/talconfig.yaml",
)


def copy_cluster(tmp_path: Path) -> Path:
    repo = tmp_path / "cluster"
    shutil.copytree(CLUSTER, repo)
    return repo


def rendered_tree(repo: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(repo).items() if k.split("/")[0] in ("kubernetes", "talos")}


def test_cluster_template_renders_like_makejinja(tmp_path: Path) -> None:
    repo = copy_cluster(tmp_path)
    result = configure(ConfigureOptions(repo_dir=repo))
    assert result.ok and result.written
    assert result.created == RENDERED
    assert rendered_tree(repo) == snapshot(EXPECTED)
    # The plugin's path filter skipped the cloudflare app; the macro-only and comment-only templates
    # rendered blank and were skipped; the partial was excluded but included.
    assert not (repo / "kubernetes/apps/cloudflare").exists()
    assert not (repo / "talos/empty.yaml").exists() and not (repo / "talos/macros").exists()
    assert [(f.severity, f.name, str(f.location)) for f in result.findings] == [
        (Severity.WARNING, "cilium_bgp_enabled", f"templates/{CILIUM}.j2:17"),
    ]
    again = configure(ConfigureOptions(repo_dir=repo))
    assert again.unchanged == RENDERED and not again.written


def test_copied_files_keep_their_mode(tmp_path: Path) -> None:
    repo = copy_cluster(tmp_path)
    source = repo / "templates/kubernetes/apps/kube-system/namespace.yaml"
    source.chmod(0o600)
    configure(ConfigureOptions(repo_dir=repo))
    assert ((repo / "kubernetes/apps/kube-system/namespace.yaml").stat().st_mode & 0o777) == 0o600


def test_cloudflare_enabled_reports_its_undefined_variable(tmp_path: Path) -> None:
    repo = copy_cluster(tmp_path)
    config = repo / "bootstrap/config.yaml"
    config.write_text(config.read_text().replace("enabled: false", "enabled: true"))
    result = configure(ConfigureOptions(repo_dir=repo))
    assert [(f.code, f.name, str(f.location)) for f in result.errors] == [
        (
            FindingCode.UNDEFINED_VARIABLE,
            "cloudflare.tunnel_id",
            "templates/kubernetes/apps/cloudflare/tunnel/helmrelease.yaml.j2:2",
        )
    ]
    assert rendered_tree(repo) == {}


@pytest.mark.skipif(shutil.which("makejinja") is None, reason="makejinja is not installed")
def test_against_real_makejinja(tmp_path: Path) -> None:
    ours = copy_cluster(tmp_path / "ours")
    theirs = copy_cluster(tmp_path / "theirs")
    configure(ConfigureOptions(repo_dir=ours))
    subprocess.run(["makejinja", "--quiet"], cwd=theirs, check=True, capture_output=True)
    assert rendered_tree(ours) == rendered_tree(theirs)


def test_makejinja_toml_is_read_like_makejinja() -> None:
    config = load_makejinja_config(CLUSTER)
    assert config.inputs == (CLUSTER / "templates",)
    assert config.output == CLUSTER
    assert config.import_paths == (CLUSTER / "bootstrap/scripts",)
    assert config.loaders == ("plugin:Plugin",)
    assert config.undefined is UndefinedMode.CHAINABLE
    assert (config.delimiter.variable_start, config.delimiter.block_end) == ("#{", "%#")
    assert (config.whitespace.trim_blocks, config.whitespace.keep_trailing_newline) == (True, True)
    assert config.jinja_suffix == ".j2" and config.exclude_patterns == ("*.partial.yaml.j2",)


BASE = '[makejinja]\ninputs = ["t"]\noutput = "o"\n'


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[makejinja]\ninputs = ["t"]\noutput = "o"\nbogus = 1\n', "unknown makejinja option 'bogus'"),
        ('[makejinja]\ninputs = ["t"]\n', "makejinja option 'output' is required"),
        ('[makejinja]\ninputs = "t"\noutput = "o"\n', "'inputs' must be a list of strings"),
        ('[makejinja]\ninputs = ["t"]\noutput = "o"\nundefined = "lax"\n', "'undefined' must be one of"),
        (f'{BASE}[makejinja.delimiter]\nblock = "x"\n', "'delimiter.block'"),
        ("[other]\n", "has no [makejinja] table"),
        ("[makejinja\n", "is not valid TOML"),
    ],
)
def test_invalid_makejinja_toml(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "makejinja.toml").write_text(toml)
    with pytest.raises(UsageError, match=message.replace("[", r"\[")):
        load_makejinja_config(tmp_path)


def test_dashed_keys_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "makejinja.toml").write_text(BASE + 'jinja-suffix = ".j2"\n')
    assert load_makejinja_config(tmp_path).jinja_suffix == ".j2"
