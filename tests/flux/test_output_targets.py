"""``build all -O`` writes each Kustomization's file under the output folder and nowhere else: a name with
``..``, a linked folder or a linked stem that leads outside is refused, and nothing is made outside."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.errors import UsageError
from homeops.flux.buildout import Targets


def test_names_under_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    targets = Targets(out)
    assert targets.of("flux-system/apps") == (out / "flux-system/apps").resolve()
    assert targets.of("flux-system/more") == (out / "flux-system/more").resolve()
    assert targets.of("main/default/app~2") == (out / "main/default/app~2").resolve()
    assert (out / "flux-system").is_dir() and (out / "main/default").is_dir()


@pytest.mark.parametrize("name", ["../escape", "ns/../../escape", "ns/..", "../../x/y"])
def test_a_name_leading_outside_is_refused(tmp_path: Path, name: str) -> None:
    out = tmp_path / "a" / "out"
    with pytest.raises(UsageError, match="refusing to write"):
        Targets(out).of(name)
    assert not (tmp_path / "escape").exists() and not (tmp_path / "a" / "escape").exists()
    assert not (tmp_path / "x").exists()


def test_a_linked_folder_or_stem_leading_outside_is_refused(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / "ns").mkdir(parents=True)
    elsewhere.mkdir()
    (out / "linked").symlink_to(elsewhere)
    (out / "ns" / "stem").symlink_to(elsewhere / "stem")
    targets = Targets(out)
    for name in ("linked/app", "ns/stem"):
        with pytest.raises(UsageError, match="refusing to write"):
            targets.of(name)
    assert targets.of("ns/other") == (out / "ns/other").resolve()
    assert list(elsewhere.iterdir()) == []
