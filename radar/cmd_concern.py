"""`radar concern`: the advisers' follow-up on a council, with its history kept."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from domain.config import FACTORS, WatchList
from radar.console import (
    SQLITE_MAX,
    WatchListOption,
    council_code,
    err,
    load_or_exit,
    open_store,
    out,
)

concern_app = typer.Typer(
    help="Record and follow concerns about councils (confidential: shown only in that "
    "region's digest and the PSP report).",
    no_args_is_help=True,
)
STATUS_HELP = "under_review, satisfactory, light_touch, support_package, not_accepted or closed."


def _store(config: WatchList) -> Any:
    from store.councils import sync_councils

    db = open_store(config, create=True)
    sync_councils(db, config.council_register().values())
    return db


@concern_app.command("open")
def concern_open(
    council: Annotated[str, typer.Argument(help="Council name or GSS code.")],
    factor: Annotated[list[str], typer.Option("--factor", "-f", help="Repeatable.")],
    owner: Annotated[str, typer.Option("--owner", help="Who follows it up.")],
    note: Annotated[str, typer.Option("--note", help="What the concern is.")],
    status: Annotated[str, typer.Option("--status", help=STATUS_HELP)] = "under_review",
    item: Annotated[
        list[str] | None, typer.Option("--item", help="Evidence item id; repeatable.")
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Open a concern about a council."""
    from store.concerns import open_concern

    config = load_or_exit(watchlist)
    unknown = [f for f in factor if f not in FACTORS]
    if unknown:
        err.print(f"Unknown factor {', '.join(unknown)}: use {', '.join(FACTORS)}.")
        raise typer.Exit(2)
    db = _store(config)
    try:
        number = open_concern(
            db, council_code(config, council, db), factor, owner, note, status, item
        )
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(2) from None
    out.print(f"Concern {number} opened.")


@concern_app.command("update")
def concern_update(
    number: Annotated[int, typer.Argument(min=1, max=SQLITE_MAX, help="The concern's number.")],
    note: Annotated[str, typer.Option("--note", help="What happened (dated automatically).")],
    status: Annotated[str | None, typer.Option("--status", help=STATUS_HELP)] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    item: Annotated[list[str] | None, typer.Option("--item", help="Evidence item id.")] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Add a dated note and/or a new status; earlier entries are kept, never changed."""
    from store.concerns import update_concern

    db = _store(load_or_exit(watchlist))
    try:
        update_concern(db, number, status, note, owner, item)
    except (KeyError, ValueError) as exc:
        err.print(f"[red]{escape(str(exc).strip(chr(39)))}")
        raise typer.Exit(2) from None
    out.print(f"Concern {number} updated.")


@concern_app.command("list")
def concern_list(
    region: Annotated[str | None, typer.Option("--region", "-r")] = None,
    closed: Annotated[bool, typer.Option("--all", help="Closed concerns too.")] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Concerns with their current status and latest note (open ones unless --all)."""
    from radar.cmd_radar import region_name
    from store.concerns import concerns

    db = _store(load_or_exit(watchlist))
    table = Table(title="Concerns")
    for column in ("#", "council", "region", "factors", "status", "since", "owner", "latest"):
        table.add_column(column, overflow="fold")
    for row in concerns(db, region_name(region), closed):
        table.add_row(
            str(row["id"]),
            escape(row["council"]),
            row["region"],
            ", ".join(row["factors"]),
            row["status_label"],
            row["updated_at"][:10],
            escape(row["owner"] or ""),
            escape(row["latest_note"] or ""),
        )
    out.print(table)


@concern_app.command("show")
def concern_show(
    number: Annotated[int, typer.Argument(min=1, max=SQLITE_MAX, help="The concern's number.")],
    watchlist: WatchListOption = None,
) -> None:
    """A concern's whole history."""
    from store.concerns import STATUSES, concern, history

    db = _store(load_or_exit(watchlist))
    found = concern(db, number)
    if found is None:
        err.print(f"No concern {number}.")
        raise typer.Exit(2)
    out.print(f"[bold]{escape(found['council'])}[/bold] ({found['region']}): "
              f"{', '.join(found['factors'])}; opened {found['opened_at'][:10]}")  # fmt: skip
    for event in history(db, number):
        items = f" [items: {', '.join(event['items'])}]" if event["items"] else ""
        out.print(
            f"  {event['at'][:16].replace('T', ' ')}  {STATUSES[event['status']]:<32} "
            f"{escape(event['owner'] or '')}: {escape(event['note'] or '')}{items}"
        )
