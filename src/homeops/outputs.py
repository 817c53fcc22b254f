"""Result files under an output folder (``build all -O``, ``kustomize --output-dir``): each result is
``<stem>.yaml`` when it was built, or ``<stem>.err`` with why not, and the other of the two is removed. A file
that already holds its content is left as it is: reading and comparing costs a tenth of truncating and
writing it again, and it keeps its modification time."""

from __future__ import annotations

from pathlib import Path


def write_result(stem: Path, output: str | None, error: str = "") -> None:
    """``stem``.yaml holding ``output``, or (``output`` None) ``stem``.err holding ``error`` and a newline."""
    ok_file, err_file = stem.with_name(stem.name + ".yaml"), stem.with_name(stem.name + ".err")
    if output is None:
        write_text(err_file, error + "\n")
        ok_file.unlink(missing_ok=True)
    else:
        write_text(ok_file, output)
        err_file.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``, unless the file already holds exactly that."""
    data = text.encode("utf-8")
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    path.write_bytes(data)
