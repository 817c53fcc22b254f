"""Golden tests: every fixture tree under tests/fixtures/kustomize/<case>/ is built with homeops and compared
byte for byte with the output the real kubectl produced (expected.yaml), or must fail where kubectl failed
(expected.err). Regenerate the expected files with `make oracle-goldens` where the oracle is installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.errors import HomeopsError
from homeops.kustomize.build import Builder
from homeops.yaml.emitter import dump_documents

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kustomize"


def _cases() -> list[Path]:
    return sorted(
        p for p in FIXTURES.iterdir() if (p / "expected.yaml").is_file() or (p / "expected.err").is_file()
    )


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_golden(case: Path) -> None:
    builder = Builder(FIXTURES)
    if (case / "expected.err").is_file():
        with pytest.raises(HomeopsError):
            dump_documents(r.obj for r in builder.build(case))
        return
    expected = (case / "expected.yaml").read_text(encoding="utf-8")
    got = dump_documents(r.obj for r in builder.build(case))
    assert got == expected
