"""Time of the targets stage on long single lines and long documents: linear in both.

    python bench/bench_targets.py [--sizes 0.2,2] [--kinds plans,dense,plain,document]

For each size (MB of text, on one line except for "document") and kind it builds a document and times
`policykg.extract.targets.extract_targets` alone (reading and normalising are not counted):

- plans: the five sample plans with their line breaks removed, repeated to the size;
- dense: "到2025年高新技术企业达到500家以及" without punctuation, repeated (a number every 18
  characters, no clause boundary: the case that used to be quadratic);
- plain: prose without numbers;
- document: the five sample plans with their line breaks, repeated (many lines, tables, goals blocks).

Prints CPU seconds (process time: the machine is shared, wall time is not the stage's), MB/s and the
number of targets; a linear stage shows the same MB/s at every size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _line(kind: str, size: int) -> str:
    if kind == "document":
        seed = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "data").glob("*.txt")))
    elif kind == "plans":
        seed = "".join(p.read_text(encoding="utf-8").replace("\n", "").replace("\r", "")
                       for p in sorted((ROOT / "data").glob("*.txt")))
    elif kind == "dense":
        seed = "到2025年高新技术企业达到500家以及"
    else:
        seed = "全面贯彻落实创新驱动发展战略加快建设科技强市持续优化创新生态"
    return (seed * (size // len(seed) + 1))[:size]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="0.2,2", help="MB of characters on one line, comma-separated")
    ap.add_argument("--kinds", default="plans,dense,plain,document")
    args = ap.parse_args()
    from policykg.extract.pipeline import load_document
    from policykg.extract.targets import extract_targets

    print(f"{'kind':8} {'MB':>5} {'chars':>9} {'cpu s':>8} {'MB/s':>6} {'targets':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            for mb in (float(x) for x in args.sizes.split(",")):
                chars = int(mb * 1_000_000 / 3)  # UTF-8: three bytes a character
                path = Path(tmp) / f"{kind}.txt"
                path.write_text("某市科技创新行动计划（2021-2025年）\n" + _line(kind, chars) + "\n", encoding="utf-8")
                doc = load_document(path)
                t0 = time.process_time()
                targets = extract_targets(doc)
                dt = time.process_time() - t0
                print(f"{kind:8} {mb:5.1f} {chars:9d} {dt:8.2f} {mb / dt if dt else 0:6.2f} {len(targets):8d}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
