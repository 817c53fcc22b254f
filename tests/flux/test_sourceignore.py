"""Flux source-controller ignore rules: go-git v5 gitignore semantics plus sourceignore's defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from homeops.flux.sourceignore import (
    SourceIgnore,
    go_match,
    parse_pattern,
    read_patterns,
    walk_files,
    walk_yaml_files,
)


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("*.yaml", "a.yaml", True),
        ("*.yaml", "a.yml", False),
        ("*", ".hidden", True),  # Go's filepath.Match lets * match a leading dot
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("[abc]x", "bx", True),
        ("[^abc]x", "bx", False),
        ("[^abc]x", "dx", True),
        ("[!abc]x", "!x", True),  # '!' is not negation in Go, just a member
        ("[a-c]", "b", True),
        ("[a-c]", "d", False),
        ("[z-a]", "m", False),  # an empty range matches nothing, no error
        ("\\*", "*", True),
        ("\\*", "a", False),
        ("[", "[", False),  # malformed: never matches
        ("a\\", "a", False),  # trailing backslash: malformed
        ("[]a]", "]", False),  # ']' first in a class is malformed in Go
        ("[-a]", "-", False),
        ("**", "anything", True),
        ("*.tar.gz", "x.tar.gz", True),
    ],
)
def test_go_match(pattern: str, name: str, expected: bool) -> None:
    assert go_match(pattern, name) is expected


def test_parse_pattern_fields() -> None:
    p = parse_pattern("!/build/  ", ("sub",))
    assert p.inclusion and p.dir_only and p.is_glob
    assert p.parts == ("", "build") and p.domain == ("sub",)
    assert parse_pattern("foo\\ ").parts == ("foo\\ ",)  # escaped trailing space is kept


def test_read_patterns_skips_comments_blank_and_crlf() -> None:
    ps = read_patterns("# comment\n\n   \n*.txt\r\n!keep.txt\n")
    assert [p.text for p in ps] == ["*.txt", "!keep.txt"]


def _matcher(lines: str) -> SourceIgnore:
    return SourceIgnore(read_patterns(lines))


@pytest.mark.parametrize(
    ("lines", "path", "is_dir", "expected"),
    [
        # name-only patterns match any segment at any depth
        ("*.txt", "a/b/c.txt", False, True),
        ("*.txt", "c.txt", False, True),
        ("tmp", "a/tmp/x.yaml", False, True),  # a file below a matching directory
        # trailing slash: directories only, but files below them match
        ("tmp/", "a/tmp", False, False),
        ("tmp/", "a/tmp", True, True),
        ("tmp/", "a/tmp/x.yaml", False, True),
        # anchored patterns (containing a slash) match from the root only
        ("/a.yaml", "a.yaml", False, True),
        ("/a.yaml", "sub/a.yaml", False, False),
        ("docs/x.yaml", "docs/x.yaml", False, True),
        ("docs/x.yaml", "sub/docs/x.yaml", False, False),
        ("docs", "sub/docs/x.yaml", False, True),
        ("/docs/", "docs/x.yaml", False, True),  # below an anchored directory
        # ** forms
        ("**/secret.yaml", "secret.yaml", False, True),
        ("**/secret.yaml", "a/b/secret.yaml", False, True),
        ("a/**/b.yaml", "a/b.yaml", False, True),
        ("a/**/b.yaml", "a/x/y/b.yaml", False, True),
        ("a/**/b.yaml", "a/x", False, False),
        ("a/**", "a/x/y.yaml", False, True),
        ("a/**", "b/a/y.yaml", False, False),
        ("foo**/x", "foo1/x", False, False),  # '**' inside a segment never matches in go-git v5
        # the last matching pattern wins; '!' re-includes
        ("*.yaml\n!keep.yaml", "a/keep.yaml", False, False),
        ("*.yaml\n!keep.yaml", "a/drop.yaml", False, True),
        ("!keep.yaml\n*.yaml", "a/keep.yaml", False, True),
        # go-git (unlike git) re-includes a file inside an excluded directory
        ("build/\n!build/keep.yaml", "build/keep.yaml", False, False),
        ("build/\n!build/keep.yaml", "build/other.yaml", False, True),
    ],
)
def test_user_patterns(lines: str, path: str, is_dir: bool, expected: bool) -> None:
    assert _matcher(lines).ignored(path, is_dir) is expected


@pytest.mark.parametrize(
    ("path", "is_dir", "expected"),
    [
        (".git", True, True),
        (".git/config", False, True),
        ("sub/.gitignore", False, True),
        (".gitattributes", False, True),
        ("logo.png", False, True),
        ("a/b/photo.JPG", False, False),  # case-sensitive
        ("chart.tar.gz", False, True),
        ("archive.zip", False, True),
        (".github/workflows/ci.yaml", False, True),
        (".circleci", True, True),
        ("sub/.travis.yml", False, True),  # name-only default patterns apply at any depth
        ("cloudbuild.yaml", False, True),
        (".sops.yaml", False, True),
        ("kubernetes/.sops.yaml", False, True),
        ("a/.flux.yaml", False, True),
        ("a/.goreleaser.yml", False, True),
        ("kubernetes/apps/ks.yaml", False, False),
        (".hg/store", False, False),  # only Git's VCS files are excluded
        ("", True, False),
    ],
)
def test_default_patterns(path: str, is_dir: bool, expected: bool) -> None:
    assert SourceIgnore().ignored(path, is_dir) is expected


def test_user_patterns_replace_defaults_but_not_vcs() -> None:
    m = _matcher("*.md")
    assert m.ignored("README.md", False)
    assert not m.ignored("logo.png", False)  # defaults dropped once any user pattern exists
    assert not m.ignored(".sops.yaml", False)
    assert m.ignored(".git/HEAD", False)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_from_repo_reads_nested_sourceignore_scoped_to_subtree(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".sourceignore": "# root\n/skip/\n",
            "apps/.sourceignore": "*.secret.yaml\n",
            "apps/a.secret.yaml": "",
            "apps/a.yaml": "",
            "other/b.secret.yaml": "",
            "skip/x.yaml": "",
            "apps/skip/y.yaml": "",
            ".git/.sourceignore": "*.yaml\n",  # never read
            "photo.png": "",
        },
    )
    m = SourceIgnore.from_repo(tmp_path)
    assert [p.text for p in m.user_patterns] == ["/skip/", "*.secret.yaml"]
    assert m.ignored("apps/a.secret.yaml", False)
    assert not m.ignored("other/b.secret.yaml", False)
    assert m.ignored("skip/x.yaml", False)
    assert not m.ignored("apps/skip/y.yaml", False)  # root-anchored
    assert not m.ignored("photo.png", False)  # defaults replaced
    rels = [p.relative_to(tmp_path).as_posix() for p in walk_files(tmp_path, m)]
    assert rels == [".sourceignore", "apps/.sourceignore", "apps/a.yaml", "apps/skip/y.yaml",
                    "other/b.secret.yaml", "photo.png"]  # fmt: skip


def test_spec_ignore_has_highest_priority(tmp_path: Path) -> None:
    write(tmp_path, {".sourceignore": "!keep.yaml\n", "keep.yaml": "", "x.yaml": ""})
    m = SourceIgnore.from_repo(tmp_path, extra="*.yaml\n")
    assert m.ignored("keep.yaml", False)
    assert SourceIgnore.from_repo(tmp_path).ignored("keep.yaml", False) is False


def test_empty_sourceignore_keeps_defaults(tmp_path: Path) -> None:
    write(tmp_path, {".sourceignore": "# nothing\n\n"})
    assert SourceIgnore.from_repo(tmp_path).ignored("x.png", False)


def test_walk_yaml_files_sorted_no_symlinks_no_git(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "b/z.yaml": "",
            "b/a.yml": "",
            "a-c/x.yaml": "",
            "a/b.yaml": "",
            "notes.txt": "",
            ".git/config.yaml": "",
            ".github/workflows/ci.yaml": "",
            ".sops.yaml": "",
        },
    )
    outside = tmp_path.parent / (tmp_path.name + "-outside")
    outside.mkdir()
    (outside / "evil.yaml").write_text("")
    os.symlink(outside, tmp_path / "link")
    os.symlink(tmp_path / "b" / "z.yaml", tmp_path / "alias.yaml")
    got = [p.relative_to(tmp_path).as_posix() for p in walk_yaml_files(tmp_path)]
    # walk order is by path segments: "a/..." before "a-c/..."
    assert got == ["a/b.yaml", "a-c/x.yaml", "b/a.yml", "b/z.yaml"]


def test_walk_with_inclusions_visits_ignored_directories(tmp_path: Path) -> None:
    write(tmp_path, {"gen/a.yaml": "", "gen/b.yaml": "", ".sourceignore": "gen/\n!gen/a.yaml\n"})
    got = [p.relative_to(tmp_path).as_posix() for p in walk_yaml_files(tmp_path)]
    assert got == ["gen/a.yaml"]


ANY_DEPTH_TREE = {
    "a/.sops.yaml": "",
    "a/b/.sops.yaml": "",
    "a/keep.yaml": "",
    "x.sops.yaml/inner.yaml": "",  # a directory whose name a pattern matches: pruned with all it holds
    "deep/tmp/one.yaml": "",
    "deep/tmp": None,
    "tmp.yaml": "",
    "c/secret-db.yaml": "",
    "c/d/secret-app.yml": "",
    "c/d/public.yaml": "",
    "sub/gen/z.yaml": "",
    "sub/keep.yaml": "",
}


@pytest.mark.parametrize(
    "ignores",
    [
        {".sourceignore": "**/.sops.yaml\n**/x.sops.yaml\n"},
        {".sourceignore": "**/tmp/\n**/secret-*.y*ml\n"},
        {".sourceignore": "**/tmp\n**/[sg][ee][cn]*\n"},
        {"sub/.sourceignore": "**/gen/\n", "c/.sourceignore": "**/secret-app.yml\n"},  # scoped to a subtree
    ],
)
def test_a_pruned_walk_reads_any_depth_patterns_as_the_matcher_does(
    tmp_path: Path, ignores: dict[str, str]
) -> None:
    # ``**/NAME`` patterns take the name-only fast path of a walk without inclusions; every file kept or
    # left out must be what matching each path (and each of its directories) on its own decides
    tree = {k: v for k, v in ANY_DEPTH_TREE.items() if v is not None}
    write(tmp_path, {**tree, **ignores})
    matcher = SourceIgnore.from_repo(tmp_path)
    assert not matcher.has_inclusions
    expected = []
    for rel in sorted({*tree, *ignores}, key=lambda r: r.split("/")):
        parts = rel.split("/")
        dirs_out = any(matcher.match_parts(parts[:i], True) for i in range(1, len(parts)))
        if not dirs_out and not matcher.match_parts(parts, False):
            expected.append(rel)
    got = [p.relative_to(tmp_path).as_posix() for p in walk_files(tmp_path, matcher)]
    assert got == expected
    assert not set(tree) <= set(expected)  # the patterns do leave files out


def test_a_symlinked_sourceignore_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("*.yaml\n")
    (tmp_path / ".sourceignore").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "a.yaml").write_text("kind: A\n")
    assert SourceIgnore.from_repo(tmp_path).user_patterns == ()
    assert [p.name for p in walk_yaml_files(tmp_path)] == ["a.yaml"]


def test_the_walk_reuses_the_listings_of_from_repo_once(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "a.yaml").write_text("kind: A\n")
    matcher = SourceIgnore.from_repo(tmp_path)
    (tmp_path / "app" / "b.yaml").write_text("kind: B\n")  # after from_repo listed the directory
    first = [p.name for p in walk_yaml_files(tmp_path, matcher)]
    assert first == ["a.yaml"]  # the walk saw the listing from_repo made
    assert [p.name for p in walk_yaml_files(tmp_path, matcher)] == ["a.yaml", "b.yaml"]  # listed again
    assert [p.name for p in walk_yaml_files(tmp_path / "app", SourceIgnore.from_repo(tmp_path))] == [
        "a.yaml",
        "b.yaml",
    ]  # another root: its own listing
