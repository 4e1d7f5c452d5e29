"""The targets reader tries its digit-led patterns only where a run of digits starts
(extract/targets.py `_digit_runs`, `_matches_at`) and writes the annual plan's year words with the
look-behind after their first character (`_not_after`): both must find exactly what the plain
pattern searches find, on the real plans of data/ and tests/fixtures and on text built to trip them
(digits after letters, points and other digits, numbers broken over lines, full-width and other
Unicode digits). The same holds for the cheap tests that let the reader skip a scan: the bare
value's words before a run of digits, the event words looked for by their cover."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from policykg.extract.pipeline import load_document
from policykg.extract.targets import (
    _TABLE_YEAR_HINT,
    _YEAR,
    _after_bare_value_word,
    _digit_runs,
    _matches_at,
    _may_have_event,
    _not_after,
    _paragraph_words,
    vocabulary,
)

ROOT = Path(__file__).resolve().parents[1]
PLANS = sorted((ROOT / "data").glob("*.txt")) + sorted((ROOT / "tests" / "fixtures" / "targets").glob("*.txt"))

# what the digit-led patterns must not be fooled by: a digit after a letter, a point or a digit,
# a range, a number broken by a line break or spaces, Arabic-Indic and full-width digits
TRICKY = ("到2025年，高新技术企业达到500家以及5G基站3.5万个，A12项，v2.0版，1.2.3家，"
          "2023年、2025年分别达到100家、150家\n202\n5年 30 家 ٣٤ 家 ３０家 1—2个 5%—8% 2到3个\n"
          "主要指标 2021年 2022年 2023年\n高新技术企业（家）350 400 450\n20\n26年 1 2 3")


def _texts() -> list[str]:
    return [load_document(path).text for path in PLANS] + [TRICKY, TRICKY.replace("\n", "")]


@pytest.mark.parametrize("name", ["number_unit", "year", "table_year_hint"])
def test_patterns_tried_at_runs_of_digits_find_what_a_search_finds(name: str) -> None:
    pattern = {"number_unit": vocabulary().number_unit, "year": _YEAR, "table_year_hint": _TABLE_YEAR_HINT}[name]
    texts = _texts()
    assert len(texts) > 10
    found = 0
    for text in texts:
        searched = [m.span() for m in pattern.finditer(text)]
        tried = [m.span() for m in _matches_at(pattern, text, _digit_runs(text))]
        assert tried == searched
        found += len(searched)
        for line in text.split("\n"):  # as the text reader runs them: line by line
            starts = [m.start() for m in re.finditer(r"\d+", line)]
            assert [m.span() for m in _matches_at(pattern, line, starts)] == \
                [m.span() for m in pattern.finditer(line)]
    assert found > 100  # the plans hold numbers: the comparison compared something


def test_digit_runs_are_where_every_run_of_digits_starts() -> None:
    for text in _texts():
        assert _digit_runs(text) == [m.start() for m in re.finditer(r"\d+", text)]
    # the last text's runs are kept: a new text is scanned anew
    assert _digit_runs("甲1乙22丙") == [1, 3]
    assert _digit_runs("333") == [0]


def test_annual_plan_year_words_not_after_a_numeral() -> None:
    raw = vocabulary().raw
    chars = r"\d〇零一二两三四五六七八九十明去前后"
    words = "|".join(re.escape(w) for w in sorted(set(raw["plan_year_words"]), key=len, reverse=True))
    written = re.compile(rf"(?<![{chars}])(?:{words})")  # the look-behind first, as it was written
    ours = _not_after(raw["plan_year_words"], chars)
    probes = "年底前完成；明年底前；今年内；去年内；三年内；本年度；全年；年末年底；2024年底前"
    for text in [*_texts(), probes]:
        assert [m.span() for m in ours.finditer(text)] == [m.span() for m in written.finditer(text)]
    assert [m.group() for m in ours.finditer(probes)] == ["年底前", "今年", "本年度", "全年", "年末", "年底"]


# a bare value's words before digits, with and without spaces, in and out of a clause's end
BARE = "PUE降到1.3以下，能耗控制在 5 以内；下降至12%，保持在\u30002，维持在1.5左右，低于3家，提高到，优于"


def test_bare_values_found_only_where_a_run_of_digits_follows_their_word() -> None:
    vocab = vocabulary()
    words = _paragraph_words(vocab).bare_value_words
    lines = [line for text in [*_texts(), BARE] for line in text.split("\n")]
    found = 0
    for line in lines:
        starts = [m.start() for m in re.finditer(r"\d+", line)]
        values = list(vocab.bare_value.finditer(line))
        found += len(values)
        # the test lets the scan be skipped only where the scan finds nothing
        assert _after_bare_value_word(line, starts, words) or not values
        # and it is no looser than a look at each value's start
        assert _after_bare_value_word(line, starts, words) == any(
            re.search(rf"(?:{'|'.join(map(re.escape, words))})\s*$", line[:at]) for at in starts)
    assert found >= 5  # the probes and the plans hold bare values: the comparison compared something


def test_event_words_found_as_a_search_of_every_word_finds_them() -> None:
    vocab = vocabulary()
    raw = vocab.raw
    words = [*raw["period_names"], *raw["horizon_words"], *raw["plan_year_words"]]
    every = re.compile("|".join(re.escape(w) for w in words))
    probes = ["“十四五”期间", "计划期内", "期末", "规划期内完成", "三年内", "年底前", "今年", "十三五规划", "无年份的一句话"]
    lines = [line for text in [*_texts(), *probes] for line in text.split("\n")]
    held = 0
    for line in lines:
        holds = every.search(line) is not None or "年" in line
        assert _may_have_event(line, (2021, 2025), vocab) == holds
        held += holds
    assert 0 < held < len(lines)
