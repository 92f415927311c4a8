"""Base for pipelines that read or write the store: one connection per spider run."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from store.db import describe_store_error, open_db


class StoreBackedPipeline:
    """Opens the watch list's store when the spider opens and closes it when it closes."""

    def __init__(self, database: str, crawler: Any = None):
        self.database = database
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoreBackedPipeline:
        return cls(str(crawler.settings["RADAR_WATCHLIST"].database), crawler)

    def open_spider(self, spider: Any = None) -> None:
        self.db = open_db(self.database)
        # The crawl commits once per item: with SQLite's default (FULL) each commit waits for
        # an fsync of the WAL, which was a sixth of a crawl's time. NORMAL (WAL mode) syncs at
        # checkpoints only: a killed crawl still loses nothing committed; a power cut may lose
        # the last items, never the store's consistency, and the next crawl fetches them
        # again (they are not known). Only this connection: other writers keep FULL.
        self.db.execute("PRAGMA synchronous=NORMAL")

    def close_spider(self, spider: Any = None) -> None:
        self.db.close()


class StoreErrorsReportedOnce(logging.Filter):
    """Drops Scrapy's "Error processing item" traceback when the error is the store's own (a
    full disk, a read-only file): the crawl stops and `radar` reports it once, in one line
    naming the file; a traceback per item in flight would only bury that line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, sqlite3.Error) and describe_store_error(error) is not None)


def report_store_errors_once() -> None:
    scraper_log = logging.getLogger("scrapy.core.scraper")
    if not any(isinstance(f, StoreErrorsReportedOnce) for f in scraper_log.filters):
        scraper_log.addFilter(StoreErrorsReportedOnce())
