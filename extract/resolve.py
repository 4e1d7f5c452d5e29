"""Resolve responsible units as written ("市科技局", "发展改革委", "广州开发区") to canonical bodies.

A unit name means nothing without the plan it is written in: 市教育局 in a 清远市 plan is 清远市教育局,
in a 广州市 plan 广州市教育局. Resolution therefore always takes the document's jurisdiction and
returns a `ResolvedUnit` whose id is stable across documents:

    dept:<full name>   gov:<name>   media:<name>   inst:<name>   firm:<name>
    park:<jurisdiction>:<name>   coll:<jurisdiction>:<name>   org:<jurisdiction>:<name>

Domain knowledge is data (extract/resources/units_*): the alias table of departments and party
bodies (units_departments.tsv), kind rules by prefix/suffix (units_kinds.tsv), park-name forms
(units_parks.tsv), local naming (units_local.tsv) and place-name rules (units_places.json).
Every call is cached by (written, jurisdiction, province): corpora repeat the same few dozen names.

ResolvedUnit.rule says which rule decided:
    exact          the standard name (市科学技术局, 中共清远市委员会组织部)
    abbreviation   a short form made of the standard name's characters (市科技局, 市市场监管局)
    alias          another table form (市金融工作局 -> 地方金融监督管理局)
    local-alias    a jurisdiction's own name for a standard body (units_local.tsv)
    typo           a repaired slip (市农村农业局 -> 农业农村局), always flagged
    review-file    a coordinator's correction in DATA/policykg-aliases.tsv (wins over every rule)
    prefix-carried a 市/省/区 written once at the head of a list (resolve_unit_list)
    suffix-shared  a suffix written once at the end of a 、-run (resolve_unit_list)
    collective     各县（市、区）人民政府, 各有关部门: a set of bodies
    place          a division named alone (天河区 = 天河区人民政府)
    government     a people's government not in the table form (石角镇人民政府)
    park           a zone or park, one node with its committee (清远高新区 = 清远高新区管委会)
    kind-suffix    not in the table; typed by its suffix (…研究院, …指挥部, …有限公司)
    unknown        nothing matched: org:<jurisdiction>:<name>, flagged
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, lru_cache
from itertools import permutations
from pathlib import Path
from typing import Any

import opencc

from . import gazetteer
from .model import UNIT_KINDS, ResolvedUnit, UnitMention

RESOURCES = Path(__file__).resolve().parent / "resources"

LEVELS = "国省市县"  # national > province > prefecture city > district/county
NATIONAL = "全国"

# rules meaning "found in the alias table": the unit is a known standing body
TABLE_RULES = frozenset({"exact", "alias", "abbreviation", "local-alias", "typo", "prefix-carried"})

ID_PREFIX = {
    "Department": "dept",
    "Government": "gov",
    "Media": "media",
    "Institute": "inst",
    "Firm": "firm",
    "ParkCommittee": "park",
    "Collective": "coll",
    "Organisation": "org",
}
# kinds whose ids carry the jurisdiction: their names alone are not unique across places
SCOPED_KINDS = frozenset({"ParkCommittee", "Collective", "Organisation"})

# suffixes one item of a list may share with the next ("广州开发区、南沙开发区管委会")
SHARED_SUFFIXES = ("管理委员会", "管委会", "人民政府", "政府", "局", "委", "办", "厅")

_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", ",": "，", ";": "；", ":": "："})
_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = "。，、；：,.;:\"'“”‘’《》<>"


# ---------------------------------------------------------------------------------------------
# data tables


@dataclass(frozen=True)
class BodyType:
    """A row of units_departments.tsv: a kind of standing body found at some levels."""

    canonical: str  # template: {J} jurisdiction, {S} its short name
    kind: str
    levels: str  # subset of LEVELS

    @cached_property
    def without_places(self) -> str:
        """The canonical name without {J} and {S} (中共 kept)."""
        return self.canonical.replace("{J}", "").replace("{S}", "")

    @cached_property
    def core(self) -> str:
        """The canonical name without jurisdiction placeholders (what a bare written form matches).
        (Kept once made: every resolution through the table asks for it.)"""
        return self.canonical.replace("中共{J}", "").replace("{J}", "").replace("{S}", "")


@dataclass(frozen=True)
class Tables:
    by_core: dict[str, tuple[BodyType, ...]]  # written core -> bodies it may stand for
    cores_by_shape: dict[tuple[int, str], tuple[str, ...]]  # (length, last char) -> cores (typo repair)
    kind_prefix: tuple[tuple[str, str], ...]  # longest first
    kind_exact: dict[str, str]
    kind_suffix: tuple[tuple[str, str], ...]  # longest first
    park_generic: frozenset[str]  # the suffixes of kind ParkCommittee: 高新区 alone is a kind of park
    park_strip: tuple[str, ...]  # committee suffixes
    park_short: tuple[tuple[str, str], ...]  # long form -> short form
    local: dict[tuple[str, str], str]  # (jurisdiction, canonical) -> local canonical
    renamed: dict[tuple[str, str], tuple[str, str]]  # (jurisdiction, old canonical) -> (new, year)
    national: frozenset[str]
    municipalities: frozenset[str]
    level_of_suffix: tuple[tuple[str, str], ...]  # longest first
    level_prefix: dict[str, str]
    level_prefixes: tuple[str, ...]  # the keys of level_prefix, longest first
    place_suffixes: frozenset[str]
    government_of_place: dict[str, str]  # township-level place word -> its government (街道 -> 办事处)
    generic_places: frozenset[str]  # 自治区, 直辖市, 县（市、区）: a kind of place, not a place
    name_heads: tuple[str, ...]  # what full names put before the jurisdiction: 中共, 国家税务总局


def _rows(name: str) -> Iterator[list[str]]:
    path = RESOURCES / name
    with path.open(encoding="utf-8", newline="") as handle:
        for lineno, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
            if not row or not row[0].strip() or row[0].startswith("#"):
                continue
            if len(row) < 2:
                raise ValueError(f"{path}: line {lineno}: expected tab-separated columns")
            yield [cell.strip() for cell in row] + [""] * 4


def _variants(written: str) -> set[str]:
    """Spellings plans use interchangeably: with or without 和, 委员会 shortened to 委, and 党委 for
    委 (自治区党委组织部 = 中共…自治区委员会组织部, as autonomous regions write it)."""
    forms = {written, "党" + written} if written.startswith("委") else {written}
    for form in list(forms):
        forms.add(form.replace("和", ""))
    for form in list(forms):
        if form.endswith("委员会"):
            forms.add(form[: -len("委员会")] + "委")
        forms.add(form.replace("委员会", "委"))
    return {f for f in forms if f}


@cache
def tables() -> Tables:
    """Load the resource tables once per process."""
    by_core: dict[str, list[BodyType]] = {}
    for row in _rows("units_departments.tsv"):
        canonical, kind, levels, aliases = row[0], row[1], row[2], row[3]
        if kind not in UNIT_KINDS or not levels or set(levels) - set(LEVELS):
            raise ValueError(f"{RESOURCES / 'units_departments.tsv'}: bad row {row[:4]}")
        body = BodyType(canonical, kind, levels)
        written_forms = {body.core} | {a for a in aliases.split("|") if a}
        for written in written_forms:
            for form in _variants(written):
                bodies = by_core.setdefault(form, [])
                if body not in bodies:
                    bodies.append(body)
    shapes: dict[tuple[int, str], list[str]] = {}
    for core in by_core:
        shapes.setdefault((len(core), core[-1]), []).append(core)

    prefix, exact, suffix = [], {}, []
    for row in _rows("units_kinds.tsv"):
        match, pattern, kind = row[0], row[1], row[2]
        if kind not in UNIT_KINDS or match not in ("prefix", "suffix", "exact"):
            raise ValueError(f"{RESOURCES / 'units_kinds.tsv'}: bad row {row[:3]}")
        if match == "prefix":
            prefix.append((pattern, kind))
        elif match == "exact":
            exact[pattern] = kind
        else:
            suffix.append((pattern, kind))

    strip, short = [], []
    for row in _rows("units_parks.tsv"):
        (strip.append(row[0]) if row[1] == "strip" else short.append((row[0], row[1])))

    local = {(row[0], row[1]): row[2] for row in _rows("units_local.tsv")}
    renamed = {(row[0], row[1]): (row[2], row[3]) for row in _rows("units_renamed.tsv")}
    places = json.loads((RESOURCES / "units_places.json").read_text(encoding="utf-8"))
    return Tables(
        by_core={k: tuple(v) for k, v in by_core.items()},
        cores_by_shape={k: tuple(v) for k, v in shapes.items()},
        kind_prefix=tuple(sorted(prefix, key=lambda p: -len(p[0]))),
        kind_exact=exact,
        kind_suffix=tuple(sorted(suffix, key=lambda p: -len(p[0]))),
        park_generic=frozenset(pattern for pattern, kind in suffix if kind == "ParkCommittee"),
        park_strip=tuple(sorted(strip, key=len, reverse=True)),
        park_short=tuple(sorted(short, key=lambda p: -len(p[0]))),
        local=local,
        renamed=renamed,
        national=frozenset(places["national"]),
        municipalities=frozenset(places["municipalities"]),
        level_of_suffix=tuple(sorted(places["level_of_suffix"].items(), key=lambda p: -len(p[0]))),
        level_prefix=dict(places["level_prefix"]),
        level_prefixes=tuple(sorted(places["level_prefix"], key=len, reverse=True)),
        place_suffixes=frozenset(places["place_suffixes"]),
        government_of_place=dict(places["government_of_place"]),
        generic_places=frozenset(places["generic_places"]),
        name_heads=tuple(sorted({b.canonical.split("{J}")[0] for bs in by_core.values() for b in bs
                                 if "{J}" in b.canonical and not b.canonical.startswith("{J}")},
                                key=len, reverse=True)),
    )


# ---------------------------------------------------------------------------------------------
# jurisdictions

_PLACE_PART = re.compile(r".{2,}?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|区|县|旗)")


@lru_cache(maxsize=8192)
def _level_of_place(place: str) -> str:
    levels = {d.level for d in gazetteer.lookup(place) if d.name == place}
    if len(levels) == 1:
        return levels.pop()  # 英德市 is a county-level city
    for suffix, level in tables().level_of_suffix:
        if place.endswith(suffix):
            return level
    return ""


@lru_cache(maxsize=8192)
def _short_name(place: str) -> str:
    """清远市 -> 清远, 广西壮族自治区 -> 广西, 沙县 -> 沙县 (a one-character stem is no name)."""
    if re.search(r"自治[区州县旗]$", place):
        return gazetteer.short_name(place)
    for suffix, _ in tables().level_of_suffix:
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place[: -len(suffix)]
    return place


@dataclass(frozen=True)
class Jurisdiction:
    """The document's place, its level and the places above it (real divisions of the gazetteer)."""

    name: str  # "清远市", "广东省", "天河区", "全国"; "" when not known
    level: str  # one of LEVELS
    short: str
    above: dict[str, str]  # level -> enclosing jurisdiction ("省" -> "广东省")
    code: str = ""  # GB/T 2260 code ("441800"; "000000" national; "" not a known division)
    codes: dict[str, str] = field(default_factory=dict)  # name -> code, for this place and those above

    def at(self, level: str) -> str:
        """The jurisdiction at `level` that encloses this one ("" when not known)."""
        if level == self.level:
            return self.name
        if level == "国":
            return NATIONAL
        return self.above.get(level, "")


UNKNOWN = "unknown"


def _division_jurisdiction(division: gazetteer.Division) -> Jurisdiction:
    if division.code == gazetteer.NATIONAL_CODE:
        return Jurisdiction(NATIONAL, "国", NATIONAL, {}, division.code, {NATIONAL: division.code})
    chain = [division, *division.ancestors()]
    codes = {d.name: d.code for d in chain}
    level = division.level
    above = {d.level: d.name for d in chain[1:]}
    if division.type == "直辖市":
        # a municipality is a province-level city: its 市… bodies are the municipality's own
        level, above = "市", {"省": division.name}
    elif len(chain) > 1 and chain[1].type == "直辖市":
        above = {"市": chain[1].name, "省": chain[1].name}
    return Jurisdiction(division.name, level, division.short, above, division.code, codes)


@lru_cache(maxsize=4096)
def _jurisdiction(name: str, province: str) -> Jurisdiction:
    t = tables()
    name = _SPACE.sub("", name)
    if name in t.national or not name:
        return _division_jurisdiction(gazetteer.NATIONAL)
    if name == UNKNOWN:
        return Jurisdiction("", "市", "", {})
    within = gazetteer.best(province) if province else None
    division = gazetteer.best(name, within)
    if division is not None:
        return _division_jurisdiction(division)
    # not a division the gazetteer knows (a town, a new district): read its parts by their suffixes
    parts = _PLACE_PART.findall(name)
    if "".join(parts) != name:
        parts = [name]
    above: dict[str, str] = {}
    codes: dict[str, str] = {}
    for part in parts[:-1]:
        above.setdefault(_level_of_place(part), part)
        known = gazetteer.best(part)
        if known is not None:
            codes[part] = known.code
    last = parts[-1]
    level = _level_of_place(last) or "市"
    if province and province != last:
        above.setdefault("省", _SPACE.sub("", province))
        if within is not None:
            codes.setdefault(above["省"], within.code)
    return Jurisdiction(last, level, _short_name(last), above, "", codes)


def jurisdiction_code(name: str, province: str = "") -> str:
    """The GB/T 2260 code of a document's jurisdiction ("441800"; "000000" for 全国; "" when the
    name is no division the gazetteer knows)."""
    return _jurisdiction(_SPACE.sub("", name), _SPACE.sub("", province)).code


def canonical_jurisdiction(name: str, province: str = "") -> str:
    """The division's real name for a jurisdiction as written (清远 -> 清远市); "" when unknown."""
    jur = _jurisdiction(_SPACE.sub("", name), _SPACE.sub("", province))
    return jur.name if jur.code else ""


def _place_code(place: str, jur: Jurisdiction) -> str:
    """The GB/T 2260 code of a place named in a document of `jur` ("" when it is no known division)."""
    if place == NATIONAL:
        return gazetteer.NATIONAL_CODE
    if place in jur.codes:
        return jur.codes[place]
    return _place_code_within(place, jur.code)


@lru_cache(maxsize=8192)
def _place_code_within(place: str, code: str) -> str:
    """The code of a place named in a document of the division `code` (not one of its own names)."""
    within = gazetteer.by_code(code) if code else None
    province = within.province if within is not None and within.code != gazetteer.NATIONAL_CODE else None
    division = gazetteer.best(place, province or within)
    return division.code if division is not None and division.name == place else ""


# ---------------------------------------------------------------------------------------------
# helpers


@lru_cache(maxsize=8192)
def _division_named(name: str, code: str) -> gazetteer.Division | None:
    """The division `name` most likely means in a plan of the division `code` (its province first)."""
    within = gazetteer.by_code(code) if code else None
    return gazetteer.best(name, within.province if within is not None and within.province else within)


@lru_cache(maxsize=100_000)
def _is_division(name: str) -> bool:
    return bool(gazetteer.lookup(name))


@lru_cache(maxsize=100_000)
def unit_key(written: str) -> str:
    """Normalised comparison key: Simplified, no whitespace, full-width punctuation, no list
    punctuation at the edges. Input is normally Simplified already; converting again is cheap
    insurance for callers such as the CLI, where a user may type 科技創新委.

    >>> unit_key(" 市科技局、")
    '市科技局'
    """
    key = _SPACE.sub("", written.replace("\u00a0", "").replace("\u3000", "")).translate(_HALF_TO_FULL)
    return _to_simplified(key.strip(_EDGE_PUNCT))


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _to_simplified(text: str) -> str:
    return _t2s().convert(text) if text else text


def _is_subsequence(short: str, long: str) -> bool:
    chars = iter(long)
    return all(c in chars for c in short)


def _make(kind: str, name: str, jurisdiction: str, rule: str, flagged: bool = False, note: str = "",
          id_name: str = "", jur: Jurisdiction | None = None) -> ResolvedUnit:
    """A resolved unit and its id, keyed by the division code of its jurisdiction:
    dept:441800:科学技术局 (清远市科学技术局), gov:440106:人民政府, park:441800:清远高新区,
    dept:000000:科学技术部; a body whose name carries no jurisdiction (合肥海关, a firm, a
    research centre) keeps its own name: dept:合肥海关, inst:中国科学院广州分院."""
    prefix = ID_PREFIX[kind]
    key = id_name or name
    code = _place_code(jurisdiction, jur) if jur is not None and jurisdiction else ""
    if kind in ("Institute", "Firm", "Media"):
        unit_id = f"{prefix}:{key}"
    elif code and code != gazetteer.NATIONAL_CODE and not id_name and (
            key.startswith(jurisdiction) or (rule not in ("kind-suffix", "unknown") and jurisdiction in key)):
        unit_id = f"{prefix}:{code}:{key.replace(jurisdiction, '', 1)}"
    elif code and (kind in SCOPED_KINDS or id_name or code == gazetteer.NATIONAL_CODE):
        unit_id = f"{prefix}:{code}:{key}"
    elif kind in SCOPED_KINDS or (not jurisdiction and jur is not None and not jur.name):
        unit_id = f"{prefix}:{jurisdiction or UNKNOWN}:{key}"
    else:
        unit_id = f"{prefix}:{key}"
    return ResolvedUnit(unit_id, name, kind, jurisdiction, rule, flagged, note, code)


@lru_cache(maxsize=100_000)
def _kind_by_rules(name: str) -> str:
    """The kind the data file gives `name` by prefix, exact form or suffix ("" when none)."""
    t = tables()
    if name in t.kind_exact:
        return t.kind_exact[name]
    prefixes, suffixes = _kind_affixes()
    size = len(name)
    # the longest pattern first, as the tables list them: one look-up per pattern length
    for length, kinds in prefixes:
        if length < size:
            kind = kinds.get(name[:length])
            if kind is not None:
                return kind
    for length, kinds in suffixes:
        if length <= size:
            kind = kinds.get(name[size - length :])
            if kind is not None:
                return kind
    return ""


@cache
def _kind_affixes() -> tuple[tuple[tuple[int, dict[str, str]], ...], tuple[tuple[int, dict[str, str]], ...]]:
    """The kind prefixes and suffixes of the tables grouped by length, longest first (the first
    row of a pattern wins, as in the tables' order)."""
    def by_length(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[int, dict[str, str]], ...]:
        groups: dict[int, dict[str, str]] = {}
        for pattern, kind in pairs:
            groups.setdefault(len(pattern), {}).setdefault(pattern, kind)
        return tuple(sorted(groups.items(), key=lambda g: -g[0]))

    t = tables()
    return by_length(t.kind_prefix), by_length(t.kind_suffix)


@lru_cache(maxsize=100_000)
def _level_prefix(name: str) -> str:
    """The level word a name starts with ("市" of 市科技局, "自治区" of 自治区科技厅); "" when none
    or when nothing follows it."""
    for prefix in tables().level_prefixes:
        if name.startswith(prefix) and len(name) > len(prefix):
            return prefix
    return ""


@lru_cache(maxsize=100_000)
def _looks_like_place(name: str) -> bool:
    """天河区, 英德市, 佛冈县, 石角镇: an administrative division named on its own. Above the
    township level it must be a division of the gazetteer ("有条件的市" is none); towns and
    townships (镇, 乡) are not in it and are read by their suffix."""
    t = tables()
    if not (2 <= len(name) <= 10 and name[-1] in t.place_suffixes and "（" not in name):
        return False
    if _kind_by_rules(name):  # 清远高新区 is a park, not a district
        return False
    return name[-1] in "镇乡" or bool(gazetteer.lookup(name))


# ---------------------------------------------------------------------------------------------
# the analysis of one written name


@dataclass(frozen=True)
class _Scope:
    """Where a written name places its body: at the document's level, a level prefix or a place."""

    how: str  # "bare" | "level" | "place"
    level: str = ""  # for "level": one of LEVELS; for "place": the place's level
    place: str = ""  # for "place": the jurisdiction named
    written_prefix: str = ""  # the characters that said so ("市", "清远市")


# the scopes are immutable and few: each made once and shared
_BARE = _Scope("bare")
_scope = lru_cache(maxsize=4096)(_Scope)


def _splits(written: str, jur: Jurisdiction) -> Iterator[tuple[_Scope, str]]:
    """Ways to read `written` as (where, core): bare, level prefix (市…), named place (清远市…)."""
    t = tables()
    yield _BARE, written
    level_word = _level_prefix(written)
    if level_word:
        # the word the plan's own division ends in is its own level: 区科技厅 in a 自治区 plan
        own = jur.name and jur.level != "国" and jur.name.endswith(level_word)
        level = jur.level if own else t.level_prefix[level_word]
        yield _scope("level", level, "", level_word), written[len(level_word):]
    # the document's own names and the places above it, also by their short names
    known = [jur.name, *jur.above.values()]
    for place in known:
        for form in (place, _short_name(place)):
            if len(form) >= 2 and written.startswith(form) and len(written) > len(form):
                yield _scope("place", _level_of_place(place), place, form), written[len(form) :]
    # any other place named in full ("天河区政府", "广州市科技局" in a 清远 plan)
    for end in range(2, len(written) - 1):
        head = written[:end]
        if head[-1] in "省市区县州盟旗" and head not in known and _is_division(head):
            # named by its real name (海西州 -> 海西蒙古族藏族自治州), preferring the plan's province
            real = _division_named(head, jur.code)
            place = real.name if real is not None and real.code != gazetteer.NATIONAL_CODE else head
            level = _level_of_place(place) or _level_of_place(head)
            if level:
                yield _scope("place", level, place, head), written[end:]


def _where(scope: _Scope, body: BodyType | None, jur: Jurisdiction) -> tuple[str, str, str]:
    """(jurisdiction, level, note) for a body read in `scope` within the document's jurisdiction."""
    if scope.how == "place":
        place = scope.place
        level = scope.level
        if place == jur.name or place in jur.above.values():
            return place, level, ""
        return place, level, f"{place}: named place"
    if scope.how == "level":
        level = scope.level
        if level == jur.level or (jur.level == "县" and scope.written_prefix == jur.name[-1:]):
            return jur.name, jur.level, ""
        if LEVELS.index(level) < LEVELS.index(jur.level):
            above = jur.at(level)
            if above:
                return above, level, f"{scope.written_prefix}: {above}"
            return "", level, f"{scope.written_prefix}: enclosing jurisdiction not known"
        return jur.name, level, f"{scope.written_prefix}-level body named in a {jur.level}-level plan"
    # bare: the document's own level if the body exists there, else the nearest level above
    if body is None or jur.level in body.levels:
        return jur.name, jur.level, ""
    for level in reversed(LEVELS[: LEVELS.index(jur.level)]):
        if level in body.levels:
            above = jur.at(level)
            return above, level, f"a {level}-level name: {above or 'enclosing jurisdiction not known'}"
    return jur.name, jur.level, f"not a {jur.level}-level name"


def _pick(bodies: Sequence[BodyType], level: str) -> BodyType:
    for body in bodies:
        if level in body.levels:
            return body
    return bodies[0]


def _target_level(scope: _Scope, bodies: Sequence[BodyType], jur: Jurisdiction) -> str:
    if scope.how != "bare":
        return scope.level
    if any(jur.level in b.levels for b in bodies):
        return jur.level
    for level in reversed(LEVELS[: LEVELS.index(jur.level)]):
        if any(level in b.levels for b in bodies):
            return level
    return jur.level


@lru_cache(maxsize=100_000)
def _table_rule(core: str, body_core: str, without_places: str) -> str:
    """How a written core names a table body: exact, abbreviation (its characters in order) or alias.
    (Cached: it depends on the two names only, and a name is read again in every jurisdiction.)"""
    if core in (body_core, without_places):
        return "exact"
    if _is_subsequence(core, body_core) or _is_subsequence(core.replace("委", "委员会"), body_core):
        return "abbreviation"
    return "alias"


def _from_table(core: str, bodies: Sequence[BodyType], scope: _Scope, jur: Jurisdiction,
                rule: str, note: str = "") -> ResolvedUnit:
    t = tables()
    body = _pick(bodies, _target_level(scope, bodies, jur))
    where, level, where_note = _where(scope, body, jur)
    canonical = body.canonical
    if not rule:
        rule = _table_rule(core, body.core, body.without_places)
    local = t.local.get((where, canonical))
    if local:
        canonical, rule = local, ("typo" if rule == "typo" else "local-alias")
        note = "; ".join(filter(None, [note, f"{where} names this body {local}"]))
    renamed = t.renamed.get((where, canonical))
    if renamed:
        old, (canonical, year) = canonical, renamed
        note = "; ".join(filter(None, [note, f"{where}{old} renamed {where}{canonical} in {year}"]))
    flagged = rule == "typo" or (not where and level != "国") or "not a" in where_note
    if scope.how != "bare" and level not in body.levels:
        flagged, where_note = True, "; ".join(filter(None, [where_note, f"{body.core} is no {level}-level body"]))
    if scope.how == "level" and LEVELS.index(level) > LEVELS.index(jur.level):
        # 区科技局 in a city plan: each district's bureau, not one body
        name = scope.written_prefix + canonical.replace("中共{J}", "").replace("{J}", "").replace("{S}", "")
        # in a national plan, 市科技局 are the cities' bureaus: 各市科学技术局, not "全国市…"
        full = "各" + name if jur.level == "国" else jur.name + name
        return _make("Collective", full, jur.name, "collective", True, where_note, id_name=name, jur=jur)
    if level == "国":
        name, where = canonical.replace("{J}", "").replace("{S}", ""), NATIONAL
    else:
        # enclosing jurisdiction not known (a plan of unknown place): the level as written, flagged
        place = where or {"省": "省", "市": "市", "县": "县"}.get(level, "")
        if "{J}" in canonical or "{S}" in canonical:
            name = canonical.replace("{J}", place).replace("{S}", _short_name(place))
        else:
            name = place + canonical
    note = "; ".join(filter(None, [note, where_note]))
    return _make(body.kind, name, where, rule, flagged, note, jur=jur)


# the last characters of the names read for a slip (of at least five characters)
_TYPO_LASTS = "局委厅部办"


@lru_cache(maxsize=100_000)
def _typo_candidates(core: str) -> tuple[str, ...]:
    """Known cores `core` may be a slip of: halves swapped (农村农业局), one character off.
    (Cached: it depends on the tables only, and a name missing from them is tried in every
    jurisdiction.)"""
    t = tables()
    found: list[str] = []
    if len(core) >= 5 and core[-1] in _TYPO_LASTS:
        stem, last = core[:-1], core[-1]
        if len(stem) in (4, 6):  # two or three two-character parts
            chunks = [stem[i : i + 2] for i in range(0, len(stem), 2)]
            for order in permutations(chunks):
                candidate = "".join(order) + last
                if candidate != core and candidate in t.by_core:
                    found.append(candidate)
        # the cores of the same length and last character that differ from `core` in one character
        # or by two neighbours swapped (the last character kept), in the order of the tables: looked
        # up by each form of `core` with one character blanked, not compared core by core
        one_off, rank = _one_off_index()
        near = {c for i in range(len(core) - 1) for c in one_off.get(core[:i] + "\0" + core[i + 1 :], ())}
        for i in range(len(core) - 2):
            swapped = core[:i] + core[i + 1] + core[i] + core[i + 2 :]
            if swapped != core and swapped in rank:
                near.add(swapped)
        near.discard(core)
        found.extend(sorted(near, key=rank.__getitem__))
    return tuple(dict.fromkeys(found))


@cache
def _one_off_index() -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
    """The table's cores by each form with one character but the last blanked (\\0), and each
    core's place in the tables' order (cores_by_shape's): _typo_candidates finds the cores one
    character off by a look-up per character."""
    one_off: dict[str, list[str]] = {}
    rank: dict[str, int] = {}
    for (length, last), shape_cores in tables().cores_by_shape.items():
        if length < 5 or last not in _TYPO_LASTS:
            continue  # (no name of this shape is read for a slip)
        for core in shape_cores:
            rank[core] = len(rank)
            for i in range(len(core) - 1):
                one_off.setdefault(core[:i] + "\0" + core[i + 1 :], []).append(core)
    return {k: tuple(v) for k, v in one_off.items()}, rank


def _park(written: str, jur: Jurisdiction) -> ResolvedUnit:
    """A zone or park and its management committee are one node: park:<jurisdiction>:<short name>."""
    t = tables()
    name, notes = written, []
    for suffix in t.park_strip:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            notes.append(f"{suffix}: the park's committee")
            break
    for long, short in t.park_short:
        if long in name:
            name = name.replace(long, short)
    generic = t.park_generic
    where = jur.name
    named = re.match(r"^(.{2,6}?[市州盟])(.{2,})$", name)
    if named and (named.group(1) == jur.name or (jur.level in "国省" and _level_of_place(named.group(1)) == "市")):
        # 清远市高新区 = 清远高新区; 广州市南沙开发区 = 南沙开发区 (in a province plan: the city's park)
        where, rest = named.group(1), named.group(2)
        name = _short_name(where) + rest if rest in generic else rest
    elif _level_prefix(name) and t.level_prefix[_level_prefix(name)] == jur.level:
        name = jur.short + name[len(_level_prefix(name)):]
    elif name in generic:
        name = jur.short + name  # 高新区 alone: the jurisdiction's own
        notes.append(f"the {jur.name} {written}")
    return _make("ParkCommittee", name, where, "park", False, "; ".join(notes), jur=jur)


def _collective(written: str, jur: Jurisdiction) -> ResolvedUnit:
    t = tables()
    name = written
    level_word = _level_prefix(name)
    rest = name[len(level_word):]
    if level_word and t.level_prefix[level_word] == jur.level and (
        rest in t.kind_exact or any(rest.startswith(p) for p, k in t.kind_prefix if k == "Collective")
    ):
        name = rest  # 市各有关部门 = 各有关部门; 市直有关部门 keeps its 市
    elif name.startswith(jur.name):
        name = name[len(jur.name) :]
    if name.endswith("政府") and not name.endswith("人民政府"):
        name = name[: -len("政府")] + "人民政府"
    full = name if jur.level == "国" else jur.name + name  # 各省级人民政府 of a national plan
    return _make("Collective", full, jur.name, "collective", id_name=name, jur=jur)


def _is_subdistrict_office(name: str) -> bool:
    """关山街道办事处, 关山街道: the office of a 街道 (a township-level place), by the place words of
    units_places.json government_of_place (街道 -> 办事处)."""
    for place_word, office in tables().government_of_place.items():
        if office == "人民政府":
            continue
        for suffix in (place_word + office, place_word):  # 关山街道办事处, 关山街道
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                return True
    return False


def _names_a_place(name: str) -> bool:
    """Whether a body's name holds a real place (合肥海关, 人行韶关市中心支行): such a body is named
    by itself, not by the plan's jurisdiction."""
    names = gazetteer.full_names()
    for size in range(2, min(len(name), 12) + 1):
        for i in range(len(name) - size + 1):
            part = name[i : i + size]
            if part in names or any(d.short == part for d in gazetteer.lookup(part)):
                return True
    return False


def _named(written: str, kind: str, jur: Jurisdiction, rule: str, flagged: bool = False,
           note: str = "") -> ResolvedUnit:
    """A body known only by its own name: expand a leading 市/区 to the jurisdiction, keep the rest.
    A body whose name holds its own place (合肥海关, a state firm, a research centre) keeps its name."""
    t = tables()
    name = written
    level_word = _level_prefix(name)
    if level_word and t.level_prefix[level_word] == jur.level and jur.level != "国" and jur.name:
        name = jur.name + name[len(level_word):]
    elif (kind == "Department" and jur.level != "国" and jur.name and not name.startswith(jur.short)
          and not any(name.startswith(p) for p in jur.above.values())
          and not re.match(r"^.{2,6}?[省市区县]", name) and not _names_a_place(name)):
        name = jur.name + name  # a bare department name is the document's own
    return _make(kind, name, jur.name, rule, flagged, note, jur=jur)


@lru_cache(maxsize=200_000)
def _analyse(written: str, jurisdiction: str, province: str) -> tuple[ResolvedUnit, _Scope]:
    """Resolve one (normalised) name; also say how the name placed itself (for list rules)."""
    jur = _jurisdiction(jurisdiction, province)
    t = tables()
    if not written:
        return _make("Organisation", "", jur.name, "unknown", True, "empty unit name", jur=jur), _BARE
    name = written
    if name.endswith("等") and len(name) > 2:
        name = name[:-1]  # "市科技局等": the list goes on, the unit does not change
    if name.endswith("）") and "（" in name and name.index("（") > 1 and not _kind_by_rules(name):
        # "市发展改革局（市能源局）": a second name of the same body
        head = name[: name.rindex("（")]
        unit, scope = _analyse(head, jurisdiction, province)
        if unit.rule in TABLE_RULES:
            note = "; ".join(filter(None, [unit.note, f"{name[len(head):]} dropped"]))
            return replace(unit, note=note), scope
    generic = name.removesuffix("人民政府").removesuffix("政府")
    if generic != name and jur.level != "国" and generic in t.level_prefix and jur.name.endswith(generic) \
            and jur.code:
        # 自治区人民政府 in a 广西 plan, 省政府 in a province's: the plan's own government
        return _make("Government", jur.name + "人民政府", jur.name, "government", jur=jur), _BARE
    if generic in t.generic_places:
        return _collective(name, jur), _BARE
    level_word = _level_prefix(name)
    in_table = name in t.by_core or (bool(level_word) and name[len(level_word):] in t.by_core)
    if not in_table and (_kind_by_rules(name) == "Collective" or (
        level_word and _kind_by_rules(name[len(level_word):]) == "Collective"
    )):
        return _collective(name, jur), _BARE

    # full names: 中共清远市委员会组织部, 国家税务总局清远市税务局 - the head belongs to the canonical
    for head in t.name_heads:
        if name.startswith(head) and len(name) > len(head) + 1:
            for scope, core in _splits(name[len(head) :], jur):
                bodies = tuple(b for b in t.by_core.get(core, ()) if b.canonical.startswith(head + "{J}"))
                if bodies and scope.how != "bare":
                    return _from_table(head + core, bodies, scope, jur, ""), scope
    splits: list[tuple[_Scope, str]] = []  # read lazily: the bare name is most often in the table
    for scope, core in _splits(name, jur):
        splits.append((scope, core))
        bodies = t.by_core.get(core)
        if bodies:
            return _from_table(core, bodies, scope, jur, ""), scope
    for scope, core in splits:
        candidates = _typo_candidates(core)
        meant = {_pick(t.by_core[c], _target_level(scope, t.by_core[c], jur)) for c in candidates}
        if len(meant) == 1:
            note = f"{core} read as {candidates[0]}"
            return _from_table(candidates[0], t.by_core[candidates[0]], scope, jur, "typo", note), scope

    kind = _kind_by_rules(name)
    if kind == "ParkCommittee":
        return _park(name, jur), _BARE
    if kind == "Government" or (not kind and _looks_like_place(name)):
        place = name
        for suffix in ("人民政府", "政府"):
            place = place.removesuffix(suffix)
        if place and _looks_like_place(place):
            # the division's real name: 海西州 -> 海西蒙古族藏族自治州
            real = _division_named(place, jur.code)
            if real is not None and real.level in "省市县" and real.code != gazetteer.NATIONAL_CODE:
                place = real.name
            gov = place + "人民政府"
            rule = "place" if place == name else "government"
            if real is None and jur.level in ("市", "县") and jur.code:
                # a town of the plan's county or city (城关镇 is in hundreds of counties): the plan's
                # division scopes it, since the gazetteer stops at counties
                return _make("Government", jur.name + gov, jur.name, rule, jur=jur), _BARE
            return _make("Government", gov, place, rule, jur=jur), _BARE
    if kind == "Government" and jur.level in ("市", "县") and jur.code and _is_subdistrict_office(name):
        # 关山街道办事处 in a district plan: the district's own 街道, as a town above
        office = name + tables().government_of_place["街道"] if name.endswith("街道") else name
        own = office if office.startswith(jur.name) else jur.name + office
        return _make("Government", own, jur.name, "government", jur=jur), _BARE
    if kind == "Government":  # a government of no division the gazetteer knows: a person should look
        return _named(name, kind, jur, "kind-suffix", True, "no such division in the gazetteer"), _BARE
    if kind:
        return _named(name, kind, jur, "kind-suffix"), _BARE
    return _named(name, "Organisation", jur, "unknown", True, "no rule matched this name"), _BARE


# ---------------------------------------------------------------------------------------------
# the review file: a coordinator's corrections, read by every build, winning over the tables

REVIEW_FILE = "policykg-aliases.tsv"
REVIEW_COLUMNS = ("written", "jurisdiction", "canonical", "kind")


@dataclass(frozen=True)
class ReviewEntry:
    canonical: str
    kind: str
    line: int
    source: str


_review: dict[tuple[str, str], ReviewEntry] = {}
# changes whenever the review rows do: callers that memoise resolutions across documents
# (extract.entity_components) start afresh when it moves
review_generation = [0]


def read_review_file(path: Path) -> tuple[dict[tuple[str, str], ReviewEntry], list[str]]:
    """The rows of a review file (written form, jurisdiction, canonical name, kind; tab-separated,
    # comments, an optional header line) keyed by (written key, jurisdiction; "" = any), and one
    warning line per malformed row naming the file and the line (the row is left out)."""
    entries: dict[tuple[str, str], ReviewEntry] = {}
    warnings: list[str] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"{path}: cannot read the review file ({exc}); built without it"]
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if lineno == 1 and cells[0].lower() == "written":
            continue
        while len(cells) > 4 and not cells[-1]:
            cells.pop()
        problem = ""
        if len(cells) != 4:
            problem = f"expected 4 tab-separated columns ({', '.join(REVIEW_COLUMNS)}), found {len(cells)}"
        elif not cells[0] or not cells[2]:
            problem = "the written form and the canonical name must not be empty"
        elif cells[3] not in UNIT_KINDS:
            problem = f"kind {cells[3]!r} is not one of {', '.join(UNIT_KINDS)}"
        if problem:
            warnings.append(f"{path}: line {lineno}: {problem}; row ignored")
            continue
        written, jurisdiction, canonical, kind = cells
        entries[(unit_key(written), _SPACE.sub("", jurisdiction))] = ReviewEntry(
            unit_key(canonical), kind, lineno, path.name)
    return entries, warnings


def use_review_entries(entries: dict[tuple[str, str], ReviewEntry]) -> None:
    """Make the review file's rows part of every resolution from now on (in this process and the
    workers it forks); {} drops them."""
    _review.clear()
    _review.update(entries)
    _resolved_list.cache_clear()
    review_generation[0] += 1


def _reviewed(key: str, jurisdiction: str, province: str) -> ResolvedUnit | None:
    if not _review:
        return None
    entry = _review.get((key, jurisdiction)) or _review.get((key, ""))
    if entry is None:
        return None
    jur = _jurisdiction(jurisdiction, province)
    # the canonical name's own place: the division it opens with, else the document's
    where = jur.name
    for end in range(len(entry.canonical) - 1, 1, -1):
        if entry.canonical[:end] in gazetteer.full_names():
            where = gazetteer.lookup(entry.canonical[:end], gazetteer.by_code(jur.code) if jur.code else None)[0].name
            break
    note = f"{entry.source} line {entry.line}"
    return _make(entry.kind, entry.canonical, where, "review-file", False, note, jur=jur)


# ---------------------------------------------------------------------------------------------
# public API


def resolve_unit(written: str, jurisdiction: str, *, province: str = "") -> ResolvedUnit:
    """Resolve one unit as written in a document of `jurisdiction` ("清远市"; "全国" or "" national).

    `written` is Simplified, full-width punctuated ("市科技局", "各县（市、区）人民政府").
    `province` names the enclosing province for 省… names in city and district plans. Never raises:
    a name no rule knows resolves to org:<jurisdiction>:<name> with rule "unknown", flagged.
    """
    key, jurisdiction, province = unit_key(written), _SPACE.sub("", jurisdiction), _SPACE.sub("", province)
    reviewed = _reviewed(key, jurisdiction, province)
    if reviewed is not None:
        return reviewed
    unit, _ = _analyse(key, jurisdiction, province)
    return _copy(unit)


def _shared_suffixes(units: Sequence[str], separators: Sequence[str]) -> list[str]:
    """For each item, the suffix it leaves to a later item of the same 、-run ("" when none): the
    shared suffix of the first later item of the run that has one. One pass from the right, so a
    clause of n units costs n steps, not n²."""
    own = _own_suffix
    left_to_later = [""] * len(units)
    for i in range(len(units) - 2, -1, -1):
        if separators[i + 1] == "、":
            left_to_later[i] = own(units[i + 1]) or left_to_later[i + 1]
    return ["" if suffix and unit.endswith(suffix) else suffix for unit, suffix in zip(units, left_to_later)]


@lru_cache(maxsize=100_000)
def _own_suffix(unit: str) -> str:
    """The shared suffix a unit ends with ("" when none)."""
    return next((x for x in SHARED_SUFFIXES if unit.endswith(x) and len(unit) > len(x)), "")


def _next_ending_with(units: Sequence[str], suffix: str) -> list[int]:
    """For each index, the first later index whose unit ends with `suffix` (-1 when none)."""
    found, nxt = [-1] * len(units), -1
    for i in range(len(units) - 1, -1, -1):
        found[i] = nxt
        if units[i].endswith(suffix):
            nxt = i
    return found


def _may_share(key: str, suffix: str, alone: ResolvedUnit, shared: ResolvedUnit) -> bool:
    """Whether `key` + `suffix` is a plausible reading: a place + 政府, a park + 管委会, a table body."""
    if suffix in ("人民政府", "政府"):
        place = key.removeprefix("各")
        return place in tables().generic_places or place in tables().level_prefix or _looks_like_place(place)
    if suffix in ("管委会", "管理委员会"):
        return alone.kind == shared.kind == "ParkCommittee"
    return shared.rule in TABLE_RULES


def resolve_unit_list(units: Sequence[str], jurisdiction: str, *, province: str = "",
                      separators: Sequence[str] | None = None) -> list[ResolvedUnit]:
    """Resolve the units of ONE clause, in order, applying the rules that span a list.

    separators[i] is the separator before units[i] ("" for the first; "、", "，", "；"); when not
    given every separator is taken as "、".
    - prefix-carried: "市科技创新委、发展改革委" - a 市/省/区 prefix written once at the head also
      holds for later bare department names (省科技厅、发展改革委: the province's 发展改革委).
    - suffix-shared: "广州开发区、南沙开发区管委会", "天河区、南沙区政府", "市财政、审计局" - an item
      without the suffix the next item of its 、-run ends with is read with that suffix.
    """
    keys = tuple(map(unit_key, units))
    jurisdiction, province = _without_spaces(jurisdiction), _without_spaces(province)
    seps = list(separators) if separators is not None else ["", *["、"] * (len(units) - 1)]
    if len(seps) != len(units):
        raise ValueError(f"resolve_unit_list: {len(units)} units but {len(seps)} separators")
    seps = tuple(map(_full_width_separator, seps))
    # a plan repeats its clauses: a list is resolved once per process (fresh objects for each caller)
    return [_copy(unit) for unit in _resolved_list(keys, jurisdiction, province, seps)]


def resolve_mentions(mentions: Sequence[UnitMention], jurisdiction: str, province: str = "") -> None:
    """Set `resolved` on the mentions of ONE clause: resolve_unit_list of their names and
    separators, without building the lists (the pipeline calls it for every clause)."""
    keys = tuple([unit_key(m.written) for m in mentions])
    seps = tuple([_full_width_separator(m.separator) for m in mentions])
    resolved = _resolved_list(keys, _without_spaces(jurisdiction), _without_spaces(province), seps)
    for mention, unit in zip(mentions, resolved):
        mention.resolved = _copy(unit)


@lru_cache(maxsize=4096)
def _without_spaces(name: str) -> str:
    return _SPACE.sub("", name)


@lru_cache(maxsize=256)
def _full_width_separator(separator: str) -> str:
    return separator.translate(_HALF_TO_FULL)


def _copy(unit: ResolvedUnit, _new: Any = object.__new__) -> ResolvedUnit:
    """A copy of a resolved unit (the fields as they are; faster than dataclasses.replace), its
    slots set one by one."""
    new = _new(ResolvedUnit)
    new.unit_id = unit.unit_id
    new.name = unit.name
    new.kind = unit.kind
    new.jurisdiction = unit.jurisdiction
    new.rule = unit.rule
    new.flagged = unit.flagged
    new.note = unit.note
    new.jurisdiction_code = unit.jurisdiction_code
    return new


@lru_cache(maxsize=8192)
def _resolved_list(keys: tuple[str, ...], jurisdiction: str, province: str,
                   seps: tuple[str, ...]) -> tuple[ResolvedUnit, ...]:
    """resolve_unit_list of normalised keys and separators (cleared when the review file changes)."""
    if len(keys) == 1 and not _review:  # one unit: no rule spans the list, the unit reads as alone
        return (_analyse(keys[0], jurisdiction, province)[0],)
    results: list[ResolvedUnit] = []
    carried, carried_from = "", ""
    suffixes = _shared_suffixes(keys, seps)
    next_with: dict[str, list[int]] = {}  # suffix -> first later unit ending with it, per index
    review = bool(_review)
    for i, key in enumerate(keys):
        reviewed = _reviewed(key, jurisdiction, province) if review else None
        if reviewed is not None:  # a coordinator's correction wins over every rule
            results.append(reviewed)
            carried = ""
            continue
        unit, scope = _analyse(key, jurisdiction, province)
        rule, note, written = unit.rule, unit.note, key
        suffix = suffixes[i]
        if suffix and unit.rule not in TABLE_RULES:
            shared, shared_scope = _analyse(key + suffix, jurisdiction, province)
            if suffix not in next_with:
                next_with[suffix] = _next_ending_with(keys, suffix)
            later, _ = _analyse(keys[next_with[suffix][i]], jurisdiction, province)
            if shared.kind == later.kind and _may_share(key, suffix, unit, shared):
                unit, scope, written = shared, shared_scope, key + suffix
                rule = "typo" if shared.rule == "typo" else "suffix-shared"
                note = "; ".join(filter(None, [shared.note, f"{key} read as {written}"]))
        if scope.how == "level" and unit.kind in ("Department", "Organisation", "Media", "Government"):
            carried, carried_from = scope.written_prefix, key
        elif scope.how == "bare" and carried and unit.rule in TABLE_RULES:
            with_prefix, with_scope = _analyse(carried + written, jurisdiction, province)
            if with_prefix.rule in TABLE_RULES and with_scope.how == "level" and not (
                with_prefix.flagged and with_prefix.rule != "typo"
            ):
                unit = with_prefix
                if rule != "suffix-shared" or with_prefix.rule == "typo":
                    rule = "typo" if with_prefix.rule == "typo" else "prefix-carried"
                note = "; ".join(filter(None, [with_prefix.note, note if written != key else "",
                                               f"{carried} carried from {carried_from}"]))
        if rule != unit.rule or note != unit.note:
            unit = _copy(unit)
            unit.rule, unit.note = rule, note
        results.append(unit)
    return tuple(results)


def find_units(name: str, jurisdictions: Iterable[str]) -> list[ResolvedUnit]:
    """Every body `name` (any alias: 科技局, 市科技局, 清远市科学技术局) stands for in `jurisdictions`.

    Only known bodies count: names from the alias table, people's governments, and parks or
    collectives of that jurisdiction; a name no rule knows finds nothing. One result per unit_id.
    """
    found: dict[str, ResolvedUnit] = {}
    for jurisdiction in jurisdictions:
        unit = resolve_unit(name, jurisdiction)
        jur = _jurisdiction(_SPACE.sub("", jurisdiction), "")
        known = (unit.rule in TABLE_RULES and not unit.flagged) or unit.rule == "typo"
        known = known or unit.rule in ("place", "government")
        known = known or (unit.kind in ("ParkCommittee", "Collective") and unit.jurisdiction == jur.name
                          and (unit.kind == "Collective" or unit.name.startswith(jur.short)))
        if known and unit.unit_id not in found:
            found[unit.unit_id] = unit
    return list(found.values())
