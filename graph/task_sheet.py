"""The 任务分工表 (OUT/responsibilities.xlsx) a coordinator hands out: an overview sheet (总表)
and one sheet per document with 序号, 任务, 任务内容, 牵头单位, 配合单位, 完成时限, 原文 and a mark
where the lead was read from the order of the list; print-ready (landscape A4, fit to width,
header repeated on every page, frozen header). The (task, unit, role) detail is
responsibilities.csv.

`TaskSheetWriter` takes the documents one at a time, as a build streams them: each document's
sheet goes to the file when it arrives, and nothing is kept of it but its overview row. With a
`cache_dir`, each sheet is kept deflated under a digest of what it shows, and a later build
copies it into its workbook as it is (a rebuild after one changed plan renders one sheet).
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from policykg.graph.fd_writes import write_file
from policykg.graph.xlsx import CENTRED, HEADER, LINK, MAX_CELL, TEXT, RowFormat, Sheet, SheetPart, Workbook

if TYPE_CHECKING:
    import networkx as nx

XLSX_COLUMNS = ("序号", "任务", "任务内容", "牵头单位", "配合单位", "完成时限", "原文", "备注")
XLSX_WIDTHS = (6, 28, 48, 22, 30, 12, 48, 16)
OVERVIEW_SHEET = "总表"
OVERVIEW_TITLE = "任务分工表 总表"
OVERVIEW_COLUMNS = ("序号", "文件", "辖区", "期限", "状态", "任务数", "牵头推定", "工作表")
OVERVIEW_WIDTHS = (6, 60, 12, 12, 12, 8, 10, 34)
LEAD_FROM_ORDER_MARK = "牵头单位按排列顺序推定"  # the clause names no lead: the first unit listed is read as lead
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})
_TASK_ROW = RowFormat((CENTRED, TEXT, TEXT, TEXT, TEXT, CENTRED, TEXT, TEXT))
_OVERVIEW_ROW = RowFormat((CENTRED, TEXT, TEXT, TEXT, TEXT, CENTRED, CENTRED, LINK))
_HEADER_ROW = RowFormat((HEADER,) * len(XLSX_COLUMNS))

# a cached sheet: this header (CRC-32 and length of the XML, rows, columns, the overview's task
# count and lead-from-order count, length of the deflated bytes), then the deflated XML
_CACHED = struct.Struct("<IIIIIII")
CACHE_SUFFIX = ".xlsx-sheet"


def _sheet_name(number: int, title: str) -> str:
    """An Excel sheet name (≤ 31 characters, none of []:*?/\\) that keeps the period and status
    of the title; the number (the overview's 序号) keeps names unique, and apart from 总表."""
    from policykg.graph.labels import shorten

    prefix = f"{number} "
    clean = title.translate(_SHEET_NAME_FORBIDDEN).replace("'", "’")
    return (prefix + shorten(clean, 31 - len(prefix), len))[:31]


def _sheet_names(titles: list[str]) -> list[str]:
    """The sheet names of documents with these titles, in this order."""
    return [_sheet_name(i, title) for i, title in enumerate(titles, 1)]


def _clean_quote(text: str) -> str:
    """原文 as the plan wrote it, without ruby pinyin (開發區(qū) -> 開發區) or line breaks."""
    if not text:
        return ""
    if ("(" in text or "（" in text) and _may_hold_pinyin(text):
        text = _without_pinyin()(text)
    if " " not in text and text.isprintable():
        return text  # no white space to fold (every space but " " is unprintable)
    return " ".join(text.split())


def _may_hold_pinyin(text: str) -> bool:
    """Whether a bracket in the text opens on a lower-case letter, as ruby pinyin does (ū, ǎ, a-z
    are all lower case): most texts have brackets — （牵头单位：…） — but none opening so."""
    for bracket in "(（":
        at = text.find(bracket)
        while at != -1:
            if text[at + 1:at + 2].islower():
                return True
            at = text.find(bracket, at + 1)
    return False


@cache
def _without_pinyin() -> Callable[[str], str]:
    # imported when a sheet is rendered first: a build whose sheets all come from the cache needs none
    from policykg.extract.normalise import without_pinyin

    return without_pinyin


def xlsx_tasks(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per task (document order kept) from the (task, unit, role) rows."""
    tasks: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["doc_sha256"], r["task_id"])
        t = tasks.get(key)
        if t is None:
            t = tasks[key] = {
                "doc_sha256": r["doc_sha256"], "doc": r["doc"], "doc_title": r.get("doc_title") or r["doc"],
                "path": r["task_path"], "title": r["task_title"],
                "text": r.get("task_text") or r.get("task_paragraph") or "",
                "deadline": r.get("deadline_text") or r.get("deadline") or "",
                "lead": [], "part": [], "quote": r.get("quote") or "", "lead_from_order": False}
        if r["role"] == "lead":
            t["lead"].append(r["unit"])
            if r.get("lead_from_order"):
                t["lead_from_order"] = True
        else:
            t["part"].append(r["unit"])
    return list(tasks.values())


def _document_sheet(title: str, tasks: Sequence[dict[str, Any]], writable: bool = False) -> SheetPart:
    """The sheet of a document's tasks. `writable`: the caller knows that no text of theirs holds
    a character to clean (a document graph/record.py encoded), so that each row is written by
    one template, escaped only where a text holds & < or > (the same XML as cell by cell)."""
    sheet = Sheet(XLSX_WIDTHS, title)
    sheet.append_rendered([_header_row()])
    if writable:
        sheet.append_rendered(_writable_task_rows(sheet.rows + 1, tasks))
        return sheet.part()
    for n, t in enumerate(tasks, 1):
        sheet.append((n, f"{t['path']} {t['title']}".strip(), _clean_quote(t["text"]), "、".join(t["lead"]),
                      "、".join(t["part"]), t["deadline"], _clean_quote(t["quote"]),
                      LEAD_FROM_ORDER_MARK if t["lead_from_order"] else ""), _TASK_ROW)
    return sheet.part()


@cache
def _header_row() -> str:
    """The header row of every document's sheet (row 1), as Sheet.append writes it."""
    return _HEADER_ROW.row(1, XLSX_COLUMNS)


# _TASK_ROW's cells (RowFormat.row) as template pieces: a text cell of each style, an empty one
_TEXT_CELL, _END_CELL = f'<c s="{TEXT}" t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"
_EMPTY_TEXT, _EMPTY_CENTRED = f'<c s="{TEXT}"/>', f'<c s="{CENTRED}"/>'
_CENTRED_CELL = f'<c s="{CENTRED}" t="inlineStr"><is><t xml:space="preserve">'
_FROM_ORDER_CELL = _TEXT_CELL + LEAD_FROM_ORDER_MARK + _END_CELL


def _writable_task_rows(first: int, tasks: Sequence[dict[str, Any]]) -> list[str]:
    """The task rows _document_sheet appends cell by cell, from row `first` on, for tasks whose
    texts hold nothing to clean: cut to a cell's length and escaped as xlsx._text does both."""
    rows = SheetRows(first)
    add = rows.add
    for t in tasks:
        add(f"{t['path']} {t['title']}".strip(), t["text"], "、".join(t["lead"]), "、".join(t["part"]), t["deadline"],
            t["quote"], t["lead_from_order"])
    return rows.rows


class SheetRows:
    """A document's task rows as _document_sheet writes them for texts that hold nothing to clean,
    rendered one task at a time by whoever has the cells at hand (graph/record.py, in its pass
    over the tasks), with what the sheet cache keeps of them (the count of leads read from order)."""

    __slots__ = ("first", "from_order", "rows")

    def __init__(self, first: int = 2) -> None:
        self.first, self.rows, self.from_order = first, [], 0  # (row 1: the header)

    def add(self, title: str, text: str, lead: str, part: str, deadline: str, quote: str, from_order: bool) -> None:
        """One task's row: 任务 (its path and title), 任务内容 and 原文 as they are written (without
        ruby pinyin, white space folded), the units joined, the deadline, the mark."""
        text, quote = _clean_quote(text), _clean_quote(quote)
        cells = (title, text, lead, part, deadline, quote)
        # (the cells tested where they are, not joined into a copy first)
        if len(title) + len(text) + len(lead) + len(part) + len(deadline) + len(quote) > MAX_CELL or any(
                "&" in cell or "<" in cell or ">" in cell for cell in cells):  # (rare: cell by cell)
            title, text, lead, part, deadline, quote = (escape(cell[:MAX_CELL]) for cell in cells)
        n = len(self.rows) + 1
        if from_order:
            self.from_order += 1
        # one f-string: the row made in one pass, not copied again at each cell (an empty cell is its
        # empty element, then its text "" and no end)
        start, end = _TEXT_CELL, _END_CELL
        self.rows.append(
            f'<row r="{self.first + n - 1}"><c s="{CENTRED}"><v>{n}</v></c>'
            f'{start if title else _EMPTY_TEXT}{title}{end if title else ""}'
            f'{start if text else _EMPTY_TEXT}{text}{end if text else ""}'
            f'{start if lead else _EMPTY_TEXT}{lead}{end if lead else ""}'
            f'{start if part else _EMPTY_TEXT}{part}{end if part else ""}'
            f'{_CENTRED_CELL if deadline else _EMPTY_CENTRED}{deadline}{end if deadline else ""}'
            f'{start if quote else _EMPTY_TEXT}{quote}{end if quote else ""}'
            f'{_FROM_ORDER_CELL if from_order else _EMPTY_TEXT}</row>')


def _encoded_key(version: bytes, title: str, encoded: Iterable[bytes | memoryview]) -> str:
    digest = hashlib.blake2b(title.encode("utf-8", "surrogatepass"), digest_size=20, key=version, person=b"encoded")
    for part in encoded:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def cache_sheet(cache_dir: Path, document: dict[str, Any], encoded: Iterable[bytes | memoryview],
                rows: Sequence[dict[str, Any]], tasks: Sequence[dict[str, Any]] | None = None,
                writable: bool = False, rendered: SheetRows | None = None) -> None:
    """Render a document's sheet into a TaskSheetWriter's cache_dir under the key its
    add_encoded(document, encoded, …) looks up: an extraction worker does this for the
    documents it extracts, so that the build's writer only copies their sheets. `tasks`: the
    xlsx_tasks of the rows, when the caller has them already (then `rows` is not read); `writable`:
    no text of theirs holds a character to clean (see _document_sheet); `rendered`: the task rows
    already rendered (then `rows` and `tasks` are not read)."""
    title = document.get("title") or document["doc"]
    key = _encoded_key(_renderer_version(), title, encoded)
    if rendered is not None:
        sheet = Sheet(XLSX_WIDTHS, title)
        sheet.append_rendered([_header_row(), *rendered.rows])
        part, count, from_order = sheet.part(), len(rendered.rows), rendered.from_order
    else:
        if tasks is None:
            tasks = xlsx_tasks(rows)
        part, count, from_order = _document_sheet(title, tasks, writable), len(tasks), \
            sum(t["lead_from_order"] for t in tasks)
    # written in place, not through a temporary file and a rename (a file made costs more than a
    # small sheet's rendering): the writer reads its cache only once extraction has ended, and it
    # renders again a sheet whose file was cut short (_read_cached checks the length)
    _write_cached(cache_dir / (key + CACHE_SUFFIX), part, count, from_order, in_place=True)


@cache
def _renderer_version() -> bytes:
    """A digest of the code that turns tasks into a sheet: a cached sheet is used only by the
    code that made it."""
    from importlib.util import find_spec

    from policykg.graph import xlsx

    digest = hashlib.blake2b(xlsx.COMPRESSOR.encode(), digest_size=16)
    # found, not imported: a build whose sheets all come from the cache needs none of them
    for module in ("policykg.graph.xlsx", "policykg.graph.sanitise", "policykg.graph.labels",
                   "policykg.extract.normalise"):
        spec = find_spec(module)
        digest.update(Path(spec.origin if spec is not None and spec.origin else module).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.digest()


class TaskSheetWriter:
    """`writer = TaskSheetWriter(path)`, `writer.add_document(document, rows)` for each document in
    build order (document = {doc_sha256, doc, title, jurisdiction, period, status}; rows = its
    responsibilities.csv rows, in order; also documents without rows), `writer.close()` ->
    the number of task rows. The overview (总表) is written last and listed first.

    `cache_dir`: sheets are looked up there (then in `reuse_dir`, e.g. the previous build's
    cache) by a digest of the document's title and tasks and of the rendering code; sheets
    rendered afresh are stored there; on close, the sheets this build did not use are removed
    from it. Use `with` (or call abort()) so that a failed build leaves no half-written file."""

    def __init__(self, path: Path, cache_dir: Path | None = None, reuse_dir: Path | None = None) -> None:
        self.path = Path(path)
        self._book = Workbook(self.path)
        self._overview_slot = self._book.reserve(OVERVIEW_SHEET)
        self._overview: list[tuple[Any, ...]] = []  # one row per document: what the 总表 shows
        self._seen: set[str] = set()
        self.tasks = 0
        self.cache_dir, self.reuse_dir = cache_dir, reuse_dir
        self.cache_hits = 0
        self._used: set[str] = set()
        self._version = b""
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._version = _renderer_version()
        self._closed = False

    def add_document(self, document: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        tasks = xlsx_tasks(rows)
        title = self._title(document)
        key = None
        if self.cache_dir is not None:
            # what the sheet shows (repr: unambiguous, and faster than json here)
            about = repr([title, *((t["path"], t["title"], t["text"], t["deadline"], t["quote"], t["lead"],
                                    t["part"], t["lead_from_order"]) for t in tasks)])
            key = hashlib.blake2b(about.encode("utf-8", "surrogatepass"), digest_size=20,
                                  key=self._version).hexdigest()
        self._add(document, title, key, lambda: tasks)

    def add_encoded(self, document: dict[str, Any], encoded: Iterable[bytes | memoryview],
                    rows: Callable[[], list[dict[str, Any]]]) -> None:
        """add_document for a document whose rows are known by an encoding that decides them
        (a build's fragment sections): with a cache, the sheet is looked up by a digest of
        those bytes, and `rows` is called only when it has to be rendered."""
        title = self._title(document)
        key = _encoded_key(self._version, title, encoded) if self.cache_dir is not None else None
        self._add(document, title, key, lambda: xlsx_tasks(rows()))

    def _title(self, document: dict[str, Any]) -> str:
        sha = document["doc_sha256"]
        if sha in self._seen:
            raise ValueError(f"{document.get('doc') or sha}: given twice to the 任务分工表")
        self._seen.add(sha)
        return document.get("title") or document["doc"]

    def _add(self, document: dict[str, Any], title: str, key: str | None,
             tasks: Callable[[], list[dict[str, Any]]]) -> None:
        name = _sheet_name(len(self._overview) + 1, title)
        part, count, from_order = self._sheet(title, key, tasks)
        self._book.add(name, part)
        self._overview.append((len(self._overview) + 1, title, document.get("jurisdiction") or "",
                               document.get("period") or "", document.get("status") or "", count, from_order, name))
        self.tasks += count

    def _sheet(self, title: str, key: str | None,
               tasks: Callable[[], list[dict[str, Any]]]) -> tuple[SheetPart, int, int]:
        """The sheet, its task count and its lead-from-order count: from the cache under `key`,
        else rendered (and cached)."""
        if key is not None:
            file = key + CACHE_SUFFIX
            self._used.add(file)
            for folder in (self.cache_dir, self.reuse_dir):
                cached = _read_cached(folder / file) if folder is not None else None
                if cached is not None:
                    self.cache_hits += 1
                    if folder is not self.cache_dir:
                        _take_cached(folder / file, self.cache_dir / file, *cached)
                    return cached
        shown = tasks()
        part = _document_sheet(title, shown)
        count, from_order = len(shown), sum(t["lead_from_order"] for t in shown)
        if key is not None and self.cache_dir is not None:
            _write_cached(self.cache_dir / (key + CACHE_SUFFIX), part, count, from_order)
        return part, count, from_order

    def close(self) -> int:
        """Write the overview and the workbook parts; returns the number of task rows."""
        if self._closed:
            return self.tasks
        try:
            sheet = Sheet(OVERVIEW_WIDTHS, OVERVIEW_TITLE)
            sheet.append(OVERVIEW_COLUMNS, _HEADER_ROW)
            for row in self._overview:
                sheet.append(row, _OVERVIEW_ROW)
                sheet.link(f"H{sheet.rows}", row[-1])
            self._book.add(self._overview_slot, sheet.part())
        except BaseException:
            self.abort()
            raise
        self._book.close()
        self._closed = True
        self._overview = []
        if self.cache_dir is not None:
            for stale in self.cache_dir.glob(f"*{CACHE_SUFFIX}"):
                if stale.name not in self._used:
                    stale.unlink(missing_ok=True)
        return self.tasks

    def abort(self) -> None:
        """Remove the unfinished workbook."""
        self._closed = True
        self._book.abort()

    def __enter__(self) -> TaskSheetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        elif not self._closed:
            self.abort()


def _read_cached(path: Path) -> tuple[SheetPart, int, int] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) < _CACHED.size:
        return None
    crc, size, rows, columns, count, from_order, length = _CACHED.unpack_from(data)
    if len(data) != _CACHED.size + length:
        return None  # cut short: render it again
    return SheetPart(data[_CACHED.size:], crc, size, rows, columns), count, from_order


def _take_cached(old: Path, new: Path, part: SheetPart, count: int, from_order: int) -> None:
    """An earlier build's cached sheet into this build's cache: linked, else written."""
    try:
        os.link(old, new)
    except FileExistsError:
        pass
    except OSError:
        _write_cached(new, part, count, from_order)


def _write_cached(path: Path, part: SheetPart, count: int, from_order: int, in_place: bool = False) -> None:
    """A sheet into the cache: through a temporary file renamed into place (a reader sees the
    whole file or none), or `in_place` for a cache nothing reads while it is written."""
    tmp = path if in_place else path.with_name(path.name + f".tmp-{os.getpid()}")
    try:
        write_file(tmp, _CACHED.pack(part.crc, part.size, part.rows, part.columns, count, from_order,
                                     len(part.deflated)), part.deflated)
        if not in_place:
            os.replace(tmp, path)
    except OSError:  # a cache that cannot be written costs time on the next build, nothing else
        tmp.unlink(missing_ok=True)


def write_responsibilities_xlsx(rows: Iterable[dict[str, Any]], path: Path,
                                documents: Sequence[dict[str, Any]] = ()) -> int:
    """The 任务分工表 of these rows (see TaskSheetWriter). `documents` (doc_sha256, doc, title,
    jurisdiction, period, status) gives every document its sheet, also one without tasks;
    documents only the rows name follow them. Returns the number of task rows."""
    docs: dict[str, dict[str, Any]] = {}
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for d in documents:
        docs.setdefault(d["doc_sha256"], dict(d))
        by_doc.setdefault(d["doc_sha256"], [])
    for r in rows:
        sha = r["doc_sha256"]
        if sha not in docs:
            docs[sha] = {"doc_sha256": sha, "doc": r["doc"], "title": r.get("doc_title") or r["doc"]}
        by_doc.setdefault(sha, []).append(r)
    with TaskSheetWriter(path) as writer:
        for sha, doc_rows in by_doc.items():
            writer.add_document(docs[sha], doc_rows)
    return writer.tasks


def xlsx_document(attrs: dict[str, Any]) -> dict[str, Any]:
    """A Document node's attributes (or a document's head, whose missing fields are None) as the
    任务分工表's overview lists the document."""
    start, end = attrs.get("periodStart"), attrs.get("periodEnd")
    return {"doc_sha256": attrs.get("sha256") or "", "doc": attrs.get("file") or "", "title": attrs.get("name") or "",
            "jurisdiction": attrs.get("jurisdiction") or "",
            "period": f"{start}-{end}" if start not in (None, "") and end not in (None, "") else "",
            "status": attrs.get("status") or ""}


def xlsx_documents(g: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """The graph's documents as the 任务分工表's overview lists them, in build order."""
    return [xlsx_document(d) for _, d in g.nodes(data=True) if d.get("label") == "Document"]
