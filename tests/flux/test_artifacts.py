"""ArtifactGenerator (source-watcher v2.0.3, Flux 2.7): parsing, copy semantics, materialize.

Doc references are to fluxcd/source-watcher v2.0.3 docs/spec/v1beta1/artifactgenerators.md ("spec") and
internal/builder/builder.go / builder_test.go ("builder")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from homeops.errors import BuildError
from homeops.flux.artifacts import (
    ArtifactSpec,
    CopyOp,
    SourceTree,
    artifact_conflicts,
    find_artifact,
    materialize,
    parse_generator,
    parse_generators,
    plan_artifact,
)
from homeops.flux.sourceignore import SourceIgnore
from homeops.yaml.loader import load_documents, load_file
from homeops.yaml.nodes import YMap

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "fluxrepos" / "artifacts"

TREE = {
    "config.yaml": "kind: A\n",
    "configs/a.yaml": "kind: CA\n",
    "configs/b.yaml": "kind: CB\n",
    "configs/notes.md": "notes\n",
    "configs/sub/c.yaml": "kind: CC\n",
    "configs/sub/readme.md": "readme\n",
    "configs/testdata/t.yaml": "kind: T\n",
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def spec(*ops: CopyOp, aliases: tuple[str, ...] = ("src",)) -> ArtifactSpec:
    return ArtifactSpec("test", ops, aliases=frozenset(aliases))


def op(src: str, to: str, *exclude: str, strategy: str = "Overwrite") -> CopyOp:
    return CopyOp(src, to, tuple(exclude), strategy)


SUB = ["sub/c.yaml", "sub/readme.md", "testdata/t.yaml"]

COPY_RULES = [
    # spec "Copy Operations": "Copy file to specific path" (cp source/config.yaml artifact/apps/app.yaml)
    ("@src/config.yaml", "@artifact/apps/app.yaml", (), ["apps/app.yaml"]),
    # spec "Copy Operations": "Copy file to directory" (trailing slash: dest/<file name>)
    ("@src/config.yaml", "@artifact/apps/", (), ["apps/config.yaml"]),
    # builder_test "build artifact with single file copy": "@artifact/" is the artifact root
    ("@src/config.yaml", "@artifact/", (), ["config.yaml"]),
    # builder_test "build artifact with glob patterns": a top-level glob, files under "to"
    ("@src/*.yaml", "@artifact/manifests/", (), ["manifests/config.yaml"]),
    # spec "Copy files to directory" (configs/*.yaml): builder.go calculateGlobDestination keeps the full
    # match path for every glob not ending in /** ("preserve the full match path"), unlike the doc's comment
    ("@src/configs/*.yaml", "@artifact/apps/", (), ["apps/configs/a.yaml", "apps/configs/b.yaml"]),
    # spec "Copy dir and files recursively" (@source/configs/): the directory keeps its name
    (
        "@src/configs/",
        "@artifact/apps/",
        (),
        [f"apps/configs/{p}" for p in ["a.yaml", "b.yaml", "notes.md", *SUB]],
    ),
    # builder_test "directory copy without trailing slash creates subdirectory"
    (
        "@src/configs",
        "@artifact/apps",
        (),
        [f"apps/configs/{p}" for p in ["a.yaml", "b.yaml", "notes.md", *SUB]],
    ),
    # spec "Copy files and dirs recursively" (@source/configs/**): the configs/ prefix is stripped
    ("@src/configs/**", "@artifact/apps/", (), [f"apps/{p}" for p in ["a.yaml", "b.yaml", "notes.md", *SUB]]),
    # spec "Helm Chart Composition" (@chart/ -> @artifact/): the whole source at the artifact root
    (
        "@src/",
        "@artifact/",
        (),
        ["config.yaml", *(f"configs/{p}" for p in ["a.yaml", "b.yaml", "notes.md", *SUB])],
    ),
    # spec "Copy files and dirs recursively" exclude example; in v2.0.x (builder.go shouldExclude) a glob
    # match is tested by its source-root path ("configs/notes.md" does not match "*.md", fixed only in
    # source-watcher v2.2 #334), files inside a matched directory by their path relative to it
    (
        "@src/configs/**",
        "@artifact/",
        ("*.md", "**/testdata/**"),
        ["a.yaml", "b.yaml", "notes.md", "sub/c.yaml"],
    ),
    # builder_test "exclude single file extension": at the source root the two paths coincide
    ("@src/**", "@artifact/", ("configs",), ["config.yaml"]),
    # builder_test "exclude with glob patterns": a glob match excluded by name
    ("@src/configs/*.yaml", "@artifact/", ("configs/b.yaml",), ["configs/a.yaml"]),
    # builder_test "exclude single file copy": the file is silently skipped
    ("@src/config.yaml", "@artifact/x.yaml", ("config.yaml",), []),
    # builder.go uses io/fs.Glob: "**" is a single "*", so this reaches one level below configs only
    ("@src/configs/**/*.yaml", "@artifact/", (), ["configs/sub/c.yaml", "configs/testdata/t.yaml"]),
    # builder.go calculateGlobDestination: a glob not ending in /** keeps the matched directory's path
    ("@src/configs/s*", "@artifact/out/", (), ["out/configs/sub/c.yaml", "out/configs/sub/readme.md"]),
]


@pytest.mark.parametrize(("src", "to", "exclude", "expected"), COPY_RULES)
def test_copy_rules(tmp_path: Path, src: str, to: str, exclude: tuple[str, ...], expected: list[str]) -> None:
    root = write_tree(tmp_path / "src", TREE)
    plan = plan_artifact(spec(op(src, to, *exclude)), {"src": root})
    assert plan.problems == []
    assert plan.paths == sorted(expected)
    for rel, source in plan.files.items():
        assert source.is_relative_to(root)
        assert source.read_text() == (root / source.relative_to(root)).read_text()
        assert rel.endswith(source.name) or rel in ("apps/app.yaml", "x.yaml")


def test_later_copies_overwrite_earlier(tmp_path: Path) -> None:
    # spec "Copy Operations": "later operations can overwrite files from earlier ones";
    # builder_test "copy operations overwrite entire subdirectories" (files only the first has remain)
    one = write_tree(tmp_path / "one", {"config/app.yaml": "one\n", "config/db.yaml": "one\n"})
    two = write_tree(tmp_path / "two", {"config/app.yaml": "two\n", "config/net.yaml": "two\n"})
    s = spec(op("@one/**", "@artifact/"), op("@two/**", "@artifact/"), aliases=("one", "two"))
    plan = plan_artifact(s, {"one": one, "two": two})
    assert plan.files == {
        "config/app.yaml": two / "config/app.yaml",
        "config/db.yaml": one / "config/db.yaml",
        "config/net.yaml": two / "config/net.yaml",
    }
    reverse = spec(op("@two/**", "@artifact/"), op("@one/**", "@artifact/"), aliases=("one", "two"))
    assert (
        plan_artifact(reverse, {"one": one, "two": two}).files["config/app.yaml"] == one / "config/app.yaml"
    )


def test_file_into_staged_directory(tmp_path: Path) -> None:
    # builder_test "file copy should detect when destination is a directory": no trailing slash, but
    # "subdir" already exists in the artifact, so the file goes inside it
    root = write_tree(tmp_path / "s", {"file1.txt": "1", "subdir/file2.txt": "2"})
    plan = plan_artifact(
        spec(op("@src/subdir/", "@artifact/"), op("@src/file1.txt", "@artifact/subdir")), {"src": root}
    )
    assert plan.paths == ["subdir/file1.txt", "subdir/file2.txt"]
    # and without the directory the same copy names a file
    plan = plan_artifact(spec(op("@src/file1.txt", "@artifact/subdir")), {"src": root})
    assert plan.paths == ["subdir"]


def test_file_over_directory_fails(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "s", {"a/x.yaml": "x", "b.yaml": "b"})
    plan = plan_artifact(
        spec(op("@src/a/", "@artifact/"), op("@src/*.yaml", "@artifact/a/x.yaml/")), {"src": root}
    )
    assert plan.paths == ["a/x.yaml"]
    assert len(plan.problems) == 1
    assert "not a directory" in plan.problems[0].message


def test_unknown_alias_and_missing_source(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "s", {"a.yaml": "a"})
    s = spec(
        op("@nope/a.yaml", "@artifact/"),
        op("@remote/x", "@artifact/"),
        op("@src/a.yaml", "@artifact/"),
        aliases=("src", "remote"),
    )
    plan = plan_artifact(s, {"src": root})
    # builder.go: "source alias 'missing' not found" (an alias the generator does not declare)
    assert [p.message.rsplit(": ", 1)[-1] for p in plan.problems] == ["source alias 'nope' not found"]
    # declared, but not a directory the caller has: skipped and reported, not an error
    assert plan.missing_aliases == ("remote",)
    assert plan.paths == ["a.yaml"]
    assert not plan.complete


@pytest.mark.parametrize(
    ("src", "exclude", "message"),
    [
        # builder_test "error when glob pattern matches no files"
        ("@src/*.json", (), "no files match pattern '*.json' in source 'src'"),
        # builder_test "all files excluded - error"
        ("@src/*.yaml", ("*.yaml",), "all files matching pattern '*.yaml' in source 'src' were excluded"),
        # builder_test "error when source file does not exist"
        ("@src/nothing.yaml", (), "source 'nothing.yaml' does not exist"),
        # builder_test "error when invalid glob pattern is used"
        ("@src/[", (), "invalid glob pattern '[': syntax error in pattern"),
        # builder_test "invalid exclude - error"
        ("@src/*.yaml", ("[*.md",), "invalid exclude pattern '[*.md'"),
    ],
)
def test_copy_errors(tmp_path: Path, src: str, exclude: tuple[str, ...], message: str) -> None:
    root = write_tree(tmp_path / "s", {"a.yaml": "a"})
    plan = plan_artifact(spec(op(src, "@artifact/", *exclude)), {"src": root})
    assert len(plan.problems) == 1
    assert plan.problems[0].message.endswith(message)
    assert plan.paths == []


@pytest.mark.parametrize(
    ("src", "to"),
    [
        ("@src/../outside.yaml", "@artifact/"),
        ("@src/a/../../outside.yaml", "@artifact/"),
        ("@src//etc/passwd", "@artifact/"),
        ("@src/../*", "@artifact/"),
        ("@src/a.yaml", "@artifact/../up.yaml"),
        ("@src/a.yaml", "@artifact//abs/"),
        ("@src/*.yaml", "@artifact/../../x/"),
    ],
)
def test_paths_out_of_roots_refused(tmp_path: Path, src: str, to: str) -> None:
    root = write_tree(tmp_path / "repo" / "s", {"a.yaml": "a"})
    (tmp_path / "repo" / "outside.yaml").write_text("secret")
    plan = plan_artifact(spec(op(src, to)), {"src": root})
    assert len(plan.problems) == 1
    assert plan.files == {}


def test_dotdot_inside_the_source_is_cleaned(tmp_path: Path) -> None:
    # builder.go applySingleSourceCopy: filepath.Clean first, os.Root only refuses escaping paths
    root = write_tree(tmp_path / "s", {"a/x.yaml": "x", "b.yaml": "b"})
    plan = plan_artifact(spec(op("@src/a/../b.yaml", "@artifact/")), {"src": root})
    assert plan.problems == []
    assert plan.files == {"b.yaml": root / "b.yaml"}


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret.yaml": "secret", "dir/s.yaml": "s"})
    root = write_tree(tmp_path / "s", {"ok.yaml": "ok", "d/in.yaml": "in"})
    (root / "escape.yaml").symlink_to(outside / "secret.yaml")
    (root / "escape-dir").symlink_to(outside / "dir", target_is_directory=True)
    (root / "d" / "inside.yaml").symlink_to(root / "ok.yaml")
    plan = plan_artifact(spec(op("@src/**", "@artifact/")), {"src": root})
    assert plan.paths == ["d/in.yaml", "ok.yaml"]
    assert all(p.is_relative_to(root) and not p.is_symlink() for p in plan.files.values())
    plan = plan_artifact(spec(op("@src/escape.yaml", "@artifact/")), {"src": root})
    assert [p.message.rsplit(": ", 1)[-1] for p in plan.problems] == ["source 'escape.yaml' does not exist"]


def test_source_ignore_and_archive_filter(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "s",
        {
            "a.yaml": "a",
            "skip/x.yaml": "x",
            ".sops.yaml": "creation_rules: []",
            "logo.png": "png",
            "b.yaml": "b",
        },
    )
    (root / ".sourceignore").write_text("skip/\nb.yaml\n")
    plan = plan_artifact(
        spec(op("@src/**", "@artifact/")), {"src": root}, ignores={"src": SourceIgnore.from_repo(root)}
    )
    # .sourceignore replaces the default patterns for the GitRepository artifact, but source-watcher's
    # archive (SourceIgnoreFilter(nil, nil)) drops the default ones (.sops.yaml, *.png) from the output
    assert plan.paths == [".sourceignore", "a.yaml"]
    assert plan.ignored == (".sops.yaml", "logo.png")
    tree = SourceTree.scan(root, SourceIgnore.from_repo(root))
    assert "skip" not in tree.children and "b.yaml" not in tree.files


def test_merge_strategy(tmp_path: Path) -> None:
    # spec "Copy Strategies": Merge deep-merges YAML maps and replaces arrays
    chart = write_tree(
        tmp_path / "chart",
        {
            "podinfo/Chart.yaml": "name: podinfo\n",
            "podinfo/values.yaml": "a: 1\nm: {p: 1, q: 2}\nl: [1, 2]\n",
        },
    )
    repo = write_tree(tmp_path / "repo", {"values-prod.yaml": "m: {q: 3}\nl: [9]\n---\nz: true\n"})
    s = spec(
        op("@chart/", "@artifact/"),
        op("@repo/values-prod.yaml", "@artifact/podinfo/values.yaml", strategy="Merge"),
        aliases=("chart", "repo"),
    )
    plan = plan_artifact(s, {"chart": chart, "repo": repo})
    assert plan.problems == []
    assert plan.files == {"podinfo/Chart.yaml": chart / "podinfo/Chart.yaml"}
    assert plan.merges == {"podinfo/values.yaml": (chart / "podinfo/values.yaml", repo / "values-prod.yaml")}
    out = materialize(plan, tmp_path / "out")
    assert out == {tmp_path / "out/podinfo/Chart.yaml": chart / "podinfo/Chart.yaml"}
    merged = (tmp_path / "out/podinfo/values.yaml").read_text()
    assert merged == "a: 1\nl:\n- 9\nm:\n  p: 1\n  q: 3\nz: true\n"
    # Merge onto nothing is a plain copy; a file inside a copied directory is never merged
    s2 = spec(op("@repo/values-prod.yaml", "@artifact/v.yaml", strategy="Merge"), aliases=("repo",))
    assert plan_artifact(s2, {"repo": repo}).files == {"v.yaml": repo / "values-prod.yaml"}
    s3 = spec(
        op("@chart/", "@artifact/"), op("@chart/podinfo", "@artifact/", strategy="Merge"), aliases=("chart",)
    )
    assert plan_artifact(s3, {"chart": chart}).merges == {}


def test_merge_of_non_yaml_fails(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "s", {"base.yaml": "a: 1\n", "list.yaml": "- 1\n"})
    s = spec(
        op("@src/base.yaml", "@artifact/v.yaml"), op("@src/list.yaml", "@artifact/v.yaml", strategy="Merge")
    )
    plan = plan_artifact(s, {"src": root})
    assert len(plan.problems) == 1 and "cannot unmarshal" in plan.problems[0].message
    assert plan.files == {"v.yaml": root / "base.yaml"}


def test_materialize_maps_back(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "s", TREE)
    plan = plan_artifact(
        spec(op("@src/configs/**", "@artifact/apps/"), op("@src/config.yaml", "@artifact/apps/a.yaml")),
        {"src": root},
    )
    dest = tmp_path / "artifact"
    mapping = materialize(plan, dest)
    on_disk = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert on_disk == plan.paths
    assert mapping[dest / "apps/a.yaml"] == root / "config.yaml"
    assert mapping[dest / "apps/sub/c.yaml"] == root / "configs/sub/c.yaml"
    for target, source in mapping.items():
        assert target.read_bytes() == source.read_bytes()
    with pytest.raises(BuildError):
        materialize(plan, dest)


def _generator(text: str, file: str = "/repo/clusters/prod/artifacts.yaml") -> YMap:
    doc = load_documents(text, file)[0]
    assert isinstance(doc, YMap)
    return doc


GEN = """\
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: gen
spec:
  sources:
    - alias: repo
      kind: GitRepository
      name: flux-system
    - alias: repo
      kind: HelmChart
      name: Bad_Name
    - alias: chart
      kind: OCIRepository
      name: chart
      namespace: charts
  artifacts:
    - name: one
      revision: "@nope"
      originRevision: "@repo"
      copy:
        - from: "@repo/a/**"
          to: "@artifact/"
        - from: "@ghost/x"
          to: "artifact/"
          strategy: Replace
    - name: one
      copy:
        - from: "@chart/"
          to: "@artifact/"
"""


def test_parse_generator_problems_with_locations() -> None:
    gen = parse_generator(_generator(GEN))
    assert (gen.namespace, gen.name) == ("default", "gen")
    assert list(gen.sources) == ["repo", "chart"]
    assert gen.sources["repo"].namespace == "default"
    assert gen.sources["chart"].namespace == "charts"
    assert [a.name for a in gen.artifacts] == ["one"]
    one = gen.artifacts[0]
    assert one.origin_revision == "@repo" and one.aliases == frozenset({"repo", "chart"})
    first = gen.problems[0]
    assert first.location is not None and first.location.line == 3  # the metadata key
    assert first.message == (
        "metadata.namespace is not set: kustomize-controller refuses to apply it (namespace not specified); "
        "assuming 'default'"
    )
    messages = [p.message for p in gen.problems]
    assert "source name 'Bad_Name' does not match ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$" in messages
    assert "source kind 'HelmChart' is not one of Bucket, GitRepository, OCIRepository" in messages
    assert "duplicate source alias 'repo' found" in messages
    assert "artifact one revision source alias 'nope' not found" in messages
    assert "to 'artifact/' does not match ^@(artifact)/(.*)$" in messages
    assert "strategy 'Replace' is not one of Overwrite, Merge" in messages
    assert "source alias 'ghost' not found" in messages
    assert "duplicate artifact name 'one' found" in messages
    by_message = {p.message: p.location for p in gen.problems}
    loc = by_message["duplicate source alias 'repo' found"]
    assert loc is not None and (loc.file, loc.line) == ("/repo/clusters/prod/artifacts.yaml", 10)
    loc = by_message["source alias 'ghost' not found"]
    assert loc is not None and loc.line == 24
    assert parse_generator(_generator(GEN), namespace="apps").namespace == "apps"


def test_fixture_repository(tmp_path: Path) -> None:
    gens = {}
    for env in ("production", "staging"):
        docs = load_file(FIXTURE / "clusters" / env / "artifacts.yaml", f"clusters/{env}/artifacts.yaml")
        (gen,) = parse_generators(docs)
        assert gen.problems == ()
        gens[env] = gen
        assert (gen.namespace, gen.name) == ("flux-system", "flux-system")
        assert gen.sources["monorepo"].kind == "GitRepository"
        found = find_artifact([gen], "apps", "flux-system")
        assert found is not None and found[0] is gen
        assert find_artifact([gen], "apps", "default") is None
        tree = SourceTree.scan(FIXTURE, SourceIgnore.from_repo(FIXTURE))
        apps = plan_artifact(found[1], {"monorepo": tree})
        assert apps.complete
        assert apps.paths == [
            "base/podinfo/kustomization.yaml",
            "base/podinfo/namespace.yaml",
            "base/podinfo/release.yaml",
            "base/podinfo/repository.yaml",
            f"{env}/kustomization.yaml",
            f"{env}/podinfo-values.yaml",
        ]
        infra = plan_artifact(gen.artifacts[0], {"monorepo": FIXTURE})
        assert infra.paths == [
            "configs/cluster-issuer.yaml",
            "configs/kustomization.yaml",
            "controllers/cert-manager.yaml",
            "controllers/kustomization.yaml",
        ]
        assert (
            infra.files["configs/kustomization.yaml"] == FIXTURE / "infrastructure/configs/kustomization.yaml"
        )
    # the same generator name in each cluster: one per cluster, so no conflict within one cluster
    assert artifact_conflicts([gens["production"]]) == []
    assert len(artifact_conflicts(list(gens.values()))) == 2


def test_os_link_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "s", {"a.yaml": "a"})
    plan = plan_artifact(spec(op("@src/a.yaml", "@artifact/")), {"src": root})

    def no_link(src: object, dst: object) -> None:
        raise OSError("cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    mapping = materialize(plan, tmp_path / "out")
    assert (tmp_path / "out/a.yaml").read_text() == "a"
    assert (tmp_path / "out/a.yaml").stat().st_ino != (root / "a.yaml").stat().st_ino
    assert mapping == {tmp_path / "out/a.yaml": root / "a.yaml"}
