from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment

from homeops.templating.analysis import static_undefined
from homeops.templating.data import load_data
from homeops.templating.writer import target_problem


@pytest.mark.parametrize(
    ("rel", "problem"),
    [
        ("../x.yaml", "its path leaves the output directory"),
        ("a/../../x.yaml", "its path leaves the output directory"),
        ("/etc/passwd", "its path leaves the output directory"),
        (".homeops/configure-manifest.json", ".homeops/ is reserved for homeops"),
        ("inside/x.yaml", None),
        ("link-in/x.yaml", None),
        ("link-out/x.yaml", "link-out is a symbolic link out of the output directory"),
        ("file/x.yaml", "file is not a directory"),
        ("file-link", "it is a symbolic link"),
        ("new/deeper/x.yaml", None),
    ],
)
def test_target_problem(tmp_path: Path, rel: str, problem: str | None) -> None:
    out = tmp_path / "out"
    (out / "inside").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (out / "link-in").symlink_to(out / "inside")
    (out / "link-out").symlink_to(tmp_path / "elsewhere")
    (out / "file").write_text("x")
    (out / "file-link").symlink_to(out / "file")
    assert target_problem(out, rel) == problem


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ a }}{{ known.x }}{{ known.missing.deep }}", [(1, "a"), (1, "known.missing")]),
        ("{% for n in known.list %}{{ n.anything }}{% endfor %}", []),
        ("{% set v = 1 %}{{ v }}{% macro m(p) %}{{ p }}{{ caller() }}{% endmacro %}", []),
        ("{{ a | default('x') }}{{ b is defined }}\n{{ c if c is defined else 'd' }}", []),
        ("{% if x is defined %}{{ x.y }}{% else %}\n{{ z }}{% endif %}", [(2, "z")]),
        ("{{ known.list[5] }}{{ known.list[0] }}{{ known['x'] }}{{ known.items() }}", [(1, "known.list[5]")]),
        ("{% from 'm' import a as b %}{% import 'n' as lib %}{{ b }}{{ lib.f() }}{{ range(3) }}", []),
    ],
)
def test_static_undefined(source: str, expected: list[tuple[int, str]]) -> None:
    env = Environment()
    known = {**env.globals, "known": {"x": 1, "list": [1, 2]}}
    found = static_undefined(env.parse(source), known, "t.j2")
    assert [(u.location.line if u.location else 0, u.name) for u in found] == expected


def test_data_merge_is_shallow_and_ordered(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d/a.yaml").write_text("x: {a: 1}\nkeep: 1\n---\ny: yes\n")
    (tmp_path / "d/b.toml").write_text("x = {b = 2}\n")
    (tmp_path / "d/c.json").write_text('{"z": [1]}')
    (tmp_path / "d/.hidden.yaml").write_text("hidden: 1\n")
    (tmp_path / "d/notes.txt").write_text("ignored")
    data, used = load_data([tmp_path / "d"], {"x.c.d": "v"}, str)
    assert data == {"x": {"b": 2, "c": {"d": "v"}}, "keep": 1, "y": True, "z": [1]}
    assert [p.name for p in used] == ["a.yaml", "b.toml", "c.json"]
