"""`radar watch`: what the watch list watches, and whether it is sound."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from domain.config import REGIONS, WatchList, default_watchlist_path, load_watchlist
from radar.console import (
    WatchListOption,
    council_code,
    err,
    load_or_exit,
    out,
    writing_watchlist,
)

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


SHOWN_ONE_BY_ONE = 5  # more warnings of one kind than this are summarised in one line


def problems(config: WatchList) -> tuple[list[str], list[str]]:
    """(errors, warnings) beyond what validation already refuses."""
    errors, warnings = [], []
    urls = Counter(s.url for s in config.all_sources_raw())
    errors += [f"source {url} is listed {n} times" for url, n in urls.items() if n > 1]
    watched = config.watched_councils()
    unadvised = [
        r for r in REGIONS if r in {c.region for c in watched} and not config.advisers_for(r)
    ]
    if len(unadvised) <= SHOWN_ONE_BY_ONE:
        for region in unadvised:
            warnings.append(f"{region} has watched councils but no advisers: no digest goes out")
    else:
        warnings.append(
            f"{len(unadvised)} regions have watched councils but no advisers, so no digest "
            f"goes out for them: {', '.join(unadvised)}"
        )
    silent = [c for c in watched if not any(s.enabled for s in c.sources)]
    if len(silent) <= SHOWN_ONE_BY_ONE:
        for council in silent:
            warnings.append(
                f"{council.name} ({council.gss_code}) is watched but has no enabled source: "
                "only media and alert sources will mention it"
            )
    else:  # after `watch add --all`, one line rather than twenty
        names = ", ".join(f"{c.name} ({c.gss_code})" for c in silent)
        warnings.append(
            f"{len(silent)} watched councils have no enabled source, so only media and alert "
            f"sources will mention them: {names}"
        )
    return errors, warnings


def _edit(
    watchlist: Path | None, change: Callable[[Any, WatchList], str], create: bool = False
) -> None:
    """Apply one edit to the watch list file, keeping its comments; refuse (exit 2, nothing
    written) an edit that does not apply or that would leave a watch list that fails to load.
    `create`: a missing file is a new, empty watch list (an admin's first `watch add`)."""
    from domain.watchfile import EditError, edit

    path = watchlist or default_watchlist_path()
    config = WatchList() if create and not path.exists() else load_or_exit(path)
    with writing_watchlist(path):
        try:
            message = edit(path, lambda data: change(data, config), validate=load_watchlist)
        except EditError as exc:
            err.print(f"[red]Not changed:[/red] {escape(str(exc))}.")
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
    everything: Annotated[
        bool,
        typer.Option("--all", help="Every council in the register, each with its democracy site."),
    ] = False,
    no_directory: Annotated[
        bool,
        typer.Option(
            "--no-directory",
            help="Do not add the council's democracy site from the directory.",
        ),
    ] = False,
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
    """Watch a council, with its democracy site (ModernGov or CMIS, from the directory of
    English councils' sites, unless --no-directory); add a source to it (`COUNCIL --source
    URL`); add a media, alert or government source (`--source URL --origin media`); or, with
    --all, list every council in the register with its democracy site."""
    from crawlers.sites import guess_kind
    from domain.watchfile import add_source

    if everything:
        if council or source:
            err.print("--all lists every council: name no council and no --source with it.")
            raise typer.Exit(2)
        watch_add_all(watchlist, with_sources=not no_directory)
        return

    def change(data: Any, config: WatchList) -> str:
        if source is None:
            code = _target(config, council, None) or ""
            return _watch_with_site(data, config, code, with_site=not no_directory)
        code = council_code(config, council) if council else None
        if code is None and origin in (None, "council"):
            err.print("A source of no council needs --origin media, alert or government.")
            raise typer.Exit(2)
        chosen = kind or guess_kind(source)
        entry: dict[str, Any] = {"kind": chosen, "url": site_root_or_url(source, chosen)}
        if code is None:
            entry["origin"] = origin
        entry.update(
            {k: v for k, v in (("name", name), ("pattern", pattern), ("selector", selector)) if v}
        )
        return add_source(data, code, entry)

    _edit(watchlist, change, create=True)


def _watch_with_site(data: Any, config: WatchList, code: str, with_site: bool) -> str:
    """Watch one council and add its democracy source from the directory; say what was done."""
    from crawlers.directory import site_for
    from domain.watchfile import add_democracy_source, list_council

    name = config.council_register()[code].name
    new = list_council(data, code, name, watch=True)
    message = f"{code} ({name}) " + ("added to the watch list and watched" if new else "watched")
    if not with_site:
        return message
    site = site_for(code, name)
    if site.url is None:
        return f"{message}; no democracy source ({site.reason}): add one with --source URL"
    why_not = add_democracy_source(data, code, site.source())
    if why_not:
        return f"{message}; {why_not}"
    return f"{message}, with its {site.kind} source {site.url} ({site.name} meetings)"


def site_root_or_url(url: str, kind: str) -> str:
    """A democracy site's root for a page of it (the spider starts there), saying so."""
    from crawlers.sites import site_url

    root = site_url(url, kind)
    if root != url:
        shown = [_without_password(u) for u in (url, root)]
        out.print(f"{escape(shown[0])} → {escape(shown[1])}: a {kind} site is read from its root")
    return root


def _without_password(url: str) -> str:
    """A URL fit to print: a password in it (refused later, never echoed) is masked."""
    from urllib.parse import urlsplit

    split = urlsplit(url)
    if split.password is None:
        return url
    return split._replace(netloc=split.netloc.replace(f":{split.password}@", ":***@")).geturl()


def watch_add_all(watchlist: Path | None, with_sources: bool = True) -> None:
    """`radar watch add --all`: every current council in the register, with its democracy
    site, kept comments and entries; then who has no democracy source and why."""
    from crawlers.directory import site_for
    from domain.config import load_england_register
    from domain.watchfile import WatchAllResult, edit, watch_all

    path = watchlist or default_watchlist_path()
    config = load_or_exit(path) if path.exists() else WatchList()  # a new file is fine
    ended = {c.gss_code for c in config.council_register().values() if c.ended}
    register = [c for c in load_england_register() if c.gss_code not in ended]
    sites = [site_for(c.gss_code, c.name) for c in register]
    result = WatchAllResult()

    def change(data: Any) -> str:
        nonlocal result
        result = watch_all(data, sites, with_sources)
        return ""

    with writing_watchlist(path):
        edit(path, change, validate=load_watchlist)
    kinds = Counter(site.kind for site in result.added)
    out.print(
        f"{path}: {len(result.listed)} councils added ({len(sites)} in the register); "
        f"{len(result.added)} democracy sources added"
        + (f" ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})" if kinds else "")
        + f", {result.kept} councils already had one."
    )
    if result.shared:
        pairs = ", ".join(f"{site.name} (with {owner})" for site, owner in result.shared)
        out.print(
            f"{len(result.shared)} councils share a democracy site listed under another "
            f"council, so it is listed once: {escape(pairs)}."
        )
    if result.missing:
        table = Table(
            title=f"{len(result.missing)} councils with no democracy source: add their "
            "meetings by hand (radar watch add COUNCIL --source URL)"
        )
        for column in ("GSS code", "council", "why"):
            table.add_column(column, overflow="fold")
        for site in result.missing:
            table.add_row(site.gss_code, escape(site.name), escape(site.reason or ""))
        out.print(table)


@watch_app.command("remove")
def watch_remove(
    council: CouncilArgument = None, source: SourceOption = None, watchlist: WatchListOption = None
) -> None:
    """Take a council (with its sources) or one source out of the watch list. Items already
    stored stay in the store."""
    from domain.watchfile import remove_council, remove_source

    def change(data: Any, config: WatchList) -> str:
        code = _target(config, council, source)
        return remove_council(data, code) if code else remove_source(data, source or "")

    _edit(watchlist, change)


def _switch(on: bool) -> Callable[..., None]:
    from domain.watchfile import set_source_enabled, set_watched

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
