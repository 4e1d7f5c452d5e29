"""Reading source files: bytes -> decoded original text, whatever the format and encoding.

Government files come as UTF-8, UTF-8 with BOM, GB18030/GBK (older sites and Windows tools),
occasionally UTF-16; as .txt, .md, .html pages, .docx and .pdf. The text returned here is the
ORIGINAL every offset cites: the decoded file for plain text, and the visible text for markup
(HTML without tags and with entities decoded; the paragraphs of a .docx; the text layer of a
PDF), so that a quote reads as the document reads, never as a tag soup.
"""

from __future__ import annotations

import bisect
import codecs
import errno
import hashlib
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
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
        super().__init__(f"{shown_path(path)}: {problem}")
        self.path = path
        self.problem = problem


def shown_path(path: Path | str) -> str:
    """A path as messages show it: bytes of a file name that are not UTF-8 as \\xNN."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    data: bytes
    sha256: str
    encoding: str
    text: str  # the original text every offset cites
    markup: str  # "text" | "html" | "docx" | "pdf" | "xlsx"
    warnings: tuple[str, ...] = ()  # what reading had to repair (bad bytes replaced, ...)


_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)

# Limits where a file really is too big to be one plan (a five-year plan is ~100,000
# characters; a whole provincial compendium rarely 1,000,000).
MAX_PLAN_CHARS = 5_000_000
MAX_FILE_BYTES = 256 * 1024 * 1024  # not read into memory at all beyond this
MAX_DOCX_XML_BYTES = 128 * 1024 * 1024  # word/document.xml uncompressed (decompression bombs)
# A file whose decoding replaces more than this share of its characters is not text in any
# encoding policykg knows; below it, bad bytes are replaced by U+FFFD and named in a warning.
MAX_UNDECODABLE_SHARE = 0.05

_MAGIC = [(b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF-", "a PDF file"), (b"PK\x03\x04", "a ZIP archive (.docx/.xlsx?)"), (b"\x7fELF", "a program"),
          (b"\xd0\xcf\x11\xe0", "an old Office file (.doc/.xls)"), (b"\x1f\x8b", "a gzip archive"),
          (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf", "a 7-Zip archive")]


@dataclass
class Decoded:
    text: str
    encoding: str
    bad_bytes: int = 0  # bytes replaced by U+FFFD
    bad_lines: list[int] = field(default_factory=list)  # 1-based lines holding them

    def warning(self, path: Path) -> str | None:
        if not self.bad_bytes:
            return None
        lines = ", ".join(str(n) for n in self.bad_lines[:10]) + (" …" if len(self.bad_lines) > 10 else "")
        plural = "s" if self.bad_bytes != 1 else ""
        return (f"{shown_path(path)}: {self.bad_bytes} byte{plural} not valid {self.encoding} "
                f"(line{'s' if len(self.bad_lines) != 1 else ''} {lines}) shown as \ufffd")


_ASCII = bytes(range(128))


class _TooManyBadBytes(Exception):
    """More bad bytes than the caller cares to count: decoding stops."""


class _BadBytes:
    """A codec error handler that replaces each undecodable run by U+FFFD and remembers where;
    past `limit` bad bytes it stops the decoding (_TooManyBadBytes)."""

    def __init__(self, limit: float = float("inf")) -> None:
        self.spans: list[tuple[int, int]] = []
        self.limit = limit
        self.bad = 0

    def __call__(self, exc: UnicodeError) -> tuple[str, int]:
        if not isinstance(exc, UnicodeDecodeError):
            raise exc
        self.spans.append((exc.start, exc.end))
        self.bad += exc.end - exc.start
        if self.bad > self.limit:
            raise _TooManyBadBytes
        return "\ufffd", exc.end


_HANDLER_NAME = "policykg-bad-bytes"
_current_handler: list[_BadBytes] = []
codecs.register_error(_HANDLER_NAME, lambda exc: _current_handler[-1](exc))


def _decode_counting(data: bytes, encoding: str, newline: bytes = b"\n", limit: float = float("inf")) -> Decoded:
    """Decode with bad bytes replaced and counted; raises _TooManyBadBytes past `limit` of them."""
    handler = _BadBytes(limit)
    _current_handler.append(handler)
    try:
        text = data.decode(encoding, errors=_HANDLER_NAME)
    finally:
        _current_handler.pop()
    bad = sum(end - start for start, end in handler.spans)
    lines: list[int] = []
    if handler.spans:
        newlines = [m.start() for m in re.finditer(re.escape(newline), data)]
        for start, _end in handler.spans:
            line = bisect.bisect_right(newlines, start) + 1
            if not lines or lines[-1] != line:
                lines.append(line)
    return Decoded(text, encoding, bad, lines)


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the bytes read as UTF-16 text (NUL bytes are the high
    bytes of its ASCII characters — newlines, digits — and the low bytes of 一 and the like):
    the byte order under which nearly every character is CJK, punctuation or printable ASCII."""
    if len(data) < 4:
        return None
    sample = data[: 1 << 16]
    sample = sample[: len(sample) // 2 * 2]
    best, best_share = None, 0.0
    for encoding in ("utf-16-le", "utf-16-be"):
        text = sample.decode(encoding, errors="replace")
        share = len(_TEXT_CHARS.findall(text)) / max(1, len(text))
        if share > best_share:
            best, best_share = encoding, share
    return best if best_share >= 0.9 else None


_TEXT_CHARS = re.compile(r"[\t\n\r\x20-\x7e\u00a0-\u00ff\u2000-\u206f\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _damage_limit(data: bytes) -> float:
    """The most bad bytes a damaged file (rather than a file of another encoding) has: few
    among its non-ASCII ones."""
    return max(4, 0.01 * (len(data) - len(data.translate(None, _ASCII))))


def _damaged(decoded: Decoded, data: bytes) -> bool:
    """Few bad bytes among many good non-ASCII ones: a damaged file of this encoding (a cut
    mid-character, a stray byte), not a file of another encoding."""
    return decoded.bad_bytes <= _damage_limit(data) and _looks_like_text(decoded.text)


def _decode_damaged(data: bytes, encoding: str) -> Decoded | None:
    """The decoding of a damaged file of this encoding (see _damaged), or None: decoding stops
    as soon as there are too many bad bytes for that (a GBK file read as UTF-8 has thousands)."""
    try:
        decoded = _decode_counting(data, encoding, limit=_damage_limit(data))
    except _TooManyBadBytes:
        return None
    return decoded if _looks_like_text(decoded.text) else None


def decode_bytes(data: bytes, path: Path, declared: str | None = None) -> tuple[str, str]:
    """Decode text bytes (see decode_text); returns (text, encoding name)."""
    decoded = decode_text(data, path, declared)
    return decoded.text, decoded.encoding


def decode_text(data: bytes, path: Path, declared: str | None = None) -> Decoded:
    """Decode text bytes: BOM first (UTF-8, UTF-16), UTF-16 without BOM, then strict UTF-8,
    then GB18030 (a superset of GBK/GB2312), then a statistical guess. A file with a few bad
    bytes (cut mid-character, a stray byte) is decoded with them replaced by U+FFFD and counted;
    only a mostly undecodable file is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _checked(_decode_counting(data[3:], "utf-8"), path, "utf-8-sig", bom=3, data=data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        decoded = _decode_counting(data, "utf-16", b"\n\x00" if data[:1] == b"\xff" else b"\x00\n")
        return _checked(decoded, path, "utf-16", data=data)
    utf16 = _utf16_without_bom(data) if b"\x00" in data[:8192] else None
    if utf16:
        return _checked(_decode_counting(data, utf16, b"\n\x00" if utf16.endswith("le") else b"\x00\n"),
                        path, utf16, data=data)
    if b"\x00" in data[:8192]:
        kind = next((name for magic, name in _MAGIC if data.startswith(magic)), None)
        raise SourceError(path, f"binary file ({kind or 'NUL bytes'}), not a text document")
    candidates = ["utf-8", "gb18030"]
    if declared:
        norm = declared.lower().replace("_", "-")
        if norm in {"gbk", "gb2312", "gb-2312", "gb18030", "cp936"}:
            norm = "gb18030"  # decode any GB family member with its superset
        candidates.insert(0, norm)
    for enc in candidates:
        try:
            text, name = _decode_gb(data) if enc == "gb18030" else (data.decode(enc, errors="strict"), enc)
        except (UnicodeDecodeError, LookupError):
            if enc == "utf-8":  # a damaged UTF-8 file must not go on to read as GB18030 mojibake
                damaged_utf8 = _decode_damaged(data, "utf-8")
                if damaged_utf8 is not None:
                    return damaged_utf8
            continue
        # the control characters of a strict UTF-8 or GB decoding are the data's control bytes
        # (no other character of theirs has a byte below 0x30)
        if _looks_like_text(text, data if enc in ("utf-8", "gb18030") else None):
            return Decoded(text, name)
    damaged = _decode_counting(data, "gb18030")
    if _damaged(damaged, data):
        return damaged
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and _looks_like_text(str(best)):
        return Decoded(str(best), best.encoding)
    kind = next((name for magic, name in _MAGIC if data.startswith(magic)), None)
    if kind:
        raise SourceError(path, f"binary file ({kind}), not a text document")
    share = min(_decode_counting(data, "utf-8").bad_bytes, damaged.bad_bytes) / max(1, len(data))
    raise SourceError(path, f"cannot decode: {share:.0%} of the bytes are not UTF-8, GB18030/GBK or another "
                            "known text encoding")


def _checked(decoded: Decoded, path: Path, encoding: str, bom: int = 0, data: bytes = b"") -> Decoded:
    """A decoding whose encoding is certain (a BOM): refused only when mostly undecodable."""
    if decoded.bad_bytes > MAX_UNDECODABLE_SHARE * max(1, len(data) - bom) and decoded.bad_bytes > 4:
        raise SourceError(path, f"cannot decode: {decoded.bad_bytes} of {len(data) - bom} bytes are not valid "
                                f"{encoding} although the file starts like {encoding}")
    if not _looks_like_text(decoded.text):
        raise SourceError(path, f"binary file (control characters), not {encoding} text")
    decoded.encoding = encoding
    return decoded


def _decode_gb(data: bytes) -> tuple[str, str]:
    """(text, "gbk") for a GBK file, else (text, "gb18030"): GB18030 reads GBK's codes as GBK does,
    so a file that decodes as GBK is decoded once, by the gbk codec; raises UnicodeDecodeError."""
    try:
        return data.decode("gbk"), "gbk"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")  # control characters but \t \n \v \f \r


_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20)])  # what _CONTROL matches, as UTF-8


def _looks_like_text(text: str, encoded: bytes | None = None) -> bool:
    """Fewer than 1% control characters; `encoded`: bytes holding the text's control characters
    as their own bytes, and no other bytes of that value (its UTF-8 form, or the UTF-8 or GB file
    it was decoded from), when known."""
    if not text:
        return True
    # counted in the text's UTF-8 form, where a control character is its own byte and no other
    # character has a byte below 0x80 (a C scan; the pattern's is ten times slower)
    if encoded is None:
        encoded = text.encode("utf-8", "surrogatepass")
    controls = len(encoded) - len(encoded.translate(None, _CONTROL_BYTES))
    return controls / len(text) < 0.01


# the errors for which Path.exists() answers False (pathlib's _IGNORED_ERRNOS; others it raises)
_NO_FILE_ERRORS = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


def read_source(path: Path) -> SourceFile:
    """Read one document file; raises SourceError with a one-line reason."""
    path = path if isinstance(path, Path) else Path(path)
    # one stat answers what exists(), is_dir() and the size would ask (three system calls)
    try:
        status: os.stat_result | None = os.stat(path)
    except OSError as exc:
        if exc.errno not in _NO_FILE_ERRORS:  # what exists() does not take for "no such file"
            raise
        status = None
    except ValueError:  # a NUL in the name: no such file either
        status = None
    if status is None:
        raise SourceError(path, "no such file" + (" (a broken symbolic link)" if path.is_symlink() else ""))
    if stat.S_ISDIR(status.st_mode):
        raise SourceError(path, "is a folder, not a document")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SourceError(path, f"unsupported file type {suffix or '(none)'}; "
                                "use .txt, .md, .html, .docx, .xlsx or .pdf")
    try:
        size = status.st_size
        if size > MAX_FILE_BYTES:
            raise SourceError(path, f"{size / 1e6:,.0f} MB, more than the {MAX_FILE_BYTES / 1e6:,.0f} MB a plan "
                                    "file can have; split it")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from exc
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise SourceError(path, "empty file")
    if suffix in DOCX_SUFFIXES:
        return _limited(SourceFile(path, data, sha, "docx", _docx_text(path, data), "docx"))
    if suffix in PDF_SUFFIXES:
        return _limited(SourceFile(path, data, sha, "pdf", _pdf_text(path), "pdf"))
    if suffix in XLSX_SUFFIXES:
        return _limited(SourceFile(path, data, sha, "xlsx", _xlsx_text(path), "xlsx"))
    declared = None
    if suffix in HTML_SUFFIXES:
        m = _HTML_CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii", "ignore") if m else None
    decoded = decode_text(data, path, declared)
    text = decoded.text
    if len(text) > MAX_PLAN_CHARS:
        _too_long(path, len(text))
    if suffix in HTML_SUFFIXES:
        from policykg.extract.normalise import MappedText, strip_markup

        text = strip_markup(MappedText.of(text)).text
    if not text.strip():
        raise SourceError(path, "empty file (only white space or markup)")
    warning = decoded.warning(path)
    return SourceFile(path, data, sha, decoded.encoding, text, "html" if suffix in HTML_SUFFIXES else "text",
                      (warning,) if warning else ())


def _too_long(path: Path, chars: int) -> None:
    raise SourceError(path, f"{chars:,} characters, more than the {MAX_PLAN_CHARS:,} one plan can have "
                            "(a five-year plan has about 100,000); split the file into its plans")


def _limited(source: SourceFile) -> SourceFile:
    if len(source.text) > MAX_PLAN_CHARS:
        _too_long(source.path, len(source.text))
    if not source.text.strip():
        raise SourceError(source.path, f"no text in this {source.markup} file")
    return source


def _zip_member(path: Path, zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One member of an Office file, read with a cap on its UNCOMPRESSED size (a decompression
    bomb of a few hundred KB can expand to gigabytes; the size in the header may lie, so the
    cap holds while reading)."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise SourceError(path, f"{name} expands to {info.file_size / 1e6:,.0f} MB, more than the "
                                f"{limit / 1e6:,.0f} MB a plan can have (a decompression bomb?)")
    chunks, total = [], 0
    with zf.open(info) as member:
        while chunk := member.read(1 << 20):
            total += len(chunk)
            if total > limit:
                raise SourceError(path, f"{name} expands to more than {limit / 1e6:,.0f} MB "
                                        "(a decompression bomb?)")
            chunks.append(chunk)
    return b"".join(chunks)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_text(path: Path, data: bytes) -> str:
    """Paragraph text of a .docx (tables row by row, cells tab-separated), no extra library."""
    try:
        with zipfile.ZipFile(path) as zf:
            xml = _zip_member(path, zf, "word/document.xml", MAX_DOCX_XML_BYTES)
    except (zipfile.BadZipFile, zlib.error, KeyError, EOFError, OSError, NotImplementedError, RuntimeError,
            ValueError) as exc:
        raise SourceError(path, f"not a valid .docx file ({type(exc).__name__}: {exc})") from exc
    if b"<!ENTITY" in xml[:65536] or b"<!DOCTYPE" in xml[:65536]:
        raise SourceError(path, "not a valid .docx file (word/document.xml declares entities)")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise SourceError(path, f"not a valid .docx file (word/document.xml: {exc})") from exc
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
