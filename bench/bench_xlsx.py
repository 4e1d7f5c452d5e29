"""Time the 任务分工表 writer (responsibilities.xlsx) on a built OUT, e.g. the 1000-plan corpus:

    .venv/bin/python bench/make_corpus.py --docs 1000 --out /tmp/corpus-1000
    .venv/bin/policykg build /tmp/corpus-1000/docs --out /tmp/out-1000 --no-views
    .venv/bin/python bench/bench_xlsx.py /tmp/out-1000 --data /tmp/corpus-1000/docs

Rows come from OUT/responsibilities.csv and the documents from OUT/graph.json; with --data,
each task's paragraph (the 任务内容 fallback before tasks carry their own text) is read from the
original files, so the cells are as long as in a build. Prints rows, sheets, seconds and MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

from policykg.extract.read import read_source
from policykg.graph.export import read_graph, write_responsibilities_xlsx, xlsx_documents


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="a built OUT folder")
    ap.add_argument("--data", type=Path, default=None, help="the folder the build read (for task paragraphs)")
    args = ap.parse_args(argv)
    with (args.out / "responsibilities.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    graph = json.loads((args.out / "graph.json").read_text(encoding="utf-8"))
    docs = xlsx_documents(read_graph(args.out))
    paragraphs: dict[str, str] = {}
    texts: dict[str, str] = {}
    if args.data:
        for node in graph["nodes"]:
            if node["label"] == "Document":
                texts[node["sha256"]] = read_source(args.data / node["file"]).text
    if args.data:
        for node in graph["nodes"]:
            if node["label"] == "Task" and node["docSha256"] in texts:
                paragraphs[node["id"]] = texts[node["docSha256"]][node["paragraphStart"]:node["paragraphEnd"]]
        for row in rows:
            row["task_paragraph"] = paragraphs.get(row["task_id"], "")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "responsibilities.xlsx"
        started, cpu = time.perf_counter(), time.process_time()
        tasks = write_responsibilities_xlsx(rows, path, docs)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = path.stat().st_size / 1e6
    print(f"{len(rows)} rows, {tasks} tasks, {len(docs) + 1} sheets: {seconds:.2f} s ({cpu:.2f} s CPU), {size:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
