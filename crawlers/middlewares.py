"""Downloader middlewares for politeness: a hard cap on requests in flight per host, and
retries that slow the whole domain down and honour Retry-After.

Scrapy's RetryMiddleware retries at once. A council server that answers 5xx, times out, or
says 429/503 with Retry-After is asking us to back off, so each retry first raises the
domain's download delay: to the Retry-After the server gave, or exponentially per attempt.

Scrapy 2.19's own per-domain limit does not hold under the asyncio reactor (see
`HostConcurrencyLimit`), so the cap the README promises is enforced here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import DeferredSemaphore

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


class HostConcurrencyLimit:
    """Downloader middleware: at most CONCURRENT_REQUESTS_PER_DOMAIN requests (or the
    DOWNLOAD_SLOTS concurrency of the slot) to one host in flight at once.

    Why not leave it to Scrapy: its downloader slot counts a request as transferring only
    once the task that downloads it has started, and under the asyncio reactor that task
    starts on the next turn of the event loop (`_schedule_coro`). Every request that reaches
    the slot in the same turn therefore sees the slot free, and a council server got 8-10
    requests at once with a limit of 2 (robots.txt or not). Here a permit is taken before
    the request reaches the downloader slot and given back when its transfer ends, so the
    slot never holds more than its limit and Scrapy's own delay and AutoThrottle still apply.

    Placed last before the download handler (after the SSRF guard and robots.txt, which
    fetch robots.txt through this same chain): a request holding a permit waits for nothing
    but its own transfer, so permits cannot deadlock.
    """

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.default_limit = max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        self.slot_settings: dict[str, dict[str, Any]] = settings.getdict("DOWNLOAD_SLOTS")
        self._gates: dict[str, DeferredSemaphore] = {}  # slot key -> permits for that host
        self._holders: dict[Request, str] = {}  # request holding a permit -> its slot key
        self.peak: dict[str, int] = {}  # slot key -> most permits held at once (for tests)

    @classmethod
    def from_crawler(cls, crawler: Any) -> HostConcurrencyLimit:
        middleware = cls(crawler)
        # The transfer's end, whatever its outcome (even a cancelled download), frees the
        # permit; process_response/process_exception cover a request that never got there.
        crawler.signals.connect(middleware._left_downloader, signal=signals.request_left_downloader)
        return middleware

    def limit(self, key: str) -> int:
        """The slot's concurrency as Scrapy would set it: DOWNLOAD_SLOTS, else per domain."""
        return max(1, int(self.slot_settings.get(key, {}).get("concurrency", self.default_limit)))

    async def process_request(self, request: Request, spider: Any = None) -> None:
        # Scrapy's own slot key (the host, or the request's `download_slot` meta), so the cap
        # applies to exactly what Scrapy's slot was meant to limit.
        key = self.crawler.engine.downloader.get_slot_key(request)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = DeferredSemaphore(self.limit(key))
        await maybe_deferred_to_future(gate.acquire())
        self._holders[request] = key
        held = gate.limit - gate.tokens
        self.peak[key] = max(self.peak.get(key, 0), held)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        self._release(request)

    def _left_downloader(self, request: Request, **_: Any) -> None:
        self._release(request)

    def _release(self, request: Request) -> None:
        """Give the request's permit back (once: every path that ends a download calls this)
        and forget a host nobody is waiting for, so a long crawl keeps no gate per host."""
        key = self._holders.pop(request, None)
        if key is None:
            return
        gate = self._gates[key]
        gate.release()  # hands the permit straight to the next waiting request, if any
        if gate.tokens == gate.limit and not gate.waiting:
            del self._gates[key]


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
