"""CPU of the entity stage alone, per component, and a check that its output is unchanged.

    .venv/bin/python bench/bench_entities.py [DOCS] [--limit N] [--repeat 3] [--components]
    .venv/bin/python bench/bench_entities.py DOCS --dump FILE [--base SRC_EXTRACT_DIR]

Each document of DOCS (default bench/corpus-200/docs) is read and run through the stages before
the entity stage once (not timed); then `extract_entities` runs over all of them `--repeat` times
and the least CPU (time.process_time) is printed, in ms per document. `--components` times the
entity components one by one (the composition `entity_state` runs) and the mapping of the
chosen mentions to `Entity` records that `extract_entities` does after them.

`--dump FILE` writes every document's entities (one line each: file, kind, text, offsets,
subtype, id, name, task path, generic) so that two versions of the code can be compared byte for
byte (`cmp`); `--base DIR` loads every `policykg.extract` module from DIR (an `extract/` folder
of another checkout, e.g. `git archive main extract | tar -x -C /tmp/base`) instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", nargs="?", default="bench/corpus-200/docs", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--components", action="store_true", help="time each component")
    parser.add_argument("--dump", type=Path, help="write every document's entities to this file")
    parser.add_argument("--base", type=Path, help="load policykg.extract's modules from this folder")
    parser.add_argument("--fuzz", type=int, default=0,
                        help="instead of DOCS: this many mutations of the sample plans (bench/fuzz.py, seed 3)")
    args = parser.parse_args()
    if args.base is not None:
        import policykg.extract

        policykg.extract.__path__[:] = [str(args.base.resolve())]
    from policykg.extract import pipeline
    from policykg.extract.entities import extract_entities
    from policykg.extract.meta import load_manifest, meta_from_manifest
    from policykg.extract.read import SourceError

    from policykg.api import input_files

    if args.fuzz:
        args.docs = _fuzzed(args.fuzz)
    if (args.docs / "docs").is_dir():
        args.docs = args.docs / "docs"
    files = input_files(args.docs) if args.docs.is_dir() else [args.docs]
    if args.limit:
        files = files[: args.limit]
    manifest = load_manifest(args.docs if args.docs.is_dir() else args.docs.parent)
    before = [s for s in pipeline.STAGES if s[0] in ("outline", "clauses", "resolve")]
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    docs = []
    for path in files:
        entry = manifest.get(path.name)
        try:
            doc = pipeline.load_document(path, meta_from_manifest(entry) if entry else None)
        except SourceError:
            continue
        doc = pipeline.process_document(doc, before)
        if dump is not None:  # streamed: a large corpus is never held
            try:
                found = extract_entities(doc)
            except Exception as exc:  # the pipeline isolates a failed stage: so does the dump
                dump.write(f"{path.name}\tfailed: {type(exc).__name__}: {exc}\n")
                continue
            for e in found:
                dump.write("\t".join(map(str, (path.name, e.kind, e.text, e.span.start, e.span.end, e.span.quote,
                                                e.subtype, e.entity_id, e.name, e.task_path, e.generic))) + "\n")
        else:
            docs.append(doc)
    if dump is not None:
        dump.close()
        print(f"{len(files)} files: entities written to {args.dump}")
        return 0
    n = len(docs)
    extract_entities(docs[0])  # warm-up: tables, automata
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.process_time()
        for doc in docs:
            extract_entities(doc)
        best = min(best, time.process_time() - t0)
    print(f"{n} documents: extract_entities {1000 * best / n:.2f} CPU ms/doc (least of {args.repeat})")
    if args.components:
        _components(docs, args.repeat)
    return 0


def _fuzzed(count: int) -> Path:
    """A temporary folder of `count` mutated sample plans (bench/fuzz.py), one file each."""
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fuzz

    folder = Path(tempfile.mkdtemp(prefix="pkg-entities-fuzz-"))
    for i, mutation in enumerate(fuzz.mutations(count, seed=3, size=3000)):
        (folder / f"{i:05d}-{mutation.name}").write_bytes(mutation.data)
    return folder


def _components(docs: list, repeat: int) -> None:
    from policykg.extract.entity_components import EntityState, components

    parts = components()
    names = [type(c).__name__ for c in parts]
    best = dict.fromkeys(names, float("inf"))
    for _ in range(repeat):
        spent = dict.fromkeys(names, 0.0)
        for doc in docs:
            state = EntityState(doc.text, doc.meta.jurisdiction, doc.meta.province)
            for name, component in zip(names, parts):
                t0 = time.process_time()
                component.run(state)
                spent[name] += time.process_time() - t0
        for name in names:
            best[name] = min(best[name], spent[name])
    for name in names:
        print(f"  {name:20} {1000 * best[name] / len(docs):6.2f} CPU ms/doc")


if __name__ == "__main__":
    sys.exit(main())
