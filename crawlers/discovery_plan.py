"""`radar discover --all`: where to look for each watched council's homepage, and what of
what discovery found to propose.

The homepage comes from the council's own domain, taken from (in order) its democracy sources
in the watch list, its democracy site in the directory, and the directory's councillors page:
democracy.X.gov.uk → https://www.X.gov.uk/, then https://X.gov.uk/. A democracy site on a
host many councils share (`*.moderngov.co.uk`, `*.cmis.uk.com`) names no council domain, so
its front page is read instead and the gov.uk site it links to most is taken as the homepage.
Councils that already have a news source (feed, listing or sitemap) are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawlers.directory import load_directory, site_for
from crawlers.discover import Discovery, Proposal
from crawlers.sites import homepage_candidates
from domain.config import WatchList

DEMOCRACY_KINDS = ("moderngov", "cmis")
NEWS_KINDS = ("feed", "listing", "sitemap")


@dataclass
class Miss:
    """A council discovery could not help with, and why (for the admin's report)."""

    gss_code: str
    name: str
    reason: str


@dataclass
class Plan:
    targets: list[Discovery] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)  # no homepage to look at
    has_news: list[str] = field(default_factory=list)  # councils left alone


def plan(config: WatchList) -> Plan:
    """A discovery target (homepage candidates, or a shared democracy site to read) for each
    watched council without a news source."""
    result = Plan()
    directory = load_directory()
    for council in sorted(config.watched_councils(), key=lambda c: c.gss_code):
        if council.ended:
            continue
        own = [s for s in council.sources if s.enabled and s.origin == "council"]
        if any(s.kind in NEWS_KINDS for s in own):
            result.has_news.append(council.gss_code)
            continue
        site = site_for(council.gss_code, council.name)
        democracy = [s.url for s in own if s.kind in DEMOCRACY_KINDS]
        if site.url:
            democracy.append(site.url)
        starts = list(democracy)
        row = directory.get(council.gss_code)
        if row is not None:
            starts.append(row.councillors_url)
        candidates = list(dict.fromkeys(c for url in starts for c in homepage_candidates(url)))
        via = democracy[0] if democracy and not candidates else None
        if not candidates and via is None:
            reason = "no democracy site or councillors page to find its homepage from"
            result.misses.append(Miss(council.gss_code, council.name, reason))
            continue
        result.targets.append(Discovery(key=council.gss_code, candidates=candidates, via=via))
    return result


@dataclass
class Found:
    """What discovery proposes for one council, after dropping what the watch list has."""

    gss_code: str
    name: str
    homepage: str
    sources: list[Proposal]  # recommended
    also: list[Proposal]  # found, not recommended
    skipped: list[Any]


def review(config: WatchList, results: list[Discovery]) -> tuple[list[Found], list[Miss]]:
    """Proposals per council (what the watch list already has left out), and the councils
    whose homepage or news could not be found, with the reason."""
    register = config.council_register()
    listed = {s.url for s in config.all_sources_raw()}
    found, misses = [], []
    for result in results:
        council = register[result.key]
        if result.homepage is None:
            reason = "; ".join(result.errors) or "no homepage found"
            misses.append(Miss(council.gss_code, council.name, f"homepage not found: {reason}"))
            continue
        # a democracy site found on the homepage is proposed only for a council without one
        unwanted = (
            DEMOCRACY_KINDS if any(s.kind in DEMOCRACY_KINDS for s in council.sources) else ()
        )
        recommended = [
            p for p in result.recommended() if p.url not in listed and p.kind not in unwanted
        ]
        also = [p for p in result.proposals if p not in recommended and p.url not in listed]
        if not any(p.kind in NEWS_KINDS for p in recommended):
            reason = f"no news feed, news page or sitemap found on {result.homepage}"
            misses.append(Miss(council.gss_code, council.name, reason))
        if recommended or also:
            found.append(
                Found(
                    council.gss_code,
                    council.name,
                    result.homepage,
                    recommended,
                    also,
                    result.skipped,
                )
            )
    return found, misses


def unwritable(path: Path, create_folder: bool = False) -> str | None:
    """Why the proposals could not be written to `path` (a directory, a folder that is not
    there, a place we may not write), or None: asked before a crawl of hundreds of sites,
    not after it. Creates the folder if `create_folder` (the watch list's output_dir); an
    existing file is opened for appending and closed, its text untouched."""
    if path.is_dir():
        return f"{path} is a directory"
    folder = path.parent
    if create_folder:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot create the folder {folder} ({exc.strerror or exc})"
    if not folder.is_dir():
        return f"{folder} is not a folder" if folder.exists() else f"no folder {folder}"
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        return f"cannot write {path} ({exc.strerror or exc})"
    if not existed:
        path.unlink(missing_ok=True)
    return None


def nothing_answered(results: list[Discovery]) -> str | None:
    """When not one site answered (no page, no HTTP error, no robots.txt), the first
    error, which says why (most often: this machine is offline); else None."""
    if not results or any(r.homepage is not None or r.answered for r in results):
        return None
    return next((e for r in results for e in r.errors), "no error recorded")


def write_proposals(path: Path, found: list[Found], misses: list[Miss]) -> None:
    """The proposals as YAML an admin reads: per council the recommended `sources` (in the
    watch list's own shape, so they can be copied in), what else was found, what was
    skipped and why; then the councils not found."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from domain.watchfile import one_line as line

    councils = CommentedSeq()
    for council in found:
        entry = CommentedMap(gss_code=council.gss_code)
        entry.yaml_add_eol_comment(council.name, "gss_code")
        entry["homepage"] = council.homepage
        entry["sources"] = CommentedSeq(line(p.source()) for p in council.sources)
        if council.also:
            entry["also"] = CommentedSeq(line(p.source()) for p in council.also)
        if council.skipped:
            entry["skipped"] = CommentedSeq(
                line({"url": s.url, "reason": s.reason}) for s in council.skipped
            )
        councils.append(entry)
    document = CommentedMap(councils=councils)
    document["not_found"] = CommentedSeq(
        line({"gss_code": m.gss_code, "council": m.name, "reason": m.reason}) for m in misses
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    document.yaml_set_start_comment(
        f"Sources found by `radar discover --all` on {stamp}, for an admin to review.\n"
        "`sources` are recommended (`radar discover --all --write` adds them, or copy them\n"
        "into the watch list); `also` were found but not recommended; `skipped` were not\n"
        "wanted (comments, social media, jobs, events…); `not_found` need an admin's hand."
    )
    yaml = YAML()
    yaml.width = 4096
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)
