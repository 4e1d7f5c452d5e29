"""The bad-input corpus: every input a hostile tester tried on policykg (issue 11, and the classic
ones), each with its expected exit code, its one-line message and the state of OUT afterwards.

Each case builds its input in a fresh folder and runs the real command line in-process (click's
runner: the same `main` the `policykg` script calls). The table is the specification:

    case                         exit  message (regex, stderr)                       OUT after
    control characters           0     -                                             built (xlsx/GraphML valid)
    foreign folder + graph.json  1     not made by policykg                          untouched
    DATA inside OUT              1     inside this output folder                     untouched
    OUT with a user's file       1     holds files policykg did not write            untouched
    OUT is a file                1     exists and is not a folder                    untouched
    OUT parent missing           1     parent folder .* does not exist               absent
    missing DATA                 1     no such file or folder                        absent
    empty DATA folder            1     no documents                                  absent
    empty file                   1     empty file                                    unchanged
    binary file                  1     binary file                                   unchanged
    PNG named .txt               1     binary file \\(a PNG image\\)                  unchanged
    wrong extension              1     unsupported file type                         unchanged
    one-byte file                1     nothing to build                              unchanged
    unreadable permissions       1     cannot read                                   unchanged
    .docx decompression bomb     1     decompression bomb                            unchanged
    .docx not a zip              1     not a valid .docx                             unchanged
    too many characters          1     characters, more than                         unchanged
    mostly undecodable           1     cannot decode                                 unchanged
    one bad byte                 0     byte.* not valid utf-8 \\(line                 built
    cut mid-character            0     not valid utf-8                               built
    BOM + bad byte               0     not valid utf-8-sig                           built
    UTF-16 without BOM           0     -                                             built (tasks found)
    non-UTF-8 file name          0/1   \\\\xff in the name, never a traceback         built / unchanged
    symlink loop in DATA         0     a loop                                        built
    broken symlink in DATA       0     broken symbolic link                          built
    a bad file among good ones   0     error: .*empty file                           built
    stale .OUT.tmp-* folder      0     removed .*tmp                                 built, no leftover
    half-swapped OUT             1     (the next build) restored                     the old OUT is back
    build while another builds   1     another policykg build                        unchanged
    cypher --param 'a`b=1'       1     parameter name                                -
    limit beyond 64 bits         1     does not fit in a 64-bit integer              -
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from policykg.cli import main
from policykg.outdir import OUT_MARKER, OutFolder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PLAN = DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt"
PLAN_TEXT = PLAN.read_text(encoding="utf-8")


@dataclass
class Case:
    args: list[str]
    exit_code: int
    message: str | None  # regex the (one-line, on failure) stderr must match
    out: Path | None = None
    out_after: str = "built"  # built | unchanged | untouched | absent | none
    check: Callable[[], None] | None = None


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def good_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("good") / "out"
    result = CliRunner().invoke(main, ["build", str(PLAN), "--out", str(out), "--no-views", "-q"])
    assert result.exit_code == 0, result.output
    return out


def with_old_out(tmp: Path, good_out: Path) -> Path:
    out = tmp / "out"
    shutil.copytree(good_out, out)
    return out


def data_folder(tmp: Path, files: dict[str, bytes]) -> Path:
    data = tmp / "data"
    data.mkdir()
    for name, content in files.items():
        (data / name).write_bytes(content)
    return data


def docx_bytes(xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", xml)
    return buffer.getvalue()


# --------------------------------------------------------------------------- the cases


def case_control_characters(tmp: Path, good_out: Path) -> Case:
    text = PLAN_TEXT.replace("市科技局", "市科\x0b技局", 2).replace("市财政局", "市财\x0f政局", 1)
    data = data_folder(tmp, {"plan.txt": text.encode(), "other.txt": PLAN_TEXT.replace("清远", "韶关").encode()})
    out = tmp / "out"

    def check() -> None:
        ElementTree.parse(out / "graph.graphml")
        from openpyxl import load_workbook

        book = load_workbook(out / "responsibilities.xlsx", read_only=True)
        assert sum(1 for sheet in book.worksheets for _ in sheet.iter_rows()) > 10
        graph = json.loads((out / "graph.json").read_text(encoding="utf-8"))
        quotes = [e["quote"] for e in graph["edges"] if "\x0b" in e.get("quote", "")]
        assert quotes and all(text[e["start"]:e["end"]] == e["quote"]
                              for e in graph["edges"] if e.get("docSha256") and "\x0b" in e.get("quote", ""))
        csv_text = (out / "responsibilities.csv").read_text(encoding="utf-8-sig")
        assert "\x0b" not in csv_text and "\x0f" not in csv_text and "市科\n技局" in csv_text

    return Case(["build", str(data), "--out", str(out), "--no-views"], 0, None, out, "built", check)


def case_foreign_folder_with_graph_json(tmp: Path, good_out: Path) -> Case:
    out = tmp / "mywork"
    out.mkdir()
    (out / "graph.json").write_text("{}")
    (out / "thesis.docx").write_bytes(b"precious")
    return Case(["build", str(PLAN), "--out", str(out)], 1, r"not made by policykg", out, "untouched")


def case_data_inside_out(tmp: Path, good_out: Path) -> Case:
    out = with_old_out(tmp, good_out)
    data = out / "data"
    data.mkdir()
    shutil.copy(PLAN, data / "plan.txt")
    return Case(["build", str(data), "--out", str(out)], 1, r"inside this output folder", out, "untouched")


def case_out_with_a_users_file(tmp: Path, good_out: Path) -> Case:
    out = with_old_out(tmp, good_out)
    (out / "notes.txt").write_text("mine")
    return Case(["build", str(PLAN), "--out", str(out)], 1, r"holds files policykg did not write \(notes.txt\)", out,
                "untouched")


def case_out_is_a_file(tmp: Path, good_out: Path) -> Case:
    out = tmp / "out"
    out.write_text("a file")
    return Case(["build", str(PLAN), "--out", str(out)], 1, r"exists and is not a folder", out, "untouched")


def case_out_parent_missing(tmp: Path, good_out: Path) -> Case:
    out = tmp / "no" / "such" / "out"
    return Case(["build", str(PLAN), "--out", str(out)], 1, r"parent folder .* does not exist", out, "absent")


def case_missing_data(tmp: Path, good_out: Path) -> Case:
    return Case(["build", str(tmp / "nowhere"), "--out", str(tmp / "out")], 1, r"nowhere: no such file or folder",
                tmp / "out", "absent")


def case_empty_data_folder(tmp: Path, good_out: Path) -> Case:
    data = data_folder(tmp, {})
    return Case(["build", str(data), "--out", str(tmp / "out")], 1, r"no documents", tmp / "out", "absent")


def _single(tmp: Path, good_out: Path, name: str, content: bytes, message: str) -> Case:
    out = with_old_out(tmp, good_out)
    f = tmp / name
    f.write_bytes(content)
    return Case(["build", str(f), "--out", str(out)], 1, re.escape(str(f)) + ".*" + message, out, "unchanged")


def case_empty_file(tmp: Path, good_out: Path) -> Case:
    return _single(tmp, good_out, "plan.txt", b"", "empty file")


def case_binary_file(tmp: Path, good_out: Path) -> Case:
    return _single(tmp, good_out, "plan.txt", b"\x00\x01\x02\x03binary\x00" * 40, "binary file")


def case_png_named_txt(tmp: Path, good_out: Path) -> Case:
    return _single(tmp, good_out, "plan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
                   r"binary file \(a PNG image\)")


def case_wrong_extension(tmp: Path, good_out: Path) -> Case:
    return _single(tmp, good_out, "plan.doc", PLAN.read_bytes(), "unsupported file type .doc")


def case_one_byte_file(tmp: Path, good_out: Path) -> Case:
    return _single(tmp, good_out, "plan.txt", b"a", "nothing to build")


def case_docx_bomb(tmp: Path, good_out: Path) -> Case:
    paragraph = b"<w:p><w:r><w:t>" + b"\xe4\xb8\x80" * 1000 + b"</w:t></w:r></w:p>"
    xml = (b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           + paragraph * 50_000 + b"</w:body></w:document>")  # 150 MB uncompressed, a few hundred KB zipped
    return _single(tmp, good_out, "bomb.docx", docx_bytes(xml), "decompression bomb")


def case_docx_not_a_zip(tmp: Path, good_out: Path) -> Case:
    return _single(tmp, good_out, "plan.docx", PLAN.read_bytes(), r"not a valid \.docx")


def case_too_many_characters(tmp: Path, good_out: Path) -> Case:
    from policykg.extract.read import MAX_PLAN_CHARS

    return _single(tmp, good_out, "huge.txt", b"a" * (MAX_PLAN_CHARS + 1), "characters, more than")


def case_mostly_undecodable(tmp: Path, good_out: Path) -> Case:
    return _single(tmp, good_out, "plan.txt", b"\xef\xbb\xbf" + b"\xff\xfe\x80\xc0" * 500 + PLAN_TEXT[:50].encode(),
                   "cannot decode")


def case_unreadable_permissions(tmp: Path, good_out: Path) -> Case:
    out = with_old_out(tmp, good_out)
    f = tmp / "plan.txt"
    shutil.copy(PLAN, f)
    f.chmod(0)
    return Case(["build", str(f), "--out", str(out)], 1, re.escape(str(f)) + ": cannot read", out, "unchanged")


def _good_with(tmp: Path, name: str, content: bytes, message: str | None) -> Case:
    data = data_folder(tmp, {name: content})
    out = tmp / "out"

    def check() -> None:
        rows = (out / "responsibilities.csv").read_text(encoding="utf-8-sig").splitlines()
        assert len(rows) > 50  # the plan's tasks were found

    return Case(["build", str(data), "--out", str(out), "--no-views"], 0, message, out, "built", check)


def case_one_bad_byte(tmp: Path, good_out: Path) -> Case:
    raw = PLAN_TEXT.encode()
    at = raw.index(b"\n", 3000) + 1
    line = raw[:at].count(b"\n") + 1
    return _good_with(tmp, "plan.txt", raw[:at] + b"\xff" + raw[at:], rf"1 byte not valid utf-8 \(line {line}\)")


def case_cut_mid_character(tmp: Path, good_out: Path) -> Case:
    raw = (PLAN_TEXT + "结束").encode()
    return _good_with(tmp, "plan.txt", raw[:-1], r"2 bytes not valid utf-8 \(line")


def case_bom_and_bad_byte(tmp: Path, good_out: Path) -> Case:
    raw = PLAN_TEXT.encode()
    at = raw.index(b"\n", 2000) + 1
    return _good_with(tmp, "plan.txt", b"\xef\xbb\xbf" + raw[:at] + b"\xfe" + raw[at:], r"not valid utf-8-sig")


def case_utf16_without_bom(tmp: Path, good_out: Path) -> Case:
    return _good_with(tmp, "plan.txt", PLAN_TEXT.encode("utf-16-le"), None)


def case_non_utf8_file_name(tmp: Path, good_out: Path) -> Case:
    data = tmp / "data"
    data.mkdir()
    (data / "plan.txt").write_bytes(PLAN.read_bytes())
    bad_name = os.fsdecode(b"\xff\xfe-bad.txt")
    (data / bad_name).write_bytes(b"")  # an empty file with a name that is not UTF-8
    (data / os.fsdecode(b"\xe5\x9b\xbe\xff.txt")).write_bytes(PLAN_TEXT.replace("清远", "韶关").encode())
    out = tmp / "out"

    def check() -> None:
        graph = json.loads((out / "graph.json").read_text(encoding="utf-8"))
        files = {n.get("file") for n in graph["nodes"] if n.get("label") == "Document"}
        assert "图\\xff.txt" in files

    return Case(["build", str(data), "--out", str(out), "--no-views"], 0, r"\\xff\\xfe-bad.txt: empty file", out,
                "built", check)


def case_symlink_loop(tmp: Path, good_out: Path) -> Case:
    data = data_folder(tmp, {"plan.txt": PLAN.read_bytes()})
    (data / "sub").mkdir()
    (data / "sub" / "loop").symlink_to(data, target_is_directory=True)
    return Case(["build", str(data), "--out", str(tmp / "out"), "--no-views"], 0, r"loop\).*skipped|a loop",
                tmp / "out", "built")


def case_broken_symlink(tmp: Path, good_out: Path) -> Case:
    data = data_folder(tmp, {"plan.txt": PLAN.read_bytes()})
    (data / "gone.txt").symlink_to(tmp / "nothing.txt")
    return Case(["build", str(data), "--out", str(tmp / "out"), "--no-views"], 0, r"gone.txt: a broken symbolic link",
                tmp / "out", "built")


def case_bad_file_among_good(tmp: Path, good_out: Path) -> Case:
    data = data_folder(tmp, {"plan.txt": PLAN.read_bytes(), "empty.txt": b""})
    return Case(["build", str(data), "--out", str(tmp / "out"), "--no-views"], 0, r"error: .*empty.txt: empty file",
                tmp / "out", "built")


def case_stale_staging_folder(tmp: Path, good_out: Path) -> Case:
    out = with_old_out(tmp, good_out)
    stale = tmp / ".out.tmp-killed"
    shutil.copytree(good_out, stale)  # what a killed build leaves: a marked, half-written copy
    (stale / "graph.json").write_text("{", encoding="utf-8")

    def check() -> None:
        assert not stale.exists()
        assert sorted(p.name for p in tmp.iterdir()) == ["out"]

    return Case(["build", str(PLAN), "--out", str(out), "--no-views"], 0, r"removed \.out\.tmp-killed", out, "built",
                check)


def case_half_swapped_out(tmp: Path, good_out: Path) -> Case:
    old = tmp / ".out.old-123"
    shutil.copytree(good_out, old)  # killed between the two renames: OUT is gone, the old copy aside
    out = tmp / "out"
    bad = tmp / "bad.txt"
    bad.write_bytes(b"a")  # and this build fails: the old OUT must still be back

    def check() -> None:
        assert snapshot(out) == snapshot(good_out)
        assert sorted(p.name for p in tmp.iterdir()) == ["bad.txt", "out"]

    return Case(["build", str(bad), "--out", str(out)], 1, r"nothing to build", out, "none", check)


def case_build_while_another_builds(tmp: Path, good_out: Path) -> Case:
    out = with_old_out(tmp, good_out)
    holder = OutFolder(out)
    holder.__enter__()  # another build holds OUT (the real lock, in this process)

    def check() -> None:
        holder.__exit__(None, None, None)

    return Case(["build", str(PLAN), "--out", str(out)], 1, r"another policykg build \(pid \d+\) is writing", out,
                "unchanged", check)


def case_param_with_backtick(tmp: Path, good_out: Path) -> Case:
    return Case(["cypher", "RETURN $x AS x", "--param", "a`b=1", "--out", str(good_out)], 1, r"parameter name 'a`b'",
                None, "none")


def case_limit_beyond_64_bits(tmp: Path, good_out: Path) -> Case:
    return Case(["cypher", "MATCH (d:Document) RETURN d.name LIMIT $limit", "--param", "limit=99999999999999999999",
                 "--out", str(good_out)], 1, r"does not fit in a 64-bit integer", None, "none")


CASES = {name[len("case_"):]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name: str, good_out: Path, tmp_path: Path) -> None:
    if name == "unreadable_permissions" and os.geteuid() == 0:
        _unreadable_file_as_another_user(good_out)
        return
    case = CASES[name](tmp_path, good_out)
    before = snapshot(case.out) if case.out is not None and case.out.is_dir() else None
    before_file = case.out.read_bytes() if case.out is not None and case.out.is_file() else None
    result = CliRunner().invoke(main, case.args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    stderr = result.stderr.strip()
    if case.exit_code != 0:
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1, stderr
    if case.message:
        assert re.search(case.message, stderr), stderr
    if case.out_after == "built":
        assert case.out is not None and (case.out / "graph.json").is_file() and (case.out / OUT_MARKER).is_file()
        assert not any(p.name.startswith(f".{case.out.name}.") for p in case.out.parent.iterdir())
    elif case.out_after in ("unchanged", "untouched"):
        assert case.out is not None
        if before_file is not None:
            assert case.out.read_bytes() == before_file
        else:
            assert snapshot(case.out) == before
    elif case.out_after == "absent":
        assert case.out is not None and not case.out.exists()
        assert not case.out.parent.exists() or not any(p.name.startswith(f".{case.out.name}.")
                                                       for p in case.out.parent.iterdir())
    if case.check:
        case.check()


def _unreadable_file_as_another_user(good_out: Path) -> None:
    """chmod 0 stops everyone but root: as root, run the command as `nobody` (a real second user)."""
    import pwd

    nobody = pwd.getpwnam("nobody")
    work = Path(tempfile.mkdtemp(prefix="pkg-perm-"))
    try:
        out = work / "out"
        shutil.copytree(good_out, out)
        f = work / "plan.txt"
        shutil.copy(PLAN, f)
        for path in [work, *work.rglob("*")]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        f.chmod(0)
        before = snapshot(out)

        # the interpreter may live where `nobody` cannot read (root's pyenv): load policykg (and the
        # pipeline, which policykg.api imports only when a file is extracted) as root, then become
        # `nobody` before the command runs
        drop_and_run = ("import os, sys, fcntl, ctypes, policykg.api, policykg.cli, policykg.extract.pipeline; "
                        "os.setgid(int(sys.argv[1])); os.setgroups([]); "
                        "os.setuid(int(sys.argv[2])); sys.argv = ['policykg', *sys.argv[3:]]; policykg.cli.main()")
        result = subprocess.run([sys.executable, "-c", drop_and_run, str(nobody.pw_gid), str(nobody.pw_uid),
                                 "build", str(f), "--out", str(out)], capture_output=True, text=True, timeout=300,
                                cwd=work, env={**os.environ, "HOME": str(work)})
        assert result.returncode == 1, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and f"{f}: cannot read: Permission denied" in lines[0], result.stderr
        assert snapshot(out) == before
    finally:
        shutil.rmtree(work, ignore_errors=True)
