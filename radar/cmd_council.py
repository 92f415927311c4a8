"""`radar council NAME`: a council's page in the terminal (alerts.council, as `radar ui`
shows it at /council/<gss>)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from radar.console import WatchListOption, council_code, err, load_or_exit, open_store, out

RECENT_WEEKS = 12
ShortFactor = {"leadership": "L", "risky_change": "R", "disengagement": "D", "finance": "F"}


def council(
    name: Annotated[str, typer.Argument(help="The council: GSS code, name or alias.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the page as one JSON object.")
    ] = False,
    watchlist: WatchListOption = None,
) -> None:
    """One council: region, type, what it replaced or was replaced by; its radar over the
    last year as a sparkline and its recent weeks (score, factors, acute signals); the items
    behind each flagged week with their evidence; its sources' health.

    The weeks are the recorded weekly history (`radar radar --rebuild` back-fills it).
    Concern status is not shown: `radar concern list` shows concerns to their advisers.
    """
    from alerts.council import council_page

    config = load_or_exit(watchlist)
    db = open_store(config)
    code = council_code(config, name, db)
    page = council_page(db, code)
    if page is None:
        err.print(f"{escape(name)}: the store has no such council yet (`radar crawl` first).")
        raise typer.Exit(1)
    if as_json:
        out.print_json(json.dumps(page.as_json(), ensure_ascii=False))
        return
    c = page.council
    out.print(f"[bold]{escape(c['name'])}[/bold]  {escape(c['official_name'] or '')}")
    out.print(f"{escape(c['region'] or '')} · {escape(c['type'] or '')} · {c['gss_code']}")
    if c["aliases"]:
        out.print("Also called: " + escape(", ".join(c["aliases"])))
    if c["ended"] or c["successors"]:
        names = ", ".join(f"{s['name']} ({s['gss_code']})" for s in c["successors"])
        ended = f"Ended {c['ended']}" if c["ended"] else "Reorganised"
        out.print(escape(f"{ended}{': replaced by ' + names if names else ''}."))
    if c["predecessors"]:
        names = ", ".join(f"{p['name']} ({p['gss_code']})" for p in c["predecessors"])
        out.print(escape(f"Replaced {names}: their items count for it on the radar."))
    if not page.weeks:
        out.print("No radar history recorded yet: `radar radar --rebuild` records it.")
    else:
        threshold = f"{page.threshold:.2f}" if page.threshold is not None else "the setting"
        out.print(
            f"\n{page.first_week} to {page.last_week}  {page.sparkline_text()}  "
            f"(weekly score out of 4; on the radar from {threshold})"
        )
        _recent(page)
    _flagged(page)
    _sources(page)
    out.print(f"[dim]{escape(page.concern_note)}[/dim]")


def _recent(page) -> None:  # noqa: ANN001 (alerts.council.CouncilPage)
    table = Table(title=f"Recent weeks ({RECENT_WEEKS})")
    for column in ("week", "score", *ShortFactor.values(), "on radar", "acute"):
        table.add_column(column, overflow="fold")
    for week in list(reversed(page.weeks))[:RECENT_WEEKS]:
        table.add_row(
            week.week,
            f"{week.score:.2f}" if week.score else "-",
            *(f"{week.factors[f]:.2f}" if f in week.factors else "" for f in ShortFactor),
            "yes" if week.on_radar else "",
            "[bold red]" + escape(", ".join(week.acute)) + "[/bold red]" if week.acute else "",
        )
    out.print(table)
    out.print("[dim]Factors: L leadership, R high-risk change, D disengagement, F finance.[/dim]")


def _flagged(page) -> None:  # noqa: ANN001
    if not page.flagged:
        out.print("\nNo flagged week in the radar history.")
        return
    shown = len(page.flagged)
    out.print(f"\n[bold]Flagged weeks[/bold] (newest {shown} of {page.flagged_total})")
    for week in page.flagged:
        acute = ", ".join(week.acute)
        acute = f"  [bold red]ACUTE: {escape(acute)}[/bold red]" if acute else ""
        out.print(f"\n{week.week}  score {week.score:.2f}{acute}")
        for item in week.items:
            factors = ", ".join(f["factor"] for f in item.factors)
            where = escape(f"{item.source} · {item.published} · {factors}")
            out.print(f"  • {escape(item.title)}  [dim]{where}[/dim]")
            out.print(f"    {escape(item.url)}", highlight=False)
            for flag in item.factors:
                if flag["evidence"]:
                    page_no = f" (page {flag['page']})" if flag["page"] else ""
                    out.print(f"    [italic]“{escape(flag['evidence'])}”[/italic]{page_no}")
        if week.more:
            out.print(f"  and {week.more} more")


def _sources(page) -> None:  # noqa: ANN001
    if not page.sources:
        out.print("\nNo sources of its own in the watch list.")
        return
    table = Table(title="Sources and their health")
    for column in ("source", "kind", "last success", "failures", "last error"):
        table.add_column(column, overflow="fold")
    for source in page.sources:
        failing = source["consecutive_failures"] or 0
        table.add_row(
            escape(source["name"] or source["url"] or ""),
            source["kind"] or "",
            (source["last_success"] or "never")[:16].replace("T", " "),
            f"[red]{failing}[/red]" if failing else "0",
            escape(source["last_error"] or ""),
        )
    out.print(table)
