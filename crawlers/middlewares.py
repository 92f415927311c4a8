"""Downloader middleware: retries that slow the whole domain down, and honour Retry-After.

Scrapy's RetryMiddleware retries at once. A council server that answers 5xx, times out, or
says 429/503 with Retry-After is asking us to back off, so each retry first raises the
domain's download delay: to the Retry-After the server gave, or exponentially per attempt.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response

BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each attempt
BACKOFF_CAP = 60.0
MAX_RETRY_AFTER = 300.0  # a server asking for longer is recorded as failing for this crawl


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    """Retry with the domain slowed down; once it answers well again, restore its pace."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RADAR_BACKOFF_BASE", BACKOFF_BASE)
        self._raised: dict[str, float] = {}  # slot key -> delay before we raised it

    def _slot(self, request: Request) -> tuple[str, Any]:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def _slow_domain(self, request: Request, delay: float) -> None:
        key, slot = self._slot(request)
        if slot is not None and delay > slot.delay:
            self._raised.setdefault(key, slot.delay)
            slot.delay = delay

    def _backoff(self, request: Request) -> None:
        """Slow the domain before a retry; with no retry to follow (the last attempt, or
        retries off) there is nothing to wait for, and the domain's other pages keep pace."""
        attempt = request.meta.get("retry_times", 0)
        if request.meta.get("dont_retry") or attempt >= request.meta.get(
            "max_retry_times", self.max_retry_times
        ):
            return
        self._slow_domain(request, min(BACKOFF_CAP, self.backoff_base * 2**attempt))

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if response.status < 400:
            key, slot = self._slot(request)
            if key in self._raised and slot is not None:
                slot.delay = self._raised.pop(key)  # AutoThrottle, if on, adjusts from here
            return response
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None and response.status in (429, 503):
            if wait > MAX_RETRY_AFTER:
                return response  # not worth holding the crawl: the source records the 429/503
            self._slow_domain(request, wait)
        else:
            self._backoff(request)
        return super().process_response(request, response)

    def process_exception(
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        if isinstance(exception, self.exceptions_to_retry):
            self._backoff(request)
        return super().process_exception(request, exception)


class FirstPageOnly:
    """Spider middleware for `radar watch check --online`: each source's first page is
    fetched and parsed as in a crawl, and the links it would follow are counted, not fetched.

    That answers "does this source work?" with one request per source (plus robots.txt),
    where a full crawl of a democracy site would take thousands.
    """

    def __init__(self) -> None:
        self.offered: dict[str, int] = {}  # source id -> links its first page offered

    @classmethod
    def from_crawler(cls, crawler: Any) -> FirstPageOnly:
        middleware = cls()
        crawler.first_page_only = middleware  # read back by crawlers.run.check_sources
        return middleware

    def _keep(self, result: Any) -> bool:
        if not isinstance(result, Request):
            return True
        kwargs = result.cb_kwargs
        source = kwargs.get("source")
        source_id = source.id if source is not None else kwargs.get("item", {}).get("source_id")
        if source_id:
            self.offered[source_id] = self.offered.get(source_id, 0) + 1
        return False

    def process_spider_output(self, response: Response, result: Any, spider: Any = None) -> Any:
        return (r for r in result if self._keep(r))

    async def process_spider_output_async(
        self, response: Response, result: Any, spider: Any = None
    ) -> Any:
        async for r in result:
            if self._keep(r):
                yield r
