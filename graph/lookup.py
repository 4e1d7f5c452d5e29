"""Finding units in a built graph by any name they go by, and the tasks they lead or join.

A coordinator types 科技局, 市科技局 or 清远市科学技术局; all mean the same body within one
jurisdiction, and 市科技局 means a different body in each city. Matching order: the canonical
name or an alias as written; then the resolver's reading of the name in each jurisdiction of
the graph; then names containing the query. Ambiguity across jurisdictions is reported, not
guessed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import networkx as nx
from policykg.extract.normalise import to_simplified


class UnitNotFound(LookupError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"no unit called {name!r} in this graph{hint}")
        self.suggestions = suggestions


class AmbiguousUnit(LookupError):
    def __init__(self, name: str, candidates: list[tuple[str, str, str]]) -> None:
        self.name, self.candidates = name, candidates
        super().__init__(self.message("jurisdiction=…"))

    def message(self, how: str) -> str:
        """The message, naming how the caller chooses: jurisdiction=… in Python, --jurisdiction on the CLI."""
        listed = "; ".join(f"{n} ({j or 'no jurisdiction'})" for _, n, j in self.candidates)
        return f"{self.name!r} names several units: {listed} — choose one with {how}"


def unit_nodes(g: nx.MultiDiGraph) -> list[tuple[str, dict[str, Any]]]:
    return [(n, d) for n, d in g.nodes(data=True) if "Unit" in d.get("labels", ())]


def _key(name: str) -> str:
    return to_simplified("".join(name.split()))


def find_unit_ids(g: nx.MultiDiGraph, name: str, jurisdiction: str | None = None) -> list[str]:
    """Ids of the unit nodes `name` may mean (all jurisdictions unless one is given)."""
    key = _key(name)
    units = unit_nodes(g)
    if jurisdiction:
        units = [(n, d) for n, d in units if d.get("jurisdiction", "") in (jurisdiction, "")]
    if key in {n for n, _ in units}:
        return [key]
    exact = [n for n, d in units if key == d.get("name") or key in d.get("aliases", [])]
    if exact:
        return exact
    try:
        from policykg.extract.resolve import resolve_unit
    except ImportError:  # resolver not installed: names as written only
        resolve_unit = None
    if resolve_unit is not None:
        ids = {n for n, _ in units}
        juris = {d.get("jurisdiction", "") for _, d in units}
        found = []
        for j in sorted(juris):
            res = resolve_unit(key, j)
            if res.unit_id in ids and res.unit_id not in found:
                found.append(res.unit_id)
        if found:
            return found
    return [n for n, d in units if key in d.get("name", "")]


def resolve_unit_id(g: nx.MultiDiGraph, name: str, jurisdiction: str | None = None) -> str:
    """The one unit id `name` means, or UnitNotFound / AmbiguousUnit with the candidates."""
    ids = find_unit_ids(g, name, jurisdiction)
    if len(ids) == 1:
        return ids[0]
    if not ids:
        names = sorted({d.get("name", "") for _, d in unit_nodes(g)} |
                       {a for _, d in unit_nodes(g) for a in d.get("aliases", [])})
        raise UnitNotFound(name, difflib.get_close_matches(_key(name), names, n=5, cutoff=0.3))
    raise AmbiguousUnit(name, [(i, g.nodes[i].get("name", i), g.nodes[i].get("jurisdiction", "")) for i in ids])


@dataclass
class UnitTask:
    doc: str
    doc_title: str
    task_path: str
    current: bool
    task_title: str
    role: str
    unit_id: str
    unit_name: str
    written: str
    quote: str


def tasks_of_unit(g: nx.MultiDiGraph, name: str, jurisdiction: str | None = None,
                  role: str | None = None, all_editions: bool = False) -> list[UnitTask]:
    """The tasks a unit leads and takes part in, in document and outline order: of the newest
    edition of each plan only, unless `all_editions` (older editions are superseded)."""
    uid = resolve_unit_id(g, name, jurisdiction)
    rows: list[UnitTask] = []
    for _, task, data in g.out_edges(uid, data=True):
        rel = data.get("type")
        if rel not in ("LEADS", "PARTICIPATES_IN"):
            continue
        r = "lead" if rel == "LEADS" else "participant"
        if role and r != role:
            continue
        t = g.nodes[task]
        if not all_editions and t.get("current") is False:
            continue
        d = g.nodes.get(t.get("docId", ""), {})
        rows.append(UnitTask(
            doc=d.get("file", ""), doc_title=d.get("name", ""), task_path=t.get("path", ""),
            current=t.get("current") is not False,
            task_title=t.get("title", ""), role=r, unit_id=uid, unit_name=g.nodes[uid].get("name", uid),
            written=data.get("written", ""), quote=t.get("quote", ""),
        ))
    rows.sort(key=lambda r: (r.doc, _path_key(r.task_path), r.role))
    return rows


def chinese_number(text: str) -> int | None:
    """一 -> 1, 十 -> 10, 十二 -> 12, 二十三 -> 23 (outline numbers stay below a hundred)."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if not text or any(c not in digits and c != "十" for c in text):
        return None
    if "十" not in text:
        return digits[text[-1]]
    tens, _, ones = text.partition("十")
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


def _path_key(path: str) -> list[tuple[int, Any]]:
    """Sort 三.(一).10 after 三.(一).9 and 十一 after 九: numbers by value, others as text."""
    out: list[tuple[int, Any]] = []
    for part in path.replace("(", "").replace(")", "").split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        value = int(digits) if digits else chinese_number(part)
        out.append((0, value, part) if value is not None else (1, 0, part))
    return out
