"""Result files under an output folder (``homeops.outputs``), shared by ``build all -O`` and ``kustomize
--output-dir``: the ``.yaml`` or the ``.err`` of a result, the other removed, an unchanged file left as is."""

from __future__ import annotations

import os
from pathlib import Path

from homeops.outputs import write_result


def test_a_result_replaces_its_other_file(tmp_path: Path) -> None:
    stem = tmp_path / "apps.v2"  # a dot in the name is not a suffix to replace
    write_result(stem, None, "boom")
    assert (tmp_path / "apps.v2.err").read_text() == "boom\n" and not (tmp_path / "apps.v2.yaml").exists()
    write_result(stem, "kind: A\n")
    assert (tmp_path / "apps.v2.yaml").read_text() == "kind: A\n" and not (tmp_path / "apps.v2.err").exists()


def test_an_unchanged_file_is_left_as_it_is(tmp_path: Path) -> None:
    stem = tmp_path / "one"
    write_result(stem, "kind: A\n")
    path = tmp_path / "one.yaml"
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    write_result(stem, "kind: A\n")
    assert path.stat().st_mtime_ns == 1_000_000_000
    write_result(stem, "kind: B\n")  # same size, other bytes
    assert path.read_text() == "kind: B\n" and path.stat().st_mtime_ns != 1_000_000_000
