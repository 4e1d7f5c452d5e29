"""`policykg evaluate`: score a build's tables against hand-checked annotations of a few plans.

A gold folder holds one JSON file per annotated document (the format of tests/gold/: `doc`, an
optional `sha256`, `tasks` with `path`, `title`, `lead`, `participants`, `quote`, and
`indicator_targets` with `indicator`, `unit`, `year`, `value`, `quote`; optionally
`indicator_targets_implicit_year` (neither required nor penalised) and `excluded_quantitative`
(sentences whose numbers are not targets)), and optionally `resolution.json` (pairs of written
unit names that must resolve to the same unit, or must not).

Matching is tolerant of naming and formatting, as the project's evaluation has always been:
texts compared after Traditional->Simplified conversion with whitespace and pinyin removed;
predicted tasks aligned to gold tasks by clause text, then outline position, then title; a unit
with a generic tail equals the unit without it (省海洋局等 = 省海洋局); "A及B" names A and B;
targets matched by (year, value scaled by 万/亿) and the most similar indicator text.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any

RESOLUTION_FILE = "resolution.json"
SHOWN = 15  # misses and extras listed per document and kind

_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)")
_SPACE = re.compile(r"\s+")
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，", ";": "；"})
_GENERIC_TAIL = re.compile(r"等(?:相关|有关|其他)?(?:部门|单位|地区|机构)?$")
_PATH_SUFFIX = re.compile(r"(?<=\d)[a-z]$")
# magnitude prefixes of a target's unit (亿元, 万人): values compare after scaling
_MAGNITUDES = (("万亿", 1e12), ("亿", 1e8), ("万", 1e4), ("千", 1e3))


class EvaluationError(Exception):
    """A gold folder or build that cannot be scored; one line naming the file."""


@lru_cache(maxsize=1)
def _to_simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s").convert


def norm(text: str | None) -> str:
    text = _SPACE.sub("", _PINYIN.sub("", text or ""))
    return _to_simplified()(text).translate(_HALF_TO_FULL)


def norm_unit(text: str) -> str:
    unit = norm(text)
    stripped = _GENERIC_TAIL.sub("", unit)
    return stripped if len(stripped) >= 2 else unit


def unit_keys(text: str) -> list[str]:
    return [norm_unit(part) for part in norm(text).split("及") if part] or [norm_unit(text)]


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def similarity(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / max(1, len(x | y))


def _scaled(value: float, unit: str | None) -> float:
    written = norm(unit or "")
    return value * next((m for prefix, m in _MAGNITUDES if written.startswith(prefix)), 1.0)


def prf(tp: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1; nothing predicted and nothing expected counts as perfect."""
    p = tp / predicted if predicted else (1.0 if not gold else 0.0)
    r = tp / gold if gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class Score:
    tp: int
    pred: int
    gold: int
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        p, r, f = prf(self.tp, self.pred, self.gold)
        return {"tp": self.tp, "pred": self.pred, "gold": self.gold, "p": p, "r": r, "f": f,
                "missed": self.missed, "extra": self.extra}


def score_responsibilities(gold: dict[str, Any], rows: list[dict[str, str]]) -> Score:
    """(task, role, unit) triples: each predicted task is aligned to one gold task."""
    tasks = gold["tasks"]
    gold_quotes = [norm(t["quote"]) for t in tasks]
    gold_titles = [norm(t["title"]) for t in tasks]
    gold_paths = [_PATH_SUFFIX.sub("", norm(t["path"])) for t in tasks]
    expected: Counter[tuple[int, str, str]] = Counter()
    for i, task in enumerate(tasks):
        for role, units in (("lead", task["lead"]), ("participant", task["participants"])):
            for unit in units:
                for key in unit_keys(unit):
                    expected[i, role, key] += 1
    by_task: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        by_task.setdefault((row["task_path"], row["task_title"]), []).append(row)
    found: Counter[tuple[int, str, str]] = Counter()
    used: set[int] = set()
    for (path, title), task_rows in by_task.items():
        quote, title_key = norm(task_rows[0].get("quote", "")), norm(title)
        candidates = [i for i, q in enumerate(gold_quotes)
                      if quote and (q == quote or (len(quote) > 6 and (quote in q or q in quote)))]
        if candidates:
            # one clause can stand in several tasks: an unused gold task first, then the same
            # outline position, then the closest title
            base = _PATH_SUFFIX.sub("", norm(path))
            index = max(candidates, key=lambda k: (k not in used, gold_paths[k] == base,
                                                   SequenceMatcher(None, title_key, gold_titles[k]).ratio()))
            used.add(index)
        else:
            best = max(range(len(gold_titles)), key=lambda k: similarity(title_key, gold_titles[k]), default=None)
            index = best if best is not None and similarity(title_key, gold_titles[best]) >= 0.35 else -1
        for row in task_rows:
            for key in unit_keys(row["unit"]):
                found[index, row["role"].strip().lower(), key] += 1

    def named(triple: tuple[int, str, str]) -> str:
        index, role, unit = triple
        return f"{tasks[index]['path'] if index >= 0 else '?'} {role} {unit}"

    return Score(sum((expected & found).values()), sum(found.values()), sum(expected.values()),
                 [named(t) for t in sorted(expected - found)[:SHOWN]],
                 [named(t) for t in sorted(found - expected)[:SHOWN]])


def _excluded(quote: str, excluded: list[str]) -> bool:
    """A predicted target from a sentence the gold lists as not scored: neither right nor wrong."""
    text = norm(quote)
    if len(text) < 4:
        return False
    return any(text in e or e in text
               or SequenceMatcher(None, text, e).find_longest_match(0, len(text), 0, len(e)).size >= 8
               for e in excluded)


def score_targets(gold: dict[str, Any], rows: list[dict[str, str]]) -> Score:
    items = [*gold.get("indicator_targets", []),
             *(dict(g, optional=True) for g in gold.get("indicator_targets_implicit_year", []))]
    excluded = [norm(e["quote"]) for e in gold.get("excluded_quantitative", []) if e.get("quote")]
    used: set[int] = set()
    tp = fp = 0
    extra: list[str] = []
    for row in rows:
        try:
            year = int(float(row["year"])) if row.get("year") not in ("", None) else None
            value = _scaled(float(row["value"]), row.get("unit"))
        except (TypeError, ValueError):
            fp += 1
            extra.append(f"unparsable {row.get('indicator')} {row.get('year')} {row.get('value')}")
            continue
        text = norm((row.get("indicator") or "") + (row.get("quote") or ""))
        best, best_similarity = None, 0.0
        for i, item in enumerate(items):
            if i in used or item.get("year") != year:
                continue
            expected = _scaled(float(item["value"]), item.get("unit"))
            if abs(expected - value) > 1e-6 * max(1.0, abs(expected)):
                continue
            s = similarity(text, norm(item["indicator"] + item["quote"]))
            if s > best_similarity:
                best, best_similarity = i, s
        if best is not None and best_similarity >= 0.1:
            used.add(best)
            tp += not items[best].get("optional")
        elif not _excluded(row.get("quote") or "", excluded):
            fp += 1
            extra.append(f"{row.get('indicator')} {year} {row.get('value')}{row.get('unit', '')}")
    required = [i for i, item in enumerate(items) if not item.get("optional")]
    missed = [f"{items[i]['indicator']} {items[i]['year']} {items[i]['value']}{items[i].get('unit') or ''}"
              for i in required if i not in used]
    return Score(tp, tp + fp, len(required), missed[:SHOWN], extra[:SHOWN])


def score_resolution(spec: dict[str, Any], rows: list[dict[str, str]], sha_of: dict[str, str]) -> dict[str, Any]:
    """Pairs of (document, written unit) that must resolve to one unit id, or must not."""
    ids: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        ids.setdefault((row["doc_sha256"], norm_unit(row["unit"])), set()).add(row["unit_id"])
    ok, failed = 0, []
    for verdict in ("same", "different"):
        for (doc_a, unit_a), (doc_b, unit_b) in spec.get(verdict, []):
            a = ids.get((sha_of.get(doc_a, ""), norm_unit(unit_a)), set())
            b = ids.get((sha_of.get(doc_b, ""), norm_unit(unit_b)), set())
            good = bool(a and b) and (a == b and len(a) == 1 if verdict == "same" else not a & b)
            ok += good
            if not good:
                failed.append(f"{verdict}: {doc_a}:{unit_a} {sorted(a) or 'not found'} / "
                              f"{doc_b}:{unit_b} {sorted(b) or 'not found'}")
    return {"ok": ok, "total": ok + len(failed), "failed": failed}


def _read_table(path: Path, required: list[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise EvaluationError(f"{path}: missing; run `policykg build DATA --out {path.parent}` first")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = [c for c in required if rows and c not in rows[0]]
    if missing:
        raise EvaluationError(f"{path}: missing columns {', '.join(missing)}")
    return rows


def _document_sha(gold: dict[str, Any], path: Path, names: dict[str, str], sources: Path | None) -> str:
    """The sha256 of the annotated document: given in the gold, else by file name in the build
    (or in SOURCES)."""
    if gold.get("sha256"):
        return str(gold["sha256"]).lower()
    doc = str(gold.get("doc") or "")
    if doc in names:
        return names[doc]
    if sources is not None and (sources / doc).is_file():
        return hashlib.sha256((sources / doc).read_bytes()).hexdigest()
    raise EvaluationError(f"{path}: document {doc!r} is not in the build; add its \"sha256\" to the gold file "
                          "or pass --sources with the original files")


def evaluate(gold_dir: Path | str, out: Path | str = "out", sources: Path | str | None = None) -> dict[str, Any]:
    """Precision/recall/F1 per annotated document and overall, misses and extras listed."""
    gold_dir, out = Path(gold_dir), Path(out)
    sources = Path(sources) if sources else None
    gold_files = sorted(p for p in gold_dir.glob("*.json") if p.name != RESOLUTION_FILE) if gold_dir.is_dir() else []
    if not gold_files:
        raise EvaluationError(f"{gold_dir}: no gold annotation files (*.json) here")
    resp = _read_table(out / "responsibilities.csv",
                       ["doc", "doc_sha256", "task_path", "task_title", "role", "unit", "unit_id", "quote"])
    targets = _read_table(out / "targets.csv", ["doc_sha256", "indicator", "unit", "year", "value", "quote"])
    names = {row["doc"]: row["doc_sha256"] for row in (*resp, *targets) if row.get("doc")}
    documents: dict[str, Any] = {}
    totals: Counter[str] = Counter()
    sha_of: dict[str, str] = {}
    for path in gold_files:
        try:
            gold = json.loads(path.read_text(encoding="utf-8"))
            doc = str(gold["doc"])
            if not isinstance(gold["tasks"], list):
                raise TypeError("'tasks' is not a list")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EvaluationError(f"{path}: not a gold annotation file ({type(exc).__name__}: {exc})") from exc
        sha = sha_of[doc] = _document_sha(gold, path, names, sources)
        r = score_responsibilities(gold, [row for row in resp if row["doc_sha256"] == sha])
        t = score_targets(gold, [row for row in targets if row["doc_sha256"] == sha])
        documents[doc] = {"sha256": sha, "responsibilities": r.as_dict(), "targets": t.as_dict()}
        for kind, score in (("r", r), ("t", t)):
            for key in ("tp", "pred", "gold"):
                totals[f"{kind}_{key}"] += getattr(score, key)
    overall: dict[str, Any] = {
        kind: dict(zip("prf", prf(totals[f"{k}_tp"], totals[f"{k}_pred"], totals[f"{k}_gold"])))
        for kind, k in (("responsibilities", "r"), ("targets", "t"))}
    resolution_path = gold_dir / RESOLUTION_FILE
    if resolution_path.is_file():
        try:
            spec = json.loads(resolution_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise EvaluationError(f"{resolution_path}: not JSON ({exc})") from exc
        overall["resolution"] = score_resolution(spec, resp, sha_of)
    return {"documents": documents, "overall": overall}


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report as a table: P/R/F1 per document, misses and extras under each."""
    docs = report["documents"]
    width = max([len("document"), *map(len, docs)])
    lines = [f"{'document':{width}}  {'resp P':>6} {'resp R':>6} {'resp F1':>7}  {'targ P':>6} {'targ R':>6} "
             f"{'targ F1':>7}"]
    for doc, scores in docs.items():
        r, t = scores["responsibilities"], scores["targets"]
        lines.append(f"{doc:{width}}  {r['p']:6.3f} {r['r']:6.3f} {r['f']:7.3f}  {t['p']:6.3f} {t['r']:6.3f} "
                     f"{t['f']:7.3f}")
        for kind, short in (("responsibilities", "resp"), ("targets", "targ")):
            lines += [f"    missed {short}: {m}" for m in scores[kind]["missed"]]
            lines += [f"    extra  {short}: {m}" for m in scores[kind]["extra"]]
    overall = report["overall"]
    if "resolution" in overall:
        lines += [f"    resolution failed: {f}" for f in overall["resolution"]["failed"]]
        lines.append(f"resolution: {overall['resolution']['ok']}/{overall['resolution']['total']} pairs right")
    r, t = overall["responsibilities"], overall["targets"]
    lines.append(f"overall responsibilities P={r['p']:.3f} R={r['r']:.3f} F1={r['f']:.3f}; "
                 f"targets P={t['p']:.3f} R={t['r']:.3f} F1={t['f']:.3f}")
    return lines
