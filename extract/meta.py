"""Document metadata: from a manifest when there is one, else inferred from the text.

A manifest (`manifest.json` in the data folder) lists file, title, issuer, jurisdiction,
province, period, status and source notes. A file without an entry still builds: its title,
period and jurisdiction are inferred (title lines at the top, "…市人民政府", the city or
province named most) and every inferred field says how in `DocumentMeta.inferred`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from policykg.extract.model import DocumentMeta

MANIFEST_NAMES = ("manifest.json",)

_PLAN_WORDS = re.compile(r"(计划|规划|方案|意见|纲要|办法|通知|措施|要点|实施细则|政策|决定)")
_PERIOD = re.compile(r"[（(]\s*((?:19|20)\d{2})\s*[-—－–~至到]+\s*((?:19|20)\d{2})\s*年?\s*[)）]")
_OPEN_PERIOD = re.compile(r"[（(]\s*[-—－–]?\s*((?:19|20)\d{2})\s*年\s*[)）]")
_FIVE_YEAR = {"十一五": (2006, 2010), "十二五": (2011, 2015), "十三五": (2016, 2020),
              "十四五": (2021, 2025), "十五五": (2026, 2030)}
_STATUS = re.compile(r"(征求意见稿|送审稿|讨论稿|草案|试行|暂行)")
_CITY = re.compile(r"([\u4e00-\u9fff]{2,4}?市)(?![场民委政级属直区县场值])")
PROVINCES = ("北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省",
             "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省", "内蒙古自治区",
             "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区")
_PROVINCE = re.compile("|".join(PROVINCES))


@lru_cache(maxsize=1)
def _places() -> dict[str, Any]:
    words = json.loads(resources.files("policykg.extract").joinpath("resources/meta_places.json").read_text("utf-8"))
    ministry = "|".join(map(re.escape, words["ministry_suffixes"]))
    return {
        "not_places": set(words["not_places"]),
        "not_in_name": tuple(words["not_in_place_names"]),
        # 国务院办公厅关于… ; 国家发展改革委 科技部关于… ; 科技部关于…
        "national_head": re.compile(
            "^(?:" + "|".join(map(re.escape, sorted(words["national_heads"], key=len, reverse=True))) + ")"),
        "ministry_head": re.compile(
            rf"^((?:国家[\u4e00-\u9fff]{{1,12}}?|[\u4e00-\u9fff]{{1,8}}?(?:{ministry}))(?:[、\s]+[\u4e00-\u9fff]{{2,14}})*)关于"),
        "national_number": re.compile(
            "^(?:" + "|".join(map(re.escape, words["national_doc_numbers"])) + r")\S{0,6}?〔\d{4}〕\d+号"),
    }


# a place at the head of a title: 浙江省 / 杭州市 / 西湖区 / 恩施土家族苗族自治州 / 宁乡市
_PLACE_TOKEN = re.compile(
    "(?:" + "|".join(PROVINCES) + r")|[\u4e00-\u9fff]{2,8}?(?:自治州|自治县|自治旗|地区)"
    r"|[\u4e00-\u9fff]{2,6}?[市州盟]|[\u4e00-\u9fff]{1,4}?(?:新区|区|县|旗)")
_GOVERNMENT_OF = re.compile(r"([\u4e00-\u9fff]{2,6}?(?:省|自治区|市|州|盟|区|县|旗))人民政府")


def _is_place(name: str) -> bool:
    p = _places()
    return name not in p["not_places"] and not any(w in name for w in p["not_in_name"]) \
        and not name.startswith(("市", "省", "区", "县"))


def title_places(title: str) -> list[str]:
    """The places a title opens with, coarsest first: "杭州市西湖区科技…" -> [杭州市, 西湖区]."""
    places: list[str] = []
    pos = 0
    while len(places) < 3:
        m = _PLACE_TOKEN.match(title, pos)
        if not m or not _is_place(m.group(0)):
            break
        name, pos = m.group(0), m.end()
        if name.endswith("县") and title[pos : pos + 1] == "区":  # 赣县区: a county become a district
            name, pos = name + "区", pos + 1
        places.append(name)
    return places


def is_national(text: str, title: str) -> str:
    """How the document shows it is a national one (issuer or document number), or ""."""
    p = _places()

    def national_issuer(line: str) -> bool:
        if p["national_head"].search(line):
            return True
        ministry = p["ministry_head"].search(line)  # a ministry, not a local office (市委宣传部)
        return bool(ministry) and not re.search(r"[省市区县州旗]|中共", ministry.group(1))

    if national_issuer(title):
        return "national issuer at the head of the title"
    for line in [x.strip() for x in text.split("\n") if x.strip()][:8]:
        if p["national_number"].match(line):
            return f"national document number '{line}'"
        if national_issuer(line) and _PLAN_WORDS.search(line):
            return f"national issuer on '{line[:30]}'"
    return ""


def load_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """Manifest entries keyed by file name and by sha256 (either may match a file)."""
    for name in MANIFEST_NAMES:
        path = folder / name
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8-sig"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"{path}: not valid JSON ({exc})") from exc
            entries = data.get("documents", data) if isinstance(data, dict) else data
            if not isinstance(entries, list):
                raise ValueError(f"{path}: expected a list of documents")
            keyed: dict[str, dict[str, Any]] = {}
            for entry in entries:
                if isinstance(entry, dict) and entry.get("file"):
                    keyed[entry["file"]] = entry
                    if entry.get("sha256"):
                        keyed[entry["sha256"]] = entry
            return keyed
    return {}


def meta_from_manifest(entry: dict[str, Any]) -> DocumentMeta:
    period = entry.get("period")
    return DocumentMeta(
        title=entry.get("title", ""),
        issuer=entry.get("issuer", ""),
        jurisdiction=entry.get("jurisdiction", ""),
        province=entry.get("province", ""),
        period=(int(period[0]), int(period[1])) if period and len(period) == 2 else None,
        status=entry.get("status", ""),
        source_notes=entry.get("source_notes", ""),
    )


_SCRAPER_BLURB = re.compile(r"^下面是.{0,12}?整理的|【[^】]{0,12}】|[，,]?供大家参考。?$")
_NOTICE = re.compile(r"关于印发《?(.+?)》?的通知$")
_STRONG_PLAN = re.compile(r"(计划|规划|方案|纲要|意见|措施|办法|要点)")


def infer_title(text: str) -> tuple[str, str]:
    """The plan's title and how it was found. Titles are often split over two lines
    ("清远市建设…先行市" / "三年行动计划（2020-2022年）"), web pages put breadcrumbs first,
    notices wrap the plan ("…关于印发《X》的通知"), scraped copies add a blurb."""
    lines = [_SCRAPER_BLURB.sub("", x.strip()) for x in text.split("\n") if x.strip()][:40]
    candidates = [i for i, line in enumerate(lines)
                  if len(line) <= 80 and not re.search(r"[。；]|>>|当前位置", line)
                  and _PLAN_WORDS.search(line) and not re.match(r"^(为|根据|按照|现将|各)", line)]
    strong = [i for i in candidates if _STRONG_PLAN.search(lines[i])]
    for i in strong[:1] or candidates[:1]:
        line = lines[i]
        notice = _NOTICE.search(line)
        if notice and _STRONG_PLAN.search(notice.group(1)):
            return notice.group(1), f"plan named in the notice on line {i + 1}"
        title = line
        # a first half on the line before ("…先行市" + "三年行动计划（…）")
        if i > 0 and len(lines[i - 1]) <= 40 and not re.search(r"[。；：:，,>]", lines[i - 1]) \
                and not _PLAN_WORDS.search(lines[i - 1]) and not _STATUS.search(lines[i - 1]) \
                and lines[i - 1] not in ("附件",):
            title = lines[i - 1] + line
        # a period on the next line ("…行动计划" + "（2017—2020年）")
        if i + 1 < len(lines) and _PERIOD.fullmatch(lines[i + 1]):
            title += lines[i + 1]
        return title, f"title line {i + 1}"
    return (lines[0][:60] if lines else ""), "first line"


def infer_meta(text: str, file_name: str = "") -> DocumentMeta:
    """Title, issuer, jurisdiction, province, period and status inferred from the text."""
    meta = DocumentMeta()
    meta.title, how = infer_title(text)
    meta.inferred["title"] = how
    head = text[:3000]
    # the title's period, or one on a line of its own near the top; a period in the body
    # ("建设…（2023—2025年）") is a task's, not the plan's
    top = [x.strip() for x in text.split("\n") if x.strip()][:12]
    m = _PERIOD.search(meta.title) or next((p for p in map(_PERIOD.fullmatch, top) if p), None)
    if m:
        meta.period = (int(m.group(1)), int(m.group(2)))
        meta.inferred["period"] = f"'{m.group(0)}' in the title" if m.group(0) in meta.title else f"'{m.group(0)}'"
    else:
        named = [w for w in _FIVE_YEAR if w in meta.title] or [w for w in _FIVE_YEAR if w in head[:300]]
        if named:
            meta.period = _FIVE_YEAR[named[0]]
            meta.inferred["period"] = f"“{named[0]}” = {meta.period[0]}-{meta.period[1]}"
        else:
            m = _OPEN_PERIOD.search(meta.title)
            if m:
                meta.period = (int(m.group(1)), int(m.group(1)))
                meta.inferred["period"] = f"'{m.group(0)}' in the title (end year only)"
    s = _STATUS.search(head[:800])
    if s:
        meta.status = s.group(1)
        meta.inferred["status"] = f"'{s.group(1)}' near the top"
    not_places = _places()["not_places"]
    cities = Counter(c for c in _CITY.findall(text) if c not in not_places and _is_place(c))
    provinces = Counter(_PROVINCE.findall(text))
    governments = Counter(g for g in _GOVERNMENT_OF.findall(text) if _is_place(g) and g not in not_places)
    head_places = title_places(meta.title)
    national = is_national(text, meta.title)
    if national:
        place = "全国"
        meta.inferred["jurisdiction"] = national
    elif head_places:
        place = head_places[-1]  # the most specific place the title names
        meta.inferred["jurisdiction"] = "named at the head of the title"
    elif governments:
        place, n = governments.most_common(1)[0]
        meta.inferred["jurisdiction"] = f"the people's government named most ({n} times)"
    elif cities:
        place, n = cities.most_common(1)[0]
        meta.inferred["jurisdiction"] = f"the city named most ({n} times)"
    elif provinces:
        place, n = provinces.most_common(1)[0]
        meta.inferred["jurisdiction"] = f"the province named most ({n} times)"
    else:
        place = ""
        meta.inferred["jurisdiction"] = "none found"
    meta.jurisdiction = place
    if place.endswith(("省", "自治区")) or place in PROVINCES:
        meta.province = place
    elif head_places and _PROVINCE.fullmatch(head_places[0]):
        meta.province = head_places[0]
        meta.inferred["province"] = "named at the head of the title"
    elif provinces and place != "全国":
        meta.province = provinces.most_common(1)[0][0]
        meta.inferred["province"] = "the province named most"
    if place == "全国":
        meta.issuer = next((w for w in ("国务院办公厅", "国务院") if w in text[:2000]), "")
        if meta.issuer:
            meta.inferred["issuer"] = f"'{meta.issuer}' in the text"
    own = re.search(re.escape(place) + r"人民政府(?:办公厅|办公室)?", text) if place and place != "全国" else None
    if own:
        meta.issuer = own.group(0)
        meta.inferred["issuer"] = f"'{own.group(0)}' in the text"
    if not meta.issuer and place and place != "全国":
        meta.issuer = f"{place}人民政府"
        meta.inferred["issuer"] = "assumed: the jurisdiction's people's government"
    return meta


def complete_meta(meta: DocumentMeta | None, text: str, file_name: str = "") -> DocumentMeta:
    """Fill the fields a manifest left empty from the text; manifest values always win."""
    guessed = infer_meta(text, file_name)
    if meta is None:
        return guessed
    for name in ("title", "issuer", "jurisdiction", "province", "status"):
        if not getattr(meta, name) and getattr(guessed, name):
            setattr(meta, name, getattr(guessed, name))
            if name in guessed.inferred:
                meta.inferred[name] = guessed.inferred[name]
    if meta.period is None and guessed.period is not None:
        meta.period = guessed.period
        meta.inferred["period"] = guessed.inferred.get("period", "inferred")
    return meta
