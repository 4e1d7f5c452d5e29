"""Fuzzed inputs for policykg: mutations of the sample plans (control characters, bad bytes,
cuts mid-character, other encodings, broken markup and archives, clause fragments, huge
numbers, long lines) and the checks every one of them must pass.

Used by tests/test_fuzz.py (a few hundred mutations) and bench/bench_fuzz.py (long runs).
A mutation either reads — and then every writer copes with it and every quote equals the
original text at its offsets — or is refused with one line naming the file (SourceError).
Anything else is an uncaught exception: a bug.
"""

from __future__ import annotations

import io
import json
import random
import traceback
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

CONTROL = [chr(c) for c in range(0, 32) if c not in (9, 10, 13)] + ["\x7f", "\ufffe", "\uffff", "\u2028", "\u200b"]
FRAGMENTS = ["（牵头单位：", "）", "（责任单位：市科技局、", "①", "⑴", "（一）", "一、", "、、、、", "牵头单位：；",
             "：：", "2022年达到99999999999999999999%", "到2025年，", "（市科技局牵头，", "配合）", "……", "\t\t\t",
             "<table><tr><td>", "</td></tr>", "&#0;", "&nbsp;", "\u202e", "e\u0301", "𠀀𪚥", "\U0001f600"]


def sample_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(DATA.glob("*.txt"))]


def _snippet(rng: random.Random, texts: list[str], size: int) -> str:
    text = rng.choice(texts)
    start = rng.randrange(0, max(1, len(text) - size))
    return text[start:start + size]


def _insert(rng: random.Random, text: str, pieces: list[str], times: int) -> str:
    chars = list(text)
    for _ in range(times):
        chars.insert(rng.randrange(0, len(chars) + 1), rng.choice(pieces))
    return "".join(chars)


def _docx(text: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{_xml_escape(line)}</w:t></w:r></w:p>"
                   for line in text.split("\n"))
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           f"<w:body>{body}</w:body></w:document>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", xml)
    return buffer.getvalue()


def _xml_escape(text: str) -> str:
    from xml.sax.saxutils import escape

    # XML 1.0 cannot carry most control characters: a real .docx holds none (Word writes \x0b as <w:br/>)
    return escape("".join(c for c in text if c in "\t\n" or (ord(c) >= 32 and c not in "\ufffe\uffff")))


@dataclass
class Mutation:
    name: str  # file name (the suffix chooses the reader)
    data: bytes
    how: str


def _mutations(rng: random.Random, texts: list[str], size: int) -> Iterator[Callable[[], Mutation]]:
    """An endless stream of mutation makers (each picks its own snippet)."""

    def text_kind(how: str, text: str, encoding: str = "utf-8", suffix: str = ".txt") -> Mutation:
        return Mutation(f"m{suffix}", text.encode(encoding, errors="replace"), how)

    makers: list[Callable[[], Mutation]] = [
        lambda: text_kind("control characters", _insert(rng, _snippet(rng, texts, size), CONTROL, rng.randint(1, 20))),
        lambda: text_kind("clause fragments", _insert(rng, _snippet(rng, texts, size), FRAGMENTS, rng.randint(1, 30))),
        lambda: Mutation("m.txt", _bad_bytes(rng, _snippet(rng, texts, size).encode()), "bad bytes"),
        lambda: Mutation("m.txt", _snippet(rng, texts, size).encode()[: rng.randrange(1, size)], "cut anywhere"),
        lambda: text_kind("GBK", _snippet(rng, texts, size), "gbk"),
        lambda: Mutation("m.txt", _bad_bytes(rng, _snippet(rng, texts, size).encode("gbk", "replace")), "GBK damaged"),
        lambda: text_kind("UTF-16 with BOM", _snippet(rng, texts, size), "utf-16"),
        lambda: text_kind("UTF-16 without BOM", _snippet(rng, texts, size), rng.choice(["utf-16-le", "utf-16-be"])),
        lambda: Mutation("m.txt", b"\xef\xbb\xbf" + _bad_bytes(rng, _snippet(rng, texts, size).encode()), "BOM + bad"),
        lambda: text_kind("one long line", _snippet(rng, texts, size).replace("\n", "")),
        lambda: text_kind("lines shuffled", "\n".join(rng.sample(s := _snippet(rng, texts, size).split("\n"), len(s)))),
        lambda: text_kind("repeated units", "（牵头单位：" + "市科技局、" * rng.randint(50, 400) + "市财政局）"),
        lambda: text_kind("random unicode", "".join(chr(rng.choice([rng.randrange(32, 0xD7FF),
                                                                      rng.randrange(0xE000, 0x10FFFF)]))
                                                    for _ in range(rng.randint(1, size)))),
        lambda: Mutation("m.txt", bytes(rng.randrange(256) for _ in range(rng.randint(1, size))), "random bytes"),
        lambda: text_kind("HTML", "<html><body><table><tr><td>" + _snippet(rng, texts, size).replace("\n", "<br>")
                          + rng.choice(["</td></tr></table>", "<td", "<!--", "<script>", ""]), suffix=".html"),
        lambda: Mutation("m.docx", _docx(_snippet(rng, texts, size)), "docx"),
        lambda: Mutation("m.docx", _bad_bytes(rng, _docx(_snippet(rng, texts, size))), "docx damaged"),
        lambda: Mutation("m.docx", _docx(_snippet(rng, texts, size))[: rng.randrange(1, 400)], "docx cut"),
        lambda: text_kind("whitespace", rng.choice(["", " ", "\n\n", "\u3000\u3000", "\t"])),
        lambda: text_kind("markdown", "# " + _snippet(rng, texts, size).replace("\n", "\n\n- "), suffix=".md"),
    ]
    while True:
        yield rng.choice(makers)


def _bad_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.choice([0x80, 0xFF, 0xFE, 0xC0, 0xE4, 0x00, rng.randrange(256)])
    return bytes(out)


def mutations(count: int, seed: int = 11, size: int = 600) -> Iterator[Mutation]:
    rng = random.Random(seed)
    texts = sample_texts()
    stream = _mutations(rng, texts, size)
    for _ in range(count):
        yield next(stream)()


@dataclass
class FuzzResult:
    tried: int = 0
    read: int = 0
    refused: int = 0
    failures: list[str] = field(default_factory=list)  # uncaught exceptions and broken outputs

    def line(self) -> str:
        return (f"{self.tried} inputs: {self.read} read, {self.refused} refused with one line, "
                f"{len(self.failures)} failures")


def check_mutation(mutation: Mutation, folder: Path, result: FuzzResult) -> None:
    """One mutation through the pipeline and every writer, in-process."""
    from policykg.extract.pipeline import process_file
    from policykg.extract.read import SourceError
    from policykg.graph import export
    from policykg.graph.build import build_graph
    from policykg.graph.sanitise import has_unwritable

    result.tried += 1
    path = folder / mutation.name
    path.write_bytes(mutation.data)
    out = folder / "out"
    out.mkdir(exist_ok=True)
    try:
        try:
            doc = process_file(path)
        except SourceError as exc:
            message = str(exc)
            if "\n" in message or not message.startswith(str(path)):
                result.failures.append(f"{mutation.how}: refusal is not one line naming the file: {message!r}")
            result.refused += 1
            return
        stage_failures = [w for w in doc.warnings if "stage failed" in w]
        if stage_failures:  # isolated (the document survived) but still a bug to report
            result.failures.append(f"{mutation.how}: {stage_failures[0]}")
        graph_nx = build_graph([doc])
        export.write_graph_json(graph_nx, out / export.GRAPH_JSON)
        export.write_graphml(graph_nx, out / export.GRAPHML)
        rows = list(export.responsibility_rows([doc]))
        export._write_csv(out / "responsibilities.csv", export.RESPONSIBILITY_COLUMNS, rows)
        export._write_csv(out / "entities.csv", export.ENTITY_COLUMNS, export.entity_rows([doc]))
        export._write_csv(out / "targets.csv", export.TARGET_COLUMNS, export.target_rows([doc]))
        # openpyxl is slow to start a workbook: every text it may choke on, and one in ten others
        xlsx = out / "responsibilities.xlsx"
        xlsx.unlink(missing_ok=True)
        if has_unwritable(doc.original) or result.tried % 10 == 0:
            export.write_responsibilities_xlsx(rows, xlsx)
        graph = json.loads((out / "graph.json").read_text(encoding="utf-8"))
        for item in [*graph["nodes"], *graph["edges"]]:
            if item.get("docSha256") == doc.sha256 and "quote" in item \
                    and doc.original[item["start"]:item["end"]] != item["quote"]:
                result.failures.append(f"{mutation.how}: quote {item['quote'][:30]!r} is not the original text")
                break
        ElementTree.parse(out / "graph.graphml")  # well-formed XML 1.0
        if xlsx.exists():
            with zipfile.ZipFile(xlsx) as zf:
                for name in zf.namelist():
                    if name.endswith(".xml"):
                        ElementTree.fromstring(zf.read(name))
        result.read += 1
    except Exception:
        result.failures.append(f"{mutation.how}: " + traceback.format_exc().strip().splitlines()[-1])
