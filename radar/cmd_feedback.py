"""`radar feedback`: an adviser's judgement on an item, applied at once and learnt from."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from domain.config import FACTORS, SENTIMENTS
from radar.console import WatchListOption, council_code, err, load_or_exit, open_store, out

ENV_ADVISER = "RADAR_ADVISER"
FactorsOption = list[str] | None


def feedback(
    item: Annotated[
        str | None,
        typer.Argument(help="The item's id or URL. Without one: the latest judgements."),
    ] = None,
    factor: Annotated[
        FactorsOption, typer.Option("--factor", help="It IS about this factor (repeatable).")
    ] = None,
    not_factor: Annotated[
        FactorsOption,
        typer.Option("--not-factor", help="It is NOT about this factor: a false alarm."),
    ] = None,
    council: Annotated[
        list[str] | None, typer.Option("--council", help="It IS about this council.")
    ] = None,
    not_council: Annotated[
        list[str] | None,
        typer.Option("--not-council", help="It is NOT about this council (name or GSS code)."),
    ] = None,
    sentiment: Annotated[
        str | None, typer.Option("--sentiment", help="negative, neutral or positive.")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help=f"Who judges (default: ${ENV_ADVISER}). Every judgement is "
                     "signed and dated."),
    ] = None,  # fmt: skip
    note: Annotated[str, typer.Option("--note", help="Why, in a few words.")] = "",
    watchlist: WatchListOption = None,
) -> None:
    """Correct the classifier on one item: it takes effect at once (the radar, searches and
    the next digest read the corrected item), survives re-tagging, and `radar train` learns
    from it. With an item and no judgement, shows the item's judgements so far."""
    from store.feedback import FeedbackError, find_item, judgements, record_feedback

    config = load_or_exit(watchlist)
    db = open_store(config)
    unknown = [f for f in (*(factor or []), *(not_factor or [])) if f not in FACTORS]
    if unknown:
        err.print(f"Unknown factor {', '.join(unknown)}: use {', '.join(FACTORS)}.")
        raise typer.Exit(2)
    if sentiment is not None and sentiment not in SENTIMENTS:
        err.print(f"Unknown sentiment {sentiment!r}: use {', '.join(SENTIMENTS)}.")
        raise typer.Exit(2)
    given = [
        *(("factor", f) for f in factor or []),
        *(("not_factor", f) for f in not_factor or []),
        *(("council", council_code(config, c, db)) for c in council or []),
        *(("not_council", council_code(config, c, db)) for c in not_council or []),
        *([("sentiment", sentiment)] if sentiment else []),
    ]
    try:
        found = find_item(db, item) if item else None
        if not given:
            _show(judgements(db, found["id"] if found else None))
            return
        if found is None:
            err.print("Name the item (its id or URL) the judgement is about.")
            raise typer.Exit(2)
        adviser = (by or os.environ.get(ENV_ADVISER) or "").strip()
        record_feedback(db, found["id"], adviser, given, note)
    except FeedbackError as exc:
        err.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(2) from None
    said = ", ".join(f"{verdict.replace('_', ' ')} {value}" for verdict, value in given)
    out.print(f"Recorded for {found['title'] or found['id']!r}: {said} (by {adviser}).")


def _show(rows: list[dict]) -> None:
    if not rows:
        out.print("No judgements recorded.")
        return
    table = Table(show_lines=False)
    for column in ("when", "adviser", "judgement", "item", "note"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["at"][:16].replace("T", " "),
            escape(row["adviser"]),
            f"{row['verdict'].replace('_', ' ')} {row['value']}",
            escape(row["title"] or row["item_id"]),
            escape(row["note"] or ""),
        )
    out.print(table)
