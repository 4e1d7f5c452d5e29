"""A small writer of print-ready .xlsx workbooks (Office Open XML SpreadsheetML).

Why not a library: the 任务分工表 of a thousand plans is a thousand sheets and 136k cells, and
the Python writers spend ~25 µs per cell (openpyxl and XlsxWriter both build a cell object, or a
dict entry, per value); here a row is one string. What it writes is the subset a coordinator's
table needs: text and number cells with a few fixed styles, column widths, a frozen header row
repeated on every printed page, landscape A4 fitted to the page width, an auto-filter, internal
links, and a page header/footer. Strings are inline (no shared-string table), so a sheet depends
on nothing but its own rows.

Each sheet is rendered and deflated on its own (`Sheet.part()`), and the zip is written here
rather than with zipfile: a `SheetPart` is the member's deflated bytes, so a part kept from an
earlier build is copied into the new workbook as it is (zipfile can only compress afresh). The
zip carries a fixed timestamp: the same sheets give the same bytes.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape, quoteattr

from policykg.graph.sanitise import clean_text

# the styles (cellXfs indices) a cell can have
HEADER, TEXT, CENTRED, LINK = 1, 2, 3, 4
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAX_CELL = 32767  # Excel's limit on the characters of a cell
try:  # ISA-L's deflate: 4x faster than zlib's at level 1, files the same size (1000 plans: 0.1 s, not 0.43 s)
    from isal import isal_zlib as _deflate

    COMPRESSOR = "isal"
except ImportError:  # a platform without its wheel: the standard library's
    _deflate = zlib  # type: ignore[assignment]
    COMPRESSOR = "zlib"
COMPRESS_LEVEL = 1  # deflate level of every part (zlib's level 6: the file 20 % smaller, 2.5x slower)

_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet {_NS}>
<fonts count="3">\
<font><sz val="11"/><name val="DengXian"/><family val="2"/><charset val="134"/></font>\
<font><b/><sz val="11"/><name val="DengXian"/><family val="2"/><charset val="134"/></font>\
<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="DengXian"/><family val="2"/><charset val="134"/></font>\
</fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" \
applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1">\
<alignment vertical="top" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1">\
<alignment horizontal="center" vertical="top" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="2" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1">\
<alignment vertical="top" wrapText="1"/></xf></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# what a text cell cannot carry as it is: XML's specials and what clean_text replaces
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    text = str(value)[:MAX_CELL]  # clean_text is one for one: cutting first is the same
    if _SPECIAL.search(text) is None:  # most cells: one scan, no copy
        return text
    return escape(clean_text(text))  # graph/sanitise.py


def _sheet_ref(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def check_sheet_name(name: str) -> None:
    if not 0 < len(name) <= 31 or set("[]:*?/\\") & set(name):
        raise ValueError(f"sheet name {name!r}: must be 1-31 characters, none of []:*?/\\")


@dataclass(frozen=True)
class SheetPart:
    """A worksheet's XML as a zip member stores it: raw deflate, with the CRC-32 and length of the
    XML. `rows` and `columns` are the sheet's extent (the auto-filter's range)."""

    deflated: bytes
    crc: int
    size: int
    rows: int
    columns: int

    @classmethod
    def deflate(cls, xml: bytes, rows: int, columns: int) -> SheetPart:
        packer = _deflate.compressobj(COMPRESS_LEVEL, _deflate.DEFLATED, -15)  # -15: raw deflate, as zip stores it
        return cls(packer.compress(xml) + packer.flush(), zlib.crc32(xml), len(xml), rows, columns)


class RowFormat:
    """Rows of cells with fixed styles, one string a row: str cells as text, int/float cells as
    numbers, None or "" as an empty (styled) cell."""

    def __init__(self, styles: Sequence[int]) -> None:
        self._empty = [f'<c s="{s}"/>' for s in styles]
        self._number = [f'<c s="{s}"><v>' for s in styles]
        self._text = [f'<c s="{s}" t="inlineStr"><is><t xml:space="preserve">' for s in styles]

    def row(self, number: int, values: Sequence[Any]) -> str:
        cells = [f'<row r="{number}">']
        for empty, as_number, as_text, value in zip(self._empty, self._number, self._text, values):
            if value is None or value == "":
                cells.append(empty)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f"{as_number}{value}</v></c>")
            else:
                cells.append(f"{as_text}{_text(value)}</t></is></c>")
        cells.append("</row>")
        return "".join(cells)


class Sheet:
    """One worksheet's XML, built row by row in memory (a sheet is one document's tasks, or the
    overview's one row per document); `part()` deflates it for the workbook."""

    def __init__(self, widths: Sequence[float], title: str) -> None:
        self.title = title
        self.columns = len(widths)
        self.rows = 0
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        self._xml = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} '
                     f'xmlns:r="{_REL_NS}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
                     '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                     'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
                     'sqref="A2"/></sheetView></sheetViews>'
                     f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>']
        self._links: list[tuple[str, str]] = []  # (cell, target sheet)
        self._formats: dict[tuple[int, ...], RowFormat] = {}

    def append(self, values: Sequence[Any], styles: Sequence[int] | RowFormat) -> None:
        """A row: str cells as text, int/float cells as numbers, None or "" as an empty cell."""
        if not isinstance(styles, RowFormat):
            key = tuple(styles)
            styles = self._formats.get(key) or self._formats.setdefault(key, RowFormat(key))
        self.rows += 1
        self._xml.append(styles.row(self.rows, values))

    def append_rendered(self, rows: list[str]) -> None:
        """Rows the caller rendered as `append` renders them, numbered on from this sheet's last
        row (a caller that knows its cells need no escaping writes a row in one template)."""
        self.rows += len(rows)
        self._xml += rows

    def link(self, cell: str, sheet: str) -> None:
        """Make CELL a link to the first cell of another sheet of this workbook."""
        self._links.append((cell, sheet))

    def part(self) -> SheetPart:
        last = f"{column_letter(self.columns - 1)}{max(1, self.rows)}"
        links = "".join(f"<hyperlink ref={quoteattr(cell)} location={quoteattr(_sheet_ref(sheet) + '!A1')} "
                        f"display={quoteattr(sheet)}/>" for cell, sheet in self._links)
        header = _text("&C" + self.title.replace("&", "&&")[:200])
        self._xml.append(f'</sheetData><autoFilter ref="A1:{last}"/>'
                         + (f"<hyperlinks>{links}</hyperlinks>" if links else "")
                         + '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
                         '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
                         f"<headerFooter><oddHeader>{header}</oddHeader>"
                         "<oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter></worksheet>")
        xml = "".join(self._xml).encode("utf-8")
        self._xml = []
        return SheetPart.deflate(xml, self.rows, self.columns)


def write_table(sheet: Sheet, header: Sequence[str], rows: Iterable[tuple[Sequence[Any], Sequence[int]]]) -> None:
    sheet.append(header, [HEADER] * len(header))
    for values, styles in rows:
        sheet.append(values, styles)


# ---- the zip package ---------------------------------------------------------------------------------

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00, the zip epoch: the same sheets give the same bytes
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_ZIP_LIMIT = 0xFFFFFFFF  # no zip64 here: offsets and sizes of 4 GiB and more are refused


class _Zip:
    """A zip file written member by member from deflated parts (no zip64, no data descriptors)."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._offset = 0
        self._central: list[bytes] = []

    def add(self, name: str, part: SheetPart) -> None:
        raw = name.encode("ascii")
        if self._offset + len(part.deflated) + 100 > _ZIP_LIMIT or part.size > _ZIP_LIMIT:
            raise ValueError(f"{name}: the workbook would pass 4 GiB, which this writer does not support")
        header = _LOCAL.pack(0x04034B50, 20, 0, 8, 0, _DOS_DATE, part.crc, len(part.deflated), part.size, len(raw), 0)
        self._central.append(_CENTRAL.pack(0x02014B50, 20, 20, 0, 8, 0, _DOS_DATE, part.crc, len(part.deflated),
                                           part.size, len(raw), 0, 0, 0, 0, 0, self._offset) + raw)
        self._fh.write(header + raw)
        self._fh.write(part.deflated)
        self._offset += len(header) + len(raw) + len(part.deflated)

    def add_text(self, name: str, text: str) -> None:
        self.add(name, SheetPart.deflate(text.encode("utf-8"), 0, 0))

    def close(self) -> None:
        if len(self._central) > 0xFFFF:
            raise ValueError(f"{len(self._central)} zip members: more than this writer supports (65,535)")
        directory = b"".join(self._central)
        self._fh.write(directory)
        self._fh.write(_END.pack(0x06054B50, 0, 0, len(self._central), len(self._central), len(directory),
                                 self._offset, 0))


class Workbook:
    """`with Workbook(path) as wb: wb.add(name, sheet.part())`, one call a sheet; or
    `slot = wb.reserve(name)` to fix a sheet's place in the workbook's order (the tabs) and
    `wb.add(slot, part)` later, e.g. an overview listed first but written last. The sheet
    parts go to the file as they come; the workbook parts are written on close."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fh = self.path.open("wb")
        self._zip = _Zip(self._fh)
        self._names: dict[str, int] = {}  # lower-cased name -> slot (Excel's names are case-blind)
        self._sheets: list[tuple[str, SheetPart | None]] = []  # workbook order

    def reserve(self, name: str) -> int:
        check_sheet_name(name)
        if name.lower() in self._names:
            raise ValueError(f"sheet name {name!r}: used twice in one workbook")
        self._names[name.lower()] = len(self._sheets)
        self._sheets.append((name, None))
        return len(self._sheets) - 1

    def add(self, sheet: str | int, part: SheetPart) -> None:
        slot = self.reserve(sheet) if isinstance(sheet, str) else sheet
        name, written = self._sheets[slot]
        if written is not None:
            raise ValueError(f"sheet {name!r} written twice")
        self._zip.add(f"xl/worksheets/sheet{slot + 1}.xml", part)
        # the extent only (the defined names need it): the deflated bytes are not kept
        self._sheets[slot] = (name, SheetPart(b"", 0, 0, part.rows, part.columns))

    def close(self) -> None:
        try:
            self._write_workbook()
        except BaseException:
            self.abort()
            raise
        self._fh.close()

    def _write_workbook(self) -> None:
        missing = [name for name, part in self._sheets if part is None]
        if missing:
            raise ValueError(f"sheet {missing[0]!r} reserved but never written")
        sheets = [(i, name, part) for i, (name, part) in enumerate(self._sheets, 1) if part is not None]
        entries = "".join(f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>' for i, name, _ in sheets)
        titles = "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i - 1}">'
                         f"{_text(_sheet_ref(name))}!$1:$1</definedName>" for i, name, _ in sheets)
        filters = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i - 1}" hidden="1">'
                          f"{_text(_sheet_ref(name))}!$A$1:${column_letter(part.columns - 1)}${max(1, part.rows)}"
                          "</definedName>" for i, name, part in sheets)
        self._zip.add_text("xl/workbook.xml",
                           f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} '
                           f'xmlns:r="{_REL_NS}"><bookViews><workbookView activeTab="0"/></bookViews>'
                           f"<sheets>{entries}</sheets><definedNames>{filters}{titles}</definedNames></workbook>")
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i, _, _ in sheets)
        styles_id = len(sheets) + 1
        self._zip.add_text("xl/_rels/workbook.xml.rels",
                           '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                           'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                           f'{rels}<Relationship Id="rId{styles_id}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
                           "</Relationships>")
        self._zip.add_text("xl/styles.xml", _STYLES)
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i, _, _ in sheets)
        self._zip.add_text("[Content_Types].xml",
                           '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
                           'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
                           '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                           'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
                           'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                           '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
                           f'officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>')
        self._zip.add_text("_rels/.rels",
                           '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
                           'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
                           f'{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        self._zip.close()

    def abort(self) -> None:
        """Close and remove a workbook that will not be finished (no half-written file is left)."""
        self._fh.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.abort()
