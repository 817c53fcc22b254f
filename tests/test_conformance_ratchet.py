"""The corpus conformance ratchet: the number of corpus directories whose homeops build is byte-identical to
kubectl's must not drop below the figures recorded in conformance-baseline.json.

Needs ../shared (the corpus and the oracle installer); skipped with a reason when it is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.mark.corpus
@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared/corpus is absent: no conformance run")
def test_conformance_does_not_regress(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location("conformance", ROOT / "scripts" / "conformance.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["conformance"] = module
        spec.loader.exec_module(module)
        code = module.main(
            ["--corpus", str(SHARED / "corpus"), "--report", str(tmp_path / "report.md"), "--ratchet"]
        )
    finally:
        sys.path.remove(str(ROOT / "scripts"))
        sys.modules.pop("conformance", None)
    assert code == 0, (tmp_path / "report.md").read_text()
