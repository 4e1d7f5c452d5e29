"""CPU seconds per extraction stage over a corpus, in one process.

    .venv/bin/python bench/bench_stages.py [DOCS] [--limit N] [--profile STAGE] [--top 30]

DOCS defaults to bench/corpus-200/docs (made with `bench/make_corpus.py --docs 200 --out
bench/corpus-200`). Every file goes through the stages the way extract/pipeline.py runs them:
read (read_source), normalise, meta (complete_meta with the file's manifest entry), then each of
pipeline.STAGES (outline, clauses, resolve, entities, targets), then record (what a worker sends
back: the document's summary and its encoded fragments, api.document_files). The first file is
run once before timing, so that loading tables and models (spaCy, the resolver's aliases) is shown apart as `warm-up`.

Figures are CPU seconds (time.process_time), which a loaded machine disturbs far less than
wall time. `--profile STAGE` prints a cProfile of that stage alone (sorted by cumulative time).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from policykg.extract import pipeline
from policykg.extract.meta import complete_meta, load_manifest, meta_from_manifest
from policykg.extract.model import PolicyDocument
from policykg.extract.normalise import normalise
from policykg.extract.read import SourceError, read_source

from policykg.api import document_files, input_files

STAGE_NAMES = ["read", "normalise", "meta", *(name for name, _ in pipeline.STAGES), "record"]


def _run(path: Path, entry: dict[str, Any] | None, timed: Callable[[str, Callable[[], Any]], Any]) -> None:
    """One file through every stage, each call wrapped by `timed(stage name, call)`."""
    source = timed("read", lambda: read_source(path))
    text, display, offsets = timed("normalise", lambda: normalise(source.text))
    doc = PolicyDocument(path=path, sha256=source.sha256, encoding=source.encoding, original=source.text,
                         text=text, display=display, offsets=offsets)
    doc.warnings.extend(source.warnings)
    meta = meta_from_manifest(entry) if entry else None
    doc.meta = timed("meta", lambda: complete_meta(meta, text, doc.name))
    for name, stage in pipeline.STAGES:
        doc = timed(name, lambda stage=stage, doc=doc: stage(doc))
    timed("record", lambda: document_files(doc))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", nargs="?", default="bench/corpus-200/docs", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    parser.add_argument("--profile", choices=STAGE_NAMES, help="print a cProfile of this stage")
    parser.add_argument("--top", type=int, default=30, help="rows of the profile")
    args = parser.parse_args()
    if not args.docs.exists():
        print(f"{args.docs}: no such folder (bench/make_corpus.py --docs 200 --out bench/corpus-200)")
        return 1
    if (args.docs / "docs").is_dir():  # a corpus folder (make_corpus.py's OUT): its plans and their manifest
        args.docs = args.docs / "docs"
    files = input_files(args.docs)
    if args.limit:
        files = files[: args.limit]
    manifest = load_manifest(args.docs if args.docs.is_dir() else args.docs.parent)
    cpu = dict.fromkeys(STAGE_NAMES, 0.0)
    profile = cProfile.Profile() if args.profile else None

    def timed(name: str, call: Callable[[], Any]) -> Any:
        if profile is not None and name == args.profile:
            profile.enable()
        start = time.process_time()
        try:
            return call()
        finally:
            cpu[name] += time.process_time() - start
            if profile is not None and name == args.profile:
                profile.disable()

    def untimed(_name: str, call: Callable[[], Any]) -> Any:
        return call()

    start = time.process_time()
    if files:
        with contextlib.suppress(SourceError):
            _run(files[0], manifest.get(files[0].name), untimed)
    warm_up = time.process_time() - start
    size, done, errors = 0, 0, 0
    for path in files:
        try:
            _run(path, manifest.get(path.name), timed)
            done += 1
            size += path.stat().st_size
        except SourceError as exc:
            errors += 1
            print(f"skipped: {exc}", file=sys.stderr)
    total = sum(cpu.values())
    print(f"{done} documents, {size / 1e6:.2f} MB ({args.docs}); {errors} unreadable; "
          f"warm-up {warm_up:.2f} CPU s (not counted)")
    print(f"  {'stage':<10} {'cpu s':>8} {'ms/doc':>8} {'share':>6}")
    for name in STAGE_NAMES:
        print(f"  {name:<10} {cpu[name]:8.3f} {1000 * cpu[name] / max(1, done):8.2f} "
              f"{cpu[name] / max(total, 1e-9):6.1%}")
    print(f"  {'total':<10} {total:8.3f} {1000 * total / max(1, done):8.2f}   "
          f"{size / 1e6 / max(total, 1e-9):.2f} MB per CPU s")
    if profile is not None:
        print(f"\ncProfile of the {args.profile} stage:")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
