"""`policykg views [OUT]` (or `--out OUT`): (re)write the interactive HTML views of a built graph into OUT/views/."""

from __future__ import annotations

from pathlib import Path

import click

from policykg.cli import PolicykgError, main, out_argument_or_option


@main.command()
@click.option("--unit", "units", multiple=True, metavar="NAME",
              help="Write the ego view of only this unit (id, name or alias); repeatable. Default: every unit.")
@click.option("--no-unit-views", is_flag=True, help="Write no ego view per unit.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=None,
              help="Aggregate views with more nodes than this to units and documents (default 6000).")
@click.option("--inline", "inline_assets", is_flag=True,
              help="Put vis-network and the page scripts into every page (each file then stands alone).")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
@click.option("--progress/--no-progress", default=None,
              help="Progress on stderr when writing takes over a second (default: when stderr is a terminal).")
@out_argument_or_option
def views(out_dir: Path, units: tuple[str, ...], no_unit_views: bool, max_nodes: int | None, inline_assets: bool,
          quiet: bool, progress: bool | None) -> None:
    """Write the interactive network views of OUT/graph.json into OUT/views/."""
    from policykg.progress import Progress
    from policykg.visualize import DEFAULT_MAX_NODES, UnknownUnitError, write_views_from_out

    stages = Progress(False if quiet else progress)
    try:
        # graph.json is read one element at a time, never held whole
        with stages.stage("views"):
            written = write_views_from_out(out_dir, out_dir / "views", units=list(units) if units else None,
                                           unit_views=not no_unit_views, max_nodes=max_nodes or DEFAULT_MAX_NODES,
                                           inline_assets=inline_assets)
    except UnknownUnitError as exc:
        raise PolicykgError(f"{out_dir / 'graph.json'}: {exc}") from exc
    except ValueError as exc:  # graph.json is not a policykg graph (the message names it)
        raise PolicykgError(str(exc)) from exc
    except OSError as exc:
        if exc.errno is None:  # no graph.json (the message names it and says how to build one)
            raise PolicykgError(str(exc)) from exc
        raise PolicykgError(f"{exc.filename or out_dir / 'views'}: {exc.strerror or exc}") from exc
    if not quiet:
        pages = [p for p in written if p.suffix == ".html"]
        click.echo(f"wrote {len(pages)} views to {out_dir / 'views'} (open {out_dir / 'views' / 'index.html'})")
        if units:
            for page in pages:
                if page.parent.name == "units":
                    click.echo(f"  {page}")
