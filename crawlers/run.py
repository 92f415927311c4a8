"""Run every enabled source of a watch list through Scrapy's engine, politely."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess

from crawlers.base import source_checked
from crawlers.cmis import CmisSpider
from crawlers.feeds import FeedSpider
from crawlers.listing import ListingSpider
from crawlers.middlewares import FirstPageOnly
from crawlers.moderngov import ModernGovSpider
from crawlers.settings import crawl_settings
from crawlers.sitemaps import SitemapSpider
from domain.config import Source, WatchList
from pipelines.store import TIME_LIMIT
from store import open_db
from store.councils import (
    conditional_headers,
    source_health,
    suspended_sources,
    sync_councils,
    sync_sources,
)
from store.db import raise_deferred_failure
from store.items import count_items, known_urls, meetings_with_minutes, refetch_due
from store.meetings import load_meeting_state

SPIDERS = {
    "feed": FeedSpider,
    "moderngov": ModernGovSpider,
    "cmis": CmisSpider,
    "sitemap": SitemapSpider,
    "listing": ListingSpider,
}


@dataclass
class CrawlSummary:
    items_before: int
    items_after: int
    sources: list[dict[str, Any]]
    suspended: list[str]
    interrupted: bool = False  # stopped by Ctrl-C/SIGTERM before every source was read
    timed_out: bool = False  # stopped at `stop_at`, its sources' health recorded

    @property
    def new_items(self) -> int:
        return self.items_after - self.items_before


@dataclass
class CrawlProgress:
    """Live counts for a progress display, updated from Scrapy's signals."""

    sources_total: int
    sources_done: int = 0
    items_new: int = 0
    items_skipped: int = 0
    errors: int = 0
    _seen: set[str] = field(default_factory=set)
    _receivers: list[Callable[..., None]] = field(default_factory=list)

    def connect(self, crawler: Crawler, on_change: Callable[[CrawlProgress], None]) -> None:
        def checked(source: Source, ok: bool) -> None:
            if source.id not in self._seen:
                self._seen.add(source.id)
                self.sources_done += 1
            self.errors += not ok
            on_change(self)

        def scraped(**_: Any) -> None:
            self.items_new += 1
            on_change(self)

        def dropped(**_: Any) -> None:
            self.items_skipped += 1
            on_change(self)

        # Scrapy keeps weak references to receivers: these closures live as long as `self`.
        self._receivers += [checked, scraped, dropped]
        crawler.signals.connect(checked, signal=source_checked)
        crawler.signals.connect(scraped, signal=signals.item_scraped)
        crawler.signals.connect(dropped, signal=signals.item_dropped)


def run_crawl(
    watchlist: WatchList,
    log_level: str = "WARNING",
    on_progress: Callable[[CrawlProgress], None] | None = None,
    kinds: Collection[str] | None = None,
    stop_at: float | None = None,
) -> CrawlSummary:
    """Crawl every enabled source once (only those of `kinds`, if given); blocks until done,
    or until `stop_at` (a Unix time): then the pages in flight finish, and every source's
    health is recorded, those not done as failing (`radar run` stops its crawls a little
    before it would kill them). One call per process (Twisted)."""
    db = open_db(watchlist.database)
    sync_councils(db, watchlist.council_register().values())
    sources = watchlist.all_sources()
    sync_sources(db, sources)
    before, seen, meetings = count_items(db), known_urls(db), meetings_with_minutes(db)
    refetch = refetch_due(db, watchlist.crawl.refetch_after, watchlist.crawl.refetch_limit)
    validators = conditional_headers(db)
    meeting_state = load_meeting_state(db)
    suspended = suspended_sources(db, watchlist.crawl.max_failures)
    db.close()
    sources = [s for s in sources if s.id not in suspended and (not kinds or s.kind in kinds)]

    logging.getLogger("scrapy").setLevel(log_level)
    settings = crawl_settings(watchlist, log_level)
    if stop_at is not None:
        settings.set("CLOSESPIDER_TIMEOUT", max(1.0, stop_at - time.time()))
        settings.set("RADAR_STOP_AT", stop_at)  # crawlers.middlewares.CrawlBudget
    process = CrawlerProcess(settings)
    progress = CrawlProgress(sources_total=len(sources))
    reasons: list[str] = []

    def closed(spider: Any, reason: str) -> None:
        reasons.append(reason)

    for kind, spider in SPIDERS.items():
        chosen = [s for s in sources if s.kind == kind]
        if chosen:
            conditional = kind in ("feed", "sitemap", "listing")
            extra: dict[str, Any] = {"validators": validators} if conditional else {}
            if kind in ("moderngov", "cmis"):
                extra["meetings_done"] = meetings
                extra["meeting_state"] = meeting_state
            crawler = process.create_crawler(spider)
            if on_progress:
                progress.connect(crawler, on_progress)
            crawler.signals.connect(closed, signal=signals.spider_closed)
            process.crawl(crawler, sources=chosen, known_urls=seen, refetch=refetch, **extra)
    if sources:
        process.start()
    raise_deferred_failure()  # the store could not be written: no success summary

    db = open_db(watchlist.database)
    summary = CrawlSummary(before, count_items(db), source_health(db), sorted(suspended))
    db.close()
    summary.interrupted = "shutdown" in reasons
    summary.timed_out = TIME_LIMIT in reasons
    return summary


@dataclass
class SourceCheck:
    """One source tried once: what its first page answered and offered."""

    source: Source
    status: int | None
    error: str | None
    listed: int  # entries, articles, meetings or links the first page offered

    @property
    def ok(self) -> bool:
        return self.status is not None and self.error is None


def check_sources(
    watchlist: WatchList,
    sources: list[Source],
    on_progress: Callable[[CrawlProgress], None] | None = None,
) -> list[SourceCheck]:
    """Fetch each source's first page once, as a crawl would (robots.txt, user agent, size
    limit, the same parsers), without following links, retrying or storing anything.
    One call per process (Twisted)."""
    settings = crawl_settings(watchlist)
    settings.set("ITEM_PIPELINES", {})
    settings.set("RETRY_ENABLED", False)
    settings.set("AUTOTHROTTLE_ENABLED", False)
    settings.set("SPIDER_MIDDLEWARES", {"crawlers.middlewares.FirstPageOnly": 950})
    logging.getLogger("scrapy").setLevel(logging.ERROR)
    process = CrawlerProcess(settings)
    progress = CrawlProgress(sources_total=len(sources))
    crawlers = []
    for kind, spider in SPIDERS.items():
        chosen = [s for s in sources if s.kind == kind]
        if chosen:
            crawler = process.create_crawler(spider)
            if on_progress:
                progress.connect(crawler, on_progress)
            process.crawl(crawler, sources=chosen)
            crawlers.append(crawler)
    if crawlers:
        process.start()
    checks = []
    for crawler in crawlers:
        offered: dict[str, int] = getattr(crawler, "first_page_only", FirstPageOnly()).offered
        for source in crawler.spider.sources:
            health = crawler.spider.health.get(source.id)
            if health is None:  # never started: the crawl stopped before reaching it
                checks.append(SourceCheck(source, None, f"{source.url}: not tried", 0))
                continue
            # a feed lists entries and offers their articles: count each thing once
            listed = max(health.items_found, offered.get(source.id, 0))
            checks.append(SourceCheck(source, health.last_status, health.last_error, listed))
    return checks
