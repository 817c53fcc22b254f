"""A rendered example repository, made once per session and copied for every test that changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from homeops.scaffold import InitOptions, init_repo, validator_for_repo
from homeops.templating import ConfigureOptions, configure


def render_example(dest: Path) -> Path:
    """``init --example`` then ``configure`` into ``dest``; fails the test on any configure error."""
    init_repo(InitOptions(dest=dest, example=True))
    result = configure(ConfigureOptions(repo_dir=dest, validator=validator_for_repo(dest)))
    assert result.ok, [str(f) for f in result.findings]
    assert result.written
    return dest


@pytest.fixture(scope="session")
def rendered_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rendered example repository: read it, never change it."""
    return render_example(tmp_path_factory.mktemp("example") / "home-ops")


@pytest.fixture
def example_copy(rendered_example: Path, tmp_path: Path) -> Path:
    """A private copy of the rendered example repository."""
    dest = tmp_path / "home-ops"
    shutil.copytree(rendered_example, dest, symlinks=True)
    return dest
