"""CPU seconds of an extraction worker's work after the pipeline, per document.

    .venv/bin/python bench/bench_record.py [DOCS] [--limit N] [--repeat 5] [--profile]

DOCS defaults to bench/corpus-200/docs. Every file is extracted first (not timed); then, for each
document, what api._extract_one does once the pipeline has made it: its summary and fragment
(api._document_record; for a plain document the 任务分工表 sheet's task rows are rendered on the way,
so "encode" includes them), the fragment file written, its sheet finished and deflated into a
sheet cache (fragments.prerender_sheet), the summary file written — into a scratch folder. The pass is
repeated and the least CPU time of the repeats printed (time.process_time: what a loaded machine
disturbs least), with its parts. `--profile` prints a cProfile of one more pass.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import tempfile
import time
from pathlib import Path

from policykg.extract.meta import load_manifest, meta_from_manifest
from policykg.extract.pipeline import process_file
from policykg.extract.read import SourceError
from policykg.graph.fd_writes import write_file
from policykg.graph.fragments import prerender_sheet
from policykg.graph.task_sheet import SheetRows

from policykg import api


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", nargs="?", default="bench/corpus-200/docs", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (the least is printed)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one more pass")
    parser.add_argument("--top", type=int, default=40, help="rows of the profile")
    args = parser.parse_args()
    if not args.docs.exists():
        print(f"{args.docs}: no such folder (bench/make_corpus.py --docs 200 --out bench/corpus-200)")
        return 1
    files = api.input_files(args.docs)[: args.limit or None]
    manifest = load_manifest(args.docs if args.docs.is_dir() else args.docs.parent)
    docs = []
    for path in files:
        entry = manifest.get(path.name)
        try:
            docs.append(process_file(path, meta_from_manifest(entry) if entry else None))
        except SourceError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
    parts = ("encode", "fragment file", "sheet", "summary file")

    def one_pass(scratch: Path) -> dict[str, float]:
        # a new folder each pass, as each build writes a new OUT (no file replaced)
        folder = Path(tempfile.mkdtemp(dir=scratch))
        cpu = dict.fromkeys(parts, 0.0)
        sheets = folder / "sheets"
        sheets.mkdir()
        clock = time.process_time
        for i, doc in enumerate(docs):
            t0 = clock()
            sheet = SheetRows()
            values, summary, fragment, plain = api._document_record(doc, sheet)
            t1 = clock()
            fragment_file = folder / f"{i}{api.FRAGMENT}"
            write_file(fragment_file, fragment)
            t2 = clock()
            if plain:  # the sheet's rows rendered by the encoding, no text of theirs to clean
                prerender_sheet(sheets, values, fragment, f"key-{i}", rendered=sheet)
            else:
                prerender_sheet(sheets, values, fragment, f"key-{i}")
            t3 = clock()
            write_file(fragment_file.with_suffix(api.SUMMARY), summary)
            t4 = clock()
            for name, spent in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                cpu[name] += spent
        return cpu

    with tempfile.TemporaryDirectory(prefix="bench-record-") as scratch:
        one_pass(Path(scratch))  # warm: imports, caches, the sheet renderer's version
        gc.collect()
        # (--repeat 0: the warm-up pass only, for a count of instructions by difference)
        passes = [one_pass(Path(scratch)) for _ in range(args.repeat)] or [dict.fromkeys(parts, 0.0)]
        best = min(passes, key=lambda cpu: sum(cpu.values()))
        n = max(1, len(docs))
        print(f"{len(docs)} documents ({args.docs}); least of {len(passes)} passes, CPU ms/doc")
        for name in parts:
            print(f"  {name:<14} {1000 * best[name] / n:7.3f}")
        print(f"  {'total':<14} {1000 * sum(best.values()) / n:7.3f}   (passes: "
              + ", ".join(f"{1000 * sum(cpu.values()) / n:.2f}" for cpu in passes) + ")")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            one_pass(Path(scratch))
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
