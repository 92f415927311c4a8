"""`radar saved`: saved searches, Google-Alerts style (alerts.saved).

Named `saved` (and `saved_searches:` in the watch list) rather than `alert`, which is one
letter from `radar alerts`, the acute alerts: an adviser typing one must not get the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from domain.config import FACTORS, ORIGINS, default_watchlist_path, load_watchlist
from radar.console import (
    WatchListOption,
    err,
    load_or_exit,
    open_store,
    out,
    writing_watchlist,
)

saved_app = typer.Typer(
    help="Saved searches: new items matching a search are mailed to its advisers after "
    "each crawl, each item once per search.",
    no_args_is_help=True,
)


@saved_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The search's name (unique in the watch list).")],
    query: Annotated[
        str, typer.Argument(help="A full-text query as `radar search` takes it: '\"section 114\"'.")
    ],
    to: Annotated[
        list[str],
        typer.Option(
            "--to", help="An adviser of the watch list's regions, by email or name (repeatable)."
        ),
    ],
    region: Annotated[
        str | None, typer.Option("--region", help="Only items about this region's councils.")
    ] = None,
    council: Annotated[
        str | None,
        typer.Option("--council", help="Only items about this council (GSS code, name or alias)."),
    ] = None,
    factor: Annotated[
        str | None,
        typer.Option("--factor", help=f"Only items flagged for this factor: {', '.join(FACTORS)}."),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option("--origin", help=f"Only items of this origin: {', '.join(ORIGINS.__args__)}."),
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Add a saved search to the watch list (keeping its comments; nothing is written if the
    result would not load). With a store, its new matches start now: the first check mails
    only items stored after this."""
    from domain.watchfile import EditError, add_saved_search, edit
    from store.saved import start_search
    from store.times import now_iso

    path = watchlist or default_watchlist_path()
    load_or_exit(path)
    search = {"name": name, "query": query, "to": to, "region": region, "council": council,
              "factor": factor, "origin": origin}  # fmt: skip
    with writing_watchlist(path):
        try:
            message = edit(path, lambda data: add_saved_search(data, search), load_watchlist)
        except EditError as exc:
            err.print(f"[red]Not changed:[/red] {escape(str(exc))}.")
            raise typer.Exit(2) from None
    out.print(f"{escape(message)} ({path}).")
    config = load_or_exit(path)
    added = config.saved_search(name)
    if added is not None and config.database.exists():
        db = open_store(config)
        start_search(db, added.name, now_iso(), restart=True)
        db.close()
        out.print("Its new matches start now; each crawl's job checks it.")


@saved_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The saved search's name.")],
    watchlist: WatchListOption = None,
) -> None:
    """Take a saved search out of the watch list; what it mailed stays recorded."""
    from domain.watchfile import EditError, edit, remove_saved_search

    path = watchlist or default_watchlist_path()
    load_or_exit(path)
    with writing_watchlist(path):
        try:
            message = edit(path, lambda data: remove_saved_search(data, name), load_watchlist)
        except EditError as exc:
            err.print(f"[red]Not changed:[/red] {escape(str(exc))}.")
            raise typer.Exit(2) from None
    out.print(f"{escape(message)} ({path}).")


@saved_app.command("list")
def list_searches(watchlist: WatchListOption = None) -> None:
    """The saved searches: query, filters, advisers, and (with a store) when each started
    and was last checked, the messages sent and any waiting to be sent."""
    from alerts.saved import describe_filters
    from store.saved import saved_overview

    config = load_or_exit(watchlist)
    if not config.saved_searches:
        out.print("No saved searches (add one with `radar saved add NAME QUERY --to ADVISER`).")
        return
    state = {}
    if config.database.exists():
        db = open_store(config)
        state = saved_overview(db)
        db.close()
    table = Table()
    # names, queries and addresses whole (an address cut in two cannot be copied); the rest wraps
    for column in ("name", "query", "filters", "to", "started", "checked", "sent", "waiting"):
        table.add_column(column, no_wrap=column in ("name", "query", "to"))
    for search in config.saved_searches:
        row = state.get(search.name, {})
        waiting = str(row.get("waiting", "")) if row else ""
        if row.get("last_error"):
            waiting += f" ({row['last_error']})"
        table.add_row(
            escape(search.name), escape(search.query), escape(describe_filters(search)),
            escape(", ".join(config.recipients_of(search))),
            (row.get("started_at") or "not yet")[:16], (row.get("checked_at") or "")[:16],
            str(row.get("sent", "")), escape(waiting),
        )  # fmt: skip
    out.print(table)


@saved_app.command("check")
def check(
    names: Annotated[
        list[str] | None, typer.Argument(help="Only these saved searches (default: all).")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Write the messages as .eml files; send and record nothing."
        ),
    ] = False,
    outbox: Annotated[
        Path | None,
        typer.Option("--outbox", help="Folder for --dry-run (default <output_dir>/outbox)."),
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Check the saved searches now, as each crawl's job does: mail each one's new matches
    to its advisers (exactly once). A search's first check only sets its mark. Exit 1 if a
    message could not be sent (it is sent again by the next check)."""
    from alerts.saved import check_saved_searches

    config = load_or_exit(watchlist)
    unknown = [n for n in names or [] if config.saved_search(n) is None]
    if unknown:
        err.print(f"No saved search named {escape(', '.join(unknown))} in the watch list.")
        raise typer.Exit(2)
    names = [s.name for s in config.saved_searches if s.name.lower() in map(str.lower, names or [])]
    db = open_store(config)
    folder = (outbox or config.output_dir / "outbox") if dry_run else None
    result = check_saved_searches(db, config, outbox=folder, names=names or None)
    db.close()
    for outcome in result.outcomes:
        label = escape(outcome.name)
        if outcome.status == "started":
            out.print(f"   started  {label}: first check, its mark set (items stored from now on)")
        elif outcome.status == "nothing":
            out.print(f"   nothing  {label}: no new matches")
        elif outcome.status in ("sent", "dry-run") and outcome.messages:
            verb = "written" if dry_run else "sent"
            out.print(f"   {verb:<8} {label}: {outcome.matches} new matches → "
                      f"{escape(', '.join(outcome.messages))}")  # fmt: skip
        elif outcome.status == "dry-run":
            out.print(f"   nothing  {label}: {escape(outcome.detail or 'no new matches')}")
        elif outcome.status == "busy":
            out.print(f"   busy     {label}: another process is sending its message")
        else:
            out.print(f"   [red]failed[/red]   {label}: {escape(outcome.detail)}")
    out.print(f"Saved searches: {escape(result.summary())}.")
    if result.failed:
        raise typer.Exit(1)
