"""Deadlines of tasks (完成时限): as written -> ISO year, year-month or date, or "ongoing".

Forms: 2022年底前 -> 2022; 2022年6月底前 / 2022年6月 -> 2022-06; 2022年6月30日前 -> 2022-06-30;
2022年上半年 -> 2022-06; 2023年第三季度 -> 2023-09; 2023—2025年 -> 2025; 6月底完成, 年内, 年底前
(no year written) -> the plan's own year, when the plan covers one year; 长期坚持, 持续推进, 每年 ->
ongoing. The words live in resources/clause_words.json ("deadlines").
"""

from __future__ import annotations

import calendar
import re
from functools import lru_cache
from typing import Any

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Any]:
    from policykg.extract.clauses import clause_words

    words = clause_words()["deadlines"]

    def alt(ws: list[str]) -> str:
        return "|".join(map(re.escape, sorted(ws, key=len, reverse=True)))

    def starting(ws: list[str]) -> str:  # a lookahead on the first characters of the words
        return "(?=[" + re.escape("".join(sorted({w[0] for w in ws}))) + "])"

    year = r"(?:(?P<y0>(?:19|20)\d{2})\s*年?\s*[—\-–~～至到]\s*)?(?P<y>(?:19|20)\d{2})\s*年(?:度)?"
    within = (r"(?:(?P<q>第?[一二三四1-4])季度|(?P<h>上半年|下半年)"
              r"|(?P<m>1[0-2]|0?[1-9])\s*月(?:份)?(?:(?P<d>\d{1,2})\s*日|(?P<part>底|末|中旬|上旬|下旬|初|中))?)")
    this_year = rf"(?P<this>{alt(words['this_year'])})"
    # (the lookahead keeps the empty match off every other character of a long text)
    date = rf"(?:(?<!\d)(?=[\d第上下])(?:{year})?(?:{within}|(?<=年)(?P<yend>底|末|内))?|{this_year})"
    # every date starts with a digit, 第, 上/下 (半年) or a this-year word: a lookahead on those
    # lets the engine skip every other position of a long text at C speed
    start = "(?=[" + r"\d" + re.escape("".join(sorted({"第", "上", "下", *(w[0] for w in words["this_year"])}))) + "])"
    before = r"(?:前|以前|之前)"
    field_start = starting(["【", *words["field_labels"]])
    return {
        # the characters any match below starts with (the lookaheads of "date", "by", "ongoing" and
        # "field"): a text holding none of them holds no deadline, and is not scanned for one
        "any_start": re.compile("[" + r"\d" + re.escape("".join(sorted(
            {"第", "上", "下", "【", *(w[0] for w in [*words["this_year"], *words["ongoing"],
                                                   *words["field_labels"]])}))) + "]"),
        # a date anywhere in a clause note, a field or a table cell
        "date": re.compile(rf"{start}{date}(?:{before})?(?:完成)?"),
        # a date in running task text only where it says "by": 2022年底前, 6月底前完成, 年内完成
        # (read_deadline skips a text holding neither 前 nor 完成, which every match ends with)
        "by": re.compile(rf"{start}{date}(?:{before}(?:完成|出台|建成|实现|落地|印发|制定)?|(?<=[底末内])完成)"),
        "ongoing": re.compile(starting(words["ongoing"]) + f"(?:{alt(words['ongoing'])})"),
        "field": re.compile(field_start
                            + rf"(?:【(?:{alt(words['field_labels'])})】|(?:{alt(words['field_labels'])})\s*[：:])"
                            r"\s*([^；;。）)【\n]{1,40})"),
    }


def _iso(m: re.Match[str], plan_year: int | None) -> str:
    year = int(m.group("y")) if m.group("y") else plan_year
    if year is None:
        return ""
    if m.group("q"):
        return f"{year}-{3 * _CN_DIGITS[m.group('q')[-1]]:02d}"
    if m.group("h"):
        return f"{year}-06" if m.group("h") == "上半年" else f"{year}"
    if m.group("m"):
        month = int(m.group("m"))
        if not 1 <= month <= 12:
            return f"{year}"
        if m.group("d"):
            day = int(m.group("d"))
            if 1 <= day <= calendar.monthrange(year, month)[1]:
                return f"{year}-{month:02d}-{day:02d}"
        return f"{year}-{month:02d}"
    return f"{year}"


def read_deadline(text: str, plan_year: int | None = None, running_text: bool = False) -> tuple[str, str] | None:
    """(ISO deadline, as written) of the first deadline in `text`, or None. `running_text`:
    `text` is task prose, where only a date said to be a limit counts ("2022年底前完成"), never
    a goal year ("到2025年") and never "持续推进…"."""
    p = _patterns()
    if running_text:
        if "前" not in text and "完成" not in text:
            return None  # every "by" match ends with 前 (前, 以前, 之前) or 完成: none in this text
    elif not p["any_start"].search(text):
        # no character a deadline starts with (most clause notes: "（、负责）"): one scan, not three
        return None
    else:
        field = p["field"].search(text)
        if field:
            got = read_deadline(field.group(1), plan_year)
            if got:
                return got
    pattern = p["by"] if running_text else p["date"]
    for m in pattern.finditer(text):
        if any(m.group("y", "q", "h", "m", "this")):
            return _iso(m, plan_year), m.group(0)
    if not running_text:
        m = p["ongoing"].search(text)
        if m:
            return "ongoing", m.group(0)
    return None


def may_hold_deadline(text: str, start: int, end: int, running_text: bool = False) -> bool:
    """Whether text[start:end] may hold a deadline read_deadline would read (False: it reads none
    there), told without copying the text out: in running text a 前 or 完成 (which every "by" match
    ends with), elsewhere a character a deadline starts with."""
    if running_text:
        return text.find("前", start, end) >= 0 or text.find("完成", start, end) >= 0
    return _patterns()["any_start"].search(text, start, end) is not None


def due_by(deadline: str) -> str:
    """The last day a deadline allows, as an ISO date ("2022" -> "2022-12-31",
    "2022-06" -> "2022-06-30"); "" for ongoing work or none."""
    if not deadline or deadline == "ongoing":
        return ""
    parts = deadline.split("-")
    if len(parts) == 1:
        return f"{parts[0]}-12-31"
    if len(parts) == 2:
        year, month = int(parts[0]), int(parts[1])
        return f"{deadline}-{calendar.monthrange(year, month)[1]:02d}"
    return deadline
