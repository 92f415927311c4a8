"""Exact de-duplication: the same canonical URL, or the same text under another URL."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from domain.items import Item
from pipelines.database import StoreBackedPipeline
from store.items import find_duplicate, mark_fetched, record_alias, stored_origin


class DedupePipeline(StoreBackedPipeline):
    def __init__(self, database: str, crawler: Any = None):
        super().__init__(database, crawler)
        self.seen_urls: set[str] = set()
        self.seen_hashes: set[str] = set()

    def process_item(self, item: Item, spider: Any = None) -> Item:
        url, digest = item["canonical_url"], item.get("content_hash")
        if item.get("alias_only"):
            record_alias(self.db, item["requested_url"], item["id"], item["fetched"])
            raise DropItem(f"another link to {item['url']}")
        if url in self.seen_urls:
            if item.get("requested_url"):  # a feed entry's link that redirects here
                record_alias(self.db, item["requested_url"], item["id"], item["fetched"])
            raise DropItem(f"duplicate in this crawl: {item['url']}")
        if item.get("update"):
            return self._check_update(item)
        original = find_duplicate(self.db, url, digest)
        if original is None and digest in self.seen_hashes:
            raise DropItem(f"same text as another item in this crawl: {item['url']}")
        if (
            original is not None
            and item.get("origin") == "council"
            and (stored_origin(self.db, url) not in (None, "council"))
        ):
            # A council's own page first stored through a media or search feed: the council's
            # version takes over, so it is attributed to (and dated by) its publisher.
            item["update"] = True
            self.seen_urls.add(url)
            return item
        if original is not None:
            if original != item["id"]:
                record_alias(self.db, url, original, item["fetched"])
            if item.get("requested_url"):  # a feed entry's link that redirects here
                record_alias(self.db, item["requested_url"], original, item["fetched"])
            raise DropItem(f"already stored: {item['url']}")
        self.seen_urls.add(url)
        if digest:
            self.seen_hashes.add(digest)
        return item

    def _check_update(self, item: Item) -> Item:
        """A stored URL the source says has changed (or one stored without its text, fetched
        again): keep it only if its text did change. One whose fetch failed again goes on
        to the store, which counts the failure."""
        if "refetch" in item:
            self.seen_urls.add(item["canonical_url"])
            return item
        same_text = find_duplicate(self.db, "", item.get("content_hash"))
        if same_text is not None:
            mark_fetched(self.db, item["canonical_url"], item["fetched"])  # don't ask again
            raise DropItem(f"updated but unchanged: {item['url']}")
        self.seen_urls.add(item["canonical_url"])
        return item
