"""The `policykg` command line: each command is a thin layer over a function in policykg.api
(or the stage module it names), so the notebook API and the CLI never drift.

One grammar for every command: a command that reads a build takes `--out OUT` (default ./out;
the commands that took OUT as an argument still do); short options mean one thing everywhere
(-h help, -p param, -q quiet, -j jobs); every option says what it does."""

from __future__ import annotations

# isort: off
import policykg.early_start  # noqa: F401  first: `policykg query` starts its server before the imports below
# isort: on
import functools
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from policykg import __version__

DEFAULT_OUT = Path("out")
OUT_HELP = "The built output folder (from `policykg build DATA --out OUT`)."

INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE: a bug of policykg's, not bad input


class PolicykgError(click.ClickException):
    """A user-facing failure: one line, naming the file and the problem; exit code 1."""


# Which module registers each command (one per area): a command imports only its own module, so
# that a one-shot `policykg query` does not pay for the build's or the views' commands; --help and
# an unknown name import them all. tests/test_cli_grammar.py checks that this table is complete.
COMMAND_MODULES = {
    "build": "policykg.cli_build", "tasks": "policykg.cli_build", "compare": "policykg.cli_compare",
    "load": "policykg.cli_db", "export": "policykg.cli_db", "query": "policykg.cli_db", "cypher": "policykg.cli_db",
    "db": "policykg.cli_db", "evaluate": "policykg.cli_evaluate", "views": "policykg.cli_views",
}


class SuggestingGroup(click.Group):
    """Unknown commands get the closest names; each command's module is imported when it is used."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(module)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in dict.fromkeys(COMMAND_MODULES.values()):
            importlib.import_module(module)
        return super().list_commands(ctx)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            from policykg.queries.catalog import did_you_mean

            raise click.UsageError(f"no command {name!r}{did_you_mean(name, self.list_commands(ctx))} "
                                   "(policykg --help lists them)", ctx)
        return super().resolve_command(ctx, args)


def out_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--out OUT` / `-o OUT` for a command that reads a build (passed as out_dir)."""
    return click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                        default=DEFAULT_OUT, show_default=True, help=OUT_HELP)(command)


def out_argument_or_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """OUT as an optional argument (as these commands always took it) or `--out OUT`; the
    command receives out_dir. Put it directly above the function."""

    @functools.wraps(command)
    def wrapper(*args: Any, out_arg: Path | None = None, out_opt: Path | None = None, **kwargs: Any) -> Any:
        if out_arg is not None and out_opt is not None and out_arg != out_opt:
            raise PolicykgError(f"two output folders given: {out_arg} and --out {out_opt}; give one")
        return command(*args, out_dir=out_arg or out_opt or DEFAULT_OUT, **kwargs)

    wrapper = click.option("--out", "out_opt", type=click.Path(file_okay=False, path_type=Path),
                           default=None, help=f"{OUT_HELP} Default ./out; OUT may also be given as the argument.")(
        wrapper)
    return click.argument("out_arg", metavar="[OUT]", required=False,
                          type=click.Path(file_okay=False, path_type=Path))(wrapper)


class InternalError(click.ClickException):
    """An exception no command turned into a message: still one line (POLICYKG_DEBUG=1 shows
    the traceback), with its own exit code so that scripts and the fuzz bench can tell it."""

    exit_code = INTERNAL_ERROR_EXIT


def _shown(text: object) -> str:
    return " ".join(str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").split())


class _Group(SuggestingGroup):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as exc:  # a file system failure the command did not expect (disk full, EIO)
            if os.environ.get("POLICYKG_DEBUG"):
                raise
            where = exc.filename or ctx.invoked_subcommand or "policykg"
            raise PolicykgError(f"{_shown(where)}: {_shown(exc.strerror or exc)}") from exc
        except Exception as exc:
            if os.environ.get("POLICYKG_DEBUG"):
                raise
            raise InternalError(f"internal error in `policykg {ctx.invoked_subcommand}` "
                                f"({type(exc).__name__}: {_shown(exc)[:300]}); POLICYKG_DEBUG=1 shows the "
                                "traceback; please report it") from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policykg")
def main() -> None:
    """Turn policy documents into a knowledge graph of who is responsible for what."""

