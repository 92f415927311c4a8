"""Write items to the store, and each source's health when the crawl closes."""

from __future__ import annotations

import json
from typing import Any

from pipelines.database import StoreBackedPipeline
from store.councils import record_source_run
from store.items import insert_item, update_item
from store.stories import save_sketch

ITEM_COLUMNS = (
    "id", "url", "canonical_url", "source_id", "origin", "kind", "title", "text",
    "summary_only", "published", "date_source", "fetched", "content_hash", "story_id",
)  # fmt: skip


class StorePipeline(StoreBackedPipeline):
    def _health(self, spider: Any) -> dict[str, Any]:
        spider = spider or getattr(self.crawler, "spider", None)
        return getattr(spider, "health", {})

    def close_spider(self, spider: Any = None) -> None:
        for source_id, health in self._health(spider).items():
            record_source_run(self.db, source_id, **health.as_row())
        super().close_spider(spider)

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        row = {key: item.get(key) for key in ITEM_COLUMNS}
        row["summary_only"] = int(bool(item.get("summary_only")))
        row["page_offsets"] = json.dumps(item["page_offsets"]) if item.get("page_offsets") else None
        row["meta"] = json.dumps(item.get("meta") or {})
        if item.get("update"):
            stored = update_item(self.db, row, item.get("councils"))
        else:
            stored = insert_item(self.db, row, item.get("councils", []))
            if stored and item.get("story_sketch"):
                save_sketch(self.db, item["id"], item["story_id"], item["story_sketch"])
        health = self._health(spider).get(item["source_id"])
        if stored and health is not None:
            health.items_new += 1  # new, or newer: an update counts as something new
        return item
