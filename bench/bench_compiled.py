"""What compiling today's extraction code would gain: the stages of bench_stages.py, pure Python
against the same modules compiled to C by Cython (unchanged source, no type declarations).

    .venv/bin/python bench/bench_compiled.py [DOCS] [--limit N] [--pairs 3] [--keep DIR] [--modules a,b]

Needs Cython and a C compiler (`.venv/bin/pip install cython`; gcc). It compiles each module of
--modules (default: every extraction module and graph/record.py, the worker's encoder) into DIR
(a temporary folder unless --keep; a module Cython cannot compile is named and left pure), then
runs the stages over DOCS (default bench/corpus-200/docs) in fresh processes, pure and compiled
alternately, --pairs times each. A compiled process finds the compiled modules first on the
packages' __path__, so nothing in the checkout changes. It prints CPU seconds per stage (medians)
and checks that both give the same summaries and fragments (a digest over every document).

Why it is here: issue 12's goal 1 needs about half of today's CPU per document. If the code were
dominated by the interpreter's own overhead, a mechanical compile would show it; this measures
how much of that there is.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

DEFAULT_MODULES = ["extract/read.py", "extract/normalise.py", "extract/meta.py", "extract/outline.py",
                   "extract/clauses.py", "extract/resolve.py", "extract/entities.py",
                   "extract/entity_components.py", "extract/gazetteer.py", "extract/deadlines.py",
                   "extract/targets.py", "extract/model.py", "graph/record.py"]

# Runs in a fresh process: the stages over DOCS (bench_stages._run), CPU per stage, and a digest
# of what every document gives the build (its summary and fragment, api.document_files).
CHILD = """
import hashlib, json, sys, time
from pathlib import Path
compiled = sys.argv[1]
if compiled:
    import policykg.extract, policykg.graph
    # a package's submodules are found on its __path__ in order, extension modules first
    policykg.extract.__path__.insert(0, compiled + "/extract")
    policykg.graph.__path__.insert(0, compiled + "/graph")
sys.path.insert(0, sys.argv[2])
import bench_stages
from policykg.api import input_files
from policykg.extract.meta import load_manifest
docs = Path(sys.argv[3]); limit = int(sys.argv[4])
files = input_files(docs)[: limit or None]
manifest = load_manifest(docs)
def timed(name, call):
    start = time.process_time()
    try:
        result = call()
    finally:
        cpu[name] += time.process_time() - start
    if name == "record":
        for part in result:
            digest.update(len(part).to_bytes(8, "little") + part)
    return result
bench_stages._run(files[0], manifest.get(files[0].name), lambda name, call: call())  # warm-up
cpu = dict.fromkeys(bench_stages.STAGE_NAMES, 0.0)
digest = hashlib.sha256()
for path in files:
    bench_stages._run(path, manifest.get(path.name), timed)
loaded = sorted({m.__file__ for m in list(sys.modules.values())
                 if (getattr(m, "__file__", None) or "").startswith(compiled + "/")}) if compiled else []
print(json.dumps({"cpu": cpu, "digest": digest.hexdigest(), "documents": len(files), "compiled": loaded}))
"""

SETUP = """
import sys
from setuptools import Extension, setup
from Cython.Build import cythonize
# annotation_typing off: the source's hints are for readers and ruff, not C types (an `x: dict`
# would become an exact-dict C variable and reject what the pure module accepts)
directives = {"language_level": 3, "annotation_typing": False}
name, source = sys.argv.pop(1), sys.argv.pop(1)
setup(name="policykg-compiled", ext_modules=cythonize([Extension(name, [source])], compiler_directives=directives,
                                                       quiet=True))
"""


def compile_modules(modules: list[str], out: Path) -> list[str]:
    """Each module compiled into out/<package>/<module>.so; those that failed, each with Cython's
    first error line."""
    build = out / "build"
    build.mkdir(parents=True, exist_ok=True)
    (build / "setup.py").write_text(SETUP, encoding="utf-8")
    failed = []
    for module in modules:
        package, file = module.split("/")
        # a copy of the source, so that the generated C never lands in the checkout
        source = build / package / file
        source.parent.mkdir(exist_ok=True)
        shutil.copyfile(ROOT / module, source)
        name = file.removesuffix(".py")
        run = subprocess.run([sys.executable, "setup.py", name, f"{package}/{file}", "build_ext", "--inplace"],
                             cwd=build, capture_output=True, text=True)
        built = sorted(build.glob(f"{name}.*.so"))
        if run.returncode or not built:
            errors = [line for line in (run.stdout + run.stderr).splitlines() if f"{file}:" in line]
            failed.append(f"{module}: {errors[0] if errors else (run.stderr.strip().splitlines() or ['?'])[-1]}")
            continue
        (out / package).mkdir(exist_ok=True)
        shutil.move(str(built[0]), out / package / built[0].name)
        print(f"  compiled {module}", file=sys.stderr)
    return failed


def _link_package_data(out: Path) -> None:
    """The packages' data (extract/resources, ...) beside the compiled modules: they find it by their
    own __file__."""
    for package in out.iterdir():
        if package.name == "build" or not package.is_dir():
            continue
        for entry in (ROOT / package.name).iterdir():
            if entry.is_dir() and not entry.name.startswith((".", "__")) and not (package / entry.name).exists():
                (package / entry.name).symlink_to(entry)


def run_child(compiled: Path | None, docs: Path, limit: int) -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run([sys.executable, "-c", CHILD, str(compiled) if compiled else "", str(BENCH), str(docs),
                          str(limit)], capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"stage run failed ({'compiled' if compiled else 'pure'}): "
                         f"{(out.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median_cpu(runs: list[dict], stage: str) -> float:
    """The median CPU seconds of one stage ("total": of all) over runs."""
    return statistics.median(sum(r["cpu"].values()) if stage == "total" else r["cpu"][stage] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", nargs="?", default=BENCH / "corpus-200" / "docs", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    parser.add_argument("--pairs", type=int, default=3, help="pure/compiled runs, alternating")
    parser.add_argument("--keep", type=Path, help="compile into (or reuse) this folder and keep it")
    parser.add_argument("--modules", help="comma-separated paths of modules to compile (default: see --help)")
    args = parser.parse_args()
    if (args.docs / "docs").is_dir():
        args.docs = args.docs / "docs"
    if not args.docs.is_dir():
        print(f"{args.docs}: no such folder (bench/make_corpus.py --docs 200 --out bench/corpus-200)")
        return 1
    try:
        import Cython  # noqa: F401
    except ImportError:
        print("bench_compiled.py needs Cython: .venv/bin/pip install cython")
        return 1
    modules = args.modules.split(",") if args.modules else DEFAULT_MODULES
    scratch = None if args.keep else Path(tempfile.mkdtemp(prefix="policykg-compiled-"))
    out = (args.keep or scratch).resolve()  # type: ignore[union-attr]
    try:
        reused = args.keep is not None and any(out.glob("*/*.so"))
        if reused:
            print(f"reusing the compiled modules in {out}", file=sys.stderr)
            failed: list[str] = []
        else:
            failed = compile_modules(modules, out)
        _link_package_data(out)
        for line in failed:
            print(f"left pure (Cython cannot compile it): {line}")
        runs: dict[str, list[dict]] = {"pure": [], "compiled": []}
        for _ in range(args.pairs):
            runs["pure"].append(run_child(None, args.docs, args.limit))
            runs["compiled"].append(run_child(out, args.docs, args.limit))
        pure, compiled = runs["pure"], runs["compiled"]
        print(f"{pure[0]['documents']} documents ({args.docs}); {args.pairs} alternating pairs; "
              f"compiled modules loaded: {len(compiled[0]['compiled'])}")
        print(f"  {'stage':<10} {'pure s':>8} {'compiled s':>11} {'compiled/pure':>14}")
        for name in [*pure[0]["cpu"], "total"]:
            p, c = _median_cpu(pure, name), _median_cpu(compiled, name)
            print(f"  {name:<10} {p:8.3f} {c:11.3f} {c / max(p, 1e-9):14.2f}")
        digests = {r["digest"] for r in pure + compiled}
        print("same summaries and fragments, pure and compiled: " + ("yes" if len(digests) == 1 else
              f"NO ({len(digests)} different digests)"))
        return 0 if len(digests) == 1 else 1
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
