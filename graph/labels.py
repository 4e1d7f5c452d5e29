"""Short labels for long texts (plan titles) that stay unique: where two editions of a plan differ
is usually the end of the title — the period （2019-2021年） and the status （征求意见稿） — so a
label keeps the trailing bracketed groups and cuts the middle, never the end."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# bracketed groups at the end of a title: （2020-2022年）, (征求意见稿), 〔2021〕
_TRAILING_GROUP = re.compile(r"(?:[（(〔\[【][^（）()〔〕\[\]【】]*[)）〕\]】]\s*)+$")
# the last character of a text that has such groups (searched for only then: the search tries
# every position of a long text)
_GROUP_CLOSERS = frozenset(")）〕]】")
ELLIPSIS = "…"


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _head(text: str, width: int, width_of: Callable[[str], int] = display_width) -> str:
    if width_of is len:  # a character a column: a slice (the views cut tens of thousands of texts)
        return text[: max(width, 0)]
    out, used = [], 0
    for char in text:
        used += width_of(char)
        if used > width:
            break
        out.append(char)
    return "".join(out)


def shorten(text: str, width: int, width_of: Callable[[str], int] = display_width) -> str:
    """TEXT in at most WIDTH columns (when it can be done): the head, an ellipsis, and the
    trailing bracketed groups kept whole. `width_of=len` counts characters instead."""
    text = " ".join(str(text).split())
    if width_of(text) <= width:
        return text
    # (the text has no trailing space, so a trailing group ends it)
    match = _TRAILING_GROUP.search(text) if text[-1:] in _GROUP_CLOSERS else None
    tail = match.group(0).strip() if match and match.start() > 0 else ""
    body = text[: match.start()].rstrip() if tail else text
    room = width - width_of(tail) - 1
    if room < 4:  # the tail alone is too long: plain cut
        return _head(text, width - 1, width_of) + ELLIPSIS
    return _head(body, room, width_of) + ELLIPSIS + tail


def unique_short_labels(texts: Iterable[str], width: int) -> dict[str, str]:
    """Distinct text -> a short label, widened where two texts would look the same."""
    distinct = list(dict.fromkeys(str(t) for t in texts))
    labels: dict[str, str] = {}
    pending = distinct
    limit = max([width, *(display_width(t) for t in distinct)], default=width)
    current = width
    while pending:
        proposed = {t: shorten(t, current) for t in pending}
        counts: dict[str, int] = {}
        for label in [*labels.values(), *proposed.values()]:
            counts[label] = counts.get(label, 0) + 1
        clashing = []
        for text, label in proposed.items():
            if counts[label] > 1 and current < limit:
                clashing.append(text)
            else:
                labels[text] = label
        pending = clashing
        current += 4
    return labels
