"""Link each item to the councils it is about (the rules live in classifiers.attribution)."""

from __future__ import annotations

from typing import Any

from classifiers.attribution import CouncilMatcher, attribute
from domain.config import WatchList
from domain.items import Item


class AttributePipeline:
    def __init__(self, watchlist: WatchList):
        self.matcher = CouncilMatcher(watchlist.council_register().values())

    @classmethod
    def from_crawler(cls, crawler: Any) -> AttributePipeline:
        return cls(crawler.settings["RADAR_WATCHLIST"])

    def process_item(self, item: Item, spider: Any = None) -> Item:
        own = item.get("council") if item.get("origin") == "council" else None
        item["councils"] = attribute(self.matcher, item["title"], item["text"], own)
        return item
