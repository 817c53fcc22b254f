"""Small template repositories written on the fly for the configure tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

TOML_HEADER = """[makejinja]
inputs = ["./templates"]
output = "./out"
data = ["./bootstrap/config.yaml"]
jinja_suffix = ".j2"
undefined = "{undefined}"

[makejinja.delimiter]
block_start = "#%"
block_end = "%#"
comment_start = "#|"
comment_end = "|#"
variable_start = "#{{"
variable_end = "}}#"
"""


def make_repo(
    root: Path, templates: dict[str, str], config: str = "name: home\n", undefined: str = "chainable"
) -> Path:
    """A repository with makejinja.toml, bootstrap/config.yaml and ``templates`` under templates/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "makejinja.toml").write_text(TOML_HEADER.format(undefined=undefined))
    (root / "bootstrap").mkdir(parents=True, exist_ok=True)
    (root / "bootstrap/config.yaml").write_text(config)
    for rel, text in templates.items():
        path = root / "templates" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Every file and directory under ``root`` with a hash of its bytes (directories map to "dir")."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = f"link:{path.readlink()}"
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
