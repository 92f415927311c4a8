"""`radar watch`: what the watch list watches, and whether it is sound."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from radar.config import REGIONS, WatchList
from radar.console import WatchListOption, err, load_or_exit, out

watch_app = typer.Typer(help="Look at and check the watch list.", no_args_is_help=True)


@watch_app.command("list")
def watch_list(
    everything: Annotated[
        bool, typer.Option("--all", help="Every council in the register, watched or not.")
    ] = False,
    region: Annotated[str | None, typer.Option("--region", "-r")] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Councils (watched ones unless --all) with their sources, then each region's advisers."""
    from radar.cmd_radar import region_name

    config = load_or_exit(watchlist)
    wanted = region_name(region)
    councils = config.council_register().values() if everything else config.watched_councils()
    table = Table(title="Councils" + (" (all)" if everything else " watched"))
    for column in ("GSS code", "council", "type", "region", "watched", "sources"):
        table.add_column(column, overflow="fold")
    shown = 0
    for council in sorted(councils, key=lambda c: (REGIONS.index(c.region), c.name)):
        if wanted and council.region != wanted:
            continue
        sources = ", ".join(
            f"{s.kind}{'' if s.enabled else ' (disabled)'}" for s in council.sources
        )
        table.add_row(
            council.gss_code,
            escape(council.name),
            council.type,
            council.region,
            "yes" if council.watched else "no",
            sources or "-",
        )
        shown += 1
    out.print(table)
    out.print(f"{shown} councils; {len(config.sources)} sources not owned by a council.")
    for name in REGIONS:
        advisers = config.advisers_for(name)
        names = ", ".join(f"{a.name} <{a.email}>" for a in advisers) or "[yellow]none[/yellow]"
        out.print(f"  {name}: {escape(names) if advisers else names}")


def problems(config: WatchList) -> tuple[list[str], list[str]]:
    """(errors, warnings) beyond what validation already refuses."""
    errors, warnings = [], []
    urls = Counter(s.url for s in config.all_sources_raw())
    errors += [f"source {url} is listed {n} times" for url, n in urls.items() if n > 1]
    watched = config.watched_councils()
    for region in sorted({c.region for c in watched}):
        if not config.advisers_for(region):
            warnings.append(f"{region} has watched councils but no advisers: no digest goes out")
    for council in watched:
        if not any(s.enabled for s in council.sources):
            warnings.append(
                f"{council.name} ({council.gss_code}) is watched but has no enabled source: "
                "only media and alert sources will mention it"
            )
    return errors, warnings


@watch_app.command("check")
def watch_check(watchlist: WatchListOption = None) -> None:
    """Validate the watch list: fields, regions, councils, sources (errors name the file,
    line and field), duplicate sources, regions without advisers."""
    config = load_or_exit(watchlist)
    errors, warnings = problems(config)
    for warning in warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    for error in errors:
        err.print(f"[red]error:[/red] {escape(error)}")
    watched = config.watched_councils()
    out.print(
        f"{len(config.council_register())} councils known, {len(watched)} watched, "
        f"{len(config.all_sources())} sources enabled, "
        f"{sum(1 for r in REGIONS if config.advisers_for(r))} regions with advisers: "
        + ("[red]not usable[/red]" if errors else "[green]OK[/green]")
    )
    if errors:
        raise typer.Exit(1)
