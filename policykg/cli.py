"""The `policykg` command line: each command is a thin layer over a function in policykg.api
(or the stage module it names), so the notebook API and the CLI never drift."""

from __future__ import annotations

import os

import click

from policykg import __version__

INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE: a bug of policykg's, not bad input


class PolicykgError(click.ClickException):
    """A user-facing failure: one line, naming the file and the problem; exit code 1."""


class InternalError(click.ClickException):
    """An exception no command turned into a message: still one line (POLICYKG_DEBUG=1 shows
    the traceback), with its own exit code so that scripts and the fuzz bench can tell it."""

    exit_code = INTERNAL_ERROR_EXIT


def _shown(text: object) -> str:
    return " ".join(str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").split())


class _Group(click.Group):
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


# Commands are registered by the modules below (one per area, so they can grow independently).
from policykg import cli_build, cli_compare, cli_db, cli_views  # noqa: E402,F401
