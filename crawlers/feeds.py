"""Read RSS/Atom feeds with feedparser and follow each entry to its page for the full text."""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.base import RadarSpider
from pipelines.normalise import DATE_FORMAT
from pipelines.urls import is_web_url, unwrap_alert_link
from radar.config import Source

KIND_BY_ORIGIN = {"council": "news", "media": "media", "alert": "alert", "government": "notice"}
# A council's own pages are fetched first, so when a blog reprints a press release word for
# word, de-duplication keeps the council's original and drops the copy.
PRIORITY_BY_ORIGIN = {"council": 20, "government": 10, "media": 5, "alert": 0}


def entry_updated(entry: Any) -> str | None:
    """When the feed says an entry last changed (Atom <updated>), if later than published."""
    updated, published = entry.get("updated_parsed"), entry.get("published_parsed")
    if not updated or updated == published:
        return None
    return datetime.fromtimestamp(calendar.timegm(updated), UTC).strftime(DATE_FORMAT)


def entry_published(entry: Any) -> str | None:
    """feedparser normalises RSS and Atom dates to UTC struct_time; keep ISO 8601."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).strftime(DATE_FORMAT)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class FeedSpider(RadarSpider):
    """One spider for every feed source: council news, media, e-alerts, government notices.

    Feeds are fetched with conditional GET: the ETag and Last-Modified of the last fetch go
    back as If-None-Match / If-Modified-Since, and a 304 means nothing to read.
    """

    name = "feeds"

    def __init__(
        self, *args: Any, validators: dict[str, dict[str, str]] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.validators = validators or {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> FeedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.read_alerts_last, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            if source.origin != "alert":
                yield self.feed_request(source)

    def read_alerts_last(self) -> None:
        """Alert feeds point at stories the media feeds also carry: reading them once the
        other feeds are done means each story is stored under its publisher's feed; the
        alert's copy is then skipped (same URL) or dropped by de-duplication (same text)."""
        alerts = [s for s in self.sources if s.origin == "alert" and s.id not in self.health]
        if not alerts:
            return
        for source in alerts:
            self.crawler.engine.crawl(self.feed_request(source))
        raise DontCloseSpider

    def feed_request(self, source: Source) -> scrapy.Request:
        self.begin(source)
        known = self.validators.get(source.id, {})
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return scrapy.Request(
            source.url,
            headers=headers,
            callback=self.parse_feed,
            errback=self.feed_failed,
            cb_kwargs={"source": source},
            meta={"handle_httpstatus_list": [304]},
            priority=PRIORITY_BY_ORIGIN[source.origin],
            dont_filter=True,
        )

    def parse_feed(self, response: Response, source: Source) -> Iterator[Any]:
        if response.status == 304:
            self.succeeded(source, 304, 0)
            return
        health = self.health[source.id]
        health.etag = _header(response, b"ETag")
        health.last_modified = _header(response, b"Last-Modified")
        feed = feedparser.parse(
            response.body,
            response_headers={"content-type": response.headers.get("Content-Type", b"").decode()},
        )
        if feed.bozo and not feed.entries:
            reason = f"{response.url}: not a readable feed ({feed.bozo_exception})"
            self.record_error(source, response.status, reason)
            return
        self.succeeded(source, response.status, len(feed.entries))
        for entry in feed.entries:
            link = entry.get("link")
            if not link:
                continue
            link = response.urljoin(link)  # feeds may use relative links
            if source.origin == "alert":
                link = unwrap_alert_link(link)
            if not is_web_url(link):
                continue
            published = entry_published(entry)
            fetch, is_update = self.needs_fetch(link, entry_updated(entry))
            if not fetch:
                continue
            item = self.base_item(
                source,
                url=link,
                kind=KIND_BY_ORIGIN[source.origin],
                title=entry.get("title", ""),
                summary=entry.get("summary", ""),
                published=published,
                date_source="feed" if published else None,
                update=is_update,
            )
            yield scrapy.Request(
                link,
                callback=self.parse_body,
                errback=self.page_failed,
                cb_kwargs={"item": item},
                priority=PRIORITY_BY_ORIGIN[source.origin],
            )

    def page_failed(self, failure: Failure) -> Iterator[dict[str, Any]]:
        """The page is gone, forbidden or blocked by robots.txt: keep the feed's summary."""
        item = failure.request.cb_kwargs["item"]
        self.logger.info("keeping summary only for %s (%s)", item["url"], failure.getErrorMessage())
        yield {**item, "summary_only": True}

    def feed_failed(self, failure: Failure) -> None:
        self.failed(failure.request.cb_kwargs["source"], failure)
