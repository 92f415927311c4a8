"""Write items to the store, and each source's health when the crawl closes.

A crawl can end early: killed (nothing here runs), stopped with SIGTERM or Ctrl-C (Scrapy
closes the spider as "shutdown", dropping the requests still queued), or stopped because the
store cannot be written. Only a source whose crawl ran to the end with every entry stored
saves its validators (a feed's, a listing's or a sitemap's ETag and Last-Modified) and its
completion time: saved after an interrupted crawl, the next crawl's 304 (or its skipping of
meetings whose minutes are in) would never reach the entries that were still queued.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from domain.items import Item
from pipelines.database import StoreBackedPipeline, report_store_errors_once
from store.councils import record_source_run
from store.db import StoreError, defer_failure, describe_store_error
from store.items import insert_item, record_alias, record_failed_fetch, update_item
from store.times import now_iso

TIME_LIMIT = "closespider_timeout"  # why Scrapy closes a spider at CLOSESPIDER_TIMEOUT

ITEM_COLUMNS = (
    "id", "url", "canonical_url", "source_id", "origin", "kind", "title", "text",
    "summary_only", "published", "date_source", "fetched", "content_hash", "story_id",
)  # fmt: skip


class StorePipeline(StoreBackedPipeline):
    def __init__(self, database: str, crawler: Any = None):
        super().__init__(database, crawler)
        self.incomplete: set[str] = set()  # sources with an entry that failed in a pipeline
        self.failure: StoreError | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        pipeline = cls(str(crawler.settings["RADAR_WATCHLIST"].database), crawler)
        crawler.signals.connect(pipeline.item_failed, signal=signals.item_error)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        report_store_errors_once()
        return pipeline

    def _health(self, spider: Any) -> dict[str, Any]:
        spider = spider or getattr(self.crawler, "spider", None)
        return getattr(spider, "health", {})

    def close_spider(self, spider: Any = None) -> None:
        """The connection stays open for `spider_closed`, which knows why the crawl ended."""

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Record every source's health; validators and completion only for sources whose
        crawl finished with every entry stored."""
        finished = reason == "finished" and self.failure is None
        if reason == TIME_LIMIT and hasattr(spider, "stopped_at_time_limit"):
            spider.stopped_at_time_limit()
        try:
            for source_id, health in self._health(spider).items():
                if self.failure is not None:
                    break  # the store cannot be written: the CLI reports that instead
                missing = spider.unaccounted(source_id) if hasattr(spider, "unaccounted") else 0
                if missing:
                    health.items_failed += missing
                    health.last_item_error = (
                        f"{missing} of its entries neither read nor failed before the crawl "
                        "ended: the next crawl asks for them again"
                    )
                row = health.as_row()
                if finished and source_id not in self.incomplete and not missing:
                    row["last_complete"] = now_iso()
                else:
                    # keep the previous ones
                    row["etag"] = row["last_modified"] = row["page_validators"] = None
                record_source_run(self.db, source_id, **row)
        except sqlite3.Error as exc:
            self._store_failed(exc, close=False)
        finally:
            self.db.close()

    def item_failed(self, item: Item, response: Any, spider: Any, failure: Failure) -> None:
        """A pipeline raised on this item. The store's own failure stops the crawl; any other
        error costs the item, is shown on its source, and keeps the source's validators from
        being saved so the next crawl tries the entry again."""
        if describe_store_error(failure.value) is not None:
            self._store_failed(failure.value)
            return
        source_id = item.get("source_id") if isinstance(item, dict) else None
        self.incomplete.add(source_id)
        health = self._health(spider).get(source_id)
        if health is not None:
            health.items_failed += 1
            health.last_item_error = (
                f"{item.get('url')}: {failure.type.__name__}: {failure.getErrorMessage()}"
            )

    def _store_failed(self, error: BaseException, close: bool = True) -> None:
        """Stop the crawl: without a store, every page fetched from now on would be lost. The
        error is kept for `radar` to report (Scrapy's engine would swallow it)."""
        if self.failure is not None:
            return
        self.failure = describe_store_error(error) or StoreError(self.database, str(error))
        defer_failure(self.failure)
        engine = getattr(self.crawler, "engine", None)
        if close and engine is not None:
            deferred_from_coro(engine.close_spider_async(reason="store_failed"))

    def process_item(self, item: Item, spider: Any = None) -> Item:
        row = {key: item.get(key) for key in ITEM_COLUMNS}
        row["summary_only"] = int(bool(item.get("summary_only")))
        row["page_offsets"] = json.dumps(item["page_offsets"]) if item.get("page_offsets") else None
        row["meta"] = json.dumps(item.get("meta") or {})
        if item.get("update") and "refetch" in item:  # fetched again, still without its text
            record_failed_fetch(self.db, row["canonical_url"], row["fetched"], item["refetch"])
            return item
        row["fetch_failures"] = 1 if item.get("refetch") else None
        sketch = item.get("story_sketch")
        if item.get("update"):
            stored = update_item(self.db, row, item.get("councils"), sketch)
        else:
            stored = insert_item(self.db, row, item.get("councils", []), sketch)
        if stored and item.get("requested_url"):
            # the entry's own link, which redirected here: known to the next crawl
            record_alias(self.db, item["requested_url"], item["id"], row["fetched"])
        health = self._health(spider).get(item["source_id"])
        if stored and health is not None:
            health.items_new += 1  # new, or newer: an update counts as something new
        return item
