"""Read RSS/Atom feeds with feedparser and follow each entry to its page for the full text."""

from __future__ import annotations

import calendar
import io
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.base import RadarSpider, response_header, validator_headers
from crawlers.middlewares import PageReadElsewhere
from domain.config import Source
from domain.items import Item
from pipelines.normalise import DATE_FORMAT
from pipelines.urls import canonical_url, is_web_url, unwrap_alert_link

KIND_BY_ORIGIN = {"council": "news", "media": "media", "alert": "alert", "government": "notice"}
# A council's own pages are fetched first, so when a blog reprints a press release word for
# word, de-duplication keeps the council's original and drops the copy.
PRIORITY_BY_ORIGIN = {"council": 20, "government": 10, "media": 5, "alert": 0}


def _iso(parsed: Any) -> str | None:
    """A feedparser struct_time (UTC) as ISO 8601; None for a date no calendar holds
    (a feed may say year 99999), so one absurd date costs the date, not the feed."""
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC).strftime(DATE_FORMAT)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def entry_updated(entry: Any) -> str | None:
    """When the feed says an entry last changed (Atom <updated>), if later than published."""
    updated, published = entry.get("updated_parsed"), entry.get("published_parsed")
    if not updated or updated == published:
        return None
    return _iso(updated)


def entry_published(entry: Any) -> str | None:
    """feedparser normalises RSS and Atom dates to UTC struct_time; keep ISO 8601."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return _iso(parsed) if parsed else None


_CHAR_REF = rb"&#([xX][0-9a-fA-F]{1,16}|[0-9]{1,24});"
_CHAR_REF_PAIR = re.compile(_CHAR_REF + _CHAR_REF)
_ONE_CHAR_REF = re.compile(_CHAR_REF)


def _code_point(ref: bytes) -> int:
    return int(ref[1:], 16) if ref[:1] in (b"x", b"X") else int(ref)


def _joined_pair(match: re.Match[bytes]) -> bytes:
    high, low = _code_point(match[1]), _code_point(match[2])
    if 0xD800 <= high <= 0xDBFF and 0xDC00 <= low <= 0xDFFF:
        return b"&#x%X;" % (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    return match[0]


def _no_impossible_char(match: re.Match[bytes]) -> bytes:
    code = _code_point(match[1])
    return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else match[0]


def repair_char_refs(body: bytes) -> bytes:
    """Character references no character answers to, rewritten before feedparser sees them.

    A strict XML parser rejects `&#xD800;` (half a UTF-16 pair) and `&#1114112;` (past
    Unicode); feedparser's fallback parser then calls chr() on them and raises, losing the
    whole feed. Halves written as a pair become the one character they spell; the rest
    become U+FFFD. (A UTF-16 or UTF-32 body spells "&#" otherwise and is left alone.)
    """
    if b"&#" not in body:
        return body
    return _ONE_CHAR_REF.sub(_no_impossible_char, _CHAR_REF_PAIR.sub(_joined_pair, body))


def unreadable_reason(feed: Any) -> str | None:
    """Why a parsed document is not a feed we can read, or None if it is one (maybe empty).

    feedparser reads what it can of broken XML and sets `bozo`. A document it recognised as
    RSS, Atom or RDF and read a channel from is a feed even if ill-formed: a council feed
    with `&nbsp;` in its title and no news this week is empty, not failing (a failure would
    count towards suspending it). An HTML error page, an empty or truncated document, or XML
    that is no feed at all (a sitemap) is an error the admin should see.
    """
    if feed.entries:
        return None
    recognised = bool(feed.get("version"))
    if feed.bozo:
        if recognised and feed.feed:
            return None
        return f"not a readable feed ({feed.get('bozo_exception')})"
    if recognised or feed.feed:  # CDF channels carry no version
        return None
    return "not a readable feed (no RSS, Atom or RDF channel or entries in it)"


def page_failure_in_words(failure: Failure) -> str:
    """An entry's page that could not be fetched, for the admin: "<url>: HTTP 404",
    "<url>: DNS lookup failed: …", not a Python exception's class name."""
    url = failure.request.url
    if failure.check(HttpError):
        return f"{url}: HTTP {failure.value.response.status}"
    message = failure.getErrorMessage().strip() or failure.type.__name__
    return f"{url}: {message}"


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
        # Source id -> entry links asked for and not yet answered (page read or failed): a
        # feed's validators are saved only when this is empty (`unaccounted`), so an entry
        # the crawl never finished is asked for again by the next crawl, not hidden by a 304.
        self.awaiting: dict[str, set[str]] = {}
        # Canonical page URL -> title of the entry whose page it became in this crawl.
        self.pages_taken: dict[str, str] = {}
        self.asked: set[str] = set()  # canonical entry links asked for in this crawl

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> FeedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.read_alerts_last, signal=signals.spider_idle)
        crawler.signals.connect(spider.entry_dropped, signal=signals.request_dropped)
        return spider

    def unaccounted(self, source_id: str) -> int:
        return len(self.awaiting.get(source_id, ()))

    def entry_dropped(self, request: scrapy.Request, spider: Any) -> None:
        """A layer dropped an entry's request without calling its errback (Scrapy's scheduler
        does, for one it takes for a duplicate): counted on the source, and left unaccounted
        so the feed's validators are not saved and the next crawl asks for the entry again."""
        item = request.cb_kwargs.get("item")
        if spider is self and item is not None:
            self.record_item_error(
                self.source_of(item), f"{request.url}: dropped by the crawl (not fetched)"
            )

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
        return scrapy.Request(
            source.url,
            headers=validator_headers(self.validators.get(source.id, {})),
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
        try:
            feed = feedparser.parse(
                # a file object, never bytes: feedparser opens bytes naming a path or URL
                io.BytesIO(repair_char_refs(response.body)),
                response_headers={"content-type": response_header(response, b"Content-Type") or ""},
            )
        except Exception as exc:  # noqa: BLE001 - the parser on hostile input raises anything
            reason = f"{response.url}: not a readable feed (the feed parser gave up: {exc})"
            self.record_error(source, response.status, reason)
            return
        reason = unreadable_reason(feed)
        if reason:
            self.record_error(source, response.status, f"{response.url}: {reason}")
            return
        if not feed.bozo:
            # Validators only for a feed read cleanly: kept for a feed cut off mid-document
            # (or an error page the parser half-read), the next crawl's 304 would hide the
            # entries this one never saw until the council published again.
            health = self.health[source.id]
            health.etag = response_header(response, b"ETag")
            health.last_modified = response_header(response, b"Last-Modified")
        self.succeeded(source, response.status, len(feed.entries))
        for entry in feed.entries:
            request = self.entry_request(response, source, entry)
            if request is not None:
                yield request

    def entry_request(
        self, response: Response, source: Source, entry: Any
    ) -> scrapy.Request | None:
        """The request for an entry's page, or None for an entry without a usable web link
        (none, unparseable, not http(s)) or one already stored and unchanged."""
        link = entry.get("link")
        if not link or not isinstance(link, str):
            return None
        try:
            link = response.urljoin(link.strip())  # feeds may use relative links
            if source.origin == "alert":
                link = unwrap_alert_link(link)
            if not is_web_url(link):
                return None
            fetch, is_update = self.needs_fetch(link, entry_updated(entry))
        except ValueError as exc:  # "http://[::1/x": one bad link must not cost the rest
            self.record_item_error(
                source, f"{response.url}: unusable entry link {link[:200]!r} ({exc})"
            )
            return None
        asked = canonical_url(link)
        if not fetch or asked in self.asked:  # the same link in two feeds: one fetch
            return None
        self.asked.add(asked)
        self.awaiting.setdefault(source.id, set()).add(link)
        published = entry_published(entry)
        item = self.base_item(
            source,
            url=link,
            kind=KIND_BY_ORIGIN[source.origin],
            title=entry.get("title") or "",
            summary=entry.get("summary") or "",
            published=published,
            date_source="feed" if published else None,
            update=is_update,
        )
        # Never taken for a duplicate: a page that redirects to itself (a cookie or session
        # wall) or to a page another entry also leads to would otherwise be dropped by
        # Scrapy's duplicate filter, without its errback, and the entry lost (`parse_body`
        # sorts out the many-to-one case). A redirect keeps the flag, and the redirect
        # middleware's 20-hop limit still ends a loop (in `page_failed`).
        return scrapy.Request(
            link,
            callback=self.parse_body,
            errback=self.page_failed,
            cb_kwargs={"item": item},
            priority=PRIORITY_BY_ORIGIN[source.origin],
            dont_filter=True,
            meta={"radar_entry": True},
        )

    def parse_body(self, response: Response, item: Item) -> Iterator[Item]:
        """An entry's page, read; one that answered from another address is the entry's
        only if no other entry's page is already there (`sent_elsewhere`)."""
        self.awaiting.get(item["source_id"], set()).discard(item["url"])
        kept = self.sent_elsewhere(item, response.url)
        if kept is not None:
            yield kept
            return
        self.pages_taken.setdefault(canonical_url(response.url), item.get("title") or "")
        yield from super().parse_body(response, item)

    def sent_elsewhere(self, item: Item, page_url: str) -> Item | None:
        """What an entry redirected to `page_url` keeps, or None to read the page as its own.

        When several links of this crawl lead to one page (a site that moved its news to one
        index page), the first entry to arrive gets the page and one with the same headline
        is the same story; any other keeps its own headline and summary under its own link,
        counted on the source, with the page it was sent to noted (`meta.redirected_to`).
        A link to a page an earlier crawl stored is taken for that story (a redirect wrapper,
        a syndicated copy), as the de-duplication would take it. Each link that leads to a
        stored page is remembered with it (`requested_url`), so no later crawl asks again;
        an update the feed announces goes to the page it leads to."""
        page, asked = canonical_url(page_url), canonical_url(item["url"])
        if page == asked:
            return None
        owner = self.pages_taken.get(page)
        if owner is not None and owner != (item.get("title") or "") and not item.get("update"):
            self.record_item_error(
                self.source_of(item),
                f"{item['url']}: redirects to {page_url}, another entry's page: kept the "
                "feed's summary",
            )
            meta = {**(item.get("meta") or {}), "redirected_to": page_url}
            return Item(item, summary_only=True, refetch=False, meta=meta)
        item["requested_url"] = asked
        return None

    def page_failed(self, failure: Failure) -> Iterator[Item]:
        """The page is gone, forbidden, unreachable or blocked by robots.txt: keep the feed's
        summary. A failure is counted on the source (items_failed, last_item_error) so the
        admin sees what is missing; a page robots.txt keeps us from is a choice, not one."""
        item = failure.request.cb_kwargs["item"]
        self.awaiting.get(item["source_id"], set()).discard(item["url"])
        if failure.check(PageReadElsewhere):  # its page is another entry's, read already
            kept = self.sent_elsewhere(item, failure.value.url)
            # the same story: its link is remembered as another way to that page's item
            yield kept or Item(item, url=failure.value.url, alias_only=True)
            return
        reason = page_failure_in_words(failure)
        if failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            self.logger.info("keeping summary only for %s (%s)", item["url"], reason)
        else:
            self.record_item_error(self.source_of(item), reason)
        yield self.fetch_failed(item, failure)

    def feed_failed(self, failure: Failure) -> None:
        self.failed(failure.request.cb_kwargs["source"], failure)
