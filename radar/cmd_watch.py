"""`radar watch`: what the watch list watches, and whether it is sound."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from radar.config import REGIONS, ConfigError, WatchList, default_watchlist_path, load_watchlist
from radar.console import WatchListOption, council_code, err, load_or_exit, out

watch_app = typer.Typer(
    help="List, change and check the watch list (edits keep the file's comments).",
    no_args_is_help=True,
)
CouncilArgument = Annotated[
    str | None, typer.Argument(help="Council GSS code or name (see `radar watch list --all`).")
]
SourceOption = Annotated[
    str | None, typer.Option("--source", "-s", help="A source's URL (as the watch list has it).")
]


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


def _edit(watchlist: Path | None, change: Callable[[Any, WatchList], str]) -> None:
    """Apply one edit to the watch list file, keeping its comments; refuse (exit 2, nothing
    written) an edit that does not apply or that would leave a watch list that fails to load."""
    from radar.watchfile import EditError, edit

    path = watchlist or default_watchlist_path()
    config = load_or_exit(path)
    try:
        message = edit(path, lambda data: change(data, config), validate=load_watchlist)
    except EditError as exc:
        err.print(f"[red]Not changed:[/red] {escape(str(exc))}.")
        raise typer.Exit(2) from None
    except ConfigError as exc:
        err.print(f"[red]Not written; the watch list would not load:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    out.print(f"{escape(message)} ({path}).")


def _target(config: WatchList, council: str | None, source: str | None) -> str | None:
    """The council's GSS code, or exit unless exactly one of a council and a source is named."""
    if (council is None) == (source is None):
        err.print("Name a council, or a source with --source URL (not both).")
        raise typer.Exit(2)
    return council_code(config, council) if council else None


@watch_app.command("add")
def watch_add(
    council: CouncilArgument = None,
    source: SourceOption = None,
    kind: Annotated[
        str | None,
        typer.Option(help="feed, moderngov, cmis, sitemap or listing (default: guessed)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="The source's name in tables.")] = None,
    origin: Annotated[
        str | None,
        typer.Option(help="media, alert or government, for a source of no council."),
    ] = None,
    pattern: Annotated[str | None, typer.Option(help="sitemap/listing: article URL regex.")] = None,
    selector: Annotated[str | None, typer.Option(help="listing: CSS for article links.")] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Watch a council, add a source to it (`COUNCIL --source URL`), or add a media, alert
    or government source (`--source URL --origin media`)."""
    from radar.cmd_crawl import guess_kind
    from radar.watchfile import add_source, set_watched

    def change(data: Any, config: WatchList) -> str:
        if source is None:
            return set_watched(data, _target(config, council, None) or "", True)
        code = council_code(config, council) if council else None
        if code is None and origin in (None, "council"):
            err.print("A source of no council needs --origin media, alert or government.")
            raise typer.Exit(2)
        entry: dict[str, Any] = {"kind": kind or guess_kind(source), "url": source}
        if code is None:
            entry["origin"] = origin
        entry.update(
            {k: v for k, v in (("name", name), ("pattern", pattern), ("selector", selector)) if v}
        )
        return add_source(data, code, entry)

    _edit(watchlist, change)


@watch_app.command("remove")
def watch_remove(
    council: CouncilArgument = None, source: SourceOption = None, watchlist: WatchListOption = None
) -> None:
    """Take a council (with its sources) or one source out of the watch list. Items already
    stored stay in the store."""
    from radar.watchfile import remove_council, remove_source

    def change(data: Any, config: WatchList) -> str:
        code = _target(config, council, source)
        return remove_council(data, code) if code else remove_source(data, source or "")

    _edit(watchlist, change)


def _switch(on: bool) -> Callable[..., None]:
    from radar.watchfile import set_source_enabled, set_watched

    def command(
        council: CouncilArgument = None,
        source: SourceOption = None,
        watchlist: WatchListOption = None,
    ) -> None:
        def change(data: Any, config: WatchList) -> str:
            code = _target(config, council, source)
            if code:
                return set_watched(data, code, on)
            return set_source_enabled(data, source or "", on)

        _edit(watchlist, change)

    return command


watch_app.command(
    "enable", help="Watch a council again, or put a disabled source back into the crawl."
)(_switch(True))
watch_app.command(
    "disable",
    help="Stop watching a council (its entry and sources are kept), or stop crawling one source.",
)(_switch(False))


@watch_app.command("check")
def watch_check(
    online: Annotated[
        bool,
        typer.Option("--online", help="Also fetch each enabled source's first page once."),
    ] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Validate the watch list: fields, regions, councils, sources (errors name the file,
    line and field), duplicate sources, regions without advisers; with --online, try each
    enabled source once (robots.txt and politeness as in a crawl; nothing is stored)."""
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
    if online and not check_online(config):
        raise typer.Exit(1)


def check_online(config: WatchList) -> bool:
    """Try every enabled source once and show what each answered; True if all worked."""
    from crawlers.run import CrawlProgress, check_sources
    from radar.console import progress_bar

    sources = config.all_sources()
    with progress_bar() as progress:
        task = progress.add_task("Trying sources", total=len(sources))

        def update(state: CrawlProgress) -> None:
            progress.update(task, completed=state.sources_done)

        checks = check_sources(config, sources, on_progress=update)
    owners = {c.gss_code: c.name for c in config.council_register().values()}
    table = Table(title="Sources tried once (failures first)")
    for column in ("council", "kind", "source", "status", "listed", "result"):
        table.add_column(column, overflow="fold")
    for check in sorted(checks, key=lambda c: (c.ok, c.source.council or "", c.source.url)):
        source = check.source
        table.add_row(
            escape(owners.get(source.council or "", source.origin)),
            source.kind,
            escape(source.name or source.url),
            str(check.status or "-"),
            str(check.listed),
            _verdict(check),
        )
    out.print(table)
    failed = sum(not c.ok for c in checks)
    out.print(f"{len(checks) - failed} of {len(checks)} sources answered.")
    return failed == 0


def _verdict(check: Any) -> str:
    if not check.ok:
        return f"[red]{escape(check.error or 'failed')}[/red]"
    return "[green]ok[/green]" if check.listed else "[yellow]answered, but listed nothing[/yellow]"
