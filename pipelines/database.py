"""Base for pipelines that read or write the store: one connection per spider run."""

from __future__ import annotations

from typing import Any

from store import open_db


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

    def close_spider(self, spider: Any = None) -> None:
        self.db.close()
