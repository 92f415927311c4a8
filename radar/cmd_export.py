"""`radar export`: items with their tags and councils, as CSV or JSON Lines, for a date range."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer

from radar.console import (
    SinceOption,
    UntilOption,
    WatchListOption,
    err,
    load_or_exit,
    open_store,
    writing_output,
)


def export(
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl (JSON Lines).")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    concerns: Annotated[
        bool,
        typer.Option(
            "--concerns",
            help="Export advisers' concerns and their full history instead of items "
            "(confidential: only when asked for).",
        ),
    ] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Write every item published in the date range with its councils, factors, evidence,
    scores and sentiment, oldest first: JSON Lines (one object per item, lists and mappings
    kept) or CSV (lists joined with '; ', mappings as JSON). Reads in batches, so exporting a
    large store needs little memory. Concern notes never leave the store with items: they
    are exported only with --concerns (one row per event, dated in the range)."""
    from store.concerns import CONCERN_COLUMNS, concern_events
    from store.export import COLUMNS, export_rows, flatten

    if fmt not in ("csv", "jsonl"):
        err.print(f"Unknown format {fmt!r}: use csv or jsonl.")
        raise typer.Exit(2)
    config = load_or_exit(watchlist)
    dates = (
        since.date().isoformat() if since else None,
        until.date().isoformat() if until else None,
    )
    columns = CONCERN_COLUMNS if concerns else COLUMNS
    rows = (concern_events if concerns else export_rows)(open_store(config), *dates)
    if concerns:
        err.print("[yellow]Concern notes are confidential: share this file accordingly.[/yellow]")
    count = 0
    with writing_output(output) as handle:
        if fmt == "csv":
            writer = csv.DictWriter(handle, fieldnames=list(columns))
            writer.writeheader()
            for row in rows:
                writer.writerow(flatten(row, columns))
                count += 1
        else:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    what = "concern events" if concerns else "items"
    err.print(f"Exported {count} {what}{f' to {output}' if output else ''}.")
