"""Run every enabled source of a watch list through Scrapy's engine, politely."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawlers.feeds import FeedSpider
from crawlers.moderngov import ModernGovSpider
from pipelines import ITEM_PIPELINES
from radar.config import WatchList
from store import open_db
from store.councils import source_health, sync_councils, sync_sources
from store.items import count_items, known_urls

SPIDERS = {"feed": FeedSpider, "moderngov": ModernGovSpider}


def crawl_settings(watchlist: WatchList, log_level: str = "WARNING") -> Settings:
    """Scrapy settings from the watch list: politeness comes from middlewares, not loops."""
    crawl = watchlist.crawl
    return Settings(
        {
            "BOT_NAME": "councilradar",
            "USER_AGENT": crawl.user_agent,
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": 8,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
            "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
            "AUTOTHROTTLE_START_DELAY": 1.0,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_domain),
            "DOWNLOAD_TIMEOUT": crawl.download_timeout,
            "DOWNLOAD_MAXSIZE": crawl.max_bytes,
            "DOWNLOAD_WARNSIZE": crawl.max_bytes // 2,
            "RETRY_ENABLED": True,
            "RETRY_TIMES": crawl.retries,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": log_level,
            "LOG_INSTALL_ROOT_HANDLER": False,
            "ITEM_PIPELINES": ITEM_PIPELINES,
            "RADAR_WATCHLIST": watchlist,
        }
    )


@dataclass
class CrawlSummary:
    items_before: int
    items_after: int
    sources: list[dict[str, Any]]

    @property
    def new_items(self) -> int:
        return self.items_after - self.items_before


def run_crawl(watchlist: WatchList, log_level: str = "WARNING") -> CrawlSummary:
    """Crawl every enabled source once; blocks until done. One call per process (Twisted)."""
    db = open_db(watchlist.database)
    sync_councils(db, watchlist.council_register().values())
    sources = watchlist.all_sources()
    sync_sources(db, sources)
    before, seen = count_items(db), known_urls(db)
    db.close()

    logging.getLogger("scrapy").setLevel(log_level)
    process = CrawlerProcess(crawl_settings(watchlist, log_level))
    for kind, spider in SPIDERS.items():
        chosen = [s for s in sources if s.kind == kind]
        if chosen:
            process.crawl(spider, sources=chosen, known_urls=seen)
    process.start()

    db = open_db(watchlist.database)
    summary = CrawlSummary(before, count_items(db), source_health(db))
    db.close()
    return summary
