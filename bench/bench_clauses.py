"""Clause reading on bad input: time and peak memory as the input grows, for the three shapes
that break naive parsers.

    python bench/bench_clauses.py [--scale 1,2,4]

  units      one clause naming N units (N = 1250 × scale; 5,000 at scale 4)
  paragraph  one paragraph of N bytes with clauses inside (256 KB × scale; 1 MB at scale 4)
  brackets   N lines whose brackets never close (2,500 × scale; 10,000 at scale 4)

Each document goes through read -> normalise -> outline -> clauses -> resolve in this process;
the script prints the seconds of outline + clauses, of the whole, the peak traced memory, and
their growth against the smallest size (linear: ratio ≈ scale), with the tasks read and how
many warnings named an unread clause's line.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from policykg.extract.pipeline import STAGES, load_document

HEAD = "某市科技创新行动方案\n一、主要任务\n"


def units_clause(scale: int) -> str:
    n = 1250 * scale
    chars = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水火土风云雷电山川河海江湖日月星辰春夏秋冬东西南北"
    names = [f"{a}{b}{c}" for a in chars for b in chars for c in chars]
    units = "、".join(f"市{names[i]}局" if i % 3 else f"各县（市、区）{names[i]}中心" for i in range(n))
    return HEAD + f"1.建设平台。推进建设。（牵头单位：市科技局，参与单位：{units}）\n"


def long_paragraph(scale: int) -> str:
    sentence = "推进创新平台建设，完善服务体系（市科技局牵头，市财政局、市税务局配合）；"
    n = 256 * 1024 * scale // len(sentence.encode("utf-8"))
    return HEAD + "1.建设平台。" + sentence * n + "\n"


def unbalanced_brackets(scale: int) -> str:
    # every tenth line a clause with no unit in it: a warning naming its line
    unread = "（牵头单位：2022年，参与单位：（"
    clause = "（牵头单位：市科技局，参与单位：（市财政局、（市税务局"
    item = "1.建设平台（推进（建设（"
    lines = [unread if i % 10 == 9 else clause if i % 2 else item for i in range(2500 * scale)]
    return HEAD + "\n".join(lines) + "\n"


SHAPES: dict[str, Callable[[int], str]] = {
    "units": units_clause, "paragraph": long_paragraph, "brackets": unbalanced_brackets}


def measure(text: str, folder: Path) -> tuple[float, float, float, int, int]:
    """(seconds of outline + clauses, seconds in all, peak MB, tasks, warnings) of one document
    through read -> normalise -> outline -> clauses -> resolve."""
    path = folder / "plan.txt"
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    t0 = time.perf_counter()
    doc = load_document(path)
    t1 = time.perf_counter()
    for _name, stage in STAGES[:2]:
        doc = stage(doc)
    t2 = time.perf_counter()
    doc = STAGES[2][1](doc)
    total = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return t2 - t1, total, peak, len(doc.tasks), len(doc.warnings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="1,2,4", help="sizes as multiples of the smallest (default 1,2,4)")
    args = parser.parse_args()
    scales = [int(x) for x in args.scale.split(",")]
    measure(units_clause(1)[:2000], Path(tempfile.mkdtemp()))  # warm the resources and opencc
    print(f"{'shape':10} {'scale':>5} {'KB':>6} {'clause s':>9} {'all s':>7} {'peak MB':>8} {'clause x':>9} "
          f"{'all x':>6} {'MB x':>6} {'tasks':>6} {'warn':>5}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in SHAPES.items():
            base: tuple[float, float, float] | None = None
            for scale in scales:
                text = make(scale)
                clause_s, total, peak, tasks, warnings = measure(text, Path(tmp))
                base = base or (clause_s, total, peak)
                print(f"{name:10} {scale:>5} {len(text.encode('utf-8')) / 1024:>6.0f} {clause_s:>9.2f} {total:>7.2f} "
                      f"{peak:>8.1f} {clause_s / base[0]:>9.2f} {total / base[1]:>6.2f} {peak / base[2]:>6.2f} "
                      f"{tasks:>6} {warnings:>5}")


if __name__ == "__main__":
    main()
