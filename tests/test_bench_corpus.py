"""The benchmark corpus generator (bench/make_corpus.py): deterministic, valid files in the stated
encodings, and clauses that carry exactly what the ground truth says."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

import opencc
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import make_corpus  # noqa: E402

N_DOCS = 60
T2S = opencc.OpenCC("t2s").convert


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    make_corpus.make_corpus(N_DOCS, out, seed=7)
    return out


def truth_of(corpus: Path) -> dict:
    return json.loads((corpus / "truth.json").read_text(encoding="utf-8"))["files"]


def decoded(corpus: Path, name: str, encoding: str) -> str:
    return (corpus / "docs" / name).read_bytes().decode(encoding)


def flat(text: str) -> str:
    """Text with PDF page markers, line breaks and spaces removed, in Simplified."""
    text = re.sub(r"^\s*-\s*\d+\s*-\s*$", "", text, flags=re.M)
    return T2S(re.sub(r"\s+", "", text))


def test_same_seed_same_bytes_and_prefix_stable(corpus: Path, tmp_path: Path) -> None:
    make_corpus.make_corpus(12, tmp_path / "again", seed=7)
    make_corpus.make_corpus(12, tmp_path / "other", seed=8)
    again = sorted((tmp_path / "again" / "docs").glob("*.txt"))
    assert len(again) == 12
    for path in again:  # document i depends only on (seed, i): a smaller corpus is a prefix
        assert path.read_bytes() == (corpus / "docs" / path.name).read_bytes()
    other = {p.name: p.read_bytes() for p in (tmp_path / "other" / "docs").glob("*.txt")}
    assert {p.name: p.read_bytes() for p in again} != other


def test_files_decode_in_their_stated_encoding(corpus: Path) -> None:
    truth = truth_of(corpus)
    seen = Counter()
    for name, doc in truth.items():
        data = (corpus / "docs" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == doc["sha256"]
        encoding = doc["style"]["encoding"]
        seen[encoding] += 1
        text = data.decode(encoding)
        if encoding == "gbk":
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
        if encoding == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf")
        if doc["style"]["traditional"]:
            assert T2S(text) != text, f"{name}: said to be Traditional"
            seen["traditional"] += 1
        if doc["style"]["pdf"]:
            assert re.search(r"^- \d+ -$", text, re.M), f"{name}: no page markers"
            seen["pdf"] += 1
        assert doc["title"] in text.replace("\n\n", "") or doc["style"]["pdf"]
    # the corpus mixes the forms the samples show
    assert seen["gbk"] and seen["traditional"] and seen["pdf"] and seen["utf-8"] > N_DOCS / 2


def test_vocabulary_is_gbk_encodable() -> None:
    for path in (ROOT / "bench" / "vocab").glob("*.t*"):
        path.read_text(encoding="utf-8").encode("gbk")


def test_clauses_carry_the_truth(corpus: Path) -> None:
    truth = truth_of(corpus)
    forms: Counter[str] = Counter()
    for name, doc in truth.items():
        text = flat(decoded(corpus, name, doc["style"]["encoding"]))
        paths = [t["path"] for t in doc["tasks"]]
        assert len(paths) == len(set(paths)), f"{name}: task paths repeat"
        for task in doc["tasks"]:
            quote = T2S(re.sub(r"\s+", "", task["quote"]))
            assert quote in text, f"{name} {task['path']}: clause not in the text"
            assert T2S(task["title"]).replace(" ", "") in text
            units = task["lead"] + task["participants"]
            assert task["lead"], f"{name} {task['path']}: no lead"
            positions = [quote.find(T2S(u)) for u in units]
            assert all(p > 0 for p in positions), f"{name} {task['path']}: unit missing from clause"
            # leads are written before participants, in the order the truth lists them
            assert positions == sorted(positions)
            role_word = re.search(r"参与|配合|协办|协同", quote)
            last_lead = positions[len(task["lead"]) - 1]
            if task["form"] == "labelled" and task["participants"]:  # （牵头单位：A，配合单位：B）
                assert role_word and last_lead < role_word.start() < positions[len(task["lead"])]
            if task["form"] == "inline" and task["participants"]:  # （A牵头，B配合）
                assert last_lead < quote.index("牵头") < positions[len(task["lead"])]
                assert role_word and positions[-1] < role_word.start()
            if "responsible" in task:
                assert task["responsible"] == units
            assert len(task["lead_ids"]) == len(task["lead"])
            forms[task["form"]] += 1
    assert set(forms) == {"labelled", "responsible-list", "inline", "inline-fuze", "division", "lead-only"}


def test_targets_are_in_the_text(corpus: Path) -> None:
    truth = truth_of(corpus)
    n_table = 0
    for name, doc in truth.items():
        text = flat(decoded(corpus, name, doc["style"]["encoding"]))
        for target in doc["indicator_targets"]:
            assert T2S(target["quote"]) in text, f"{name}: {target['quote']}"
            value = make_corpus.fmt(target["value"])
            if target["source"] == "table":
                n_table += 1
                assert value in text
            else:
                assert T2S(target["quote"]).endswith(value + T2S(target["unit"]))
            assert doc["period"][0] - 1 <= target["year"] <= doc["period"][1]
    assert n_table > 0


def test_manifest_has_most_documents_and_names_jurisdictions(corpus: Path) -> None:
    truth = truth_of(corpus)
    manifest = json.loads((corpus / "docs" / "manifest.json").read_text(encoding="utf-8"))["documents"]
    listed = {d["file"]: d for d in manifest}
    assert N_DOCS / 2 < len(listed) < N_DOCS  # some left out so inference is exercised
    for name, entry in listed.items():
        assert entry["sha256"] == truth[name]["sha256"]
        assert entry["jurisdiction"] == truth[name]["city"]
        assert entry["period"] == truth[name]["period"]
    provinces = {d["province"] for d in truth.values()}
    jurisdictions = {d["city"] for d in truth.values()}
    assert len(provinces) >= 5 and len(jurisdictions) >= 20
    # district and county plans write their own prefix: 区科技局, 县科技局
    district_docs = [d for d in truth.values() if d["city"][-1] in "区县"]
    assert district_docs
    for doc in district_docs:
        for task in doc["tasks"]:
            for unit, uid in zip(task["lead"], task["lead_ids"], strict=True):
                assert not T2S(unit).startswith("市"), f"{doc['doc']}: {unit}"
                assert doc["city"][:2] in uid, f"{doc['doc']}: {uid}"


def test_truth_files_follow_the_gold_format(corpus: Path) -> None:
    gold_dir = ROOT / "tests" / "gold"  # the sample annotations, copied into the repo
    reference = json.loads(next(p for p in gold_dir.glob("0*.json")).read_text(encoding="utf-8"))
    for path in (corpus / "truth").glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert set(reference) - {"notes"} <= set(doc)
        for task in doc["tasks"]:
            assert {"path", "title", "lead", "participants", "quote"} <= set(task)
        for target in doc["indicator_targets"]:
            assert {"indicator", "unit", "year", "value", "source", "quote"} <= set(target)


def test_bench_build_prints_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import bench_build

    assert bench_build.main(["--sizes", "3", "--corpus-root", str(tmp_path), "--no-views"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.split()[:1] == ["3"])
    _size, _mode, megabytes, wall, build, mb_s, docs_s, max_proc, *_ = row.split()
    size = sum(p.stat().st_size for p in (tmp_path / "corpus-3" / "docs").glob("*.txt")) / 1e6
    assert float(megabytes) == pytest.approx(size, abs=0.01)
    assert 0 < float(build) <= float(wall)
    assert float(docs_s) == pytest.approx(3 / float(build), rel=0.05)
    # MB is printed to two decimals: compare MB/s with the unrounded size
    assert float(mb_s) == pytest.approx(size / float(build), rel=0.05, abs=0.002)
    # a real reading of a Python process with the extraction stages loaded (a bare interpreter is ~10 MB;
    # the workers now load only what extraction needs, ~45 MB)
    assert float(max_proc) > 25


def test_bench_timeline_prints_the_builds_marks_and_its_workers_jobs(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """bench_timeline.py: the marks of a real build through the pool (18 documents, two workers),
    every document's job in one of the workers, the CPU table and the OUT it built."""
    import bench_timeline

    make_corpus.make_corpus(18, tmp_path / "corpus", seed=2)
    out = tmp_path / "out"
    assert bench_timeline.main([str(tmp_path / "corpus" / "docs"), "--keep", str(out), "--step", "0.2"]) == 0
    printed = capsys.readouterr().out
    marks = dict(re.findall(r"^  [Po] (\S+) +(\d+\.\d+)$", printed, flags=re.M))
    for name in ("imported", "warm-up>", "warm-up<", "writers>", "graph.json<", "graphml<", "xlsx<", "built"):
        assert name in marks, name
    assert float(marks["warm-up<"]) <= float(marks["writers>"]) <= float(marks["built"])
    jobs = [int(n) for n in re.findall(r"^  W \d+: (\d+) jobs", printed, flags=re.M)]
    assert 1 <= len(jobs) <= 2 and sum(jobs) == 18
    assert "18 summaries" in printed and "total CPU s: P " in printed
    assert (out / "graph.json").is_file() and (out / "responsibilities.xlsx").is_file()
