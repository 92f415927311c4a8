"""Downloader middlewares for politeness: a hard cap on requests in flight per host, and
retries that slow the whole domain down and honour Retry-After.

Scrapy's RetryMiddleware retries at once. A council server that answers 5xx, times out, or
says 429/503 with Retry-After is asking us to back off, so each retry first raises the
domain's download delay: to the Retry-After the server gave, or exponentially per attempt.

Scrapy 2.19's own per-domain limit does not hold under the asyncio reactor (see
`HostConcurrencyLimit`), so the cap the README promises is enforced here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import DeferredSemaphore
from twisted.internet.error import TimeoutError as ConnectTimeoutError

from pipelines.urls import canonical_url

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


class PageReadElsewhere(IgnoreRequest):
    """A feed entry's redirect leads to a page this crawl has already read for another
    entry: not downloaded again; the entry's errback decides what it keeps."""

    def __init__(self, url: str):
        super().__init__(f"redirects to {url}, already read in this crawl")
        self.url = url


class EntryRedirects:
    """Downloader middleware: a feed entry's requests are never dropped as duplicates (the
    spider sets `dont_filter`, so a page that redirects to itself is read and several links
    to one page each reach their entry's errback or callback); this keeps that from costing
    a council's server a second download of a page one entry already brought back."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        taken = getattr(spider, "pages_taken", None)
        if taken and request.meta.get("redirect_urls") and request.meta.get("radar_entry"):
            if canonical_url(request.url) in taken:
                raise PageReadElsewhere(request.url)


# What a host too slow to answer raises: Scrapy's download timeout, a connect timeout.
TIMEOUTS = (DownloadTimeoutError, ConnectTimeoutError, TimeoutError)


class PutOff(IgnoreRequest):
    """A page not asked for in this crawl, to keep one slow host or source from holding up
    the rest: kept (a feed's summary, a placeholder), counted, and fetched by a later crawl
    (`crawlers.base.worth_refetching`)."""


class TimeLimitReached(PutOff):
    """A page whose turn came after the crawl's time limit (`run_crawl`'s `stop_at`)."""


def source_id_of(request: Request) -> str | None:
    """The watch-list source a request works for (None for robots.txt)."""
    source = request.cb_kwargs.get("source")
    if source is not None:
        return source.id
    item = request.cb_kwargs.get("item")
    return item.get("source_id") if item is not None else None


class CrawlBudget:
    """Downloader middleware: a host that keeps timing out, or a source past its time budget,
    gets no more requests in this crawl (`crawl.slow_host_timeouts`, `crawl.source_budget`).

    Without it a host that drips its pages holds each of its connection slots for
    `download_timeout` x tries (about 93 s with the defaults) per page, so twenty pages of one
    feed kept every other page of that host, and the crawl job, waiting for half an hour.
    Placed after `HostConcurrencyLimit` (950): a request is judged when its turn on the host
    comes, not when it joined the queue for it (all of a feed's pages join at once), and
    refused with its permit given back (that middleware's `process_exception`). A timeout
    is seen here first, so the retry it makes is refused once the host is found slow.
    `clock` is injectable (seconds, monotonic) for tests.
    """

    def __init__(
        self,
        crawler: Any,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.clock, self.wall_clock = clock, wall_clock
        self.max_timeouts = max(1, settings.getint("RADAR_SLOW_HOST_TIMEOUTS", 3))
        self.budget = settings.getfloat("RADAR_SOURCE_BUDGET", 1800.0)
        # The crawl's time limit (Unix time), if it has one: past it, no page is started. Scrapy's
        # CLOSESPIDER_TIMEOUT closes the spider then, but waits for every request already
        # handed to the downloader, and a slow host's pages queue here for their turn.
        self.stop_at = settings.getfloat("RADAR_STOP_AT", 0.0) or None
        self.timeouts: dict[str, int] = {}  # host -> timeouts in a row
        self.started: dict[str, float] = {}  # source id -> when its first request was made

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlBudget:
        return cls(crawler)

    @staticmethod
    def _host(request: Request) -> str:
        """The request's host, as Scrapy keys its download slots (or the slot it names)."""
        return request.meta.get("download_slot") or urlparse_cached(request).hostname or ""

    def process_request(self, request: Request, spider: Any = None) -> None:
        source = source_id_of(request)
        if source is None:
            return  # robots.txt: the robots middleware decides what its failure means
        if self.stop_at is not None and self.wall_clock() >= self.stop_at:
            cut_short = getattr(self.crawler.spider, "cut_short", None)
            if cut_short is not None:
                cut_short.add(source)
            raise TimeLimitReached("put off to the next crawl: the crawl's time limit came")
        host = self._host(request)
        if self.timeouts.get(host, 0) >= self.max_timeouts:
            raise PutOff(
                f"put off to the next crawl: {host} timed out {self.max_timeouts} times in "
                "a row in this one"
            )
        now = self.clock()
        if now - self.started.setdefault(source, now) > self.budget:
            raise PutOff(
                f"put off to the next crawl: its source's time budget "
                f"(crawl.source_budget, {self.budget:.0f} s) is spent"
            )

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        host = self._host(request)
        if self.timeouts.get(host, 0) < self.max_timeouts:
            self.timeouts.pop(host, None)  # it answers: the next timeout starts a new count
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        if isinstance(exception, TIMEOUTS):
            host = self._host(request)
            self.timeouts[host] = self.timeouts.get(host, 0) + 1


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
