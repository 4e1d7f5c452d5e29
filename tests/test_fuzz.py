"""A bounded fuzz run in the suite: a few hundred mutations of the sample plans (bench/fuzz.py)
through the whole pipeline and every writer. Each is either read — every quote then equals the
original text at its offsets, GraphML and the xlsx parts are well-formed XML — or refused with
one line naming the file. bench/bench_fuzz.py runs the same checks over 10,000+ inputs."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import fuzz  # noqa: E402

MUTATIONS = 250


def test_fuzzed_inputs_never_crash_and_quotes_stay_original(tmp_path: Path) -> None:
    result = fuzz.FuzzResult()
    for mutation in fuzz.mutations(MUTATIONS, seed=3, size=500):
        fuzz.check_mutation(mutation, tmp_path, result)
    assert result.tried == MUTATIONS
    assert result.failures == [], result.line()
    assert result.read > MUTATIONS // 3 and result.refused > 10  # both paths were exercised
