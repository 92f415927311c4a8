"""What every `radar` command shares: consoles, common options, loading the watch list."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from radar.config import ConfigError, WatchList, load_watchlist

# Piped or captured output (make, CI, a log file) gets wide lines rather than 80 columns.
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 140)

WatchListOption = Annotated[
    Path | None,
    typer.Option(
        "--watchlist",
        "-w",
        help="The watch list YAML file (default: $RADAR_WATCHLIST, else ./watchlist.yaml).",
    ),
]


def load_or_exit(path: Path | None, required: bool = True) -> WatchList:
    try:
        return load_watchlist(path, required=required)
    except ConfigError as exc:
        err.print("[red]Watch list error:[/red]", escape(str(exc)), highlight=False)
        raise typer.Exit(2) from None


def open_store(watchlist: WatchList) -> Any:
    from store import open_db

    return open_db(watchlist.database)


# Date ranges (search, export): YYYY-MM-DD, both ends inclusive.
SinceOption = Annotated[
    datetime | None, typer.Option("--since", formats=["%Y-%m-%d"], help="From this date.")
]
UntilOption = Annotated[
    datetime | None,
    typer.Option("--until", formats=["%Y-%m-%d"], help="Up to this date (inclusive)."),
]

QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress or tables: only problems (for cron/CI).")
]


def progress_bar() -> Progress:
    """The progress bar long work shows (tagging, training)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )
