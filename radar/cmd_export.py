"""`radar export`: items with their tags and councils, as CSV or JSON Lines, for a date range."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer

from radar.console import (
    SinceOption,
    UntilOption,
    WatchListOption,
    err,
    load_or_exit,
    open_store,
)


def export(
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl (JSON Lines).")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Write every item published in the date range with its councils, factors, evidence,
    scores and sentiment, oldest first: JSON Lines (one object per item, lists and mappings
    kept) or CSV (lists joined with '; ', mappings as JSON). Reads in batches, so exporting a
    large store needs little memory."""
    from store.export import COLUMNS, export_rows, flatten

    if fmt not in ("csv", "jsonl"):
        err.print(f"Unknown format {fmt!r}: use csv or jsonl.")
        raise typer.Exit(2)
    config = load_or_exit(watchlist)
    rows = export_rows(
        open_store(config),
        since.date().isoformat() if since else None,
        until.date().isoformat() if until else None,
    )
    handle: TextIO = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    count = 0
    try:
        if fmt == "csv":
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
            writer.writeheader()
            for row in rows:
                writer.writerow(flatten(row))
                count += 1
        else:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    finally:
        if output:
            handle.close()
    err.print(f"Exported {count} items{f' to {output}' if output else ''}.")
