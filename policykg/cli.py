"""The `policykg` command line: each command is a thin layer over a function in policykg.api
(or the stage module it names), so the notebook API and the CLI never drift."""

from __future__ import annotations

import click

from policykg import __version__


class PolicykgError(click.ClickException):
    """A user-facing failure: one line, naming the file and the problem; exit code 1."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policykg")
def main() -> None:
    """Turn policy documents into a knowledge graph of who is responsible for what."""


# Commands are registered by the modules below (one per area, so they can grow independently).
from policykg import cli_build, cli_compare, cli_db, cli_evaluate, cli_views  # noqa: E402,F401
