"""Long fuzz runs: many mutated inputs through the pipeline and every writer (in-process), and
real `policykg build` runs over folders of mutated files, some killed with SIGKILL at a random
moment, with OUT checked after each one.

    .venv/bin/python bench/bench_fuzz.py --inputs 10000 --builds 30

Prints: inputs tried, read, refused (one line each), uncaught exceptions; builds run, killed,
exit codes, tracebacks, half-written OUTs (an OUT that is missing, lacks its complete marker or
holds an unreadable graph.json) and leftovers (.OUT.tmp-*/.OUT.old-* after the next build).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz

POLICYKG = [sys.executable, "-m", "policykg"]


def _worker(args: tuple[int, int, int]) -> tuple[int, int, int, list[str]]:
    count, seed, size = args
    from policykg.api import _warm_up

    _warm_up()
    result = fuzz.FuzzResult()
    with tempfile.TemporaryDirectory(prefix="pkg-fuzz-") as folder:
        for mutation in fuzz.mutations(count, seed=seed, size=size):
            fuzz.check_mutation(mutation, Path(folder), result)
    return result.read, result.refused, result.tried, result.failures


def run_inputs(total: int, workers: int, size: int, seed: int) -> fuzz.FuzzResult:
    per = [total // workers + (1 if i < total % workers else 0) for i in range(workers)]
    result = fuzz.FuzzResult()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for read, refused, tried, failures in pool.imap_unordered(
                _worker, [(n, seed + i, size) for i, n in enumerate(per)]):
            result.read += read
            result.refused += refused
            result.tried += tried
            result.failures += failures
    return result


def out_complete(out: Path) -> bool:
    from policykg.outdir import OUT_MARKER, is_policykg_folder

    if not out.is_dir() or not is_policykg_folder(out):
        return False
    try:
        state = json.loads((out / OUT_MARKER).read_text(encoding="utf-8").splitlines()[1])
        json.loads((out / "graph.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, IndexError):
        return False
    return bool(state.get("complete"))


def run_builds(rounds: int, seed: int, files: int) -> dict[str, int]:
    rng = random.Random(seed)
    figures: Counter[str] = Counter()
    work = Path(tempfile.mkdtemp(prefix="pkg-fuzz-builds-"))
    out = work / "out"
    try:
        first = subprocess.run([*POLICYKG, "build", str(fuzz.DATA), "--out", str(out), "--no-views", "-q"],
                               capture_output=True, text=True)
        assert first.returncode == 0, first.stderr
        stream = fuzz.mutations(rounds * files, seed=seed)
        for round_number in range(rounds):
            data = work / f"data{round_number}"
            data.mkdir()
            for i in range(files):
                mutation = next(stream)
                (data / f"{i:03d}{Path(mutation.name).suffix}").write_bytes(mutation.data)
            if rng.random() < 0.5:  # half the rounds also hold a real plan: those builds succeed
                shutil.copy(rng.choice(sorted(fuzz.DATA.glob("*.txt"))), data / "plan.txt")
            process = subprocess.Popen([*POLICYKG, "build", str(data), "--out", str(out), "--no-views", "-q"],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            killed = rng.random() < 0.4
            if killed:
                time.sleep(rng.uniform(0.3, 4.0))
                process.send_signal(signal.SIGKILL)
            _stdout, stderr = process.communicate()
            figures["builds"] += 1
            figures["killed"] += int(killed and process.returncode == -signal.SIGKILL)
            figures[f"exit {process.returncode}"] += 1
            if "Traceback" in stderr or process.returncode not in (0, 1, -signal.SIGKILL):
                figures["uncaught"] += 1
                print(f"round {round_number}: exit {process.returncode}: {stderr.strip()[-300:]}", file=sys.stderr)
            if not out_complete(out):
                # a SIGKILL between the two renames of a non-Linux swap may leave OUT aside:
                # it must come back at the next build; anything else is half-written
                recovered = subprocess.run([*POLICYKG, "build", str(fuzz.DATA), "--out", str(out), "--no-views",
                                            "-q"], capture_output=True, text=True)
                if recovered.returncode != 0 or not out_complete(out):
                    figures["half-written OUT"] += 1
            shutil.rmtree(data)
        final = subprocess.run([*POLICYKG, "build", str(fuzz.DATA), "--out", str(out), "--no-views", "-q"],
                               capture_output=True, text=True)
        figures["final build exit"] = final.returncode
        figures["leftovers"] = sum(1 for p in work.iterdir() if p.name.startswith((".out.tmp-", ".out.old-",
                                                                                  ".out.lock")))
    finally:
        subprocess.run([*POLICYKG, "cypher", "RETURN 1", "--out", str(work / "none")], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return dict(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--builds", type=int, default=30)
    parser.add_argument("--files-per-build", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", type=int, default=600, help="characters per mutated snippet")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    started = time.perf_counter()
    if args.inputs:
        result = run_inputs(args.inputs, args.workers, args.size, args.seed)
        print(f"in-process: {result.line()} in {time.perf_counter() - started:.0f} s")
        for kind, n in Counter(f.split(":")[0] for f in result.failures).most_common():
            print(f"  {n} x {kind}")
        for failure in result.failures[:20]:
            print(f"  {failure[:300]}")
    if args.builds:
        started = time.perf_counter()
        figures = run_builds(args.builds, args.seed, args.files_per_build)
        print(f"builds: {json.dumps(figures)} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
