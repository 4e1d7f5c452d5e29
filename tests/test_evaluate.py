"""`policykg evaluate`: scoring a build against annotated plans.

The rules are checked on small annotated cases written here (each figure worked out by hand
from the rule it exercises), then on the sample annotations in tests/gold (facts about the
plans in data/) against a real build of data/."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest_db import build_sample

from policykg.evaluate import EvaluationError, evaluate, prf, report_lines, unit_keys

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold"
SHA = "ab" * 32
RESP_COLUMNS = ["doc", "doc_sha256", "task_path", "task_title", "role", "unit", "unit_id", "quote"]
TARGET_COLUMNS = ["doc", "doc_sha256", "indicator", "unit", "year", "value", "quote"]


def write_build(out: Path, resp: list[dict[str, Any]], targets: list[dict[str, Any]]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, columns, rows in (("responsibilities.csv", RESP_COLUMNS, resp), ("targets.csv", TARGET_COLUMNS, targets)):
        with (out / name).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({"doc": "plan.txt", "doc_sha256": SHA, **row})
    return out


def write_gold(folder: Path, gold: dict[str, Any], resolution: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.json").write_text(json.dumps({"doc": "plan.txt", **gold}, ensure_ascii=False), encoding="utf-8")
    if resolution is not None:
        (folder / "resolution.json").write_text(json.dumps(resolution, ensure_ascii=False), encoding="utf-8")
    return folder


def resp_row(path: str, title: str, role: str, unit: str, quote: str, unit_id: str = "") -> dict[str, str]:
    return {"task_path": path, "task_title": title, "role": role, "unit": unit, "unit_id": unit_id or f"u:{unit}",
            "quote": quote}


CLAUSE_1 = "（牵头单位：市科技局，参与单位：市财政局等相关部门）"
CLAUSE_2 = "（责任单位：市发展改革局及市工业和信息化局）"
GOLD_TASKS = [
    {"path": "一.1", "title": "建设创新平台", "lead": ["市科技局"], "participants": ["市财政局"], "quote": CLAUSE_1},
    {"path": "一.2", "title": "培育高新技术企业", "lead": ["市发展改革局及市工业和信息化局"], "participants": [],
     "quote": CLAUSE_2},
    {"path": "一.3", "title": "引进创新人才", "lead": ["市人力资源社会保障局"], "participants": [], "quote": "（市人社局负责）"},
]


def test_responsibilities_tolerate_generic_tails_and_joined_units(tmp_path: Path) -> None:
    resp = [
        # 市财政局等相关部门 = 市财政局: right
        resp_row("一.1", "建设创新平台", "lead", "市科技局", CLAUSE_1),
        resp_row("一.1", "建设创新平台", "participant", "市财政局等相关部门", CLAUSE_1),
        # A及B read as two leads: both right (the gold names them as one written unit)
        resp_row("一.2", "培育高新技术企业", "lead", "市发展改革局", CLAUSE_2),
        resp_row("一.2", "培育高新技术企业", "lead", "市工业和信息化局", CLAUSE_2),
        # a wrong role: one extra, and the gold lead of 一.3 is missed
        resp_row("一.3", "引进创新人才", "participant", "市人力资源社会保障局", "（市人社局负责）"),
    ]
    out = write_build(tmp_path / "out", resp, [])
    report = evaluate(write_gold(tmp_path / "gold", {"tasks": GOLD_TASKS, "indicator_targets": []}), out)
    r = report["documents"]["plan.txt"]["responsibilities"]
    assert (r["tp"], r["pred"], r["gold"]) == (4, 5, 5)
    assert r["missed"] == ["一.3 lead 市人力资源社会保障局"]
    assert r["extra"] == ["一.3 participant 市人力资源社会保障局"]
    assert (r["p"], r["r"]) == (0.8, 0.8)
    assert r["f"] == pytest.approx(0.8)
    assert report["overall"]["responsibilities"]["f"] == pytest.approx(0.8)


def test_tasks_align_by_title_when_the_clause_differs(tmp_path: Path) -> None:
    resp = [resp_row("1", "建设创新平台", "lead", "市科技局", "（另一种写法）"),
            resp_row("9", "完全无关的内容", "lead", "市科技局", "（无关）")]
    out = write_build(tmp_path / "out", resp, [])
    report = evaluate(write_gold(tmp_path / "gold", {"tasks": GOLD_TASKS[:1], "indicator_targets": []}), out)
    r = report["documents"]["plan.txt"]["responsibilities"]
    # the first row is 一.1 by its title; the second matches no gold task ("?")
    assert (r["tp"], r["pred"], r["gold"]) == (1, 2, 2)
    assert r["extra"] == ["? lead 市科技局"]
    assert r["missed"] == ["一.1 participant 市财政局"]


def test_targets_scale_magnitudes_skip_optional_and_excluded(tmp_path: Path) -> None:
    gold = {
        "tasks": [],
        "indicator_targets": [
            {"indicator": "高新技术企业", "unit": "家", "year": 2022, "value": 400, "quote": "高新技术企业达到400家"},
            {"indicator": "研发投入", "unit": "亿元", "year": 2022, "value": 1.5, "quote": "研发投入1.5亿元"},
            {"indicator": "技术合同成交额", "unit": "亿元", "year": 2022, "value": 30, "quote": "技术合同成交额30亿元"},
        ],
        "indicator_targets_implicit_year": [
            {"indicator": "孵化器", "unit": "家", "year": 2021, "value": 5, "quote": "孵化器5家"}],
        "excluded_quantitative": [{"quote": "每年安排专项资金2000万元"}],
    }
    targets = [
        {"indicator": "高新技术企业", "unit": "家", "year": "2022", "value": "400", "quote": "高新技术企业达到400家"},
        {"indicator": "研发投入", "unit": "万元", "year": "2022", "value": "15000", "quote": "研发投入1.5亿元"},  # 万 scaled
        {"indicator": "孵化器", "unit": "家", "year": "2021", "value": "5", "quote": "孵化器5家"},  # optional: not counted
        {"indicator": "专项资金", "unit": "万元", "year": "", "value": "2000", "quote": "每年安排专项资金2000万元"},
        {"indicator": "企业", "unit": "家", "year": "2025", "value": "7", "quote": "新增企业7家"},  # wrong
    ]
    out = write_build(tmp_path / "out", [], targets)
    t = evaluate(write_gold(tmp_path / "gold", gold), out)["documents"]["plan.txt"]["targets"]
    assert (t["tp"], t["pred"], t["gold"]) == (2, 3, 3)
    assert t["missed"] == ["技术合同成交额 2022 30亿元"]
    assert t["extra"] == ["企业 2025 7家"]


def test_resolution_pairs(tmp_path: Path) -> None:
    resp = [resp_row("一.1", "建设创新平台", "lead", "市科技局", CLAUSE_1, "dept:科技"),
            resp_row("一.2", "培育高新技术企业", "lead", "市科学技术局", CLAUSE_2, "dept:科技"),
            resp_row("一.3", "引进创新人才", "lead", "市人社局", "（市人社局负责）", "dept:人社")]
    spec = {"same": [[["plan.txt", "市科技局"], ["plan.txt", "市科学技术局"]]],
            "different": [[["plan.txt", "市科技局"], ["plan.txt", "市人社局"]],
                          [["plan.txt", "市科技局"], ["plan.txt", "市科学技术局"]]]}
    out = write_build(tmp_path / "out", resp, [])
    res = evaluate(write_gold(tmp_path / "gold", {"tasks": [], "indicator_targets": []}, spec), out)
    assert res["overall"]["resolution"]["ok"] == 2 and res["overall"]["resolution"]["total"] == 3
    assert res["overall"]["resolution"]["failed"][0].startswith("different: plan.txt:市科技局")


def test_rules_of_the_measure() -> None:
    assert prf(0, 0, 0) == (1.0, 1.0, 1.0)  # nothing expected, nothing found
    assert prf(0, 3, 0) == (0.0, 1.0, 0.0)
    assert unit_keys("省海洋局等") == ["省海洋局"]
    assert unit_keys("市科技局及市財政局") == ["市科技局", "市财政局"]  # Traditional compared as Simplified
    assert unit_keys("開發區(qū)管委会") == ["开发区管委会"]  # ruby pinyin removed


def test_the_sample_gold_on_a_build_of_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    out = build_sample(tmp_path_factory)
    report = evaluate(GOLD, out)
    golds = {json.loads(p.read_text(encoding="utf-8"))["doc"]: json.loads(p.read_text(encoding="utf-8"))
             for p in GOLD.glob("0*.json")}
    assert set(report["documents"]) == set(golds)
    for doc, scores in report["documents"].items():
        gold = golds[doc]
        assert scores["sha256"] == gold["sha256"]
        r, t = scores["responsibilities"], scores["targets"]
        # every unit the gold lists is one expected triple (no gold unit here is written "A及B")
        assert r["gold"] == sum(len(k["lead"]) + len(k["participants"]) for k in gold["tasks"])
        assert t["gold"] == sum(not g.get("optional") for g in gold["indicator_targets"])
        assert r["f"] >= 0.98 and t["f"] >= 0.95, (doc, r, t)
    assert report["overall"]["resolution"]["total"] == sum(
        len(v) for k, v in json.loads((GOLD / "resolution.json").read_text(encoding="utf-8")).items()
        if k in ("same", "different"))
    lines = report_lines(report)
    assert lines[0].split()[:2] == ["document", "resp"] and lines[-1].startswith("overall responsibilities P=")


def test_cli_table_json_and_errors(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    out = build_sample(tmp_path_factory)
    cmd = [sys.executable, "-m", "policykg", "evaluate"]
    res = subprocess.run([*cmd, str(GOLD), "--out", str(out), "--format", "json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == json.loads(json.dumps(evaluate(GOLD, out)))
    res = subprocess.run([*cmd, str(GOLD), "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 0 and "overall responsibilities P=" in res.stdout
    res = subprocess.run([*cmd, str(tmp_path / "nothing"), "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 1 and "no gold annotation files" in res.stderr
    res = subprocess.run([*cmd, str(GOLD), "--out", str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 1 and "responsibilities.csv: missing" in res.stderr


def test_a_gold_document_the_build_does_not_have(tmp_path: Path) -> None:
    out = write_build(tmp_path / "out", [], [])
    folder = tmp_path / "gold"
    folder.mkdir()
    (folder / "x.json").write_text(json.dumps({"doc": "other.txt", "tasks": [], "indicator_targets": []}),
                                   encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"other\.txt"):
        evaluate(folder, out)
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "other.txt").write_text("一份计划", encoding="utf-8")
    assert evaluate(folder, out, sources)["documents"]["other.txt"]["responsibilities"]["gold"] == 0
