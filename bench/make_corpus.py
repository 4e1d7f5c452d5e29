"""Generate a large, realistic corpus of Chinese science-and-technology plans for benchmarks.

    python bench/make_corpus.py --docs N --out DIR [--seed S]

Writes
    DIR/docs/*.txt          the plans (the build input); most UTF-8, some GBK, some Traditional,
                            some with PDF-extraction artefacts
    DIR/docs/manifest.json  titles, issuers, periods as data/manifest.json does; about one document
                            in five is left out so that metadata inference is exercised
    DIR/truth.json          ground truth per file: every task with its lead and participant units
                            as generated, every quantitative target
    DIR/truth/*.json        the same, one file per document in the gold format of
                            tests/gold, so that a build of the corpus can be scored:
                            policykg evaluate DIR/truth --out OUT --sources DIR/docs

The structure (outline numbering, responsibility clauses, indicator tables, target sentences) and
the vocabularies (units, titles, body sentences, indicators) come from the sample plans in data/
(bench/vocab/, extracted by bench/vocab/extract_vocab.py). Document i depends only on (seed, i),
so the first 10 documents of a 1000-document corpus are the 10-document corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opencc

VOCAB = Path(__file__).resolve().parent / "vocab"

CN_NUM = "一二三四五六七八九十"
HALF_WIDTH = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ",", "；": ";"})


def cn_number(n: int) -> str:
    """1..99 as Chinese numerals (一, 十一, 二十三)."""
    if n <= 10:
        return CN_NUM[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_NUM[tens - 1]) + "十" + (CN_NUM[ones - 1] if ones else "")


def read_tsv(name: str) -> list[list[str]]:
    rows = []
    for line in (VOCAB / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def read_lines(name: str) -> list[str]:
    return [line for line in (VOCAB / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class UnitType:
    written: str  # city-level written form, "市科技局" ("{sub}人民政府" for templates)
    canonical: str  # "{jur}科学技术局"
    kind: str
    weight: float
    variants: tuple[str, ...] = ()
    level: str = "any"  # city | district | any


@dataclass
class Vocab:
    jurisdictions: list[tuple[str, str, list[str]]]
    departments: list[UnitType]
    collectives: list[UnitType]
    parks: list[list[str]]
    firm_words: list[str]
    indicators: list[list[str]]
    sentences: list[str]
    task_titles: list[str]
    action_titles: list[str]

    @classmethod
    def load(cls) -> Vocab:
        departments = [
            UnitType(
                r[0], r[1], r[2], float(r[3]), tuple(v for v in (r[4] if len(r) > 4 else "").split("|") if v)
            )
            for r in read_tsv("departments.tsv")
        ]
        collectives = [UnitType(r[0], r[1], r[2], float(r[4]), (), r[3]) for r in read_tsv("collectives.tsv")]
        return cls(
            jurisdictions=[(r[0], r[1], r[2].split("|")) for r in read_tsv("jurisdictions.tsv")],
            departments=departments,
            collectives=collectives,
            parks=read_tsv("parks.tsv"),
            firm_words=read_lines("firm_words.txt"),
            indicators=read_tsv("indicators.tsv"),
            sentences=read_lines("sentences.txt"),
            task_titles=read_lines("task_titles.txt"),
            action_titles=read_lines("action_titles.txt"),
        )


@dataclass
class Unit:
    """A unit as one document writes it (Simplified, full-width) and what it stands for."""

    written: str
    canonical: str
    kind: str


@dataclass
class Style:
    """How one document looks: the choices a real drafting office or a converter makes."""

    traditional: bool
    encoding: str  # utf-8 | gbk | utf-8-sig
    pdf: bool  # PDF-extraction artefacts
    half_width: bool  # web-page style (責任單位:…) punctuation
    clause_forms: list[str]  # the clause forms this document uses, first = dominant
    level3: str  # "1." | "1、" | "1．"
    level2_half: bool  # (一) instead of （一）
    table: str  # "cells" (one cell per line, tab-indented) | "rows" | "none"
    full_names: bool  # units written with the full canonical name
    carry_prefix: bool  # "市科技局、发展改革局" (later units drop the 市)
    layout: str  # "numbered" (1.title。body) | "unnumbered" (2.主要任务 then paragraphs) | "sub" ((1) items)
    targets_only: bool  # a plan without responsibility clauses


@dataclass
class Jurisdiction:
    province: str
    name: str  # 清远市 / 清城区 / 英德市
    short: str  # 清远 / 清城 / 英德
    level: str  # city | district
    city: str  # the prefecture-level city
    subs: list[str]  # districts/counties (for a city) or towns (for a district)
    prefix: str  # the one-character prefix of department names: 市 / 区 / 县


@dataclass
class DocBuilder:
    rng: random.Random
    vocab: Vocab
    jur: Jurisdiction
    style: Style
    lines: list[str] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    # ---- units -------------------------------------------------------------------------
    def department(self, ut: UnitType) -> Unit:
        written = ut.written
        if self.style.full_names:
            written = ut.canonical
        elif ut.variants and self.rng.random() < 0.12:
            written = self.rng.choice(ut.variants)
        canonical = ut.canonical
        if self.jur.prefix != "市":
            written = re.sub(r"^市", self.jur.prefix, written)
        return Unit(self.fill(written), self.fill(canonical), ut.kind)

    def fill(self, template: str) -> str:
        sub = self.rng.choice(self.jur.subs)
        return (
            template.replace("{jur}", self.jur.name)
            .replace("{city}", self.jur.name)
            .replace("{short}", self.jur.short)
            .replace("{sub}", sub)
            .replace("{word}", self.rng.choice(self.vocab.firm_words))
        )

    def pick_units(self, n: int, exclude: set[str]) -> list[Unit]:
        pool: list[tuple[float, Any]] = [(d.weight, d) for d in self.vocab.departments]
        pool += [(c.weight, c) for c in self.vocab.collectives if c.level in ("any", self.jur.level)]
        pool += [(4.0, "park")]
        units: list[Unit] = []
        for _ in range(n * 4):
            if len(units) == n:
                break
            weights = [w for w, _ in pool]
            choice = self.rng.choices(pool, weights)[0][1]
            if choice == "park":
                row = self.rng.choice([p for p in self.vocab.parks if p[0] == "park" and p[3]])
                written = self.fill(row[1])
                unit = Unit(written, written.removesuffix("管委会") + "管委会", row[3])
            elif choice.kind in ("Collective", "Government"):
                unit = Unit(self.fill(choice.written), "", choice.kind)
                unit.canonical = unit.written if choice.kind == "Government" else self.fill(choice.canonical)
                if unit.kind == "Government" and unit.written.endswith("政府") and "人民" not in unit.written:
                    unit.canonical = unit.written.removesuffix("政府") + "人民政府"
            else:
                unit = self.department(choice)
            if unit.canonical not in exclude and unit.written not in {u.written for u in units}:
                exclude.add(unit.canonical)
                units.append(unit)
        return units

    # ---- clauses -----------------------------------------------------------------------
    def clause(self, form: str) -> tuple[str, list[Unit], list[Unit], bool]:
        """A responsibility clause: its text, leads, participants, whether it is a plain list."""
        rng = self.rng
        used: set[str] = set()
        n_lead = 1 if rng.random() < 0.85 else 2
        leads = self.pick_units(n_lead, used)
        n_part = rng.choice([0, 1, 2, 2, 3, 3, 4, 5, 6]) if form not in ("lead-only", "inline-fuze") else 0
        parts = self.pick_units(n_part, used) if n_part else []
        names = [u.written for u in leads + parts]
        if self.style.carry_prefix:
            names = [names[0]] + [
                re.sub(r"^" + self.jur.prefix + r"(?!委)", "", n) if n.startswith(self.jur.prefix) else n
                for n in names[1:]
            ]
            for unit, name in zip(leads + parts, names, strict=True):
                unit.written = name
        lead_txt = "、".join(u.written for u in leads)
        part_txt = "、".join(u.written for u in parts)
        listed: bool | str = False
        if form == "labelled":
            label_l, label_p = rng.choice(
                [
                    ("牵头单位", "参与单位"),
                    ("牵头单位", "配合单位"),
                    ("牵头部门", "配合部门"),
                    ("牵头单位", "协办单位"),
                ]
            )
            sep = rng.choice(["，", "；", "，", "。"])
            text = f"（{label_l}：{lead_txt}" + (f"{sep}{label_p}：{part_txt}" if parts else "") + "）"
        elif form == "lead-only":
            text = f"（{rng.choice(['牵头单位', '牵头部门', '责任单位'])}：{lead_txt}）"
            listed = "责任" in text
        elif form == "responsible-list":
            label = rng.choice(["责任单位", "责任单位", "责任部门"])
            # the samples separate groups (departments / districts / parks) with a comma
            sep = "，" if parts and parts[-1].kind in ("Government", "Collective", "ParkCommittee") else "、"
            body = "、".join(names[: len(names) - 1]) + (sep + names[-1] if len(names) > 1 else names[0])
            if len(names) == 1:
                body = names[0]
            text = f"（{label}：{body}）"
            listed = True
        elif form == "inline":
            text = (
                f"（{lead_txt}牵头"
                + (f"，{part_txt}{rng.choice(['配合', '参与', '协同'])}" if parts else "")
                + "）"
            )
        elif form == "inline-fuze":
            text = f"（{lead_txt}负责）"
            listed = True
        elif form == "division":  # (A、B按职责分工负责): every unit leads its own share
            text = f"（{'、'.join(names)}按职责分工负责）"
            listed = "shared"
        else:
            raise ValueError(form)
        return text, leads, parts, listed

    # ---- prose ---------------------------------------------------------------------------
    def sentences(self, lo: int, hi: int) -> str:
        picked = self.rng.sample(self.vocab.sentences, self.rng.randint(lo, hi))
        return "".join(self.fill(s) for s in picked)

    def mention(self, task_path: str) -> str:
        """A sentence naming a park, a platform and a firm or two (recorded as entities)."""
        rng = self.rng
        park = self.fill(rng.choice([p for p in self.vocab.parks if p[0] == "park"])[1]).removesuffix(
            "管委会"
        )
        platform_row = rng.choice([p for p in self.vocab.parks if p[0] == "platform"])
        platform = self.fill(platform_row[1])
        firms = [self.fill(rng.choice([p for p in self.vocab.parks if p[0] == "firm"])[1]) for _ in range(2)]
        if firms[0] == firms[1]:
            firms = firms[:1]
        self.entities += [
            {"text": park, "kind": "Park", "task_path": task_path},
            {"text": platform, "kind": "Platform", "subtype": platform_row[2], "task_path": task_path},
        ] + [{"text": f, "kind": "Firm", "task_path": task_path} for f in firms]
        return rng.choice(
            [
                f"支持{'、'.join(firms)}等企业在{park}建设{platform}。",
                f"推动{park}建设{platform}，引导{'、'.join(firms)}等龙头企业加大研发投入。",
                f"依托{park}，加快{platform}建设，支持{'、'.join(firms)}开展关键核心技术攻关。",
            ]
        )

    def indicator_value(self, row: list[str], year_index: int) -> float:
        lo, hi, growth = float(row[2]), float(row[3]), row[4]
        base = self.rng.uniform(lo, hi)
        value = (
            base + float(growth) * year_index
            if growth.startswith(("+", "-"))
            else base * (1 + float(growth)) ** year_index
        )
        return max(0, round(value)) if row[5] == "1" else round(value, 1)

    def indicator_series(self, row: list[str], n: int) -> list[float]:
        """n yearly values from one base: additive or compound growth, as the samples' tables."""
        lo, hi, growth = float(row[2]), float(row[3]), row[4]
        base = self.rng.uniform(lo, hi)
        if growth.startswith(("+", "-")):
            values = [base + float(growth) * k for k in range(n)]
        else:
            values = [base * (1 + float(growth)) ** k for k in range(n)]
        return [max(0, round(v)) if row[5] == "1" else round(v, 1) for v in values]

    def text_target(self, year: int, task_path: str) -> str:
        row = self.rng.choice(self.vocab.indicators)
        value = self.indicator_value(row, self.rng.randint(1, 4))
        shown = fmt(value)
        verb = self.rng.choice(["达到", "超过", "突破", "力争达到"])
        unit = row[1]
        sentence = f"到{year}年，全{self.jur.prefix}{row[0]}{verb}{shown}{unit}"
        quote = f"{row[0]}{verb}{shown}{unit}"
        self.targets.append(
            {
                "indicator": row[0],
                "unit": unit,
                "year": year,
                "value": value,
                "source": "text",
                "quote": quote,
                "task_path": task_path,
            }
        )
        return sentence + self.rng.choice(["。", "以上。"])


def fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def make_style(rng: random.Random) -> Style:
    traditional = rng.random() < 0.12
    pdf = not traditional and rng.random() < 0.15
    encoding = "utf-8"
    if not traditional:
        encoding = rng.choices(["utf-8", "gbk", "utf-8-sig"], [0.78, 0.17, 0.05])[0]
    forms = ["labelled", "responsible-list", "inline", "inline-fuze", "division", "lead-only"]
    dominant = rng.choices(forms, [0.45, 0.25, 0.15, 0.05, 0.05, 0.05])[0]
    others = rng.sample([f for f in forms if f != dominant], rng.randint(0, 2))
    return Style(
        traditional=traditional,
        encoding=encoding,
        pdf=pdf,
        half_width=(traditional and rng.random() < 0.7) or rng.random() < 0.08,
        clause_forms=[dominant, *others],
        level3=rng.choice(["1.", "1.", "1、", "1．"]),
        level2_half=rng.random() < 0.15,
        # a PDF's text layer holds a table row per line; web pages and .doc exports hold a cell per line
        table=rng.choices(["rows", "rows", "none"] if pdf else ["cells", "rows", "none"], [0.35, 0.35, 0.3])[
            0
        ],
        full_names=rng.random() < 0.08,
        carry_prefix=dominant == "responsible-list" and rng.random() < 0.5,
        layout=rng.choices(["numbered", "unnumbered", "sub"], [0.6, 0.25, 0.15])[0],
        targets_only=rng.random() < 0.07,
    )


def make_jurisdiction(rng: random.Random, vocab: Vocab) -> Jurisdiction:
    province, city, districts = rng.choice(vocab.jurisdictions)
    if rng.random() < 0.7:
        return Jurisdiction(province, city, city.removesuffix("市"), "city", city, districts, "市")
    name = rng.choice(districts)
    short = re.sub(r"(壮族瑶族自治县|瑶族自治县|自治县|区|县|市)$", "", name)
    short = short if len(short) >= 2 else name
    prefix = name[-1] if name[-1] in "区县市" else "县"
    towns = [f"{short}{t}镇" for t in ("东", "西", "南", "北", "新")]
    return Jurisdiction(province, name, short, "district", city, towns, prefix)


def year_label(a: int, b: int, rng: random.Random) -> str:
    return f"（{a}{rng.choice(['—', '-', '－'])}{b}年）"


def build_document(index: int, seed: int, vocab: Vocab) -> dict[str, Any]:
    """One plan: its lines (Simplified, full-width, clean) and its truth."""
    rng = random.Random(f"{seed}:{index}")
    jur = make_jurisdiction(rng, vocab)
    style = make_style(rng)
    doc = DocBuilder(rng, vocab, jur, style)
    start = rng.randint(2016, 2024)
    five_year = rng.random() < 0.25
    end = start + (4 if five_year else 2)
    kind = rng.choice(
        [
            "科技创新发展行动计划",
            "建设创新型城市三年行动计划",
            "科技创新强区行动方案",
            "加快科技创新驱动发展实施方案",
            "推进高新技术产业发展行动计划",
        ]
    )
    title = f"{jur.name}{kind}{year_label(start, end, rng)}"
    if five_year and start == 2021:
        title = f"{jur.name}科技创新“十四五”规划（2021—2025年）"
    status = "征求意见稿" if rng.random() < 0.2 else ""
    issuer = f"{jur.name}人民政府"
    L = doc.lines
    if style.pdf:
        L.append("附件")
    L.append(title)
    if status:
        L.append(f"（{status}）")
    L.append(
        f"为深入实施创新驱动发展战略，加快建设{jur.short}科技创新体系，结合我{jur.prefix}实际，特制定本计划。"
    )
    # 一、总体要求
    L.append("一、总体要求")
    L.append(doc.sentences(3, 6))
    # 二、发展目标 (indicator table and text targets)
    L.append("二、发展目标")
    L.append(doc.sentences(2, 4) + doc.text_target(end, ""))
    if style.table != "none":
        rows = rng.sample(vocab.indicators, rng.randint(5, 10))
        years = list(range(start - 1, end + 1))
        L.append(f"{jur.short}科技创新主要指标年度分解表")
        header = ["主要指标", *[f"{y}年" for y in years]]
        body = []
        for row in rows:
            label = f"{row[0]}（{row[1]}）" if row[1] != "%" else row[0]
            values = doc.indicator_series(row, len(years))
            cells = [fmt(v) + ("%" if row[1] == "%" else "") for v in values]
            body.append([label, *cells])
            for y, v in zip(years, values, strict=True):
                doc.targets.append(
                    {
                        "indicator": row[0],
                        "unit": row[1],
                        "year": y,
                        "value": v,
                        "source": "table",
                        "quote": label,
                        "task_path": "",
                    }
                )
        if style.table == "cells":
            for r in [header, *body]:
                L.append("\n".join("\t" + c for c in r) + "\n")
        else:
            for r in [header, *body]:
                L.append(" ".join(r))
    # 三、主要任务
    L.append(f"三、{rng.choice(['主要任务', '重点任务', '主要行动'])}")
    L.append(doc.sentences(1, 2))
    actions = rng.sample(vocab.action_titles, min(len(vocab.action_titles), rng.randint(3, 6)))
    titles = rng.sample(vocab.task_titles, len(vocab.task_titles))
    for a, action in enumerate(actions, 1):
        marker2 = f"({cn_number(a)})" if style.level2_half else f"（{cn_number(a)}）"
        path2 = f"三.({cn_number(a)})"
        L.append(f"{marker2}{doc.fill(action)}")
        n_tasks = rng.randint(2, 6)
        if style.layout == "unnumbered":
            L.append(f"1{style.level3[1:]}工作目标。")
            L.append(doc.sentences(1, 2) + doc.text_target(end, f"{path2}.1"))
            L.append(f"2{style.level3[1:]}主要任务。")
        for t in range(1, n_tasks + 1):
            task_title = doc.fill(titles.pop()) if titles else f"推进第{t}项重点工作"
            if style.layout == "unnumbered":
                path = f"{path2}.2.{t}"
                head = f"{task_title}。"
            elif style.layout == "sub":
                # 1.heading then (1)(2) items that carry the clauses
                path = f"{path2}.1.({t})"
                if t == 1:
                    L.append(f"1{style.level3[1:]}{task_title}。{doc.sentences(1, 1)}")
                    task_title = doc.fill(titles.pop()) if titles else task_title
                head = f"（{t}）{task_title}。"
            else:
                path = f"{path2}.{t}"
                head = f"{t}{style.level3[1:]}{task_title}。"
            body = doc.sentences(3, 7)
            if rng.random() < 0.4:
                body += doc.mention(path)
            if rng.random() < 0.3:
                body += doc.text_target(rng.randint(start, end), path)
            if style.targets_only:
                L.append(head + body)
                continue
            form = style.clause_forms[0] if rng.random() < 0.8 else rng.choice(style.clause_forms)
            clause, leads, parts, listed = doc.clause(form)
            L.append(head + body + clause)
            task: dict[str, Any] = {
                "path": path,
                "title": task_title,
                "lead": [u.written for u in leads],
                "participants": [u.written for u in parts],
                "quote": clause,
                "form": form,
                "lead_ids": [u.canonical for u in leads],
                "participant_ids": [u.canonical for u in parts],
                "kinds": [u.kind for u in leads + parts],
            }
            everyone = leads + parts
            if listed == "shared":
                task.update(lead=[u.written for u in everyone], participants=[],
                            lead_ids=[u.canonical for u in everyone], participant_ids=[],
                            responsible=[u.written for u in everyone])
            elif listed:
                # a plain list names no roles: the first is read as lead (the gold's convention)
                task.update(
                    lead=[everyone[0].written],
                    participants=[u.written for u in everyone[1:]],
                    lead_ids=[everyone[0].canonical],
                    participant_ids=[u.canonical for u in everyone[1:]],
                    responsible=[u.written for u in everyone],
                )
            doc.tasks.append(task)
    # 四、保障措施 (no clauses)
    L.append("四、保障措施")
    for k, heading in enumerate(["加强组织领导", "加大财政投入", "强化督查考核"], 1):
        marker2 = f"({cn_number(k)})" if style.level2_half else f"（{cn_number(k)}）"
        L.append(f"{marker2}{heading}。{doc.sentences(1, 3)}")
    return {
        "index": index,
        "jurisdiction": jur,
        "style": style,
        "title": title,
        "issuer": issuer,
        "period": [start, end],
        "status": status,
        "doc": doc,
    }


class Renderer:
    """Turns the clean Simplified text into the file as a document's style writes it."""

    def __init__(self) -> None:
        self.s2t = opencc.OpenCC("s2t")

    def surface(self, s: str, style: Style) -> str:
        if style.half_width:
            s = s.translate(HALF_WIDTH)
        if style.traditional:
            s = self.s2t.convert(s)
        return s

    def pdf(self, text: str, rng: random.Random) -> str:
        """Page-wrapped lines, blank lines between them, page markers, bold headings printed 4x."""
        out: list[str] = []
        page, on_page = 1, 0
        out.append(f"\n- {page} -\n")
        for paragraph in text.split("\n"):
            if "\t" in paragraph or not paragraph.strip():
                continue
            m = re.match(r"^((?:\d+[.、．])|(?:（[一二三四五六七八九十]+）))([^。]{2,30}。)", paragraph)
            if m and rng.random() < 0.7:  # bold heading: the PDF text layer holds it four times
                paragraph = m.group(1) * 4 + m.group(2)[:-1] * 4 + "。" * 4 + paragraph[m.end() :]
            paragraph = re.sub(r"(?<=[\d])(?=[年家件个%位])|(?<=[超达到过破])(?=\d)", " ", paragraph)
            width = rng.randint(26, 30)
            chunks = [paragraph[i : i + width] for i in range(0, len(paragraph), width)] or [""]
            for chunk in chunks:
                out.append(chunk)
                on_page += 1
                if on_page >= 32:
                    page += 1
                    on_page = 0
                    out.append(f"- {page} -")
        return "\n\n".join(out) + "\n"

    def render(self, built: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        style: Style = built["style"]
        doc: DocBuilder = built["doc"]
        text = "\n\n".join(self.surface(line, style) for line in doc.lines) + "\n"
        if style.pdf:
            text = self.pdf(text, random.Random(built["index"]))
        jur: Jurisdiction = built["jurisdiction"]
        sf = lambda s: self.surface(s, style)  # noqa: E731
        truth = {
            "title": sf(built["title"]),
            "city": jur.name,
            "province": jur.province,
            "period": built["period"],
            "style": {
                "traditional": style.traditional,
                "encoding": style.encoding,
                "pdf": style.pdf,
                "half_width": style.half_width,
                "clause_forms": style.clause_forms,
                "layout": style.layout,
                "table": style.table,
                "full_names": style.full_names,
                "carry_prefix": style.carry_prefix,
            },
            "tasks": [
                {
                    **t,
                    "title": sf(t["title"]),
                    "quote": sf(t["quote"]),
                    "lead": [sf(u) for u in t["lead"]],
                    "participants": [sf(u) for u in t["participants"]],
                    **({"responsible": [sf(u) for u in t["responsible"]]} if "responsible" in t else {}),
                }
                for t in doc.tasks
            ],
            "indicator_targets": [
                {**g, "indicator": sf(g["indicator"]), "unit": sf(g["unit"]), "quote": sf(g["quote"])}
                for g in doc.targets
            ],
            "entities": [{**e, "text": sf(e["text"])} for e in doc.entities],
        }
        return text, truth


def file_name(built: dict[str, Any]) -> str:
    jur: Jurisdiction = built["jurisdiction"]
    style: Style = built["style"]
    tags = [
        t
        for t, on in (("trad", style.traditional), ("gbk", style.encoding == "gbk"), ("pdf", style.pdf))
        if on
    ]
    a, b = built["period"]
    return f"{built['index']:05d}_{jur.name}_{a}-{b}{'_' + '_'.join(tags) if tags else ''}.txt"


def encode(text: str, encoding: str) -> bytes:
    if encoding == "gbk":
        return text.encode("gbk")  # every vocabulary character is in GBK (tests check it)
    return text.encode(encoding)


def make_corpus(n_docs: int, out: Path, seed: int = 0) -> dict[str, Any]:
    """Write the corpus; return the truth (also written to out/truth.json)."""
    vocab = Vocab.load()
    renderer = Renderer()
    docs_dir = out / "docs"
    (out / "truth").mkdir(parents=True, exist_ok=True)
    docs_dir.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    truth: dict[str, Any] = {}
    for i in range(n_docs):
        built = build_document(i, seed, vocab)
        text, doc_truth = renderer.render(built)
        data = encode(text, built["style"].encoding)
        name = file_name(built)
        (docs_dir / name).write_bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        doc_truth = {"doc": name, "sha256": sha, **doc_truth}
        truth[name] = doc_truth
        (out / "truth" / (Path(name).stem + ".json")).write_text(
            json.dumps(doc_truth, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        rng = random.Random(f"{seed}:{i}:manifest")
        if rng.random() < 0.8:  # the rest are left for metadata inference
            jur: Jurisdiction = built["jurisdiction"]
            manifest.append(
                {
                    "file": name,
                    "title": doc_truth["title"],
                    "issuer": built["issuer"],
                    "jurisdiction": jur.name,
                    "province": jur.province,
                    "period": built["period"],
                    "status": built["status"],
                    "sha256": sha,
                    "source_notes": "Generated by bench/make_corpus.py: "
                    + json.dumps(doc_truth["style"], ensure_ascii=False),
                }
            )
    (docs_dir / "manifest.json").write_text(
        json.dumps(
            {
                "about": f"Benchmark corpus generated by bench/make_corpus.py (seed {seed}, "
                f"{n_docs} documents); documents without an entry are left for metadata inference.",
                "documents": manifest,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    (out / "truth.json").write_text(
        json.dumps({"seed": seed, "docs": n_docs, "files": truth}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, required=True, help="number of documents")
    parser.add_argument(
        "--out", type=Path, required=True, help="corpus folder (docs/ and truth are written in it)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.docs < 1:
        parser.error("--docs must be at least 1")
    if (args.out / "docs").exists() and any((args.out / "docs").glob("*.txt")):
        print(f"{args.out}: already holds a corpus; remove it or choose another --out", file=sys.stderr)
        return 1
    truth = make_corpus(args.docs, args.out, args.seed)
    size = sum(p.stat().st_size for p in (args.out / "docs").glob("*.txt"))
    n_tasks = sum(len(t["tasks"]) for t in truth.values())
    print(f"{args.out}/docs: {len(truth)} documents, {size / 1e6:.1f} MB, {n_tasks} tasks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
