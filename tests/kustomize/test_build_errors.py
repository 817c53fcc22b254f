"""Build errors: each names the file and line and says what was expected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from homeops.errors import BuildError, HomeopsError, InputError
from homeops.kustomize.build import Builder
from homeops.kustomize.files import FileLoader

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def build_error(root: Path, kdir: str = "app") -> HomeopsError:
    with pytest.raises(HomeopsError) as info:
        Builder(root).build(root / kdir)
    return info.value


@pytest.mark.parametrize(
    ("files", "message", "file", "line"),
    [
        pytest.param(
            {
                "app/kustomization.yaml": "resources:\n  - a.yaml\n  - missing.yaml\n",
                "app/a.yaml": CM.format(name="a"),
            },
            "resource 'missing.yaml' not found",
            "app/kustomization.yaml",
            3,
            id="missing-file",
        ),
        pytest.param(
            {
                "app/kustomization.yaml": "resources:\n  - a.yaml\nfoo: bar\n",
                "app/a.yaml": CM.format(name="a"),
            },
            "unknown field 'foo'",
            "app/kustomization.yaml",
            3,
            id="unknown-field",
        ),
        pytest.param(
            {"app/kustomization.yaml": "resources:\n  - https://example.com/deploy.yaml\n"},
            "remote resource 'https://example.com/deploy.yaml' is not fetched",
            "app/kustomization.yaml",
            2,
            id="remote-http",
        ),
        pytest.param(
            {
                "app/kustomization.yaml": (
                    "resources:\n  - ./ok.yaml\n  - github.com/org/repo//deploy?ref=v1\n"
                ),
                "app/ok.yaml": CM.format(name="ok"),
            },
            "remote resource 'github.com/org/repo//deploy?ref=v1' is not fetched",
            "app/kustomization.yaml",
            3,
            id="remote-git",
        ),
        pytest.param(
            {
                "app/kustomization.yaml": "resources:\n  - ../b\n",
                "b/kustomization.yaml": "resources:\n  - ../app\n",
            },
            "resource cycle: app includes b includes app",
            "b/kustomization.yaml",
            2,
            id="cycle",
        ),
        pytest.param(
            {"app/kustomization.yaml": "resources:\n  - ../../outside.yaml\n"},
            "outside the repository root",
            "app/kustomization.yaml",
            2,
            id="escape-root",
        ),
        pytest.param(
            {
                "app/kustomization.yaml": "components:\n  - ../comp\n",
                "comp/kustomization.yaml": "resources: []\n",
            },
            "its kind is 'Kustomization', not 'Component'",
            "app/kustomization.yaml",
            2,
            id="component-kind",
        ),
        pytest.param(
            {
                "app/kustomization.yaml": "resources:\n  - a.yaml\n",
                "app/a.yaml": "apiVersion: v1\nkind: ConfigMap\n",
            },
            "ConfigMap in app/a.yaml has no metadata.name",
            "app/a.yaml",
            1,
            id="no-name",
        ),
        pytest.param(
            {
                "app/kustomization.yaml": "resources:\n  - a.yaml\n  - b.yaml\n",
                "app/a.yaml": CM.format(name="x"),
                "app/b.yaml": CM.format(name="x"),
            },
            "already registered id",
            "app/kustomization.yaml",
            3,
            id="duplicate-id",
        ),
        pytest.param(
            {"app/kustomization.yaml": "resources: [a.yaml]\n", "app/a.yaml": "a: [1, 2\n"},
            "invalid YAML",
            "app/a.yaml",
            2,
            id="malformed-yaml",
        ),
    ],
)
def test_build_error_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], message: str, file: str, line: int
) -> None:
    root = tmp_path / "repo"
    write(root, files)
    monkeypatch.chdir(root)
    err = build_error(root)
    assert message in err.message
    assert err.location is not None
    assert err.location.file == file
    assert err.location.line == line


def test_yaml_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    write(
        tmp_path,
        {"app/kustomization.yaml": "resources: [bomb.yaml]\n", "app/bomb.yaml": "\n".join(lines) + "\n"},
    )
    monkeypatch.chdir(tmp_path)
    err = build_error(tmp_path)
    assert isinstance(err, InputError)
    assert "YAML bomb" in err.message
    assert err.location is not None and err.location.file == "app/bomb.yaml"


def test_no_kustomization_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path)
    err = build_error(tmp_path)
    assert isinstance(err, BuildError)
    assert "no kustomization file in app" in err.message


def test_symlink_out_of_the_root_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(CM.format(name="stolen"))
    root = tmp_path / "repo"
    write(root, {"app/kustomization.yaml": "resources:\n  - link.yaml\n"})
    (root / "app" / "link.yaml").symlink_to(outside)
    monkeypatch.chdir(root)
    err = build_error(root)
    assert "outside the repository root" in err.message
    assert err.location is not None and (err.location.file, err.location.line) == (
        "app/kustomization.yaml",
        2,
    )


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from homeops.kustomize.files import FileLoader

    root = tmp_path / "repo"
    write(
        root,
        {"app/kustomization.yaml": "resources:\n  - big.yaml\n", "app/big.yaml": CM.format(name="big") * 50},
    )
    monkeypatch.chdir(root)
    with pytest.raises(InputError) as info:
        Builder(root, loader=FileLoader(root, max_bytes=1000)).build(root / "app")
    assert "is too large" in info.value.message and "app/big.yaml" in info.value.message


@pytest.mark.parametrize("cwd", ["/", "/work", "/work/main"])
@pytest.mark.parametrize(
    "path", ["/work/main/src/x.yaml", "/work/main", "/work/mainx/a", "/tmp/a.yaml", "/", "/work/main/../x"]
)
def test_a_file_is_shown_as_relpath_shows_it(cwd: str, path: str) -> None:
    # the display's lexical fast path gives what os.path.relpath gives below the current directory
    loader = FileLoader(Path("/tmp"), cwd=Path(cwd))
    p = Path(path)
    expected = os.path.relpath(p, cwd) if p.is_relative_to(cwd) else str(p)
    assert loader.display(p) == expected


@pytest.mark.parametrize("link", ["dir", "file", "loop"])
def test_references_through_symbolic_links_resolve_as_the_filesystem_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, link: str
) -> None:
    # a resource path is resolved one directory at a time (each directory once a build): a link to a
    # directory or a file inside the root reads its target, a link loop is a clear error
    root = tmp_path / "repo"
    write(root, {"real/cm.yaml": CM.format(name="linked"), "app/kustomization.yaml": "resources: [REF]\n"})
    app = root / "app"
    if link == "dir":
        (app / "shared").symlink_to(root / "real", target_is_directory=True)
        ref = "shared/cm.yaml"
    elif link == "file":
        (app / "cm.yaml").symlink_to(root / "real" / "cm.yaml")
        ref = "cm.yaml"
    else:
        (app / "a").symlink_to(app / "b")
        (app / "b").symlink_to(app / "a")
        ref = "a/cm.yaml"
    (app / "kustomization.yaml").write_text(f"resources: [{ref}]\n")
    monkeypatch.chdir(root)
    if link == "loop":
        err = build_error(root)
        assert "cannot resolve 'a/cm.yaml'" in err.message
        return
    built = Builder(root).build(app)
    assert [r.name for r in built] == ["linked"]
    assert built.resources()[0].obj.pos is not None
