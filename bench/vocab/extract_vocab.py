"""Extract the prose vocabularies of the benchmark corpus from the sample plans in data/.

Writes bench/vocab/sentences.txt (body sentences), task_titles.txt (task headings) and
action_titles.txt (（一）-level action headings). Place names of the samples become
placeholders: {city} ("清远市") and {short} ("清远"), so the generator can reuse a sentence for
any jurisdiction. Run again when data/ changes:  python bench/vocab/extract_vocab.py
"""

from __future__ import annotations

import re
from pathlib import Path

import opencc

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "data"

SAMPLE_CITIES = ("清远", "广州", "韶关")
# names too tied to one sample place to reuse elsewhere
PLACE_BOUND = re.compile(
    r"大湾区|粤港澳|入珠融湾|珠三角|粤东西北|广东|中山大学|华南|广清|穗|粤北|英德|南沙|天河|韶钢|莞韶|佛冈"
    r"|清城|清新|连州|广佛|广德|20xx"
)
PINYIN = re.compile(r"\([a-zāáǎàōóǒòēéěèīíǐìūúǔùǖǘǚǜü]+\)")
# numbering, "一是", dashes and the dots a PDF copy leaves before a sentence
LEADING = re.compile(r"^(?:\s*(?:\d+[.、．]|[一二三四五六七八九十]+是|——|[.…．]+))+\s*")
CLAUSE = re.compile(r"[（(](?:牵头|责任|參與|参与)[^）)]*[）)]")
TASK_HEADING = re.compile(r"^\s*(?:\d+[.、．]|（\d+）)\s*([^。；\n]{4,30})。", re.M)
ACTION_HEADING = re.compile(r"^\s*[（(][一二三四五六七八九十]+[）)]\s*([^。\n]{4,40}?)。?$", re.M)


def sample_texts() -> dict[str, str]:
    to_simplified = opencc.OpenCC("t2s")
    texts = {}
    for path in sorted(DATA.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if "_pdf" in path.name:
            # PDF copy: lines broken mid-sentence, bold headings printed four times
            text = re.sub(r"\n\s*-\s*\d+\s*-\s*\n", "\n", text)
            text = re.sub(r"(?<=[^。：；）\n])\n\s*\n?(?=\S)", "", text)
            text = re.sub(r"((.{2,40}?))\1{3}", r"\1", text)
        texts[path.name] = to_simplified.convert(PINYIN.sub("", text))
    return texts


def placeholders(sentence: str) -> str:
    for city in SAMPLE_CITIES:
        sentence = sentence.replace(city + "市", "{city}").replace(city, "{short}")
    return sentence


def main() -> None:
    sentences: dict[str, None] = {}
    titles: dict[str, None] = {}
    actions: dict[str, None] = {}
    for text in sample_texts().values():
        text = CLAUSE.sub("", text)
        for m in TASK_HEADING.finditer(text):
            title = m.group(1).strip().lstrip(".…。． ")
            if not PLACE_BOUND.search(title) and not re.search(
                r"\d|工作目标|主要任务|单位|[市县区].{1,8}[委局]", title
            ):
                titles[placeholders(title)] = None
        for m in ACTION_HEADING.finditer(text):
            title = m.group(1).strip()
            if "行动" in title and not PLACE_BOUND.search(title):
                actions[placeholders(title.split("，")[0])] = None
        for paragraph in text.splitlines():
            paragraph = paragraph.strip()
            if len(paragraph) < 60:  # headings, table cells, short lines
                continue
            for sentence in re.findall(r"[^。；;]+[。；;]", paragraph):
                sentence = LEADING.sub("", sentence).strip()
                # full-width punctuation; the generator makes half-width copies itself
                sentence = (
                    sentence.replace(",", "，").replace(":", "：").replace("(", "（").replace(")", "）")
                )
                sentence = sentence.rstrip("；;") + "。" if sentence[-1] in "；;" else sentence
                if (
                    14 <= len(sentence) <= 110
                    and not PLACE_BOUND.search(sentence)
                    and not re.search(
                        r"\d|单位|[市县区][^，。]{1,8}[委局]|[（(][^）)]*$|^[^（(]*[）)]|[“][^”]*$|^[^“]*”",
                        sentence,
                    )
                ):
                    sentences[placeholders(sentence)] = None
    (HERE / "sentences.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    (HERE / "task_titles.txt").write_text("\n".join(titles) + "\n", encoding="utf-8")
    (HERE / "action_titles.txt").write_text("\n".join(actions) + "\n", encoding="utf-8")
    print(f"{len(sentences)} sentences, {len(titles)} task titles, {len(actions)} action titles")


if __name__ == "__main__":
    main()
