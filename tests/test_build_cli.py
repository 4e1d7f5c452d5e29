"""`policykg build` and `policykg tasks` end to end through the real command line: outputs,
the sample gold, and bad input (one-line errors naming the file, exit codes, OUT never
half-written, nothing the user had lost)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
POLICYKG = [sys.executable, "-m", "policykg"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*POLICYKG, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "out"
    res = run("build", str(DATA), "--out", str(out), "--no-views")
    assert res.returncode == 0, res.stderr
    return out


def test_build_writes_every_output(built: Path) -> None:
    for name in ("graph.json", "graph.graphml", "responsibilities.csv", "responsibilities.xlsx",
                 "resolution.csv", "targets.csv", "entities.csv"):
        assert (built / name).is_file(), name
    rows = list(csv.DictReader((built / "responsibilities.csv").open(encoding="utf-8-sig")))
    assert {"doc", "doc_sha256", "task_path", "task_title", "role", "unit", "unit_id", "unit_name", "kind",
            "quote", "start", "end"} <= set(rows[0])
    assert len({(r["doc_sha256"], r["task_path"]) for r in rows}) == 24 + 27 + 34
    data = json.loads((built / "graph.json").read_text(encoding="utf-8"))
    assert all("label" in n and "labels" in n for n in data["nodes"])
    assert all("type" in e for e in data["edges"])
    assert {e["type"] for e in data["edges"]} >= {"LEADS", "PARTICIPATES_IN", "PART_OF"}


def test_build_is_deterministic(built: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert run("build", str(DATA), "--out", str(again), "--no-views").returncode == 0
    a = json.loads((built / "graph.json").read_text(encoding="utf-8"))
    b = json.loads((again / "graph.json").read_text(encoding="utf-8"))
    assert [n["id"] for n in a["nodes"]] == [n["id"] for n in b["nodes"]]
    assert (built / "responsibilities.csv").read_bytes() == (again / "responsibilities.csv").read_bytes()


def test_provenance_cites_the_original_file(built: Path) -> None:
    data = json.loads((built / "graph.json").read_text(encoding="utf-8"))
    texts = {}
    for f in DATA.glob("*.txt"):
        import hashlib

        raw = f.read_bytes()
        texts[hashlib.sha256(raw).hexdigest()] = raw.decode("utf-8")
    checked = 0
    for item in [*data["nodes"], *data["edges"]]:
        if item.get("docSha256") in texts and item.get("quote"):
            assert texts[item["docSha256"]][item["start"]:item["end"]] == item["quote"]
            checked += 1
    assert checked > 500


def test_sample_gold_scores(built: Path) -> None:
    """The sample annotations (tests/gold, facts about the plans in data/) through `policykg evaluate`."""
    res = run("evaluate", str(ROOT / "tests" / "gold"), "--out", str(built), "--format", "json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert len(report["documents"]) == 4
    for doc, scores in report["documents"].items():
        assert scores["responsibilities"]["f"] >= 0.98, (doc, scores["responsibilities"])
        assert scores["targets"]["f"] >= 0.95, (doc, scores["targets"])


def test_tasks_by_any_alias(built: Path) -> None:
    outs = []
    for name in ("科技局", "市科技局", "清远市科学技术局"):
        res = run("tasks", name, "--out", str(built), "--jurisdiction", "清远市", "--format", "json")
        assert res.returncode == 0, res.stderr
        outs.append(json.loads(res.stdout))
    assert outs[0] == outs[1] == outs[2]
    rows = outs[0]
    assert {"doc", "task_path", "task_title", "role"} <= set(rows[0])
    led_2020 = [r["task_path"] for r in rows
                if r["doc"] == "qingyuan_innovation_action_plan_2020-2022_draft.txt" and r["role"] == "lead"]
    assert led_2020 == ["三.(一).1", "三.(一).2", "三.(一).4", "三.(二).1", "三.(二).2", "三.(二).3", "三.(二).4",
                        "三.(三).2", "三.(三).3", "三.(三).4", "三.(四).3", "三.(五).1", "三.(五).2", "三.(五).3",
                        "三.(六).1"]


def test_tasks_ambiguous_name_asks_for_jurisdiction(built: Path) -> None:
    res = run("tasks", "市教育局", "--out", str(built))
    assert res.returncode != 0
    assert "清远市" in res.stderr and "广州市" in res.stderr and "--jurisdiction" in res.stderr


def test_tasks_unknown_unit_suggests(built: Path) -> None:
    res = run("tasks", "市科技厅局", "--out", str(built))
    assert res.returncode != 0 and "closest" in res.stderr


def test_tasks_without_a_build(tmp_path: Path) -> None:
    res = run("tasks", "市科技局", "--out", str(tmp_path / "nothing"))
    assert res.returncode != 0 and "graph.json" in res.stderr


# --- bad input -------------------------------------------------------------------------------

def one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    lines = [x for x in res.stderr.strip().splitlines() if x.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


@pytest.mark.parametrize(("content", "problem"), [(b"", "empty file"), (b"\x00\x01\x02binary\x00" * 10, "binary")])
def test_unreadable_only_file_fails_cleanly(tmp_path: Path, content: bytes, problem: str) -> None:
    f = tmp_path / "plan.txt"
    f.write_bytes(content)
    out = tmp_path / "out"
    res = run("build", str(f), "--out", str(out))
    assert res.returncode != 0
    line = one_line_error(res)
    assert str(f) in line and problem in line
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.txt"]  # no temporary folder left behind


def test_missing_path(tmp_path: Path) -> None:
    res = run("build", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert res.returncode != 0
    assert "nowhere" in one_line_error(res) and "no such file" in res.stderr


def test_unwritable_out(tmp_path: Path) -> None:
    res = run("build", str(DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt"), "--out",
              "/proc/policykg-out")
    assert res.returncode != 0
    assert "/proc/policykg-out" in one_line_error(res)


def test_gbk_file_and_file_without_tasks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    text = (DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt").read_text(encoding="utf-8")
    (data / "plan-gbk.txt").write_bytes(text.encode("gbk"))
    (data / "notice.txt").write_text("关于召开会议的通知\n定于下周召开会议。", encoding="utf-8")
    (data / "broken.txt").write_bytes(b"")
    out = tmp_path / "out"
    res = run("build", str(data), "--out", str(out), "--no-views")
    assert res.returncode == 0, res.stderr
    assert "notice.txt: no responsibility clauses" in res.stderr  # a warning, not a failure
    assert "broken.txt: empty file" in res.stderr
    assert "inferred" in res.stdout  # no manifest: inference reported, counted; the details in a file
    assert "清远市" in (out / "inferred.txt").read_text(encoding="utf-8")
    rows = list(csv.DictReader((out / "responsibilities.csv").open(encoding="utf-8-sig")))
    assert len({r["task_path"] for r in rows}) == 24
    assert rows[0]["unit_id"] == "dept:441800:科学技术局"


def test_strict_fails_on_any_bad_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "broken.txt").write_bytes(b"")
    res = run("build", str(data), "--out", str(tmp_path / "out"), "--strict", "--no-views")
    assert res.returncode != 0 and "broken.txt" in one_line_error(res)
    assert not (tmp_path / "out").exists()


def test_failed_build_keeps_previous_out(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(built, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    assert run("build", str(bad), "--out", str(out)).returncode != 0
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_foreign_out_folder_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "mywork"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    res = run("build", str(DATA), "--out", str(out), "--no-views")
    assert res.returncode != 0 and "not made by policykg" in one_line_error(res)
    assert (out / "thesis.docx").read_bytes() == b"precious"


def test_rebuild_stops_the_embedded_server_of_the_old_out(tmp_path: Path) -> None:
    import policykg
    from policykg import api

    out = tmp_path / "out"
    api.build(DATA, out, views=False)
    db = policykg.open(out)
    assert len(db.query("documents")) == 5
    pid = int((out / "falkordb" / "falkordb.pid").read_text())
    api.build(DATA, out, views=False)  # replaces OUT while the server still holds it
    import time

    def gone() -> bool:  # exited (a zombie until this test process, its parent, reaps it)
        try:
            return "\tZ" in Path(f"/proc/{pid}/status").read_text().split("State:")[1][:4]
        except (FileNotFoundError, IndexError):
            return not Path(f"/proc/{pid}").exists()

    for _ in range(100):
        if gone():
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the old server is still running")
    db.close()
    db2 = policykg.open(out)
    assert len(db2.query("documents")) == 5
    db2.close()


def test_targets_keep_their_source_through_graph_json(built: Path) -> None:
    from policykg.graph import read_graph

    g = read_graph(built)
    sources = {d["source"] for *_, d in g.edges(data=True) if d["type"] == "TARGETS"}
    assert sources == {"table", "text"}


def test_renamed_file_keeps_its_manifest_entry_by_content(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "manifest.json", data)
    shutil.copy(DATA / "shaoguan_sci_tech_innovation_action_plan_2017-2020.txt", data / "renamed.txt")
    res = run("build", str(data), "--out", str(tmp_path / "out"), "--no-views")
    assert res.returncode == 0, res.stderr
    assert "inferred" not in res.stdout  # the manifest entry was found by sha256
