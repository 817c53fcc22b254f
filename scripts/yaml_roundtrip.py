"""Round-trip kubectl's own output through homeops' loader and emitter and count byte-identical files.

kustomize's printed output is a fixed point of its printer, so loading each cached oracle output with
``load_documents`` and printing it with ``dump_documents`` must give the same bytes back.

Usage: python scripts/yaml_roundtrip.py [ORACLE_OUT_DIR] [--show N]
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from pathlib import Path

from homeops.yaml.emitter import dump_documents
from homeops.yaml.loader import load_documents


def main(argv: list[str] | None = None) -> int:
    """Run the round trip and print a summary; exit 1 when any file differs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", nargs="?", default="/tmp/oracle/out")
    parser.add_argument("--show", type=int, default=3, help="print diffs of the first N differing files")
    args = parser.parse_args(argv)
    files = sorted(Path(args.root).rglob("*.yaml"))
    same = 0
    differing: list[Path] = []
    total_bytes = 0
    load_s = dump_s = 0.0
    for path in files:
        data = path.read_bytes()
        total_bytes += len(data)
        t0 = time.perf_counter()
        docs = load_documents(data, str(path))
        t1 = time.perf_counter()
        out = dump_documents(docs)
        t2 = time.perf_counter()
        load_s += t1 - t0
        dump_s += t2 - t1
        if out.encode("utf-8") == data:
            same += 1
        else:
            differing.append(path)
            if len(differing) <= args.show:
                diff = difflib.unified_diff(
                    data.decode("utf-8").splitlines(),
                    out.splitlines(),
                    str(path),
                    "homeops",
                    lineterm="",
                    n=1,
                )
                print("\n".join(list(diff)[:40]))
    mb = total_bytes / 1e6
    print(f"{same}/{len(files)} files byte-identical ({mb:.2f} MB)")
    print(
        f"load: {load_s:.3f}s ({mb / load_s:.1f} MB/s); dump: {dump_s:.3f}s ({dump_s * 1000 / mb:.1f} ms/MB)"
    )
    for path in differing[args.show :]:
        print("differs:", path)
    return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
