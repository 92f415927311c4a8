"""`radar radar`, `radar alerts`, `radar run` and `radar status`: the radar and its schedule."""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from domain.config import REGIONS, WatchList
from radar.console import (
    WatchListOption,
    council_code,
    err,
    load_or_exit,
    open_store,
    out,
    progress_bar,
)
from store.councils import council_names
from store.digests import waiting_digests

WeekOption = Annotated[
    str | None,
    typer.Option("--week", help="ISO week like 2026-W48 (default: the current week)."),
]
ShortFactor = {"leadership": "L", "risky_change": "R", "disengagement": "D", "finance": "F"}


def region_name(region: str | None) -> str | None:
    """The canonical spelling of a region the user typed, or exit with the list."""
    if region is None:
        return None
    match = [r for r in REGIONS if r.lower() == region.lower()]
    if not match:
        err.print(f"Unknown region {region!r}. Regions: {', '.join(REGIONS)}")
        raise typer.Exit(2)
    return match[0]


def radar(
    region: Annotated[str | None, typer.Option("--region", "-r", help="Only this region.")] = None,
    week: WeekOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON Lines.")] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Record every week the store covers in the weekly history, recomputing "
            "weeks already recorded.",
        ),
    ] = False,
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            metavar="COUNCIL",
            help="A council's weekly history (name, alias or GSS code): score, factors, "
            "trend, acute signals, week by week.",
        ),
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Print the councils on the radar: score, trend against their baseline (the mean of the
    previous radar.baseline_weeks weeks, 12 by default), factors, stories and the top
    evidence headline, acute signals first.

    Trend: ▲ new (no flag in the baseline weeks), ▲ rising, ▬ steady, ▼ falling.

    The weekly history keeps each week's radar as it was computed (the schedule records it
    after every crawl). With --rebuild it is back-filled from the earliest stored item to this
    week; with --history COUNCIL one council's weeks are printed.
    """
    from alerts.digest import current_week
    from alerts.scoring import ARROWS, compute_radar

    config = load_or_exit(watchlist)
    if rebuild or history:
        db = open_store(config)
        if rebuild:
            _rebuild(db, config)
        if history:
            _history(db, config, history, as_json)
        return
    week = week or current_week()
    try:
        result = compute_radar(open_store(config), config.radar, week, region_name(region))
    except ValueError as exc:
        err.print(f"[red]{exc}")
        raise typer.Exit(2) from None
    rows = result.rows()
    if as_json:
        for row in rows:
            out.print_json(json.dumps(row, ensure_ascii=False), indent=None)
        return
    title = f"The radar, week {week}" + (f", {result.region}" if result.region else "")
    table = Table(title=f"{title}: {len(rows)} councils", show_lines=False)
    for column in ("council", "region", "score", "trend", "factors", "items", "top evidence"):
        table.add_column(column, overflow="fold")
    for row in rows:
        acute = " [bold red]ACUTE[/bold red]" if row["acute"] else ""
        table.add_row(
            escape(row["council"]) + acute,
            row["region"],
            f"{row['score']:.2f}",
            f"{ARROWS[row['trend']]} (base {row['baseline']:.2f})",
            " ".join(f"{ShortFactor[f]}{v:.1f}" for f, v in row["factors"].items()),
            str(row["stories"]),
            escape(row["top_headline"] or ""),
        )
    out.print(table)
    if result.leaving:
        out.print("Leaving the radar: " + ", ".join(escape(c.name) for c in result.leaving))
    out.print("[dim]Factors: L leadership, R high-risk change, D disengagement, F finance.[/dim]")


def _rebuild(db: Any, config: WatchList) -> None:
    """`radar radar --rebuild`: every week recomputed and recorded, with a progress bar."""
    from alerts.history import backfill

    with progress_bar() as progress:
        task = progress.add_task("Weeks recorded", total=None)

        def advance(done: int, total: int, week: str) -> None:
            progress.update(task, completed=done, total=total, description=f"Week {week}")

        records = backfill(db, config, rebuild=True, on_progress=advance)
    if not records:
        out.print("No stored items yet: no week to record.")
        return
    recorded = sum(1 for r in records if r.recorded)
    out.print(
        f"{recorded} week{'s' if recorded != 1 else ''} recorded in the radar history, "
        f"{records[0].week} to {records[-1].week} "
        f"({sum(1 for r in records if not r.final)} still in progress)."
    )


def _history(db: Any, config: WatchList, council: str, as_json: bool) -> None:
    """`radar radar --history COUNCIL`: the council's recorded weeks as a table or JSON Lines.
    Every recorded week since its first score is shown, a quiet one as a dash: a gap in the
    table is a week it did not score in, not a week nobody looked at."""
    from alerts.scoring import ARROWS
    from store.history import council_history, recorded_weeks

    code = council_code(config, council, db)
    weeks = recorded_weeks(db)
    found = {row["week"]: row for row in council_history(db, code)}
    if as_json:
        for row in found.values():
            out.print_json(json.dumps(row, ensure_ascii=False), indent=None)
        return
    if not weeks:
        err.print("No radar history recorded yet: `radar radar --rebuild` records it.")
        raise typer.Exit(1)
    name = council_names(db).get(code, {}).get("name") or code
    if not found:
        out.print(
            f"{escape(name)} scored in none of the {len(weeks)} weeks recorded "
            f"({min(weeks)} to {max(weeks)})."
        )
        return
    table = Table(title=f"{escape(name)}: the radar week by week")
    for column in ("week", "score", *ShortFactor.values(), "trend", "on radar", "acute"):
        table.add_column(column, overflow="fold")
    for week in (w for w in weeks if w >= min(found)):
        row = found.get(week)
        in_progress = "" if weeks[week]["final"] else " (in progress)"
        if row is None:
            table.add_row(week + in_progress, "-", *("" for _ in ShortFactor), "", "", "")
            continue
        table.add_row(
            week + in_progress,
            f"{row['score']:.2f}",
            *(f"{row['factors'][f]:.2f}" if f in row["factors"] else "" for f in ShortFactor),
            f"{ARROWS[row['trend']]} (base {row['baseline']:.2f})",
            "yes" if row["on_radar"] else "",
            "[bold red]" + escape(", ".join(row["acute"])) + "[/bold red]" if row["acute"] else "",
        )
    out.print(table)
    out.print("[dim]Factors: L leadership, R high-risk change, D disengagement, F finance.[/dim]")


def alerts(
    send: Annotated[bool, typer.Option("--send", help="Email unsent alerts to advisers.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write unsent alerts as .eml files; send nothing.")
    ] = False,
    outbox: Annotated[
        Path | None, typer.Option("--outbox", help="Folder for --dry-run (default output_dir).")
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Check fresh flagged items for acute signals (a section 114 notice, commissioners, a
    suspended chief executive, no budget set, a best value notice) and list the alerts.

    Each council and signal raises one alert (again only after radar.acute_repeat_days).
    With --send the unsent ones are emailed to the region's advisers at once.
    """
    from alerts.acute import LABELS, check_acute
    from alerts.deliver import AlertOutcome, send_alerts
    from store.radar import unsent_alerts

    config = load_or_exit(watchlist)
    db = open_store(config)
    raised = check_acute(db, config)
    out.print(f"{len(raised)} new acute alert{'s' if len(raised) != 1 else ''} raised.")
    if send or dry_run:
        folder = outbox or config.output_dir / "outbox"
        outcomes = send_alerts(db, config, outbox=folder if dry_run else None)
    else:
        outcomes = [
            AlertOutcome(a, "waiting" if not config.advisers_for(a["region"]) else "unsent")
            for a in unsent_alerts(db)
        ]
    for outcome in outcomes:
        alert = outcome.alert
        label = f"{escape(alert['council_name'])}: {LABELS.get(alert['signal'], alert['signal'])}"
        if outcome.status == "waiting":
            out.print(f"   waiting {label} — no advisers configured for {alert['region']}")
        elif outcome.status == "unsent":
            out.print(f"   unsent  {label} — {escape(alert['title'] or '')}")
        elif outcome.status == "sent":
            out.print(f"   {'written' if dry_run else 'sent'}  {label} → {escape(outcome.detail)}")
        else:  # failed, or being sent by another process
            why = outcome.detail or "already sent, or being sent by another process"
            err.print(f"[red]{label}:[/red] {escape(why)}")
    if not outcomes:
        out.print("No alert is waiting to be sent.")
    if any(outcome.status in ("failed", "busy") for outcome in outcomes):
        raise typer.Exit(1)


def run(watchlist: WatchListOption = None) -> None:
    """Run the schedule until stopped (Ctrl-C or SIGTERM): feed crawls every hour, site and
    democracy crawls daily, tagging and acute alerts after each crawl, the weekly digests on
    Monday 07:00 Europe/London (all set in the watch list's `schedule:`).

    The schedule is kept in `<database>-schedule.db`: runs missed while it was stopped happen
    once at start-up. `radar status` shows what ran and what is next.
    """
    from alerts.jobs import resolve
    from alerts.schedule import schedule_path, start_scheduler
    from domain.config import default_watchlist_path

    path = resolve(watchlist or default_watchlist_path())
    config = load_or_exit(Path(path))
    open_store(config, create=True).close()  # create or upgrade the store before any job opens it
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True
    )
    lock = _single_instance(schedule_path(config).with_suffix(".lock"))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = start_scheduler(config, path)
    logging.getLogger("radar.schedule").info(
        "scheduler started with %s; jobs: %s",
        schedule_path(config),
        "; ".join(f"{job.id} next {job.next_run_time}" for job in scheduler.get_jobs()),
    )
    stop.wait()
    logging.getLogger("radar.schedule").info("stopping: waiting for a running job to finish")
    scheduler.shutdown(wait=True)
    lock.close()


def _single_instance(path: Path) -> Any:
    """Hold an exclusive lock for as long as this scheduler runs: two schedulers on one store
    would run every job twice."""
    import fcntl

    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        err.print(f"Another `radar run` is already running on this store (lock: {path}).")
        raise typer.Exit(1) from None
    return handle


def scheduler_running(lock: Path) -> bool:
    """Whether a `radar run` holds this store's scheduler lock now (tried, never waited for)."""
    import fcntl

    if not lock.exists():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False  # closing the file released the lock just taken


def status(watchlist: WatchListOption = None) -> None:
    """Show each scheduled job's next run and the outcome of its last run, and any digest or
    alert waiting to be sent."""
    from alerts.schedule import next_runs, schedule_path
    from store.jobs import last_runs
    from store.radar import unsent_alerts

    config = load_or_exit(watchlist)
    db = open_store(config)
    zone = ZoneInfo(config.schedule.timezone)
    upcoming = next_runs(config)
    runs = last_runs(db)
    table = Table(title=f"Schedule ({config.schedule.timezone})")
    for column in ("job", "next run", "last run", "outcome", "detail"):
        table.add_column(column, overflow="fold")
    for job in sorted(set(upcoming) | set(runs) | {"feeds", "sites", "digest"}):
        last: dict[str, Any] = runs.get(job, {})
        nxt = upcoming.get(job)
        outcome = last.get("outcome") or ("running or killed" if last else "never run")
        colour = "green" if outcome == "ok" else "red" if last else "dim"
        table.add_row(
            job,
            _local(nxt, zone) if nxt else "not scheduled (start `radar run`)",
            (last.get("started") or "-").replace("T", " ")[:16],
            f"[{colour}]{outcome}[/{colour}]",
            escape(last.get("detail") or ""),
        )
    if scheduler_running(schedule_path(config).with_suffix(".lock")):
        out.print("[green]The scheduler is running[/green] (`radar run`).")
    else:
        out.print(
            "[yellow]The scheduler is not running:[/yellow] nothing runs until `radar run` is "
            "started; the next runs shown are when it would run each job."
        )
    out.print(table)
    waiting = waiting_digests(db)
    for row in waiting:
        out.print(
            f"[yellow]digest waiting:[/yellow] {row['recipient']} "
            f"({', '.join(row['regions'])}) {row['week']}: "
            f"{escape(row['last_error'] or 'not sent')}"
        )
    for alert in unsent_alerts(db):
        out.print(
            f"[yellow]alert waiting:[/yellow] {escape(alert['council_name'])} {alert['signal']}: "
            f"{escape(alert['last_error'] or 'not sent')}"
        )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M:%S %Z")
