"""Regenerate the expected output of the golden fixtures with the real kubectl (the oracle).

Every directory under tests/fixtures/kustomize/ that holds a kustomization file gets expected.yaml (kubectl's
stdout) or expected.err (its stderr, when it fails). Needs ../shared/tools/oracle-bin.

    python scripts/regen_goldens.py [--shared ../shared] [CASE ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_tools import KUSTOMIZATION_NAMES, kubectl_build, oracle_dir

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "kustomize"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("cases", nargs="*", help="fixture names (default: all)")
    args = ap.parse_args(argv)
    kubectl = oracle_dir(args.shared) / "kubectl"
    for case in sorted(FIXTURES.iterdir()):
        if args.cases and case.name not in args.cases:
            continue
        if not any((case / n).is_file() for n in KUSTOMIZATION_NAMES):
            continue
        ok, out = kubectl_build(kubectl, case)
        (case / "expected.yaml").unlink(missing_ok=True)
        (case / "expected.err").unlink(missing_ok=True)
        (case / ("expected.yaml" if ok else "expected.err")).write_text(out, encoding="utf-8")
        print(f"{case.name}: {'ok' if ok else 'error'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
