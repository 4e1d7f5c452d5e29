"""One sanitising step for every text writer (GraphML, the xlsx 任务分工表, the CSV tables).

The graph keeps the ORIGINAL text: a quote holding Word's manual line break (\\x0b) or a stray
control character still equals original[start:end], in graph.json (JSON escapes any character)
and in the databases. But XML 1.0 — GraphML and the xlsx parts — cannot carry C0 control
characters other than tab, newline and carriage return at all (not even as &#11;), nor U+FFFE/
U+FFFF, and no UTF-8 file can carry a lone surrogate (what Python makes of a file name that is
not valid UTF-8). So every writer passes its text through `clean_text` on the way out:

- \\x0b and \\x0c (manual line break, page break) become "\\n";
- any other character XML 1.0 forbids, and lone surrogates, become U+FFFD (�).

Each replacement is one character for one character, so a cleaned quote has the same length as
the original and its start/end offsets still line up with the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Characters XML 1.0 forbids (https://www.w3.org/TR/xml/#charsets), plus lone surrogates.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = {"\x0b": "\n", "\x0c": "\n"}
REPLACEMENT = "\ufffd"


def _replace(match: re.Match[str]) -> str:
    return _LINE_BREAKS.get(match.group(), REPLACEMENT)


def clean_text(text: str) -> str:
    """text with every character an XML/UTF-8 writer cannot carry replaced, one for one."""
    return _ILLEGAL.sub(_replace, text) if _ILLEGAL.search(text) else text


def clean_value(value: Any) -> Any:
    """A cell or attribute value: strings cleaned (inside lists too), other values unchanged."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (list, tuple)):
        return [clean_value(item) for item in value]
    return value


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: clean_value(value) for key, value in row.items()}


def clean_rows(rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    return (clean_row(row) for row in rows)


def has_unwritable(text: str) -> bool:
    return _ILLEGAL.search(text) is not None
