"""`radar discover`: find a council's news feeds, news page, sitemaps and democracy site,
for one homepage or (`--all`) for every watched council, and propose them as sources."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from domain.config import WatchList, default_watchlist_path, load_watchlist
from radar.console import WatchListOption, err, load_or_exit, out, progress_bar, writing_watchlist

if TYPE_CHECKING:
    from crawlers.discovery_plan import Miss


def discover(
    homepage: Annotated[
        str | None, typer.Argument(help="A council's homepage URL (or --all).")
    ] = None,
    everything: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every watched council without a news source: find its homepage and look.",
        ),
    ] = False,
    council: Annotated[
        str | None,
        typer.Option(help="GSS code of the council (default: guessed from the page title)."),
    ] = None,
    write: Annotated[
        bool,
        typer.Option("--write", help="Add the recommended sources to the watch list file."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="--all: where to write the proposals (default: OUTPUT_DIR/discovered.yaml).",
        ),
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Find a council site's news feeds, news page, sitemap and democracy site, and propose
    them as watch-list sources (news feeds first; comments, social media, jobs and events
    feeds skipped, with the reason); with --write, add the recommended ones to the council's
    entry. --all does it for every watched council without a news source, writing the
    proposals to a file for review and listing the councils it could not help with.

    Polite: robots.txt obeyed, one request at a time and at most one a second per site."""
    if everything == (homepage is not None):
        err.print("Give a homepage URL, or --all (not both).")
        raise typer.Exit(2)
    if everything:
        discover_everything(watchlist, write, output)
    else:
        discover_one(homepage or "", council, write, watchlist)


def discover_one(homepage: str, council: str | None, write: bool, watchlist: Path | None) -> None:
    from classifiers.attribution import CouncilMatcher
    from crawlers.discover import discover as run_discovery
    from domain.watchfile import add_sources

    config = load_or_exit(watchlist, required=False)
    with err.status(f"Looking at {homepage}…"):
        found = run_discovery(homepage, config)
    if found.homepage is None:  # nothing to show but why
        why = "; ".join(found.errors) or "no answer"
        err.print(f"[red]Could not read the homepage:[/red] {escape(why)}", soft_wrap=True)
        raise typer.Exit(1)
    for problem in found.errors:
        err.print(f"[yellow]{escape(problem)}")
    if council is None:
        mentions = CouncilMatcher(config.council_register().values()).find(found.title)
        council = mentions[0].gss_code if mentions else None
    recommended = found.recommended()
    table = Table(title=f"Proposed sources for {council or 'an unknown council'}")
    for column in ("kind", "name", "url", "recommended"):
        table.add_column(column, overflow="fold")
    for proposal in found.proposals:
        taken = "yes" if proposal in recommended else ""
        table.add_row(proposal.kind, escape(proposal.name), escape(proposal.url), taken)
    out.print(table)
    for skipped in found.skipped:
        out.print(f"skipped: {escape(skipped.url)} ({skipped.reason})")
    if not found.proposals:
        raise typer.Exit(1)
    if write:
        if council is None:
            err.print("Name the council with --council GSS_CODE to write these sources.")
            raise typer.Exit(2)
        path = watchlist or default_watchlist_path()
        with writing_watchlist(path):
            added = add_sources(
                path,
                council,
                [p.source() for p in writable(recommended, config)],
                validate=load_watchlist,
            )
        out.print(f"Added {added} sources to {council} in {path}.")


def discover_everything(watchlist: Path | None, write: bool, output: Path | None) -> None:
    """`radar discover --all`: plan, crawl politely with a progress bar, write the
    proposals file, report what needs an admin, and with --write add the recommended.

    Where the proposals go is checked before the crawl; when no site answered at all (no
    internet) the run fails in one line and an earlier proposals file is kept."""
    from crawlers.discover import discover_all
    from crawlers.discovery_plan import nothing_answered, plan, review, unwritable, write_proposals
    from domain.watchfile import add_council_sources

    path = watchlist or default_watchlist_path()
    config = load_or_exit(path)
    target = output or config.output_dir / "discovered.yaml"
    problem = unwritable(target, create_folder=output is None)
    if problem:
        err.print(f"[red]Cannot write the proposals:[/red] {escape(problem)}", soft_wrap=True)
        raise typer.Exit(2)
    todo = plan(config)
    out.print(
        f"Looking for the news of {len(todo.targets)} watched councils "
        f"({len(todo.has_news)} already have a news source and are left alone, "
        f"{len(todo.misses)} have no site to start from); "
        "robots.txt obeyed, at most one request a second per site."
    )
    with progress_bar() as progress:
        task = progress.add_task("Councils looked at", total=len(todo.targets))
        results = discover_all(todo.targets, config, on_done=lambda _: progress.advance(task))
    first_error = nothing_answered(results)
    if first_error:
        err.print(
            f"[red]No homepage answered[/red] ({escape(first_error)}): is this machine online?",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    found, misses = review(config, results)
    misses = sorted(todo.misses + misses, key=lambda m: m.gss_code)
    try:
        write_proposals(target, found, misses)
    except OSError as exc:
        err.print(f"[red]Could not write {escape(str(target))}:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    kinds = Counter(p.kind for council in found for p in council.sources)
    out.print(
        f"Proposals for {len(found)} councils written to {target}: "
        + (", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "nothing recommended")
        + "."
    )
    report_misses(misses)
    if write:
        with writing_watchlist(path):
            added = add_council_sources(
                path,
                {c.gss_code: [p.source() for p in writable(c.sources, config)] for c in found},
                validate=load_watchlist,
            )
        out.print(f"Added {added} recommended sources to {path}.")


def writable(proposals: list[Any], config: WatchList) -> list[Any]:
    """The proposals that may go into the watch list; each one left out is named, with why."""
    from crawlers.discover import not_for_the_watch_list

    kept = []
    for proposal in proposals:
        reason = not_for_the_watch_list(proposal.url, config)
        if reason:
            err.print(f"[yellow]Not written:[/yellow] {escape(proposal.url)}: {escape(reason)}")
        else:
            kept.append(proposal)
    return kept


def report_misses(misses: list[Miss]) -> None:
    """The councils discovery could not help with, and why: an admin's to-do list."""
    if not misses:
        return
    table = Table(title=f"{len(misses)} councils need an admin's hand")
    for column in ("GSS code", "council", "why"):
        table.add_column(column, overflow="fold")
    for miss in misses:
        table.add_row(miss.gss_code, escape(miss.name), escape(miss.reason))
    out.print(table)
