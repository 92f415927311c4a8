"""What every Council Radar spider shares: its sources, what is already stored, source health."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.guard import RequestRefused, shorten
from crawlers.middlewares import PutOff
from domain.config import Source
from domain.items import Item
from pipelines.extract import is_docx, is_pdf
from pipelines.normalise import now_iso
from pipelines.urls import canonical_url


@dataclass
class SourceHealth:
    """One crawl of one source, as the admin sees it in the `sources` table."""

    last_attempt: str
    last_success: str | None = None
    last_status: int | None = None
    last_error: str | None = None
    items_found: int = 0
    items_new: int = 0
    etag: str | None = None
    last_modified: str | None = None
    items_failed: int = 0
    last_item_error: str | None = None
    # a sitemap source's documents with their validators (crawlers.sitemaps), stored as JSON
    page_validators: dict[str, Any] | None = None

    def as_row(self) -> dict[str, Any]:
        row = dict(self.__dict__)
        if row["page_validators"] is not None:
            row["page_validators"] = json.dumps(row["page_validators"])
        if row["last_success"] is None:
            del row["last_success"]  # keep the previous success time
        return row


def response_header(response: Response, name: bytes) -> str | None:
    """A response header as text (header bytes are not always UTF-8: latin-1 reads any)."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def validator_headers(known: dict[str, Any]) -> dict[str, str]:
    """Conditional GET: the ETag and Last-Modified a page answered with when last read whole
    go back as If-None-Match / If-Modified-Since, so an unchanged page costs a 304."""
    headers = {}
    if known.get("etag"):
        headers["If-None-Match"] = known["etag"]
    if known.get("last_modified"):
        headers["If-Modified-Since"] = known["last_modified"]
    return headers


def describe_failure(failure: Failure) -> tuple[int | None, str]:
    """HTTP status (if any) and a readable reason naming the URL."""
    request = getattr(failure, "request", None)
    url = shorten(request.url) if request is not None else "?"
    if failure.check(HttpError):
        status = failure.value.response.status
        return status, f"{url}: HTTP {status}"
    if failure.check(RequestRefused, PutOff):  # already words: "refused: 10.0.0.5 is a …"
        return None, f"{url}: {failure.getErrorMessage()}"
    if failure.check(DownloadCancelledError) and not str(failure.value):
        # Scrapy cancels without a word when a body without Content-Length passes the limit
        return None, f"{url}: download stopped at the size limit (crawl.max_bytes)"
    return None, f"{url}: {failure.type.__name__}: {failure.getErrorMessage()}"


def worth_refetching(failure: Failure) -> bool:
    """Whether a later crawl may get what this fetch did not (the retries within this crawl
    have been spent): a server error, a rate limit, a timeout, a dropped or refused
    connection or a failed DNS lookup may pass; a page that is gone (404, 410) or forbidden,
    one robots.txt or the SSRF guard keeps us from, a redirect loop or a body over the size
    limit will be the same next time."""
    if failure.check(HttpError):
        status = failure.value.response.status
        return status >= 500 or status in (408, 425, 429)
    if failure.check(PutOff):  # a slow host or a spent budget: this crawl's, not the page's
        return True
    return not failure.check(IgnoreRequest, DownloadCancelledError)


# Tags every HTML page has some of; random bytes or a bare error string have none.
_MARKUP = re.compile(
    rb"<(?:!doctype|html|head|body|title|meta|div|table|form|a|p|ul|li|span|h[1-6])[\s>/]",
    re.IGNORECASE,
)


def unreadable_page(response: Response) -> str | None:
    """Why a page that answered 200 cannot be a page of the site, or None if it can be: not
    text (an image, a PDF) or text with no HTML in it (garbage, a bare error string). A site
    mid-deploy or a broken proxy serves such pages with 200; read as pages they would list
    nothing, and the meetings or articles behind them would be skipped without a word."""
    url = shorten(response.url)
    if not isinstance(response, TextResponse):
        kind = response.headers.get("Content-Type", b"").decode("latin-1") or "no Content-Type"
        return f"{url}: not a web page ({kind})"
    if not _MARKUP.search(response.body[:262144]):
        return f"{url}: not a readable web page (no HTML in its {len(response.body):,} bytes)"
    return None


# Sent once per source, when its feed or listing has answered (or failed): drives progress.
source_checked = object()


class RadarSpider(scrapy.Spider):
    """Base spider: knows its watch-list sources and records how each one fared."""

    def __init__(
        self,
        sources: list[Source],
        known_urls: dict[str, str] | None = None,
        refetch: dict[str, list[dict[str, Any]]] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.sources = sources
        self.known_urls = known_urls or {}  # canonical URL -> when it was fetched
        self.refetch = refetch or {}  # source id -> stored items due another fetch (store.items)
        self.refetched: set[str] = set()  # sources whose due items have been asked for
        self.health: dict[str, SourceHealth] = {}
        self.cut_short: set[str] = set()  # sources with pages put off at the time limit

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> RadarSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.callback_crashed, signal=signals.spider_error)
        crawler.signals.connect(spider.refetch_stored, signal=signals.spider_idle)
        return spider

    def refetch_stored(self, spider: Any) -> None:
        """When the crawl has nothing else to do: fetch again the stored items due another
        try (`store.items.refetch_due`), for each source that answered in this crawl. A
        source that failed is left alone: its pages would fail too, and use up their tries."""
        if spider is not self:
            return
        requests = []
        for source in self.sources:
            health = self.health.get(source.id)
            if source.id in self.refetched or health is None or health.last_error is not None:
                continue
            self.refetched.add(source.id)
            requests += [
                self.refetch_request(source, row) for row in self.refetch.get(source.id, ())
            ]
        if requests:
            for request in requests:
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def refetch_request(self, source: Source, row: dict[str, Any]) -> scrapy.Request:
        """A stored item's page or document, asked for again; what it yields updates it."""
        meta = json.loads(row["meta"] or "{}")
        for stale in ("extract_error", "extract_note"):
            meta.pop(stale, None)
        item = self.base_item(
            source,
            url=row["url"],
            kind=row["kind"],
            title=row["title"] or "",
            published=row["published"],
            date_source=row["date_source"],
            meta=meta,
            update=True,
        )
        return scrapy.Request(
            row["url"],
            callback=self.parse_body,
            errback=self.article_failed,
            cb_kwargs={"item": item},
        )

    def callback_crashed(self, failure: Failure, response: Response, spider: Any) -> None:
        """A bug or an input our code did not expect: recorded like any failure, not lost."""
        if spider is not self:
            return
        kwargs = response.request.cb_kwargs if response.request else {}
        reason = f"{response.url}: {failure.type.__name__}: {failure.getErrorMessage()}"
        if "source" in kwargs:
            self.record_error(kwargs["source"], response.status, reason)
        elif "item" in kwargs:
            self.record_item_error(self.source_of(kwargs["item"]), reason)

    def unaccounted(self, source_id: str) -> int:
        """Pages asked for on behalf of `source_id` that neither answered nor failed (the
        crawl stopped first, or a layer dropped them): the feed spider counts its entries."""
        return 0

    def stopped_at_time_limit(self) -> None:
        """The crawl reached its time limit (`run_crawl`'s `stop_at`): each source begun that
        had not answered, or still had entries to read, failed this crawl. Counted like any
        failure, so one that never finishes is suspended in the end (`crawl.max_failures`)."""
        for source in self.sources:
            health = self.health.get(source.id)
            if health is None or health.last_error is not None:
                continue  # never begun (nothing to say), or already failing
            missing = self.unaccounted(source.id)
            if health.last_status is None:
                health.last_error = f"{shorten(source.url)}: no answer before the time limit"
            elif missing or source.id in self.cut_short:
                health.last_error = (
                    f"{shorten(source.url)}: pages still to read at the time limit (kept "
                    "for the next crawl)"
                )

    def source_of(self, item: Item) -> Source:
        return next(s for s in self.sources if s.id == item["source_id"])

    def begin(self, source: Source) -> SourceHealth:
        health = self.health[source.id] = SourceHealth(last_attempt=now_iso())
        return health

    def succeeded(self, source: Source, status: int, found: int) -> None:
        health = self.health[source.id]
        health.last_success, health.last_status, health.last_error = now_iso(), status, None
        health.items_found += found
        self._checked(source, ok=True)

    def failed(self, source: Source, failure: Failure) -> None:
        status, reason = describe_failure(failure)
        self.record_error(source, status, reason)

    def item_failed(self, source: Source, failure: Failure) -> None:
        """A page or document of a working source failed: counted and shown to the admin,
        but it does not make the source itself failing (or suspend it)."""
        self.record_item_error(source, describe_failure(failure)[1])

    def record_item_error(self, source: Source, reason: str) -> None:
        health = self.health[source.id]
        health.items_failed += 1
        health.last_item_error = reason
        self.logger.warning("item failed: %s", reason)

    def article_failed(self, failure: Failure) -> Iterator[Item]:
        """Errback for an article or document request (its item is in cb_kwargs): counted on
        its source, and stored as a placeholder (its headline or document title, its date,
        no text), so later crawls ask again only as `crawl.refetch_after` and
        `crawl.refetch_limit` allow, and never after a final failure (a 404, robots.txt).
        Not storing it made every later crawl ask for it again, for ever. One already stored
        without its text (fetched again) counts the failure against its refetch limit."""
        item = failure.request.cb_kwargs["item"]
        self.item_failed(self.source_of(item), failure)
        yield self.fetch_failed(item, failure)

    @staticmethod
    def fetch_failed(item: Item, failure: Failure) -> Item:
        """`item` without its page: its summary (if it has one), marked to be fetched again
        by a later crawl when that may help (`refetch`, counted by the store)."""
        return Item(item, summary_only=True, refetch=worth_refetching(failure))

    def readable(self, response: Response, source: Source, entry: bool = False) -> bool:
        """Whether `response` is a page to read; if not, the reason is recorded: on the source
        for its entry page (which makes it failing), as an item error for any other page."""
        reason = unreadable_page(response)
        if reason is None:
            return True
        if entry:
            self.record_error(source, response.status, reason)
        else:
            self.record_item_error(source, reason)
        return False

    def record_error(self, source: Source, status: int | None, reason: str) -> None:
        health = self.health[source.id]
        health.last_status, health.last_error = status, reason
        self.logger.warning("source failed: %s", reason)
        self._checked(source, ok=False)

    def _checked(self, source: Source, ok: bool) -> None:
        if self.crawler is not None:
            self.crawler.signals.send_catch_log(source_checked, source=source, ok=ok)

    def needs_fetch(self, url: str, updated: str | None = None) -> tuple[bool, bool]:
        """(fetch it?, is it an update of a stored item?) for an article or document URL.

        Stored URLs are not fetched again unless the source dates a change after the fetch
        (items stored without their text are fetched again from the store: `refetch_stored`).
        """
        fetched = self.known_urls.get(canonical_url(url))
        if fetched is None:
            return True, False
        if updated and fetched and updated > fetched:
            return True, True
        return False, False

    def parse_body(self, response: Response, item: Item) -> Iterator[Item]:
        """A page or document fetched for `item`: the pipelines extract its text."""
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        # Scrapy works out a page's encoding (header, BOM, <meta charset>) for text responses,
        # and takes a PDF for one: guessing a document's "encoding" ran a charset detector
        # over every set of minutes (a 40th of a crawl), for a value nothing reads.
        document = is_pdf(content_type, response.url, response.body) or is_docx(
            content_type, response.url, response.body
        )
        text = isinstance(response, TextResponse) and not document
        item.update(
            url=response.url,
            body=response.body,
            encoding=response.encoding if text else None,
            content_type=content_type,
        )
        yield item

    def base_item(self, source: Source, **fields: Any) -> Item:
        return Item(source_id=source.id, origin=source.origin, council=source.council, **fields)
