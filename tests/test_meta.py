"""Metadata inference: the levels of the units a plan names and the divisions it names, which
decide a jurisdiction when no manifest gives one."""

from __future__ import annotations

from policykg.extract.gazetteer import names_in
from policykg.extract.meta import unit_levels


def test_unit_levels_count_each_level_prefix_once() -> None:
    # the first 省 has no character before it (the text's start): not counted
    assert unit_levels("省科技厅、市科技局、区科技局、县科技局负责") == {"国": 0, "省": 0, "市": 1, "县": 2}
    # 各市/全省: every city's or the whole province's, not the plan's own; 区市场监管局 is a
    # district's bureau (县 level), its 市 is part of the name
    assert unit_levels("为此，各市科技局、全省科技厅、区市场监管局参与") == {"国": 0, "省": 0, "市": 0, "县": 1}


def test_unit_levels_national_bodies_but_not_words() -> None:
    # 科技部门 and 部署 are words, not 科技部; 省科技部署 is neither
    assert unit_levels("由科技部、财政部指导，科技部门配合，省科技部署") == {"国": 2, "省": 0, "市": 0, "县": 0}
    # bodies written inside one another all count: 国家发展改革委 holds 发展改革委
    assert unit_levels("由科技部、国家发展改革委指导") == {"国": 3, "省": 0, "市": 0, "县": 0}
    assert unit_levels("科技部") == {"国": 0, "省": 0, "市": 0, "县": 0}  # nothing before or after it



def test_unit_levels_of_a_text_with_a_lone_surrogate() -> None:
    # a notebook's text may hold one (UTF-8, which the automaton reads, cannot): it stands for
    # one character that is no body's, and the bodies around it count as elsewhere
    written = "由国家发展改革委{}、市科技局、省科技厅牵头"
    assert unit_levels(written.format("\ud800")) == unit_levels(written.format("\ufffd"))
    assert unit_levels(written.format("\ud800")) == {"国": 2, "省": 1, "市": 1, "县": 0}

def test_division_names_found_longest_first() -> None:
    found = list(names_in("广东省清远市和清远市清城区、韶关市，县里"))
    assert found == [(0, "广东省"), (3, "清远市"), (7, "清远市"), (10, "清城区"), (14, "韶关市")]
