"""Reading source files: bytes -> decoded original text, whatever the format and encoding.

Government files come as UTF-8, UTF-8 with BOM, GB18030/GBK (older sites and Windows tools),
occasionally UTF-16; as .txt, .md, .html pages, .docx and .pdf. The text returned here is the
ORIGINAL every offset cites: the decoded file for plain text, and the visible text for markup
(HTML without tags and with entities decoded; the paragraphs of a .docx; the text layer of a
PDF), so that a quote reads as the document reads, never as a tag soup.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
DOCX_SUFFIXES = {".docx"}
PDF_SUFFIXES = {".pdf"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | DOCX_SUFFIXES | PDF_SUFFIXES | XLSX_SUFFIXES


class SourceError(Exception):
    """A file that cannot be read as a policy document; the message names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class SourceFile:
    path: Path
    data: bytes
    sha256: str
    encoding: str
    text: str  # the original text every offset cites
    markup: str  # "text" | "html" | "docx" | "pdf" | "xlsx"


_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)


def decode_bytes(data: bytes, path: Path, declared: str | None = None) -> tuple[str, str]:
    """Decode text bytes: BOM first, then strict UTF-8, then GB18030 (a superset of GBK/GB2312),
    then a statistical guess. Returns (text, encoding name)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:8192]:
        raise SourceError(path, "binary file (NUL bytes), not a text document")
    candidates = ["utf-8", "gb18030"]
    if declared:
        norm = declared.lower().replace("_", "-")
        if norm in {"gbk", "gb2312", "gb-2312", "gb18030", "cp936"}:
            norm = "gb18030"  # decode any GB family member with its superset
        candidates.insert(0, norm)
    for enc in candidates:
        try:
            text = data.decode(enc, errors="strict")
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text, "gbk" if enc == "gb18030" and _is_plain_gbk(data) else enc
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and _looks_like_text(str(best)):
        return str(best), best.encoding
    raise SourceError(path, "cannot decode: not UTF-8, GB18030/GBK or another known text encoding")


def _is_plain_gbk(data: bytes) -> bool:
    try:
        data.decode("gbk")
        return True
    except UnicodeDecodeError:
        return False


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    control = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f\v")
    return control / len(text) < 0.01


def read_source(path: Path) -> SourceFile:
    """Read one document file; raises SourceError with a one-line reason."""
    path = Path(path)
    if not path.exists():
        raise SourceError(path, "no such file")
    if path.is_dir():
        raise SourceError(path, "is a folder, not a document")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SourceError(path, f"unsupported file type {suffix or '(none)'}; "
                                "use .txt, .md, .html, .docx, .xlsx or .pdf")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from exc
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise SourceError(path, "empty file")
    if suffix in DOCX_SUFFIXES:
        return SourceFile(path, data, sha, "docx", _docx_text(path, data), "docx")
    if suffix in PDF_SUFFIXES:
        return SourceFile(path, data, sha, "pdf", _pdf_text(path), "pdf")
    if suffix in XLSX_SUFFIXES:
        return SourceFile(path, data, sha, "xlsx", _xlsx_text(path), "xlsx")
    declared = None
    if suffix in HTML_SUFFIXES:
        m = _HTML_CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii", "ignore") if m else None
    text, encoding = decode_bytes(data, path, declared)
    if suffix in HTML_SUFFIXES:
        from policykg.extract.normalise import MappedText, strip_markup

        text = strip_markup(MappedText.of(text)).text
    if not text.strip():
        raise SourceError(path, "empty file (only white space or markup)")
    return SourceFile(path, data, sha, encoding, text, "html" if suffix in HTML_SUFFIXES else "text")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_text(path: Path, data: bytes) -> str:
    """Paragraph text of a .docx (tables row by row, cells tab-separated), no extra library."""
    try:
        with zipfile.ZipFile(path) as zf:
            xml = zf.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise SourceError(path, f"not a valid .docx file ({exc})") from exc
    root = ElementTree.fromstring(xml)
    lines: list[str] = []
    body = root.find(f"{_W}body")
    for block in body if body is not None else []:
        if block.tag == f"{_W}p":
            lines.append(_docx_para(block))
        elif block.tag == f"{_W}tbl":
            for row in block.iter(f"{_W}tr"):
                cells: list[str] = []
                for tc in row.iter(f"{_W}tc"):
                    cells.append(join_cell_lines(_docx_para(p) for p in tc.iter(f"{_W}p")))
                    # a cell merged over several columns keeps the row's columns in place
                    span = tc.find(f"{_W}tcPr/{_W}gridSpan")
                    extra = span.get(f"{_W}val", "1") if span is not None else "1"
                    cells.extend([""] * (int(extra) - 1 if extra.isdigit() else 0))
                lines.append("\t".join(cells))
    return "\n".join(lines)


_CELL_LINE_END = set("。；！？，、：:;,.!?）)》”")


def join_cell_lines(lines: Iterable[str]) -> str:
    """The lines of one table cell as one line: a line that ends without punctuation is an item
    of a list ("市科技局" / "市财政局" stacked in a 牵头单位 cell), joined with 、; prose joins as is."""
    out = ""
    for line in lines:
        line = " ".join(line.replace("\t", " ").split())
        if not line:
            continue
        out += ("、" if out and out[-1] not in _CELL_LINE_END else "") + line
    return out


def _docx_para(p: ElementTree.Element) -> str:
    parts = []
    for node in p.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{_W}tab":
            parts.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return "".join(parts)


def _pdf_text(path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise SourceError(path, "reading PDF needs pypdf (pip install 'policykg[pdf]')") from exc
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:
        raise SourceError(path, f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    text = "\n".join(f"- {i} -\n{t}" for i, t in enumerate(pages, 1))
    if not any(p.strip() for p in pages):
        raise SourceError(path, "PDF has no text layer (scanned image?)")
    return text


def _xlsx_cell(value: object) -> str:
    """A spreadsheet cell as text: whole numbers without ".0", dates as 2022年6月30日, line
    breaks inside a cell as spaces (a row is one line)."""
    import datetime

    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return join_cell_lines(str(value).splitlines())


def _xlsx_text(path: Path) -> str:
    """Every sheet of a workbook (a coordinator's 任务分工表): its rows, cells tab-separated (the
    sheet's name on a line before them when there are several). A cell merged down a column
    (重点任务, 牵头单位 written once for several rows) stands in every row it covers; one merged
    across columns stands once."""
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for broken files
        raise SourceError(path, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    lines: list[str] = []
    for ws in wb.worksheets:
        rows = [[_xlsx_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        for merged in ws.merged_cells.ranges:
            top = merged.min_row - 1
            col = merged.min_col - 1
            if top >= len(rows) or col >= len(rows[top]):
                continue
            for r in range(top + 1, min(merged.max_row, len(rows))):
                if col < len(rows[r]):
                    rows[r][col] = rows[top][col]
        if len(wb.worksheets) > 1:  # several sheets: each one's name heads its rows
            lines.append(ws.title)
        for row in rows:
            while row and not row[-1]:
                row.pop()
            # a row with one cell filled stays a row (a section row inside the table)
            lines.append("\t".join(row) if len(row) > 1 else (row[0] + "\t" if row else ""))
    wb.close()
    if not any(line.strip() for line in lines):
        raise SourceError(path, "empty workbook (no cell holds text)")
    return "\n".join(lines)
