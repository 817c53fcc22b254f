"""configMapGenerator / secretGenerator: sources, options, behavior and errors, as kustomize v5.7.1 does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homeops.errors import BuildError
from homeops.kustomize import generators, hashing
from homeops.kustomize.context import KContext
from homeops.kustomize.envfile import go_path_base, parse_env_file, parse_file_source, parse_literal
from homeops.kustomize.files import FileLoader
from homeops.kustomize.generators import GenOptions, merge_options, run_generators
from homeops.kustomize.resource import ResId, ResMap, Resource
from homeops.kustomize.tconfig import TransformerConfig
from homeops.yaml.loader import load_documents
from homeops.yaml.nodes import YMap, from_plain, to_plain

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kustomize"


def _ctx(tmp_path: Path, kustomization: str, files: dict[str, str | bytes] | None = None) -> KContext:
    for name, content in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    (tmp_path / "kustomization.yaml").write_text(kustomization, encoding="utf-8")
    doc = load_documents(kustomization.encode(), "kustomization.yaml")[0]
    assert isinstance(doc, YMap)
    loader = FileLoader(tmp_path, cwd=tmp_path)
    return KContext(loader, tmp_path.resolve(), "kustomization.yaml", TransformerConfig(), doc)


def _run(tmp_path: Path, kustomization: str, files: dict[str, str | bytes] | None = None) -> list[Resource]:
    ctx = _ctx(tmp_path, kustomization, files)
    resmap = ResMap()
    run_generators(resmap, ctx.kustomization, ctx)
    return resmap.resources()


def _error(tmp_path: Path, kustomization: str, files: dict[str, str | bytes] | None = None) -> BuildError:
    with pytest.raises(BuildError) as info:
        _run(tmp_path, kustomization, files)
    return info.value


# -- sources -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a=b", ("a", "b")),
        ('a="quoted"', ("a", "quoted")),
        ("a='single'", ("a", "single")),
        ("a=\"mismatch'", ("a", "\"mismatch'")),
        ('a="', ("a", '"')),
        ('a=""', ("a", "")),
        ('a=x"y"', ("a", 'x"y"')),
        ("a=", ("a", "")),
        ("a=x=y", ("a", "x=y")),
        ("a b=c", ("a b", "c")),
    ],
)
def test_parse_literal(source: str, expected: tuple[str, str]) -> None:
    assert parse_literal(source) == expected


@pytest.mark.parametrize("source", ["noequals", "=value", ""])
def test_parse_literal_errors(source: str) -> None:
    with pytest.raises(ValueError, match=f"invalid literal source {source}, expected key=value"):
        parse_literal(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("app.yaml", ("app.yaml", "app.yaml")),
        ("./resources/app.yaml", ("app.yaml", "./resources/app.yaml")),
        ("config.yaml=./resources/app.yaml", ("config.yaml", "./resources/app.yaml")),
        ("k=https://x/?a=b", ("k", "https://x/?a=b")),
        ("a&b.txt", ("a&b.txt", "a&b.txt")),
    ],
)
def test_parse_file_source(source: str, expected: tuple[str, str]) -> None:
    assert parse_file_source(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("=a.txt", 'missing key name for file path "a.txt" in source "=a.txt"'),
        ("k=", 'missing file path for key name "k" in source "k="'),
        ("k=a=b", "source \"k=a=b\" key name or file path contains '='"),
    ],
)
def test_parse_file_source_errors(source: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_file_source(source)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("path", "base"), [("a/b.txt", "b.txt"), ("dir/", "dir"), ("", "."), ("/", "/"), ("x", "x")]
)
def test_go_path_base(path: str, base: str) -> None:
    assert go_path_base(path) == base


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"A=1\nB=2\n", [("A", "1"), ("B", "2")]),
        (b"\xef\xbb\xbfA=1\r\nB=2 \r\n", [("A", "1"), ("B", "2 ")]),
        (b"# comment\n\n   \t# indented\n  K=v\n", [("K", "v")]),
        (b"Q=\"kept\"\nS='kept'\n", [("Q", '"kept"'), ("S", "'kept'")]),
        (b"export X=1\nSP = x\n", [("export X", "1"), ("SP ", " x")]),
        (b"NOVALUE\n=skipped\nLAST=x", [("NOVALUE", ""), ("LAST", "x")]),
        ("\u00a0\u2003K=v\n\x1cX=1\n".encode(), [("K", "v"), ("\x1cX", "1")]),
        (b"A=1\nA=2\n", [("A", "1"), ("A", "2")]),
        (b"A=1\nB=" + b"x" * 70000 + b"\nC=3\n", [("A", "1")]),
        (b"A=1\n\xef\xbb\xbfB=2\n", [("A", "1"), ("\ufeffB", "2")]),
        (b"", []),
    ],
)
def test_parse_env_file(content: bytes, expected: list[tuple[str, str]]) -> None:
    assert parse_env_file(content) == expected


def test_parse_env_file_rejects_invalid_utf8() -> None:
    with pytest.raises(ValueError, match=r"line \[65 61 255\] has invalid utf8 bytes : A=\ufffd"):
        parse_env_file(b"OK=1\nA=\xff\n")


# -- generated objects ---------------------------------------------------------------------------------------


def test_configmap_and_secret_layout(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        'configMapGenerator:\n- name: cm\n  namespace: apps\n  literals: [b=2, a="1"]\n'
        "- name: empty\n"
        "secretGenerator:\n- name: s\n  type: kubernetes.io/tls\n  literals: [tls.crt=abc]\n- name: none\n",
    )
    assert [to_plain(r.obj) for r in out] == [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "apps"},
            "data": {"a": "1", "b": "2"},
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "empty"}},
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "YWJj"},
        },
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "none"}, "type": "Opaque", "data": {}},
    ]
    assert all(r.needs_hash and r.behavior == "create" for r in out)
    assert list(out[0].obj["data"]) == ["a", "b"]
    assert out[0].origin is not None and out[0].origin.line == 2


def test_files_with_keys_and_binary_content(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "resources/app.yaml": "a: 1\n",
        "sub/run.sh": "#!/bin/sh\n",
        "logo.png": b"\x89PNG\xff",
    }
    out = _run(
        tmp_path,
        "configMapGenerator:\n- name: c\n  files: [app.yaml=./resources/app.yaml, sub/run.sh, logo.png]\n"
        "secretGenerator:\n- name: s\n  files: [logo.png, resources/app.yaml]\n",
        files,
    )
    cm, secret = (to_plain(r.obj) for r in out)
    assert cm["data"] == {"app.yaml": "a: 1\n", "run.sh": "#!/bin/sh\n"}
    assert cm["binaryData"] == {"logo.png": "iVBOR/8="}
    assert secret["data"] == {"app.yaml": "YTogMQo=", "logo.png": "iVBOR/8="}


def test_binary_only_configmap_has_no_data(tmp_path: Path) -> None:
    (cm,) = _run(tmp_path, "configMapGenerator:\n- name: x\n  files: [b.bin]\n", {"b.bin": b"\xff\xfe"})
    assert to_plain(cm.obj) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x"},
        "binaryData": {"b.bin": "//4="},
    }


def test_envs_and_deprecated_env(tmp_path: Path) -> None:
    (cm,) = _run(
        tmp_path,
        "configMapGenerator:\n- name: x\n  envs: [a.env]\n  env: b.env\n  literals: [L=1]\n",
        {"a.env": "A=1\n", "b.env": "B=2\n"},
    )
    assert cm.obj["data"] == {"A": "1", "B": "2", "L": "1"}


# -- options -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "global_", "expected"),
    [
        (None, None, None),
        (GenOptions(labels={"a": "1"}), None, GenOptions(labels={"a": "1"})),
        (None, GenOptions(labels={"g": "1"}, immutable=True), GenOptions(labels={"g": "1"}, immutable=True)),
        (
            GenOptions(labels={"shared": "local"}, annotations={"x": "1"}),
            GenOptions(labels={"shared": "global", "g": "1"}, annotations={"y": "2"}),
            GenOptions(labels={"shared": "local", "g": "1"}, annotations={"x": "1", "y": "2"}),
        ),
        (
            GenOptions(disable_name_suffix_hash=False, immutable=False),
            GenOptions(disable_name_suffix_hash=True, immutable=True),
            GenOptions(disable_name_suffix_hash=True, immutable=True),
        ),
        (
            GenOptions(disable_name_suffix_hash=True, immutable=True),
            GenOptions(),
            GenOptions(disable_name_suffix_hash=True, immutable=True),
        ),
    ],
)
def test_merge_options(
    local: GenOptions | None, global_: GenOptions | None, expected: GenOptions | None
) -> None:
    assert merge_options(local, global_) == expected


def test_options_are_applied(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "generatorOptions:\n  disableNameSuffixHash: true\n"
        "  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}\n"
        "configMapGenerator:\n- name: a\n  literals: [k=v]\n  options:\n    labels: {loki_rule: 'true'}\n"
        "    immutable: true\n"
        "secretGenerator:\n- name: s\n  literals: [k=v]\n  options: {immutable: true}\n",
    )
    cm, secret = out
    assert to_plain(cm.obj) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "a",
            "labels": {"loki_rule": "true"},
            "annotations": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"},
        },
        "data": {"k": "v"},
        "immutable": True,
    }
    assert secret.obj["immutable"] is True
    assert not cm.needs_hash and not secret.needs_hash


# -- behavior ----------------------------------------------------------------------------------------------


def _existing(obj: dict[str, Any], prev: list[ResId] | None = None, needs_hash: bool = False) -> Resource:
    res = Resource(from_plain(obj))
    res.prev_ids = list(prev or [])
    res.needs_hash = needs_hash
    return res


def test_merge_into_renamed_base_object(tmp_path: Path) -> None:
    base = _existing(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "p-app", "namespace": "apps", "labels": {"keep": "base", "tier": "base"}},
            "data": {"a": "1", "b": "2", "port": 8080, "nil": None},
            "binaryData": {"blob": "AAEC"},
            "immutable": True,
        },
        prev=[ResId("", "v1", "ConfigMap", "app"), ResId("", "v1", "ConfigMap", "app", "apps")],
        needs_hash=True,
    )
    ctx = _ctx(
        tmp_path,
        "configMapGenerator:\n- name: app\n  behavior: merge\n  literals: [b=3, c=4]\n"
        "  options: {labels: {tier: overlay}}\n",
    )
    resmap = ResMap([base])
    run_generators(resmap, ctx.kustomization, ctx)
    (merged,) = resmap.resources()
    assert merged is not base
    assert to_plain(merged.obj) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "p-app", "labels": {"keep": "base", "tier": "overlay"}, "namespace": "apps"},
        "data": {"a": "1", "b": "3", "c": "4", "nil": "", "port": "8080"},
        "binaryData": {"blob": "AAEC"},
    }
    assert merged.prev_ids == base.prev_ids
    assert merged.needs_hash


@pytest.mark.parametrize(
    ("old_hash", "disable_new", "expected"),
    [(True, False, True), (True, True, False), (False, False, False), (False, True, False)],
)
def test_hash_after_merge_needs_both(
    tmp_path: Path, old_hash: bool, disable_new: bool, expected: bool
) -> None:
    base = _existing(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1"}},
        needs_hash=old_hash,
    )
    opts = "\n  options: {disableNameSuffixHash: true}" if disable_new else ""
    ctx = _ctx(tmp_path, f"configMapGenerator:\n- name: x\n  behavior: replace\n  literals: [b=1]{opts}\n")
    resmap = ResMap([base])
    run_generators(resmap, ctx.kustomization, ctx)
    (res,) = resmap.resources()
    assert res.needs_hash is expected
    assert res.obj["data"] == {"b": "1"}


def test_replace_keeps_position_and_takes_new_type(tmp_path: Path) -> None:
    first = _existing({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "first"}})
    secret = _existing(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "creds", "annotations": {"note": "old"}},
            "type": "kubernetes.io/tls",
            "data": {"old": "eA=="},
        }
    )
    ctx = _ctx(tmp_path, "secretGenerator:\n- name: creds\n  behavior: replace\n  literals: [new=1]\n")
    resmap = ResMap([first, secret])
    run_generators(resmap, ctx.kustomization, ctx)
    assert [r.name for r in resmap] == ["first", "creds"]
    replaced = resmap.resources()[1]
    assert to_plain(replaced.obj) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds", "annotations": {"note": "old"}},
        "type": "Opaque",
        "data": {"new": "MQ=="},
    }


def test_namespace_default_matches_and_is_dropped(tmp_path: Path) -> None:
    base = _existing({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"k": "v"}})
    ctx = _ctx(tmp_path, "configMapGenerator:\n- name: x\n  namespace: default\n  behavior: merge\n")
    resmap = ResMap([base])
    run_generators(resmap, ctx.kustomization, ctx)
    assert to_plain(resmap.resources()[0].obj["metadata"]) == {"name": "x"}


def test_generator_can_replace_an_earlier_generator(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        "configMapGenerator:\n- name: y\n  literals: [a=1]\n"
        "- name: y\n  behavior: replace\n  literals: [c=1]\n",
    )
    assert len(out) == 1 and out[0].obj["data"] == {"c": "1"}


# -- errors ------------------------------------------------------------------------------------------------


def test_error_missing_file(tmp_path: Path) -> None:
    err = _error(tmp_path, "configMapGenerator:\n- name: x\n  files:\n  - config/missing.yaml\n")
    assert err.message.startswith("loading KV pairs: file sources: [config/missing.yaml]: file not found: ")
    assert "config/missing.yaml" in err.message
    assert err.location is not None and (err.location.line, err.location.column) == (4, 5)


def test_error_directory_as_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    err = _error(tmp_path, "configMapGenerator:\n- name: x\n  files: [d]\n")
    assert err.message == "loading KV pairs: file sources: [d]: read d: is a directory"


def test_error_file_outside_root(tmp_path: Path) -> None:
    err = _error(tmp_path, "configMapGenerator:\n- name: x\n  files: [../../etc/passwd]\n")
    assert "outside the repository root" in err.message


@pytest.mark.parametrize(
    ("kustomization", "files", "message", "line"),
    [
        (
            "configMapGenerator:\n- name: dup\n  literals: [key=one]\n  files: [key=v.txt]\n",
            {"v.txt": "two"},
            "configmap dup illegally repeats the key `key`",
            4,
        ),
        (
            "secretGenerator:\n- name: s\n  literals:\n  - a=1\n  - a=2\n",
            {},
            "configmap s illegally repeats the key `a`",
            5,
        ),
        (
            "configMapGenerator:\n- name: e\n  envs: [e.env]\n",
            {"e.env": "A=1\nA=2\n"},
            "illegally repeats the key `A`",
            3,
        ),
        (
            "configMapGenerator:\n- name: x\n  behavior: merge\n  literals: [a=1]\n",
            {},
            "id ConfigMap v1 x does not exist; cannot merge or replace",
            2,
        ),
        (
            "configMapGenerator:\n- name: x\n  literals: [a=1]\n- name: x\n  literals: [b=1]\n",
            {},
            "id ConfigMap v1 x exists; behavior must be merge or replace",
            4,
        ),
        ("configMapGenerator:\n- literals: [a=1]\n", {}, "a configmap must have a name", 2),
        ("secretGenerator:\n- {literals: [a=1]}\n", {}, "a configmap must have a name", 2),
        (
            "configMapGenerator:\n- name: x\n  literals: [noeq]\n",
            {},
            "loading KV pairs: literal sources [noeq]: invalid literal source noeq, expected key=value",
            3,
        ),
        (
            "configMapGenerator:\n- name: x\n  envs: [e.env]\n",
            {"e.env": b"A=\xff\n"},
            "loading KV pairs: env source files: [e.env]: line [65 61 255] has invalid utf8 bytes",
            3,
        ),
        ("configMapGenerator:\n- name: x\n  literals: [1]\n", {}, "literals entries must be strings", 3),
        ("configMapGenerator:\n- name: x\n  options: {labels: {a: 1}}\n", {}, "must be a string", 3),
        ("configMapGenerator: {name: x}\n", {}, "configMapGenerator must be a list", 1),
        ("generatorOptions: [x]\n", {}, "generatorOptions must be a mapping", 1),
    ],
)
def test_errors(
    tmp_path: Path, kustomization: str, files: dict[str, str | bytes], message: str, line: int
) -> None:
    err = _error(tmp_path, kustomization, files)
    assert message in err.message
    assert err.location is not None
    assert err.location.file == "kustomization.yaml"
    assert err.location.line == line


# -- against kubectl output ----------------------------------------------------------------------------------

# Golden fixtures that need nothing but resources and generators (others also need transformers).
_SELF_CONTAINED = [
    "gen-literals",
    "gen-envfiles",
    "gen-files",
    "gen-options",
    "gen-hash-matrix",
    "gen-behavior",
]


def _accumulate(loader: FileLoader, kdir: Path) -> ResMap:
    kfile = kdir / "kustomization.yaml"
    doc = load_documents(kfile.read_bytes(), str(kfile))[0]
    resmap = ResMap()
    for ref in doc.get("resources") or []:
        path = kdir / ref
        if path.is_dir():
            resmap.append_all(_accumulate(loader, path))
        else:
            resmap.append_all(Resource(d) for d in loader.load_yaml(path.resolve()))
    ctx = KContext(loader, kdir, str(kfile), TransformerConfig(), doc)
    generators.run_generators(resmap, doc, ctx)
    return resmap


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


@pytest.mark.parametrize("case", _SELF_CONTAINED)
def test_matches_kubectl_golden(case: str) -> None:
    kdir = FIXTURES / case
    resmap = _accumulate(FileLoader(FIXTURES, cwd=FIXTURES), kdir)
    hashing.add_hash_suffixes(resmap)
    got = sorted((to_plain(r.obj) for r in resmap), key=_key)
    expected = sorted(
        (to_plain(d) for d in load_documents((kdir / "expected.yaml").read_bytes(), "expected.yaml")),
        key=_key,
    )
    assert got == expected


@pytest.mark.parametrize("case", ["gen-err-dupkey", "gen-err-merge-missing", "gen-err-missing-file"])
def test_kubectl_error_goldens_fail(case: str) -> None:
    assert (FIXTURES / case / "expected.err").is_file()
    with pytest.raises(BuildError):
        _accumulate(FileLoader(FIXTURES, cwd=FIXTURES), FIXTURES / case)
