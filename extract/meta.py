"""Document metadata: from a manifest when there is one, else inferred from the text.

A manifest (`manifest.json` in the data folder) lists file, title, issuer, jurisdiction,
province, period, status and source notes. A file without an entry still builds: its head is
read (title, issuer, 文号, date, status, period) and its jurisdiction inferred from the
strongest evidence there is, and every inferred field says how in `DocumentMeta.inferred`:

1. the issuing body: the 通知 line ("…人民政府办公厅关于印发…的通知"), a title that opens with
   its issuer ("国务院办公厅关于…"), the signature block, the 文号 prefix (国办发, 皖政办, 清府办);
2. the places the plan's own title opens with (浙江省…, 杭州市西湖区…);
3. the level of the units its clauses name (省…厅: a province; 市…局: a city; 部/委/总局: national),
   and the division of that level the text names most;
4. nothing else: a jurisdiction is a real division of the gazetteer or 全国, never text that
   merely ends in 市 or 县; when the evidence is weak it is "unknown", and the build says so.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick_rs
from policykg.extract import gazetteer
from policykg.extract.model import DocumentMeta

MANIFEST_NAMES = ("manifest.json",)
RESOURCES = Path(__file__).resolve().parent / "resources"
UNKNOWN = "unknown"
NATIONAL = gazetteer.NATIONAL_NAME

_PLAN_WORDS = re.compile(r"(计划|规划|方案|意见|纲要|办法|通知|措施|要点|实施细则|政策|决定)")
_STRONG_PLAN = re.compile(r"(计划|规划|方案|纲要|意见|措施|办法|要点|细则)")
_DASH = r"[-—－–~～至到]+"
_PERIOD = re.compile(rf"[（(]?\s*((?:19|20)\d{{2}})\s*年?\s*{_DASH}\s*((?:19|20)\d{{2}})\s*年?\s*[)）]?")
_BRACKET_PERIOD = re.compile(rf"[（(]\s*((?:19|20)\d{{2}})\s*年?\s*{_DASH}\s*((?:19|20)\d{{2}})\s*年?\s*[)）]")
_OPEN_PERIOD = re.compile(r"[（(]\s*[-—－–]?\s*((?:19|20)\d{2})\s*年\s*[)）]")
_ANNUAL = re.compile(r"(?<![\d—\-－–~])((?:19|20)\d{2})\s*年?度?(?![\d—\-－–~年]*\d)(?=[\u4e00-\u9fff（(])")
_BY_YEAR = re.compile(r"(?:到|至|截至)((?:19|20)\d{2})年")
_FIVE_YEAR = {"十一五": (2006, 2010), "十二五": (2011, 2015), "十三五": (2016, 2020),
              "十四五": (2021, 2025), "十五五": (2026, 2030)}
_STATUS = re.compile(r"(征求意见稿|送审稿|讨论稿|草案|修订稿|试行|暂行)")
_CITED = re.compile(r"《[^《》\n]{2,80}》")
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十]+[)）]|第[一二三四五六七八九十百]+[章节部分篇]"
    r"|\d{1,2}[.、．](?!\d)|[（(]\d{1,2}[)）])")
_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_LINE = re.compile(r"^[（(]?\s*(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*[)）]?$"
                        r"|^(?:时间|日期|发布时间|发布日期|成文日期)\s*[:：]")
_WEB_DATE = re.compile(r"(?:时间|日期)\s*[:：]\s*((?:19|20)\d{2})[/\-.](\d{1,2})[/\-.](\d{1,2})")
_DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,10})\s*[〔［\[（(【]\s*((?:19|20)\d{2})\s*[〕］\]）)】]\s*(\d{1,4})\s*号")
_NOTICE = re.compile(r"^(.{0,60}?)(?:关于)?(?:印发|转发|发布|颁布)(?:关于)?《?(.+?)》?的(?:通知|函)$")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "О": 0, "O": 0}
_CN_DATE = re.compile(r"([〇○零ОO一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月"
                      r"\s*([一二三四五六七八九十]{1,3})\s*日")
_TITLE_ISSUER = re.compile(r"^(.{2,40}?)关于(.{4,})$")
_SCRAPER_BLURB = re.compile(r"^下面是.{0,12}?整理的|【[^】]{0,12}】|[，,]?供大家参考。?$")
_BODY_START = re.compile(r"^(为|根据|按照|现将|各|经|近年来|当前|目前)")


@cache
def _issuers() -> dict[str, Any]:
    return json.loads((RESOURCES / "meta_issuers.json").read_text(encoding="utf-8"))


@cache
def _unit_cores() -> dict[str, dict[str, tuple[str, ...]]]:
    """Written forms of bodies by level, from the resolver's alias table, indexed by their first two
    characters: provincial, city and county bodies (written after 省 / 市 / 区 or 县) and
    national-only bodies (科技部, 国家发展改革委)."""
    from policykg.extract.resolve import tables

    by_level: dict[str, set[str]] = {"国": set(), "省": set(), "市": set(), "县": set()}
    for core, bodies in tables().by_core.items():
        if len(core) < 2 or core.startswith(("人民政府", "政府", "委")):
            continue
        for body in bodies:
            if body.kind != "Department":
                continue
            if body.levels == "国" and len(core) >= 3:
                by_level["国"].add(core)
            for level in body.levels.replace("国", ""):
                by_level[level].add(core)
    indexed: dict[str, dict[str, tuple[str, ...]]] = {}
    for level, cores in by_level.items():
        heads: dict[str, list[str]] = {}
        for core in cores:
            heads.setdefault(core[:2], []).append(core)
        indexed[level] = {k: tuple(sorted(v, key=len, reverse=True)) for k, v in heads.items()}
    return indexed


_NOT_OWN = "各全本我地"  # 各市科技局: every city's, not the plan's own
_NOT_AFTER = "门署分位长"  # 科技部门, 部署, 局长: a word, not a body


class _UnitLevelWords(NamedTuple):
    automaton: ahocorasick_rs.AhoCorasick | None  # None: no words
    levels: tuple[str, ...]  # by word index: the levels it is a body of (国 省 市 县)


@cache
def _unit_level_words() -> _UnitLevelWords:
    """The written forms of bodies of every level in one Aho-Corasick automaton (ahocorasick_rs, a
    DFA: every match of a text in one call, 4x pyahocorasick's iteration), and the levels each is a
    body of. Built on first use (a query never pays for it)."""
    levels_of: dict[str, str] = {}
    for level, heads in _unit_cores().items():
        for core in {core for group in heads.values() for core in group}:
            levels_of[core] = levels_of.get(core, "") + level
    words = list(levels_of)
    automaton = ahocorasick_rs.AhoCorasick(words, implementation=ahocorasick_rs.Implementation.DFA) if words else None
    return _UnitLevelWords(automaton, tuple(levels_of[core] for core in words))


_SURROGATE = re.compile("[\ud800-\udfff]")


# the level character a local body is written after, and what must not stand before that
# character (各市科技局: every city's, not the plan's own; 区市场监管局: 市 after 区 is no level)
_LOCAL_PREFIX = {"省": ("省", _NOT_OWN), "市": ("市", _NOT_OWN + "区县"), "县": ("区县", _NOT_OWN)}
_BEFORE_NATIONAL = "省市区县州"  # 省科技厅 is a province's, not 科技部's


def unit_levels(text: str) -> Counter[str]:
    """How many bodies of each level (国/省/市/县) the text names as written in clauses: 省科技厅,
    市科技局, 区科技局, 科技部 (a national body where no local one was counted).

    A local body counts once per level character written before it (省/市, 区 or 县), not after
    各/全/本/我/地, nor 市 after 区/县; a national body counts where it starts, not after a place's
    level character and not as part of a word (科技部门, 部署: see _NOT_AFTER). Both need a
    character before them (none at the text's start) and a national body one after it."""
    automaton, levels_of = _unit_level_words()
    local_at: dict[int, str] = {}  # where a level character stands -> the level
    national_at: set[int] = set()  # where a national body starts
    size = len(text)
    found: list[tuple[int, int, int]] = []
    if automaton is not None:
        try:
            found = automaton.find_matches_as_indexes(text, overlapping=True)
        except UnicodeEncodeError:
            # a lone surrogate (a notebook's text), which UTF-8 cannot carry: one character for
            # one, where no word is
            found = automaton.find_matches_as_indexes(_SURROGATE.sub("\ufffd", text), overlapping=True)
    for word, start, end in found:
        for level in levels_of[word]:
            if level == "国":
                if start >= 1 and text[start - 1] not in _BEFORE_NATIONAL and end < size \
                        and text[end] not in _NOT_AFTER:
                    national_at.add(start)
                continue
            at = start - 1
            if at >= 1:
                prefixes, not_before = _LOCAL_PREFIX[level]
                if text[at] in prefixes and text[at - 1] not in not_before:
                    local_at[at] = level
    counts: Counter[str] = Counter({"国": 0, "省": 0, "市": 0, "县": 0})
    counts.update(local_at.values())
    counts["国"] += len(national_at - local_at.keys())
    return counts


def load_tables() -> None:
    """Load what inferring metadata reads (the gazetteer's names, the bodies of each level, the
    issuers' words) once: a build does it before its workers fork, where each worker would load
    them again."""
    gazetteer.full_names()
    list(gazetteer.names_in(""))  # its index of the names by their last characters
    _unit_level_words()
    _issuers()


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
        doc_number=entry.get("doc_number", ""),
        date=entry.get("date", ""),
    )


# ---------------------------------------------------------------------------------------------
# the head: title, issuer, 文号, date


def _lines(text: str, limit: int = 60) -> list[str]:
    """The non-empty lines, a notice title broken over two lines joined again
    ("…人民政府办公室关于印发…" / "…实施方案的通知")."""
    return _joined(_cleaned(text.split("\n"), _may_hold_blurbs(text)), limit)


def _cleaned(raw: Iterable[str], blurbs: bool = True) -> Iterator[str]:
    """The non-empty lines stripped, without a scraper's blurb (blurbs=False: the caller knows
    the lines hold none of its words)."""
    if not blurbs:  # strip and filter in C
        return filter(None, map(str.strip, raw))
    return _cleaned_of_blurbs(raw)


def _may_hold_blurbs(text: str) -> bool:
    """Whether any line of the text can hold a scraper's blurb (see _cleaned_of_blurbs)."""
    return "【" in text or "供大家参考" in text or "下面是" in text


def _cleaned_of_blurbs(raw: Iterable[str]) -> Iterator[str]:
    for x in raw:
        line = x.strip()
        if line:
            # the blurb's words looked for first: a scan with the pattern costs more than these
            yield _SCRAPER_BLURB.sub("", line) if "【" in line or "供大家参考" in line or line.startswith("下面是") \
                else line


_NOTICE_END = re.compile(r"的(?:通知|函)$")


def _joined(cleaned: Iterable[str], limit: int) -> list[str]:
    cleaned = iter(cleaned)
    # a line joins the one before only when that one holds 印发 or 转发: when none of the first
    # `limit` lines does, they are the result as they come (most heads have no notice title)
    first = list(itertools.islice(cleaned, limit))
    if "印发" not in (words := "\n".join(first)) and "转发" not in words:
        return first
    lines: list[str] = []
    for line in itertools.chain(first, cleaned):
        if len(lines) > limit:
            break
        if lines and ("印发" in lines[-1] or "转发" in lines[-1]) and not lines[-1].endswith(("通知", "函")) \
                and len(lines[-1]) <= 60 and _NOTICE_END.search(line) and len(lines[-1] + line) <= 120:
            lines[-1] += line
        else:
            lines.append(line)
    return lines[:limit]


_FIRST_LINES = 80  # the head reader looks at no line after these …
_LAST_LINES = 10  # … but for these, the signature block
_ALL_LINES = 100_000


def _head_and_tail(text: str) -> tuple[list[str], list[str]]:
    """(_lines(text, 80), the last 10 of _lines(text, 100_000)), without cleaning the lines between.
    A line that does not end a notice title (…的通知) is never joined to the one before, so the
    lines from such a line on join as they do in the whole text."""
    raw = text.split("\n")
    blurbs = _may_hold_blurbs(text)
    first = _joined(_cleaned(raw, blurbs), _FIRST_LINES)
    if len(raw) > _ALL_LINES:  # the whole list is cut at 100,000 lines: its end is not the text's
        return first, _lines(text, _ALL_LINES)[-_LAST_LINES:]
    # cleaned lines from the end, backwards: each line of the result takes one or two lines of
    # the text, so twice as many, and more while they end a notice title
    backwards = _cleaned(reversed(raw), blurbs)
    last = list(itertools.islice(backwards, 2 * _LAST_LINES))
    if len(last) == 2 * _LAST_LINES and _NOTICE_END.search(last[-1]):
        for line in backwards:
            last.append(line)
            if not _NOTICE_END.search(line):
                break
    return first, _joined(reversed(last), _ALL_LINES)[-_LAST_LINES:]


def _cn_number(text: str) -> int:
    """一 -> 1, 十二 -> 12, 二十三 -> 23."""
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def _iso_date(line: str) -> str:
    """A date written with digits or Chinese numerals (二〇二一年六月十八日), as ISO; "" when none."""
    m = _DATE.search(line)
    if m:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    m = _CN_DATE.search(line)
    if m:
        year = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
        return f"{year:04d}-{_cn_number(m.group(2)):02d}-{_cn_number(m.group(3)):02d}"
    return ""


def _is_date_line(line: str) -> bool:
    # both forms hold 年 or a 时间/日期 label: most lines hold none, and need no pattern tried
    if "年" not in line and "日期" not in line and "时间" not in line:
        return False
    line = line.strip()
    return bool(_DATE_LINE.match(line)) or bool(_CN_DATE.fullmatch(line.strip("（）() ")))


_NOT_TITLE = re.compile(r"[。；]|>>|当前位置|首页")


def _is_title_line(line: str) -> bool:
    return len(line) <= 90 and not _NOT_TITLE.search(line) \
        and not _HEADING.match(line) and not _is_date_line(line) and not _BODY_START.match(line)


def _head_lines(lines: list[str]) -> list[str]:
    """The lines before the body starts: the first outline heading or running sentence ends the head
    (a file holding body text only has no head, so no title)."""
    head: list[str] = []
    for line in lines[:16]:
        if _HEADING.match(line) or (len(line) > 90) or (line.endswith("。") and len(line) > 30):
            break
        head.append(line)
    return head


def infer_title(text: str) -> tuple[str, str]:
    """The plan's title and how it was found. Titles are often split over two lines
    ("清远市建设…先行市" / "三年行动计划（2020-2022年）"), web pages put breadcrumbs first,
    notices wrap the plan ("…关于印发《X》的通知"), scraped copies add a blurb. A file of body
    text only (its first line a section heading or a sentence) has no title: ""."""
    return _infer_title(_lines(text))


def _before_heading(lines: list[str]) -> list[str]:
    """The first 30 lines up to the first outline heading (the head of a joint notice)."""
    return list(itertools.takewhile(lambda line: not _HEADING.match(line), lines[:30]))


def _infer_title(lines: list[str], head: list[str] | None = None) -> tuple[str, str]:
    """infer_title from the first lines; `head`: their _head_lines, when the caller has them."""
    head = _head_lines(lines) if head is None else head
    candidates = [i for i, line in enumerate(head) if _is_title_line(line) and _PLAN_WORDS.search(line)]
    strong = [i for i in candidates if _STRONG_PLAN.search(head[i])]
    for i in strong[:1] or candidates[:1]:
        line = head[i]
        notice = _NOTICE.match(line)
        if notice and _STRONG_PLAN.search(notice.group(2)):
            return notice.group(2), f"plan named in the notice on line {i + 1}"
        title = line
        previous = head[i - 1] if i > 0 else ""
        # a first half on the line before ("…先行市" + "三年行动计划（…）")
        if previous and len(previous) <= 40 and _is_title_line(previous) \
                and not re.search(r"[：:，,>]", previous) and not _PLAN_WORDS.search(previous) \
                and not _STATUS.search(previous) and not re.fullmatch(r"附件\s*\d*[：:]?|[-—\s\d]+", previous) \
                and not _DOC_NUMBER.search(previous) and not re.fullmatch(r"[-—\s\d]+", previous):
            title = previous + line
        # a period on the next line ("…行动计划" + "（2017—2020年）")
        if i + 1 < len(head) and _BRACKET_PERIOD.fullmatch(head[i + 1].replace(" ", "")):
            title += head[i + 1].replace(" ", "")
        return title, f"title line {i + 1}"
    return "", "no title line before the body"


def find_doc_number(text: str) -> tuple[str, str, int] | None:
    """(文号, prefix, year) of the document's own number: on a line of its own near the top or
    after the signature; a 文号 inside a sentence cites another document."""
    return _find_doc_number(_lines(text, _FIRST_LINES))


def _find_doc_number(lines: list[str]) -> tuple[str, str, int] | None:
    for line in lines[:12] + lines[-8:]:
        m = _DOC_NUMBER.search(line) if "号" in line else None
        if m and len(line) <= len(m.group(0)) + 12 and "《" not in line:
            return m.group(0).replace(" ", ""), m.group(1), int(m.group(2))
    return None


def find_date(text: str) -> tuple[str, str]:
    """The document's date (ISO) and where it was found: a date line of its own in the signature
    block or the head, or a web page's 时间: line."""
    return _find_date(*_head_and_tail(text))


def _find_date(lines: list[str], tail: list[str], before_heading: list[str] | None = None) -> tuple[str, str]:
    """find_date from the first lines and the last ones (see _head_and_tail); `before_heading`:
    _before_heading(lines), when the caller has it."""
    tail = tail[-10:]
    # a joint notice's signature block lists one body a line: its date may come 20 lines down
    head = (_before_heading(lines) if before_heading is None else before_heading)[:24] or lines[:12]
    for where, block in (("signature block", reversed(tail)), ("head", head)):
        for line in block:
            if _is_date_line(line) and _iso_date(line):
                return _iso_date(line), where
    for line in lines[:12]:
        m = _WEB_DATE.search(line)
        if m:
            return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}", "the page's date line"
    return "", ""


def _is_issuer(name: str) -> bool:
    name = name.strip()
    if not name or len(name) > 40:
        return False
    if any(name.startswith(h) for h in _issuers()["national_heads"]):
        return True
    return name.endswith(tuple(_issuers()["issuer_suffixes"]))


def _joint_signature(head: list[str]) -> str:
    """A joint notice signs with one body a line above its date ("工业和信息化部" / "国家发展和
    改革委员会" / … / "2021年12月21日"): those bodies, 、-separated, by their full names ("" when
    fewer than two bodies sign so)."""
    for i, line in enumerate(head):
        if _is_date_line(line) and _iso_date(line):
            signers: list[str] = []
            for above in reversed(head[:i]):
                if not _is_issuer(above) or re.search(r"[\s，。、：:]", above):
                    break
                signers.insert(0, above)
            if len(signers) >= 2:
                return "、".join(signers)
    return ""


def find_issuer(text: str, title_line: str = "") -> tuple[str, str]:
    """The issuing body and where it was found: the 通知 line, a title opening with its issuer,
    the signature block (a body's name above the date at the end)."""
    return _find_issuer(*_head_and_tail(text))


def _find_issuer(lines: list[str], tail: list[str], head: list[str] | None = None,
                 before_heading: list[str] | None = None) -> tuple[str, str]:
    """find_issuer from the first lines and the last ones (see _head_and_tail); `head` and
    `before_heading`: their _head_lines and _before_heading, when the caller has them."""
    joint = _joint_signature(_before_heading(lines) if before_heading is None else before_heading)
    if joint:
        return joint, "the signature block of the notice"
    for i, line in enumerate(lines[:12]):
        notice = _NOTICE.match(line)
        if notice and notice.group(1).strip() and _is_issuer(notice.group(1).split()[0]):
            return re.sub(r"\s+", " ", notice.group(1)).strip(), f"the notice on line {i + 1}"
    for i, line in enumerate(_head_lines(lines) if head is None else head):  # it reads 16 lines at most
        m = _TITLE_ISSUER.match(line)
        if m and _is_issuer(re.split(r"[\s、]", m.group(1))[0]):
            return re.sub(r"\s+", " ", m.group(1)).strip(), f"the title on line {i + 1}"
    tail = tail[-8:]
    for i, line in enumerate(tail):
        if _is_date_line(line) and _iso_date(line):
            for above in reversed(tail[max(0, i - 3) : i]):
                if _is_issuer(above) and not _HEADING.match(above) and "。" not in above:
                    return above, "the signature block"
    return "", ""


def _issuer_division(issuer: str) -> tuple[gazetteer.Division | None, str]:
    """The division an issuing body belongs to: 浙江省人民政府办公厅 -> 浙江省, 国务院 -> 全国,
    科技部 -> 全国 (a ministry), 合肥市科学技术局 -> 合肥市."""
    first = re.split(r"[\s、]", issuer.strip())[0]
    if not first:
        return None, ""
    if any(first.startswith(h) for h in _issuers()["national_heads"]):
        return gazetteer.NATIONAL, "a national issuer"
    for end in range(len(first) - 1, 1, -1):
        head = first[:end]
        if head in gazetteer.full_names():
            found = gazetteer.lookup(head)
            rest = first[end:]
            inner = re.match(r"^(.{2,8}?(?:市|区|县|旗|自治县|自治州|州|盟))", rest)
            if inner:
                nested = [d for d in gazetteer.lookup(inner.group(1)) if found[0] in d.ancestors()]
                if nested:
                    return nested[0], "the issuer's name"
            return found[0], "the issuer's name"
    if unit_levels(first)["国"] or re.match(r"^国家", first):
        return gazetteer.NATIONAL, "a national ministry"
    return None, ""


def _number_division(prefix: str, places: Callable[[], Counter[str]]) -> tuple[gazetteer.Division | None, str]:
    """The division a 文号 prefix stands for; a local abbreviation (宁政发: 宁夏 or 南京; 青政发:
    青海 or 青岛) is settled by the places the text names (`places()`: places_named of the text,
    counted only when a local abbreviation needs them)."""
    issuers = _issuers()
    for national, body in sorted(issuers["national_doc_numbers"].items(), key=lambda p: -len(p[0])):
        if prefix.startswith(national) and (len(prefix) <= len(national) + 4):
            if len(national) == 1 and len(prefix) > 3:
                continue  # 财/教/商…: a ministry's one-character prefix heads a short 文号 word only
            return gazetteer.NATIONAL, f"文号 prefix {prefix} ({body})"
    candidates: list[gazetteer.Division] = []
    for abbr, province in sorted(issuers["province_abbreviations"].items(), key=lambda p: -len(p[0])):
        if prefix.startswith(abbr) and prefix[len(abbr) :] in issuers["provincial_number_bodies"]:
            division = gazetteer.best(province)
            if division is not None:
                candidates.append(division)
            break
    for body in issuers["local_number_bodies"]:
        if prefix.endswith(body) and 1 <= len(prefix) - len(body) <= 2:
            abbr = prefix[: -len(body)]
            candidates += [d for d in gazetteer.divisions() if d.level in "市县" and d.name.startswith(abbr)
                           and d.name in places()]
            break
    if not candidates:
        return None, ""
    named = places()

    def weight(d: gazetteer.Division) -> int:
        return named.get(d.name, 0) + sum(n for name, n in named.items()
                                          for x in gazetteer.lookup(name) if d in x.ancestors())

    ranked = sorted(candidates, key=lambda d: -weight(d))
    if len(ranked) > 1 and weight(ranked[0]) == weight(ranked[1]):
        return None, ""
    return ranked[0], f"文号 prefix {prefix}"


def title_places(title: str) -> list[gazetteer.Division]:
    """The divisions a title opens with, coarsest first: "杭州市西湖区科技…" -> [杭州市, 西湖区]."""
    found: list[gazetteer.Division] = []
    pos = 0
    while len(found) < 3:
        division = None
        for end in range(min(len(title), pos + 20), pos + 1, -1):
            name = title[pos:end]
            if name in gazetteer.full_names() or (name[-1] in "市县区州旗盟省" and gazetteer.lookup(name)):
                candidates = gazetteer.lookup(name, found[-1] if found else None)
                if found:
                    candidates = [d for d in candidates if found[-1] in d.ancestors()] or []
                if candidates:
                    division, pos = candidates[0], end
                    break
        if division is None:
            break
        found.append(division)
    return found


def places_named(text: str) -> Counter[str]:
    """How often each division is named in full, outside the titles of cited documents."""
    return Counter(name for _, name in gazetteer.names_in(_CITED.sub("", text)))


# ---------------------------------------------------------------------------------------------
# period and status


def infer_period(title: str, text: str, date_year: int | None) -> tuple[tuple[int, int] | None, str]:
    """The plan's own period: from its title; a period line under the title; the preamble's
    "到2025年" (its start the document's year); an annual plan's year ("2019年工作要点") as [Y, Y].
    Periods inside 《…》 belong to the documents a plan cites, never to the plan."""
    return _infer_period(title, text, date_year, _lines(text))


def _infer_period(title: str, text: str, date_year: int | None, lines: list[str],
                  head: list[str] | None = None) -> tuple[tuple[int, int] | None, str]:
    own_title = _CITED.sub("", title)
    m = _PERIOD.search(own_title)
    if m and int(m.group(1)) <= int(m.group(2)):
        return (int(m.group(1)), int(m.group(2))), f"'{m.group(0)}' in the title"
    named = [w for w in _FIVE_YEAR if w in own_title]
    if named:
        start, end = _FIVE_YEAR[named[0]]
        return (start, end), f"“{named[0]}” in the title = {start}-{end}"
    m = _OPEN_PERIOD.search(own_title)
    if m:
        start = date_year if date_year and date_year <= int(m.group(1)) else int(m.group(1))
        return (start, int(m.group(1))), f"'{m.group(0)}' in the title (end year only)"
    m = _ANNUAL.search(own_title)
    if m:
        return (int(m.group(1)), int(m.group(1))), f"an annual plan: '{m.group(1)}' in the title"
    head = _head_lines(lines) if head is None else head
    for line in head:
        m = _BRACKET_PERIOD.fullmatch(line.replace(" ", ""))
        if m:
            return (int(m.group(1)), int(m.group(2))), f"'{m.group(0)}' under the title"
    preamble = _CITED.sub("", text[:1500])
    m = _BY_YEAR.search(preamble)
    if m and date_year and date_year <= int(m.group(1)) <= date_year + 15:
        return (date_year, int(m.group(1))), f"'{m.group(0)}' in the text, from the document's year {date_year}"
    return None, ""


# ---------------------------------------------------------------------------------------------
# jurisdiction


def infer_jurisdiction(text: str, title: str, issuer: str, doc_number: str) -> tuple[str, str]:
    """(jurisdiction, how): a division's real name, 全国, or "unknown" when the evidence is weak."""
    division, how = infer_division(text, title, issuer, doc_number)
    return (division.name if division is not None else UNKNOWN), how


def infer_division(text: str, title: str, issuer: str, doc_number: str) -> tuple[gazetteer.Division | None, str]:
    """The division the document belongs to (None when the evidence is weak) and how it was found."""
    division, how = _issuer_division(issuer) if issuer else (None, "")
    if division is not None:
        return division, f"{how}: {issuer}"
    # the places the whole text names, counted once and only when asked for: most documents are
    # settled by their issuer or title first
    counted: list[Counter[str]] = []

    def places() -> Counter[str]:
        if not counted:
            counted.append(places_named(text))
        return counted[0]

    if doc_number:
        m = _DOC_NUMBER.search(doc_number)
        division, how = _number_division(m.group(1), places) if m else (None, "")
        if division is not None:
            return division, how
    in_title = title_places(title)
    levels = unit_levels(text)
    total = sum(levels.values())
    if in_title:
        place = in_title[-1]
        # a plan about a place is not always that place's: 关于支持赣州市…的若干意见 with 省…厅 units
        # is the province's, with 科技部 units the nation's
        if levels["国"] >= 5 and levels["国"] == total and place.level != "国":
            return gazetteer.NATIONAL, f"the title names {place.name}, but its units are national bodies " \
                                       f"({levels['国']} of {total})"
        own = levels["市"] + levels["县"]
        if place.level in "市县" and levels["省"] >= 3 and levels["省"] > 2 * own and place.province is not None:
            return place.province, f"the title names {place.name}, but its units are provincial bodies " \
                                   f"({levels['省']} of {total})"
        return place, "named at the head of the title"
    if total >= 2:
        level, n = levels.most_common(1)[0]
        if level == "国" and n >= 0.6 * total:
            return gazetteer.NATIONAL, f"the units of its clauses are national bodies ({n} of {total})"
        if level != "国":
            named = places()
            at_level = Counter({name: c for name, c in named.items()
                                if any(_unit_level(d) == level for d in gazetteer.lookup(name) if d.name == name)})
            if at_level:
                (place, count), *rest = at_level.most_common(2)
                if count >= 2 and (not rest or count > rest[0][1]):
                    return gazetteer.best(place), f"{level}-level units in its clauses ({n} of {total}); " \
                                                  f"the {level}-level division named most ({count} times)"
            return None, f"weak evidence: {level}-level units in its clauses but no {level}-level division " \
                         "named clearly most"
    named = places()
    if named:
        (place, count), *rest = named.most_common(2)
        if count >= 3 and (not rest or count >= 2 * rest[0][1]):
            return gazetteer.best(place), f"weak evidence: the division named most ({count} times)"
    return None, "weak evidence: no issuer, no place in the title, no units with a level"


def _unit_level(division: gazetteer.Division) -> str:
    """The prefix its own units carry: a county-level city's bureaus are 市…局 as well."""
    if division.type in ("县级市", "直辖市"):
        return "市"
    return division.level


def infer_meta(text: str, file_name: str = "", jurisdiction: bool = True) -> DocumentMeta:
    """Title, issuer, 文号, date, jurisdiction, province, period and status inferred from the text.
    With jurisdiction=False (a manifest names the jurisdiction, its province and the issuer) the
    division is not looked for: jurisdiction and province stay empty, and so does an issuer the
    text does not name."""
    meta = DocumentMeta()
    first, last = _head_and_tail(text)
    # the lines before the body, and those before the first heading: asked by several readers
    head, before_heading = _head_lines(first), _before_heading(first)
    meta.title, how = _infer_title(first, head)
    meta.inferred["title"] = how
    number = _find_doc_number(first)
    if number:
        meta.doc_number = number[0]
        meta.inferred["doc_number"] = f"'{number[0]}'"
    meta.date, how = _find_date(first, last, before_heading)
    if meta.date:
        meta.inferred["date"] = how
    meta.issuer, how = _find_issuer(first, last, head, before_heading)
    if meta.issuer:
        meta.inferred["issuer"] = how
    date_year = int(meta.date[:4]) if meta.date else (number[2] if number else None)
    meta.period, how = _infer_period(meta.title, text, date_year, first, head)
    if meta.period:
        meta.inferred["period"] = how
    status = _STATUS.search(_CITED.sub("", text[:800]))
    if status:
        meta.status = status.group(1)
        meta.inferred["status"] = f"'{status.group(1)}' near the top"
    elif meta.doc_number or "notice" in meta.inferred.get("title", "") \
            or (meta.issuer and "notice" in meta.inferred.get("issuer", "")):
        meta.status = "印发"
        meta.inferred["status"] = "issued: it has a 文号 or an issuing notice"
    if not jurisdiction:
        return meta
    division, how = infer_division(text, meta.title, meta.issuer, meta.doc_number)
    meta.jurisdiction = division.name if division is not None else UNKNOWN
    meta.inferred["jurisdiction"] = how
    if division is not None and division.code == gazetteer.NATIONAL_CODE:
        division = None
    if division is not None and division.province is not None:
        meta.province = division.province.name
        meta.inferred["province"] = f"the gazetteer: {meta.jurisdiction} lies in {meta.province}"
    if not meta.issuer and division is not None:
        meta.issuer = f"{division.name}人民政府"
        meta.inferred["issuer"] = "assumed: the jurisdiction's people's government"
    return meta


def complete_meta(meta: DocumentMeta | None, text: str, file_name: str = "") -> DocumentMeta:
    """Fill the fields a manifest left empty from the text; manifest values always win."""
    # the division decides only jurisdiction, province and an assumed issuer: with all three
    # given it is not looked for
    given = meta is not None and bool(meta.jurisdiction and meta.province and meta.issuer)
    guessed = infer_meta(text, file_name, jurisdiction=not given)
    if meta is None:
        return guessed
    for name in ("title", "issuer", "jurisdiction", "province", "status", "doc_number", "date"):
        if not getattr(meta, name) and getattr(guessed, name):
            setattr(meta, name, getattr(guessed, name))
            if name in guessed.inferred:
                meta.inferred[name] = guessed.inferred[name]
    if meta.period is None and guessed.period is not None:
        meta.period = guessed.period
        meta.inferred["period"] = guessed.inferred.get("period", "inferred")
    return meta
