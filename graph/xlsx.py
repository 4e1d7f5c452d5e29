"""A small streaming writer of print-ready .xlsx workbooks (Office Open XML SpreadsheetML).

Why not a library: the 任务分工表 of a thousand plans is a thousand sheets and 150k cells, and
the Python writers spend ~25 µs per cell (openpyxl and XlsxWriter both build a cell object, or a
dict entry, per value); here a row is one string. What it writes is the subset a coordinator's
table needs: text and number cells with a few fixed styles, column widths, a frozen header row
repeated on every printed page, landscape A4 fitted to the page width, an auto-filter, internal
links, and a page header/footer. Strings are inline (no shared-string table), so each sheet is
written in one pass and never held in memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from policykg.graph.sanitise import clean_text

# the styles (cellXfs indices) a cell can have
HEADER, TEXT, CENTRED, LINK = 1, 2, 3, 4
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAX_CELL = 32767  # Excel's limit on the characters of a cell

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


def _text(value: Any) -> str:
    return escape(clean_text(str(value))[:_MAX_CELL])  # one for one (graph/sanitise.py)


class Sheet:
    """One worksheet being written: rows go straight into the zip member."""

    def __init__(self, book: Workbook, name: str, index: int, widths: Sequence[float], title: str) -> None:
        self.book, self.name, self.index, self.title = book, name, index, title
        self.columns = [column_letter(i) for i in range(len(widths))]
        self.rows = 0
        self._buffer: list[str] = []  # rows not yet written (cells carry no r=: they follow in order)
        self.links: list[tuple[str, str]] = []  # (cell, target sheet)
        self._fh = book._zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True)
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        self._write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} '
                    f'xmlns:r="{_REL_NS}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
                    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                    'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
                    'sqref="A2"/></sheetView></sheetViews>'
                    f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>')

    def _write(self, text: str) -> None:
        self._fh.write(text.encode("utf-8"))

    def append(self, values: Sequence[Any], styles: Sequence[int]) -> None:
        """A row: str cells as text, int/float cells as numbers, None or "" as an empty cell."""
        self.rows += 1
        cells = []
        for value, style in zip(values, styles):
            if value is None or value == "":
                cells.append(f'<c s="{style}"/>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<c s="{style}"><v>{value}</v></c>')
            else:
                cells.append(f'<c s="{style}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>')
        self._buffer.append(f'<row r="{self.rows}">{"".join(cells)}</row>')
        if len(self._buffer) >= 512:
            self._flush()

    def _flush(self) -> None:
        self._write("".join(self._buffer))
        self._buffer.clear()

    def link(self, cell: str, sheet: str) -> None:
        """Make CELL a link to the first cell of another sheet of this workbook."""
        self.links.append((cell, sheet))

    def close(self) -> None:
        self._flush()
        last = f"{self.columns[-1]}{max(1, self.rows)}"
        links = "".join(f"<hyperlink ref={quoteattr(cell)} location={quoteattr(_sheet_ref(sheet) + '!A1')} "
                        f"display={quoteattr(sheet)}/>" for cell, sheet in self.links)
        header = _text("&C" + self.title.replace("&", "&&")[:200])
        self._write(f'</sheetData><autoFilter ref="A1:{last}"/>'
                    + (f"<hyperlinks>{links}</hyperlinks>" if links else "")
                    + '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
                    '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
                    f"<headerFooter><oddHeader>{header}</oddHeader>"
                    "<oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter></worksheet>")
        self._fh.close()
        self.book._closed_sheets.append(self)


def _sheet_ref(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


class Workbook:
    """`with Workbook(path) as wb: sheet = wb.sheet(name, widths, title); sheet.append(...); sheet.close()`.
    Sheets are written one after the other; the workbook parts are written on close."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._closed_sheets: list[Sheet] = []
        self._names: set[str] = set()

    def sheet(self, name: str, widths: Sequence[float], title: str = "") -> Sheet:
        if name.lower() in self._names or not 0 < len(name) <= 31 or set("[]:*?/\\") & set(name):
            raise ValueError(f"sheet name {name!r}: must be unique, 1-31 characters, none of []:*?/\\")
        self._names.add(name.lower())
        return Sheet(self, name, len(self._names), widths, title or name)

    def close(self) -> None:
        sheets = self._closed_sheets
        entries = "".join(f'<sheet name={quoteattr(s.name)} sheetId="{s.index}" r:id="rId{s.index}"/>'
                          for s in sheets)
        titles = "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                         f"{_text(_sheet_ref(s.name))}!$1:$1</definedName>" for i, s in enumerate(sheets))
        filters = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                          f"{_text(_sheet_ref(s.name))}!$A$1:${s.columns[-1]}${max(1, s.rows)}</definedName>"
                          for i, s in enumerate(sheets))
        self._zip.writestr("xl/workbook.xml",
                           f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} '
                           f'xmlns:r="{_REL_NS}"><bookViews><workbookView activeTab="0"/></bookViews>'
                           f"<sheets>{entries}</sheets><definedNames>{filters}{titles}</definedNames></workbook>")
        rels = "".join(f'<Relationship Id="rId{s.index}" Type="{_REL_NS}/worksheet" '
                       f'Target="worksheets/sheet{s.index}.xml"/>' for s in sheets)
        styles_id = len(sheets) + 1
        self._zip.writestr("xl/_rels/workbook.xml.rels",
                           '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                           'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                           f'{rels}<Relationship Id="rId{styles_id}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
                           "</Relationships>")
        self._zip.writestr("xl/styles.xml", _STYLES)
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{s.index}.xml" ContentType="application/'
                            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for s in sheets)
        self._zip.writestr("[Content_Types].xml",
                           '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
                           'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
                           '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                           'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
                           'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                           '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
                           f'officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>')
        self._zip.writestr("_rels/.rels",
                           '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
                           'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
                           f'{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        self._zip.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._zip.close()


def write_table(sheet: Sheet, header: Sequence[str], rows: Iterable[tuple[Sequence[Any], Sequence[int]]]) -> None:
    sheet.append(header, [HEADER] * len(header))
    for values, styles in rows:
        sheet.append(values, styles)
