"""`radar demo`: the whole product, offline, on the recorded demo web."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from domain.config import ConfigError, WatchList, load_watchlist
from radar.cmd_crawl import crawl_with_progress
from radar.cmd_tag import tag_store
from radar.console import err, open_store, out


def demo(
    output: Annotated[
        Path, typer.Option("--output", help="Folder for the demo's store, digests and mail.")
    ] = Path("demo-output"),
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="Port for the demo web (0: any free port)."),
    ] = 0,
) -> None:
    """Run the whole product offline on the recorded demo web, start to finish.

    Serves demo/site/ on 127.0.0.1, crawls it, tags the items, builds this week's digest for
    every region and delivers them to an SMTP server on loopback that saves each message.
    """
    from alerts.acute import LABELS, check_acute
    from alerts.deliver import send_adviser_digest, send_alert
    from alerts.digest import current_week
    from alerts.history import backfill
    from alerts.scoring import ARROWS, compute_radar
    from alerts.sink import SmtpSink
    from demo.server import WATCHLIST, DemoWeb
    from store.items import flagged_overview
    from store.radar import unsent_alerts

    if output.exists():
        shutil.rmtree(output)  # the demo starts from nothing every time
    with DemoWeb(port=port) as web, SmtpSink(output / "mail") as sink:
        try:
            config = load_watchlist(
                WATCHLIST,
                base_url=web.base_url,
                database=str(output / "radar.db"),
                output_dir=str(output),
                smtp={"host": "127.0.0.1", "port": sink.port},
            )
            config.crawl.allow_private = [web.crawl_allowance]  # this run's port, only
        except ConfigError as exc:
            err.print(f"[red]{exc}")
            raise typer.Exit(2) from None
        out.print(f"[bold]1. Serving the demo web[/bold] at {web.base_url}/")
        out.print(f"[bold]2. Crawling[/bold] {len(config.all_sources())} sources…")
        summary = crawl_with_progress(config)
        for source in summary.sources:
            status = source["last_error"] or f"HTTP {source['last_status']}"
            out.print(f"   {source['name']:<34} {source['items_new'] or 0:>3} new items  {status}")
        out.print(f"[bold]3. Tagging[/bold] {summary.items_after} items…")
        tag_store(config)
        db = open_store(config, create=True)
        flagged = Table(title="Flagged items", show_lines=False)
        for column in ("published", "council", "kind", "factors", "title"):
            flagged.add_column(column)
        for row in flagged_overview(db):
            flagged.add_row(
                (row["published"] or "")[:10],
                escape(row["councils"] or ""),
                row["kind"],
                row["factors"].replace(",", ", "),
                escape(row["title"]),
            )
        out.print(flagged)
        out.print("[bold]4. Checking for acute signals[/bold] and alerting advisers at once…")
        check_acute(db, config)
        for alert in unsent_alerts(db):
            send_alert(db, config, alert)
            out.print(
                f"   ACUTE  {alert['council_name']}: {LABELS[alert['signal']]} "
                f"→ {', '.join(a.email for a in config.advisers_for(alert['region']))}"
            )
        out.print(
            f"[bold]5. The radar this week[/bold] ({config.radar.baseline_weeks}-week baseline):"
        )
        week = current_week()
        backfill(db, config)  # the weekly history, as `radar radar --rebuild`: sparklines
        radar = compute_radar(db, config.radar, week)
        for council in radar.councils:
            out.print(
                f"   {council.name:<16} {council.region:<16} score {council.score:.2f} "
                f"{ARROWS[radar.trend(council)]:<6} {', '.join(council.factors)}"
            )
        out.print("[bold]6. Sending this week's digests[/bold] to the SMTP server on loopback…")
        for adviser, regions in config.adviser_regions():  # one email each, all regions
            outcome = send_adviser_digest(db, config, adviser.email, week, resend=True)
            names = ", ".join(c.name for c in outcome.mail.councils) or "nothing on the radar"
            out.print(f"   {adviser.email:<34} ({', '.join(regions)}): {names}")
        messages = len(sink.messages())
    out.print()
    out.print("[bold green]Done.[/bold green] Where to look:")
    out.print(f"   store (SQLite):   {config.database}")
    out.print(f"   digests (HTML):   {config.output_dir / 'digests' / week}/")
    out.print(f"   the radar:        .venv/bin/radar radar -w {output}/watchlist.yaml")
    out.print(f"   mail received:    {output / 'mail'}/ ({messages} .eml messages)")
    out.print(
        f"   search:           .venv/bin/radar search '\"section 114\"' -w {output}/watchlist.yaml"
    )
    (output / "watchlist.yaml").write_text(_demo_watchlist_yaml(config), encoding="utf-8")


def _demo_watchlist_yaml(config: WatchList) -> str:
    """The demo watch list as this run used it (its councils, sources, advisers and this
    run's store), so `radar search`, `radar radar`, `radar watch list` and `radar concern`
    work on the demo's results afterwards."""
    import yaml

    from demo.server import WATCHLIST

    data = yaml.safe_load(WATCHLIST.read_text(encoding="utf-8"))
    folder = config.output_dir.resolve()  # where this watch list is written
    data.update(  # relative to the watch list's own folder, as every watch list's paths are
        base_url=config.base_url,
        database=os.path.relpath(config.database.resolve(), folder),
        output_dir=".",
    )
    data.setdefault("crawl", {})["allow_private"] = list(config.crawl.allow_private)
    header = (
        "# Written by `radar demo`: the demo watch list with this run's store and output.\n"
        "# Its sources are the demo web, served only while `radar demo` ran, and its SMTP\n"
        "# server was the demo's sink: crawling or sending with it fails until you point them\n"
        "# at something real.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
