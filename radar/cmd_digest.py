"""`radar digest` and `radar search`: what advisers receive and analysts look up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from domain.config import FACTORS, REGIONS, WatchList
from radar.cmd_radar import region_name
from radar.console import (
    MAX_ROWS,
    SinceOption,
    UntilOption,
    WatchListOption,
    err,
    load_or_exit,
    open_store,
    out,
)


def digest(
    region: Annotated[
        str | None, typer.Option("--region", "-r", help="The region, e.g. 'North West'.")
    ] = None,
    all_regions: Annotated[
        bool, typer.Option("--all-regions", help="Every region that has advisers configured.")
    ] = False,
    week: Annotated[
        str | None,
        typer.Option(
            "--week",
            help="ISO week like 2026-W48 (default: the week the last digest slot covers, "
            "i.e. last week from the Monday slot on).",
        ),
    ] = None,
    preview: Annotated[
        Path | None,
        typer.Option("--preview", help="Write the HTML digest to this file and send nothing."),
    ] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Email the region's advisers their week over SMTP: one email each, covering "
            "all of their regions.",
        ),
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send again even if this week's digest was sent.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Write each email as an .eml file in the outbox instead."),
    ] = False,
    outbox: Annotated[
        Path | None,
        typer.Option("--outbox", help="Folder for --dry-run (default: <output_dir>/outbox)."),
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Build the weekly digest of councils on the radar for a region, with the evidence.

    Without --send it writes the region's HTML and text digest under the watch list's
    output_dir and prints where (an admin's preview, one region). With --send each adviser
    of the chosen region(s) gets one email covering all of their regions, a section per
    region (once: a digest the SMTP server accepted is not sent again without --resend);
    with --dry-run those emails are written as .eml files instead.
    """
    from alerts.deliver import AlreadySent, advisers_of, due_week, normal_week, write_digest
    from alerts.mailer import DeliveryError

    config = load_or_exit(watchlist)
    try:
        week = normal_week(week) if week else due_week(config.schedule)
    except ValueError as exc:
        err.print(f"[red]{exc}")
        raise typer.Exit(2) from None
    regions = _chosen_regions(config, region, all_regions)
    if preview and len(regions) != 1:
        err.print("--preview writes one file: choose one --region.")
        raise typer.Exit(2)
    db = open_store(config)
    if (dry_run or outbox or send) and not preview:
        advisers = list(dict.fromkeys(a for name in regions for a in advisers_of(config, name)))
        if not advisers:
            err.print(f"[red]No advisers are configured for {', '.join(regions)}.")
            raise typer.Exit(1)
        if not _mail_advisers(db, config, advisers, week, resend, dry_run or outbox, outbox):
            raise typer.Exit(1)
        return
    for name in regions:
        try:
            outcome = write_digest(db, config, name, week)
        except (AlreadySent, DeliveryError, ValueError) as exc:
            err.print(f"[red]{name}:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        if preview:
            preview.write_text(outcome.html_path.read_text(encoding="utf-8"), encoding="utf-8")
        out.print(f"{name}: {_councils(outcome.digest)} → {preview or outcome.html_path}")


def _mail_advisers(
    db: Any,
    config: WatchList,
    advisers: list[str],
    week: str,
    resend: bool,
    dry_run: Any,
    outbox: Path | None,
) -> bool:
    """Send (or write as .eml) each adviser's email for `week`; False if any failed."""
    from alerts.deliver import AlreadySent, regions_of, send_adviser_digest
    from alerts.mailer import DeliveryError

    folder = (outbox or config.output_dir / "outbox") if dry_run else None
    ok = True
    for address in advisers:
        covered = ", ".join(regions_of(config, address)[2])
        try:
            outcome = send_adviser_digest(db, config, address, week, resend, outbox=folder)
        except (AlreadySent, DeliveryError, ValueError) as exc:
            err.print(f"[red]{address}:[/red] {escape(str(exc))}")
            ok = False
            continue
        what = f"{address} ({covered}): {_councils(outcome.mail)}"
        if outcome.status == "skipped":
            out.print(f"{what}: nothing sent (schedule.empty_digest: skip)")
        elif outcome.status == "refused":
            out.print(f"{what}: [yellow]the server refused the address[/yellow]")
        elif folder is not None:
            out.print(f"{what} → {outcome.outbox_path}")
        else:
            out.print(f"{what}: sent {outcome.message_id}")
    return ok


def _chosen_regions(config: WatchList, region: str | None, all_regions: bool) -> list[str]:
    if all_regions:
        return [r for r in REGIONS if r in config.regions]
    if region is None:
        err.print("Choose a region with --region NAME, or use --all-regions.")
        raise typer.Exit(2)
    return [region_name(region)]


def search(
    query: Annotated[str, typer.Argument(help="What to look for, e.g. '\"section 114\"'.")],
    council: Annotated[
        str | None, typer.Option("--council", "-c", help="GSS code or name, e.g. Croydon.")
    ] = None,
    region: Annotated[str | None, typer.Option("--region", "-r", help="A region.")] = None,
    factor: Annotated[
        str | None, typer.Option("--factor", "-f", help=f"Flagged for: {', '.join(FACTORS)}.")
    ] = None,
    sentiment: Annotated[
        str | None, typer.Option("--sentiment", help="negative, neutral or positive.")
    ] = None,
    source_kind: Annotated[
        str | None,
        typer.Option(
            "--source-kind",
            help="A source kind (feed, moderngov, cmis, sitemap, listing), an item kind "
            "(news, minutes, report, media, alert) or an origin (council, media, government).",
        ),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=MAX_ROWS, help="How many results.")
    ] = 20,
    newest: Annotated[
        int,
        typer.Option(
            "--newest",
            min=0,
            max=MAX_ROWS,
            help="Of a query matching more items than this, rank only this many, the most "
            "recently stored (default 20,000: a search stays fast at a million items). "
            "0 ranks every match, however slow.",
        ),
    ] = 20_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON Lines.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print results as CSV.")] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Full-text search of every stored item (titles and text), best matches first.

    The query uses SQLite FTS5 syntax: words, "quoted phrases", AND / OR / NOT, prefix*.
    Filters narrow it by council, region, flagged factor, sentiment, source and date.
    A query matching more than --newest items ranks the newest of them, and says so.
    """
    from store.search import Filters, SearchError
    from store.search import search as run_search

    config = load_or_exit(watchlist)
    if factor and factor not in FACTORS:
        err.print(f"Unknown factor {factor!r}: use one of {', '.join(FACTORS)}.")
        raise typer.Exit(2)
    if sentiment and sentiment not in ("negative", "neutral", "positive"):
        err.print(f"Unknown sentiment {sentiment!r}: use negative, neutral or positive.")
        raise typer.Exit(2)
    filters = Filters(
        council=council,
        region=region_name(region),
        factor=factor,
        sentiment=sentiment,
        source_kind=source_kind,
        since=since.date().isoformat() if since else None,
        until=until.date().isoformat() if until else None,
    )
    try:
        marks = ("[", "]") if as_json or as_csv else ("\x02", "\x03")
        rows = run_search(open_store(config), query, limit, marks, filters, newest or None)
    except SearchError as exc:
        err.print(f"[red]{escape(str(exc))}")
        raise typer.Exit(2) from None
    # bm25 gives a word found in most items almost no weight, so the best of every match is
    # hardly better than the best of the newest; the note says which were ranked
    note = (
        f"More than {rows.window:,} items match: showing the best of the {rows.window:,} "
        "stored most recently (--newest 0 ranks every match)."
        if rows.capped
        else ""
    )
    if note and (as_json or as_csv):
        err.print(note)
    if as_json:
        for row in rows:
            out.print_json(json.dumps(row, ensure_ascii=False), indent=None)
        return
    if as_csv:
        _write_csv(rows)
        return
    table = Table(title=f"{len(rows)} results for {query!r}", show_lines=True)
    for column in ("date", "council", "title / snippet", "factors", "sentiment"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            (row["published"] or "")[:10],
            escape(", ".join(c["name"] for c in row["councils"])),
            f"[bold]{escape(row['title'])}[/bold]\n{_highlight(row['snippet'])}\n"
            f"[dim]{escape(row['url'])}[/dim]",
            ", ".join(row["factors"]),
            row["sentiment"] or "",
        )
    out.print(table)
    if note:
        out.print(note)


def _write_csv(rows: list[dict[str, Any]]) -> None:
    import csv
    import sys

    from store.export import flatten

    columns = ("published", "title", "url", "councils", "factors", "sentiment", "kind", "snippet")
    writer = csv.DictWriter(sys.stdout, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        names = [c["name"] for c in row["councils"]]
        writer.writerow(flatten({**row, "councils": names}, columns))


def _highlight(snippet: str) -> str:
    """Scraped text is escaped for Rich; only our own match marks become markup."""
    return escape(snippet).replace("\x02", "[bold yellow]").replace("\x03", "[/bold yellow]")


def _councils(digest: Any) -> str:
    count = len(digest.councils)
    return f"{count} council{'s' if count != 1 else ''} on the radar"
