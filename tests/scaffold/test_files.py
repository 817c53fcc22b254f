from __future__ import annotations

import stat
from pathlib import Path

import pytest

from homeops.errors import InputError
from homeops.scaffold.files import FileWrite, repo_path, write_all
from tests.templating.helpers import snapshot


@pytest.mark.parametrize(
    ("bundle", "repo"),
    [
        ("dot-gitignore", ".gitignore"),
        ("templates/dot-sops.yaml.j2", "templates/.sops.yaml.j2"),
        ("a/dot-dir/b-dot-c", "a/.dir/b-dot-c"),
        ("README.md", "README.md"),
    ],
)
def test_repo_path_renames_dot_components(bundle: str, repo: str) -> None:
    assert repo_path(bundle) == repo


def test_write_all_writes_everything_with_modes(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("old")
    write_all(
        tmp_path,
        {
            "a/b/new.txt": FileWrite("a/b/new.txt", b"new"),
            "key": FileWrite("key", b"k", mode=0o600),
            "old.txt": FileWrite("old.txt", b"replaced", replace=True),
        },
    )
    assert (tmp_path / "a/b/new.txt").read_bytes() == b"new"
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600
    assert (tmp_path / "old.txt").read_bytes() == b"replaced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "key", "old.txt"]


def test_write_all_undoes_everything_when_one_write_fails(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("old")
    (tmp_path / "taken.txt").write_text("someone else's")
    before = snapshot(tmp_path)
    writes = {
        "new/dir/one.txt": FileWrite("new/dir/one.txt", b"1"),
        "old.txt": FileWrite("old.txt", b"replaced", replace=True),
        "taken.txt": FileWrite("taken.txt", b"mine"),
    }
    with pytest.raises(InputError, match="file appeared while writing"):
        write_all(tmp_path, writes)
    assert snapshot(tmp_path) == before


def test_no_bundled_name_starts_with_a_dot() -> None:
    # setuptools' package-data globs skip dotfiles: they are bundled as dot-NAME instead
    root = Path(__file__).resolve().parents[2] / "src/homeops/scaffold/template"
    names = [p.relative_to(root).as_posix() for p in root.rglob("*")]
    assert len(names) > 40
    assert [n for n in names if any(part.startswith(".") for part in n.split("/"))] == []
