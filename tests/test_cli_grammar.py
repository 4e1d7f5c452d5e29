"""One grammar for the command line: --out on every command that reads a build (the positional
OUT kept where it was), one meaning per short option, help for every option, query parameters
listed and checked with suggestions, the build summary first and inferences in a file, export
outside OUT; and the notebook twins (policykg.tasks, Python errors naming Python arguments)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest_db import DATA, build_sample
from policykg.queries.catalog import load_catalog
from policykg.queries.runner import QueryError

import policykg
from policykg.cli import main

POLICYKG = [sys.executable, "-m", "policykg"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*POLICYKG, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    context = click.Context(group)
    for name in group.list_commands(context):  # imports every command's module (they load lazily)
        command = group.get_command(context, name)
        assert command is not None, name
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix}{name} ")
    return found


def test_every_option_has_help_and_short_options_mean_one_thing() -> None:
    meaning: dict[str, set[str]] = {}
    for name, command in commands(main):
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"policykg {name} {param.opts[0]} has no help"
                long = next(o for o in param.opts if o.startswith("--"))
                for opt in [*param.opts, *param.secondary_opts]:
                    if not opt.startswith("--"):
                        meaning.setdefault(opt, set()).add(long)
    assert all(len(longs) == 1 for longs in meaning.values()), meaning


def test_each_command_is_registered_by_the_module_the_lazy_group_imports_for_it() -> None:
    import importlib

    from policykg.cli import COMMAND_MODULES

    for path in sorted((Path(policykg.__file__).parent).glob("cli_*.py")):
        importlib.import_module(f"policykg.{path.stem}")
    assert {name: command.callback.__module__ for name, command in main.commands.items()} == COMMAND_MODULES


def test_every_command_reading_a_build_takes_out() -> None:
    reading = {"tasks", "query", "cypher", "load", "views", "export neo4j-admin", "evaluate", "compare"}
    for name, command in commands(main):
        if name in reading:
            assert any("--out" in p.opts for p in command.params if isinstance(p, click.Option)), name


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory)


def test_views_and_export_take_out_as_an_option_or_argument(out: Path, tmp_path: Path) -> None:
    copy = tmp_path / "built"
    copy.mkdir()
    shutil.copy(out / "graph.json", copy / "graph.json")
    for args in (["views", str(copy), "--no-unit-views"], ["views", "--out", str(copy), "--no-unit-views"]):
        res = run(*args)
        assert res.returncode == 0, res.stderr
        assert (copy / "views" / "index.html").is_file()
    res = run("views", str(copy), "--out", str(tmp_path / "other"))
    assert res.returncode != 0 and "two output folders" in res.stderr
    res = run("export", "neo4j-admin", "--out", str(copy))
    assert res.returncode == 0, res.stderr
    dest = tmp_path / "built-neo4j-admin"  # beside OUT: a rebuild of OUT does not delete it
    assert (dest / "load.cypher").is_file()
    assert not (copy / "neo4j-admin").exists()


def test_export_survives_a_rebuild(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "qingyuan_innovation_action_plan_2020-2022_draft.txt", data)
    shutil.copy(DATA / "manifest.json", data)
    out = tmp_path / "out"
    assert run("build", str(data), "--out", str(out), "--no-views").returncode == 0
    assert run("export", "neo4j-admin", str(out)).returncode == 0
    assert run("build", str(data), "--out", str(out), "--no-views").returncode == 0
    assert (tmp_path / "out-neo4j-admin" / "load.cypher").is_file()


def test_query_list_shows_descriptions_and_parameters() -> None:
    res = run("query", "--list")
    assert res.returncode == 0
    catalog = load_catalog()
    for name, canned in catalog.items():
        line = next(line for line in res.stdout.splitlines() if line.split()[:1] == [name])
        assert canned.description in line
        for param in canned.params:
            assert (param.name if param.required else f"[{param.name}]") in line


def test_query_help_shows_parameters_types_and_an_example() -> None:
    res = run("query", "tasks_led_by", "--help")
    assert res.returncode == 0
    assert "unit (unit, required)" in res.stdout and "doc (doc, optional)" in res.stdout
    assert "example: policykg query tasks_led_by -p unit=市科技局" in res.stdout
    assert "--param" in res.stdout  # the options follow
    plain = run("query", "--help")
    assert "unit (unit, required)" not in plain.stdout


def test_query_names_and_keys_get_suggestions(out: Path) -> None:
    res = run("query", "tasks_ledby", "--out", str(out))
    assert res.returncode != 0 and "did you mean tasks_led_by" in res.stderr
    res = run("query", "tasks_led_by", "-p", "unti=市科技局", "--out", str(out))
    assert res.returncode != 0
    assert "unknown parameter 'unti'; did you mean unit?" in res.stderr and "missing" not in res.stderr
    res = run("quer", "--list")
    assert res.returncode != 0 and "did you mean query" in res.stderr


def test_query_without_required_parameters_is_an_error(out: Path) -> None:
    res = run("query", "tasks_led_by", "--out", str(out))
    assert res.returncode != 0 and "missing parameter unit (required)" in res.stderr and "example:" in res.stderr
    res = run("query", "task_detail", "--out", str(out))
    assert res.returncode != 0 and "give task, or doc and path" in res.stderr
    res = run("query", "task_detail", "-p", "doc=qingyuan_innovation_action_plan_2020-2022_draft.txt",
              "-p", "path=三.(一).1", "--out", str(out), "--format", "json")
    assert res.returncode == 0, res.stderr
    assert len(json.loads(res.stdout)) == 1


def test_messages_name_the_folder_not_a_placeholder(out: Path, tmp_path: Path) -> None:
    copy = tmp_path / "fresh"
    copy.mkdir()
    shutil.copy(out / "graph.json", copy / "graph.json")
    res = run("query", "documents", "--out", str(copy))
    assert res.returncode == 0, res.stderr
    assert f"loaded {copy / 'graph.json'}" in res.stderr and "OUT/" not in res.stderr


def test_build_prints_the_summary_first_and_writes_inferences_to_a_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("qingyuan_innovation_action_plan_2020-2022_draft.txt", "guangzhou_intl_sci_tech_innovation_hub_action_plan_2018-2020.txt"):
        shutil.copy(DATA / name, data)  # no manifest: metadata inferred from the text
    out = tmp_path / "out"
    res = run("build", str(data), "--out", str(out), "--no-views")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith(f"built {out}: 2 documents")
    assert f"of 2 documents without a manifest entry: see {out / 'inferred.txt'}" in lines[1]
    assert "inferred:" not in res.stdout + res.stderr
    inferred = (out / "inferred.txt").read_text(encoding="utf-8").splitlines()
    assert len(inferred) == 2 and all("no manifest entry" in line for line in inferred)


def test_python_tasks_is_the_cli_command(out: Path) -> None:
    rows = policykg.tasks("市科技局", out, jurisdiction="清远市")
    res = run("tasks", "市科技局", "--out", str(out), "--jurisdiction", "清远市", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(rows.to_json()) == json.loads(res.stdout)
    assert rows.columns[:4] == ["doc", "doc_title", "task_path", "task_title"]
    assert "<table>" in rows._repr_html_()
    table = run("tasks", "市科技局", "--out", str(out), "--jurisdiction", "清远市")
    assert table.stdout.splitlines()[0].split() == ["doc", "task_path", "task_title", "role", "unit_name"]


def test_python_errors_name_python_arguments(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policykg.graph.lookup import AmbiguousUnit

    with pytest.raises(AmbiguousUnit, match="jurisdiction=") as caught:
        policykg.tasks("市教育局", out)
    assert "--jurisdiction" not in str(caught.value)
    res = run("tasks", "市教育局", "--out", str(out))
    assert "--jurisdiction" in res.stderr
    with pytest.raises(ValueError, match="role='leader'"):
        policykg.tasks("市科技局", out, jurisdiction="清远市", role="leader")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    with pytest.raises(QueryError, match="uri=") as no_uri:
        policykg.connect()
    assert "--uri" not in str(no_uri.value)
    res = subprocess.run([*POLICYKG, "query", "documents", "--neo4j"], capture_output=True, text=True,
                         env={k: v for k, v in __import__("os").environ.items() if k != "NEO4J_URI"})
    assert res.returncode != 0 and "--uri" in res.stderr
    with policykg.open(out) as db, pytest.raises(QueryError, match=r"\.query\('tasks_led_by', unit='市科技局'\)"):
        db.query("tasks_led_by", unit="")
