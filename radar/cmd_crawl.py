"""`radar crawl`, `radar sources` and `radar source`: collecting, and the health of sources."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from domain.config import SOURCE_KINDS, WatchList
from radar.console import (
    MAX_ROWS,
    QuietOption,
    WatchListOption,
    err,
    load_or_exit,
    open_store,
    out,
)


def crawl(
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            "-k",
            help="Only sources of this kind (feed, moderngov, cmis, sitemap, listing); repeatable.",
        ),
    ] = None,
    watchlist: WatchListOption = None,
    quiet: QuietOption = False,
) -> None:
    """Crawl every enabled source in the watch list once and store new items.

    Feeds are fetched with conditional GET, and pages and documents already stored are not
    fetched again, so a second crawl of an unchanged web adds nothing. Every source's result
    is recorded (see `radar sources`); a source that fails crawl.max_failures times in a row
    is suspended until an admin resets it.
    """
    config = load_or_exit(watchlist)
    unknown = sorted(set(kind or ()) - set(SOURCE_KINDS.__args__))
    if unknown:
        err.print(
            f"Unknown source kind {', '.join(unknown)}: use {', '.join(SOURCE_KINDS.__args__)}"
        )
        raise typer.Exit(2)
    summary = crawl_with_progress(config, quiet, kind)
    if quiet:
        for source in summary.sources:
            if source["last_error"]:
                err.print(f"{source['name'] or source['url']}: {source['last_error']}")
    else:
        out.print(sources_table(summary.sources))
        for source_id in summary.suspended:
            out.print(f"[yellow]suspended, not crawled:[/yellow] {escape(source_id)}")
        out.print(f"{summary.new_items} new items; {summary.items_after} in {config.database}")
    if summary.interrupted:
        err.print("Crawl interrupted before it finished; the next crawl carries on from here.")
        raise typer.Exit(130)


def sources_table(sources: list[dict[str, Any]]) -> Table:
    """Each source's health as a table; "suspect dates" counts the news items whose date was
    suspect (dated long before a later crawl found them: see store.items.SUSPECT_DAYS)."""
    table = Table(title="Sources (trouble first)", show_lines=False)
    columns = ("source", "kind", "status", "fails", "found", "new", "suspect dates", "last success")
    for column in (*columns, "error"):
        table.add_column(column)
    for source in sources:
        failures = source.get("consecutive_failures") or 0
        suspect = source.get("suspect_dates") or 0
        table.add_row(
            escape(source["name"] or source["url"]),
            source["kind"],
            str(source["last_status"] or "-"),
            f"[red]{failures}[/red]" if failures else "0",
            str(source["items_found"] or 0),
            str(source["items_new"] or 0),
            f"[yellow]{suspect}[/yellow]" if suspect else "0",
            _last_success(source),
            escape(source["last_error"] or ""),
        )
    return table


def _last_success(source: dict[str, Any]) -> str:
    """When the source was last read; for one never recorded as read whose items are stored
    (its first crawl killed before it could record the source's health), when its last item
    was stored."""
    success, item = source["last_success"], source.get("last_item_stored")
    if not success and item:
        return f"never recorded; item {item[:16].replace('T', ' ')}"
    return (success or "never")[:16].replace("T", " ")


def suspect_date_notes(sources: list[dict[str, Any]]) -> list[str]:
    """Under the table, for each source with suspect dates: how many, and the latest one's
    note, so an admin can see whether the site's dates (or the crawl's reading of them) are
    wrong."""
    notes = []
    for source in sources:
        count = source.get("suspect_dates") or 0
        if count:
            items = "1 item" if count == 1 else f"{count} items"
            was = "it was" if count == 1 else "they were"
            notes.append(
                f"{source['name'] or source['url']}: {items} dated long before {was} found, "
                f"counted in the week found; latest: {source['last_date_note']}"
            )
    return notes


def crawl_with_progress(
    config: WatchList, quiet: bool = False, kinds: list[str] | None = None
) -> Any:
    """Run the crawl with a live display of sources checked, items new and skipped, errors."""
    from crawlers.run import CrawlProgress, run_crawl

    if quiet:
        return run_crawl(config, kinds=kinds)
    with Progress(
        TextColumn("Crawling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sources · {task.fields[status]}"),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        chosen = [s for s in config.all_sources() if not kinds or s.kind in kinds]
        task = progress.add_task("crawl", total=len(chosen), status="starting")

        def update(state: CrawlProgress) -> None:
            progress.update(
                task,
                total=state.sources_total,
                completed=state.sources_done,
                status=f"{state.items_new} new, {state.items_skipped} skipped, "
                f"{state.errors} errors",
            )

        return run_crawl(config, on_progress=update, kinds=kinds)


def sources(watchlist: WatchListOption = None) -> None:
    """Show every source's health, troubled sources first: last attempt and success, HTTP
    status, failures in a row, items found, news items with suspect dates (a count,
    with the latest one's note under the table), when its last item was stored (which a
    crawl killed before it could record the rest still shows) and the last error in words."""
    from store.councils import source_health

    health = source_health(open_store(load_or_exit(watchlist)))
    out.print(sources_table(health))
    for note in suspect_date_notes(health):
        out.print(f"[yellow]suspect dates:[/yellow] {escape(note)}")


source_app = typer.Typer(
    help="Try one source, or put a suspended one back into the crawl.", no_args_is_help=True
)


@source_app.command("reset")
def source_reset(
    url: Annotated[str, typer.Argument(help="The source's URL, as `radar sources` shows it.")],
    watchlist: WatchListOption = None,
) -> None:
    """Clear a source's failure count so the next crawl tries it again."""
    from store.councils import reset_source

    config = load_or_exit(watchlist)
    if not reset_source(open_store(config), url):
        err.print(f"No source with URL {url!r} in {config.database}.")
        raise typer.Exit(2)
    out.print(f"{url}: failure count cleared; the next crawl will try it again.")


@source_app.command("test")
def source_test(
    url: Annotated[str, typer.Argument(help="The feed, site, sitemap or listing to try.")],
    kind: Annotated[
        str | None,
        typer.Option(help="feed, moderngov, cmis, sitemap or listing (default: guessed)."),
    ] = None,
    origin: Annotated[str, typer.Option(help="council, media, alert or government.")] = "media",
    limit: Annotated[int, typer.Option(min=1, max=MAX_ROWS, help="How many items to show.")] = 10,
    watchlist: WatchListOption = None,
) -> None:
    """Fetch one source once and show what would be stored, without storing anything.

    The crawl runs exactly as `radar crawl` would (robots.txt, politeness, extraction,
    de-duplication, attribution) into a throwaway store that is deleted afterwards.
    """
    import tempfile

    from crawlers.sites import guess_kind
    from radar.cmd_watch import site_root_or_url
    from store.search import recent_items

    config = load_or_exit(watchlist, required=False)
    kind = kind or guess_kind(url)
    url = site_root_or_url(url, kind)  # a democracy site's page: crawl the site from its root
    with tempfile.TemporaryDirectory() as folder:
        try:
            trial = WatchList.model_validate(
                {
                    "database": f"{folder}/trial.db",
                    "output_dir": folder,
                    "crawl": config.crawl.model_dump(),
                    "sources": [{"kind": kind, "url": url, "origin": origin, "name": "trial"}],
                }
            )
        except ValueError as exc:
            err.print(f"[red]{escape(str(exc))}")
            raise typer.Exit(2) from None
        summary = crawl_with_progress(trial)
        [health] = summary.sources
        out.print(f"{kind} source {url}: HTTP {health['last_status']}, {summary.new_items} items")
        if health["last_error"]:
            out.print(f"[red]error:[/red] {escape(health['last_error'])}")
        from store import open_db

        items = recent_items(open_db(trial.database), limit)
    table = Table(show_lines=True)
    for column in ("published", "kind", "councils", "title", "text"):
        table.add_column(column)
    for item in items:
        text = item["text"] or ""
        table.add_row(
            (item["published"] or "undated")[:10],
            item["kind"],
            escape(item["councils"] or ""),
            escape(item["title"]),
            escape(text[:160] + ("…" if len(text) > 160 else "")),
        )
    out.print(table)
    if health["last_error"]:
        raise typer.Exit(1)
