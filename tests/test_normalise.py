"""Reading and normalisation: encodings, pinyin, Traditional, PDF artefacts, punctuation, and
the offset map that lets every extracted item cite the ORIGINAL text."""

from __future__ import annotations

from pathlib import Path

import pytest
from policykg.extract.normalise import MappedText, collapse_repeats, normalise
from policykg.extract.pipeline import load_document
from policykg.extract.read import SourceError, read_source

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = "为加快建设（牵头单位：市科技局，参与单位：市发展改革局）"


def norm(text: str) -> str:
    return normalise(text)[0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "gb2312", "utf-16"])
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / f"plan-{encoding}.txt"
    f.write_bytes(SAMPLE.encode(encoding))
    src = read_source(f)
    assert src.text == SAMPLE


def test_gbk_file_reports_gbk(tmp_path: Path) -> None:
    f = tmp_path / "gbk.txt"
    f.write_bytes(SAMPLE.encode("gbk"))
    assert read_source(f).encoding == "gbk"


def test_gb18030_file_beyond_gbk_reports_gb18030(tmp_path: Path) -> None:
    # 䶮 (U+4DAE) has no GBK code: GB18030 writes it in four bytes
    text = SAMPLE + "，䶮"
    f = tmp_path / "gb18030.txt"
    f.write_bytes(text.encode("gb18030"))
    src = read_source(f)
    assert (src.text, src.encoding) == (text, "gb18030")


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "empty file"), (b"  \n\t\n", "empty file"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
])
def test_unreadable_files_name_the_problem(tmp_path: Path, content: bytes, problem: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(SourceError) as err:
        read_source(f)
    assert str(err.value).startswith(str(f)) and problem in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_source(tmp_path / "nope.txt")


def test_pinyin_removed_but_real_parentheses_kept() -> None:
    assert norm("廣州市人(rén)民政府關于研究與試驗發展(R&D)經費的(de)通(tōng)知") == "广州市人民政府关于研究与试验发展（R&D）经费的通知"


def test_traditional_to_simplified_keeps_display_and_length() -> None:
    text, display, offsets = normalise("(責任單位:市科技創新委、發展改革委)")
    assert text == "（责任单位：市科技创新委、发展改革委）"
    assert display == "（責任單位：市科技創新委、發展改革委）"
    assert len(offsets) == len(text) + 1



def test_odd_characters_unified_each_citing_its_original() -> None:
    # full-width digits and dots, an ideographic space, a line break as \r\n and a lone \r, a
    # zero-width space: each normalised character cites the original one it stands for
    original = "２０２２年\u3000增长１２．５％\r\n市科技局\u200b牵头\r完成"
    text, display, offsets = normalise(original)
    assert text == display == "2022年增长12.5%\n市科技局牵头\n完成"
    cited = [original[at] for at in offsets[:-1]]
    assert cited == ["２", "０", "２", "２", "年", "增", "长", "１", "２", "．", "５", "％", "\r", "市", "科", "技", "局",
                     "牵", "头", "\r", "完", "成"]
    assert offsets[-1] == len(original)
    # without the characters that change the length, the same offsets one for one
    text, display, offsets = normalise("到２０２５年达到１２．５％")
    assert text == display == "到2025年达到12.5%" and list(offsets) == list(range(len(display) + 1))

def test_repeated_pdf_headings_collapse() -> None:
    assert norm("1.1.1.1.打造走廊打造走廊打造走廊打造走廊。。。。抢抓机遇") == "1.打造走廊。抢抓机遇"
    assert norm("（（（（五五五五））））产业技术创新提升行动产业技术创新提升行动产业技术创新提升行动产业技术创新提升行动") \
        == "（五）产业技术创新提升行动"
    assert norm("3.新布局建设省级高新区。新布局建设省级高新区。新布局建设省级高新区。新布局建设省级高新区。抓住机遇") \
        == "3.新布局建设省级高新区。抓住机遇"
    assert norm(" 4....推进金融发展推进金融发展推进金融发展推进金融发展。。。。鼓励银行") == "4.推进金融发展。鼓励银行"


@pytest.mark.parametrize("text", ["高新技术企业10000家", "的的重要平台", "研究研究", "每年1111万元", "哈哈"])
def test_ordinary_text_is_not_collapsed(text: str) -> None:
    t = collapse_repeats(MappedText.of(text))
    assert t.text == text


def test_blanks_dropped_at_line_edges_and_next_to_chinese() -> None:
    text = "  加快 建设  \n\t科技局\t\n 市科技局 市财政局 \n2020 2021 2022\n末行 \t"
    # a space between two units' names separates them; table rows keep theirs
    assert norm(text) == "加快建设\n科技局\n市科技局 市财政局\n2020 2021 2022\n末行"


def test_runs_of_blanks_at_edges_inside_lines_and_in_table_rows() -> None:
    # a line's edge may mix tabs and spaces; a run inside a line is one space between Latin
    # words and in a table row, none next to Chinese, one between two units' names; a tab
    # between words separates cells and stays
    text = "\t 2020  2021 \t\n科技  创新 \nGDP  growth  \n  市科技局  市财政局\t\nA \t B"
    assert norm(text) == "2020 2021\n科技创新\nGDP growth\n市科技局 市财政局\nA \t B"


def test_a_number_alone_on_a_wrapped_line_continues_the_sentence() -> None:
    # hard-wrapped text: a line of a bare number is no heading number (that needs a mark or a
    # blank after it on its line), so the sentence broken around it is joined again
    line = "加快推进科技创新体系建设和产业转型升级"
    text = "\n".join([line] * 12 + ["全年共投入", "35", "亿元用于支持企业研发和平台建设工作"] + [line] * 12)
    assert "全年共投入35亿元用于支持" in norm(text)


def test_pinyin_only_after_chinese_and_open_clauses_joined() -> None:
    assert norm("人(rén)民（mín）政府（GDP）(a)") == "人民政府（GDP）（a）"
    assert norm("（牵头单位：市科技局\n参与单位：市财政局）\n下一段") == "（牵头单位：市科技局参与单位：市财政局）\n下一段"


def test_page_markers_removed() -> None:
    assert "- 1 -" not in norm("- 1 -\n\n附件\n第 2 页\n正文")
    assert norm("- 1 -\n正文") == "\n正文"


def test_broken_lines_and_names_joined_in_pdf_text() -> None:
    doc = DATA / "qingyuan_innovation_action_plan_2019-2021_draft_pdf.txt"
    text = normalise(read_source(doc).text)[0]
    assert "（牵头单位：广清帮扶指挥部，参与单位：市科技局、市工业和信息化局、市商务局、各县（市、区）人民政府）" in text
    assert "高新区全国排名（位） 101 99 97 95" in text.split("\n")  # table rows stay rows


def test_punctuation_unified_but_numbers_kept() -> None:
    assert norm("目标:超过1,000家;时间13:46") == "目标：超过1,000家；时间13:46"
    assert norm("２０２２年达到３５％") == "2022年达到35%"


def test_html_markup_stripped(tmp_path: Path) -> None:
    f = tmp_path / "page.html"
    f.write_text("<html><head><title>x</title><script>var a=1;</script></head><body><p>加强合作&nbsp;"
                 "（牵头单位：市科技局）</p></body></html>", encoding="utf-8")
    doc = load_document(f)
    assert doc.text.strip() == "加强合作（牵头单位：市科技局）"
    i = doc.text.index("市科技局")
    assert doc.span(i, i + 4).quote == "市科技局"


@pytest.mark.parametrize("path", sorted(DATA.glob("*.txt")), ids=lambda p: p.name[:24])
def test_offsets_cite_the_original(path: Path) -> None:
    doc = load_document(path)
    assert len(doc.offsets) == len(doc.text) + 1
    assert all(a <= b for a, b in zip(doc.offsets, doc.offsets[1:]))
    # every normalised character comes from an original character of the same reading
    orig_simplified = normalise(doc.original)[0]
    assert orig_simplified == doc.text
    for i in range(0, len(doc.text), 37):
        ch = doc.text[i]
        if ch.strip() and ch not in "（）：，；？！":
            span = doc.span(i, i + 1)
            assert normalise(span.quote)[0].strip() == ch, (i, ch, span)


def test_html_quotes_read_as_the_page_reads(tmp_path: Path) -> None:
    from policykg.extract.clauses import extract_tasks
    from policykg.extract.outline import build_outline

    f = tmp_path / "page.html"
    f.write_text("<html><body><p>1.加强合作。推进交流<span>（牵头单位：</span><b>市科技局</b>，参与单位：市财政局&amp;"
                 "市税务局）</p></body></html>", encoding="utf-8")
    doc = extract_tasks(build_outline(load_document(f)))
    quote = doc.tasks[0].clause.span.quote
    assert quote == "（牵头单位：市科技局，参与单位：市财政局&市税务局）"
    assert doc.original[doc.tasks[0].clause.span.start:doc.tasks[0].clause.span.end] == quote


def _minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a text layer (Helvetica, ASCII), written by hand."""
    stream = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({x}) Tj 0 -16 Td" for x in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pdf_text_layer_is_read(tmp_path: Path) -> None:
    pytest.importorskip("pypdf", reason="PDF reading is the optional `pdf` extra")
    f = tmp_path / "plan.pdf"
    f.write_bytes(_minimal_pdf(["Action plan 2021-2023", "Task one"]))
    src = read_source(f)
    assert src.markup == "pdf" and "Action plan 2021-2023" in src.text and src.text.startswith("- 1 -")
    doc = load_document(f)
    assert "- 1 -" not in doc.text  # page markers go in normalisation


def test_broken_pdf_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    f = tmp_path / "broken.pdf"
    f.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(SourceError) as err:
        read_source(f)
    assert str(f) in str(err.value)


def test_text_without_changing_entries_is_what_opencc_returns() -> None:
    """to_simplified returns a text as it is, without opencc, when it holds no character and no
    phrase whose t2s entry changes it (read from opencc's dictionaries): opencc agrees on every
    character alone, on the sample plans, and on random texts of those characters and phrases."""
    import random

    import opencc
    from policykg.extract.normalise import _t2s_changes, _t2s_dictionary_entries, to_simplified

    changes = _t2s_changes()
    assert changes is not None
    convert = opencc.OpenCC("t2s").convert
    kept = [chr(c) for c in range(0x20, 0x30000) if not 0xD800 <= c <= 0xDFFF and not changes.could_change(chr(c))]
    assert len(kept) > 55000
    assert convert("".join(kept)) == "".join(kept)
    assert all(convert(c) == c for c in kept[::7])
    # phrases whose characters are all kept: those opencc leaves alone may stand in a kept text
    entries = _t2s_dictionary_entries()
    kept_set = set(kept)
    phrases = [key for key, _ in entries if len(key) > 1 and kept_set.issuperset(key)]
    unchanged = [p for p in phrases if not changes.could_change(p)]
    assert all(convert(p) == p for p in unchanged) and len(unchanged) < len(phrases)
    rng = random.Random(3)
    cjk = [c for c in kept if "\u4e00" <= c <= "\u9fff"]
    for _ in range(300):
        text = "".join(rng.choice(cjk) if rng.random() < 0.8 else rng.choice(unchanged or ["。"])
                       for _ in range(rng.randint(1, 300)))
        assert changes.could_change(text) or convert(text) == text
    for path in sorted(DATA.glob("*.txt")):
        original = read_source(path).text
        for text in (original, *original.split("\n")):
            assert to_simplified(text) == convert(text) or len(convert(text)) != len(text)
            if not changes.could_change(text):
                assert convert(text) == text


def test_marker_patterns_left_untried_match_no_paragraph() -> None:
    """match_marker tries only the patterns that can match after a paragraph's first character:
    none of the others matches a paragraph of the sample plans, nor a marker of any kind."""
    from policykg.extract import outline

    texts = [p.text for path in sorted(DATA.glob("*.txt")) for p in outline.paragraphs(normalise(path.read_text())[0])]
    texts += [first + rest for first in "第一十〇（(①⑳1٣" for rest in ("一、", "一章", "二节", "三条", "1.", "1）", "1突破", "十）")]
    tried = 0
    for text in texts:
        usual = outline._MARKERS_BY_FIRST.get(text[0], outline._DIGIT_MARKERS if text[0].isdecimal() else [])
        tried += len(usual)
        assert not any(pattern.match(text) for rank, pattern in outline.MARKERS if (rank, pattern) not in usual), text
    assert tried > 100
