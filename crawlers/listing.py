"""Council news sites without a feed: a news listing page → its article pages.

Article links come from the source's `selector` (CSS) when given; otherwise from a sensible
fallback: links on the same host under the listing's own folder (`/news/…` for a listing at
`/news`, `/news/` or `/news/index.aspx`; the folder above when nothing is under it), which
keeps the site's navigation and footer out, less the links that lead to more lists rather
than to an article: pagers ("View older news", "Next", "2"), month archives ("June 2026") and
section pages that other links on the page sit under (`/news/news_june_2026`). Older pages
are followed through `rel="next"` (or the source's `next_selector`) until a page brings
nothing new, at most MAX_PAGES a crawl.

The date a listing shows beside an article (in the list item or card holding its link and no
other article's) goes with the link, as `date_source` "listing": it is what the site's reader
sees, and it is there even when the article page's own date is only in misleading metadata
(see pipelines.dates for how it meets the date the article shows under its headline).

The listing's first page is asked for with conditional GET, as a feed is: the ETag and
Last-Modified it answered with when a crawl last read it to the end go back as If-None-Match
/ If-Modified-Since, and a 304 means nothing new was listed. Known articles are never asked
for again, and older pages only while a page lists something new.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from lxml.html import HtmlElement
from parsel import Selector
from scrapy.http import Response

from crawlers.base import RadarSpider, response_header, validator_headers
from domain.config import Source
from pipelines.dates import UK, midnight
from pipelines.normalise import clean_text
from pipelines.shown_dates import card_date
from pipelines.urls import canonical_url

MAX_PAGES = 5
DEFAULT_NEXT = "a[rel~=next]::attr(href), link[rel~=next]::attr(href)"


# Link texts that lead to another page of the list, not to an article.
PAGER_TEXT = re.compile(
    r"^(?:(?:view|see|show|browse)\s+)?(?:all\s+)?(?:the\s+)?"
    r"(?:older|newer|earlier|later|previous|next)"
    r"(?:\s+(?:news|stories|articles|posts|items|entries|page))?\W*$"
    r"|^(?:more|all|latest)\s+(?:news|stories|articles|posts)\W*$"
    r"|^(?:page\s+)?\d{1,3}$|^[«»‹›<>…]+$",
    re.IGNORECASE,
)
MONTH_ARCHIVE_TEXT = re.compile(
    r"^(?:news\s+(?:from|for|in)\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.?\s+\d{4}(?:\s*\(\d+\))?$",
    re.IGNORECASE,
)


def listing_folder(url: str) -> str:
    """The folder a listing's articles sit under: `/news/` for `/news/`, `/news/index.aspx`
    and `/news` alike (a last segment without a file extension names a folder)."""
    path = urlsplit(url).path or "/"
    if path.endswith("/"):
        return path
    folder, _, last = path.rpartition("/")
    return path + "/" if "." not in last else folder + "/"


def _parent_folder(folder: str) -> str:
    return folder.rstrip("/").rpartition("/")[0] + "/"


def article_links(response: Response, source: Source) -> list[tuple[str, str]]:
    """(url, link text) of the articles a listing page links to, in page order, once each."""
    return [(url, title) for url, (title, _) in _article_anchors(response, source).items()]


def _article_anchors(response: Response, source: Source) -> dict[str, tuple[str, list[Selector]]]:
    """Each article's URL, in page order, with its link text and every anchor linking to it."""
    if source.selector:
        anchors = response.css(source.selector)
    else:
        anchors = response.css("main a[href], article a[href], #content a[href]") or response.css(
            "a[href]"
        )
    if source.selector:
        return _anchors_in(response, anchors, None)
    folder = listing_folder(response.url)
    found = _anchors_in(response, anchors, folder)
    if not found and folder != "/":  # a listing at /news-and-events, articles under /news/
        found = _anchors_in(response, anchors, _parent_folder(folder))
    # Section and archive pages: a link that other links on the page sit under.
    paths = [urlsplit(url).path for url in found]

    def is_section(url: str) -> bool:
        under = urlsplit(url).path.rstrip("/") + "/"
        return any(path.startswith(under) and path != urlsplit(url).path for path in paths)

    return {url: value for url, value in found.items() if not is_section(url)}


def _anchors_in(
    response: Response, anchors: Any, folder: str | None
) -> dict[str, tuple[str, list[Selector]]]:
    """The anchors that may be articles, by URL: all of them (an admin's selector), or those
    on the listing's host under `folder` that lead to an article rather than another list."""
    host = urlsplit(response.url).netloc
    listing = canonical_url(response.url).split("?")[0]
    found: dict[str, tuple[str, list[Selector]]] = {}
    for anchor in anchors:
        url = response.urljoin(anchor.attrib.get("href", ""))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue
        title = clean_text(" ".join(anchor.css("::text").getall()))
        if folder is not None and (
            parts.netloc != host
            or not parts.path.startswith(folder)
            or parts.path == folder
            or PAGER_TEXT.match(title)
            or MONTH_ARCHIVE_TEXT.match(title)
        ):
            continue
        is_pager = anchor.attrib.get("rel") in ("next", "prev")
        if is_pager or canonical_url(url).split("?")[0] == listing:
            continue
        found.setdefault(url, (title, []))[1].append(anchor)
    return found


CARD_STOPS = frozenset({"body", "html", "main", "ul", "ol", "table", "tbody", "dl"})
CARD_DEPTH = 6  # ancestors of a link looked at for its card


def _card(anchor: HtmlElement, url: str, urls: dict[HtmlElement, str]) -> HtmlElement:
    """The largest block around an article's link that links to no other article: the list
    item or card it sits in (a bare link in a run of links is its own card)."""
    card = anchor
    for parent in list(anchor.iterancestors())[:CARD_DEPTH]:
        if parent.tag in CARD_STOPS:
            break
        if any(urls.get(a, url) != url for a in parent.iter("a")):
            break
        card = parent
    return card


def listing_dates(
    response: Response,
    source: Source,
    today: date | None = None,
    found: dict[str, tuple[str, list[Selector]]] | None = None,
) -> dict[str, str]:
    """The date the listing page shows in each article's card, as a stored stamp, by URL
    (articles whose card shows none are left out). `today` (default: today, as the UK's
    calendar shows it) is the last day a date may be: a later one is an event's. `found`:
    the page's article anchors, when the caller has them already."""
    today = today or datetime.now(UK).date()  # a UK page's today
    found = found if found is not None else _article_anchors(response, source)
    urls = {anchor.root: url for url, (_, anchors) in found.items() for anchor in anchors}
    dates = {}
    for url, (_, anchors) in found.items():
        for anchor in anchors:
            shown = card_date(_card(anchor.root, url, urls), today)
            if shown is not None:
                dates[url] = midnight(shown.day)
                break
    return dates


class ListingSpider(RadarSpider):
    name = "listings"
    today: date | None = None  # the last day a listed date may be (default: today); tests pin it

    def __init__(
        self, *args: Any, validators: dict[str, dict[str, str]] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.validators = validators or {}  # source id -> the first page's ETag, Last-Modified

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            self.begin(source)
            yield scrapy.Request(
                source.url,
                headers=validator_headers(self.validators.get(source.id, {})),
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"source": source, "page": 1},
                meta={"handle_httpstatus_list": [304]},
                dont_filter=True,
            )

    def parse_listing(self, response: Response, source: Source, page: int) -> Iterator[Any]:
        if page == 1 and response.status == 304:  # listed nothing new since read to the end
            self.succeeded(source, 304, 0)
            return
        anchors = _article_anchors(response, source)
        if page == 1:
            self.succeeded(source, response.status, 0)
            # saved by the store only if this crawl reads every article it asks for
            health = self.health[source.id]
            health.etag = response_header(response, b"ETag")
            health.last_modified = response_header(response, b"Last-Modified")
        self.health[source.id].items_found += len(anchors)
        new = [
            (url, title)
            for url, (title, _) in anchors.items()
            if canonical_url(url) not in self.known_urls
        ]
        dates = listing_dates(response, source, self.today, anchors) if new else {}
        for url, title in new:
            item = self.base_item(
                source,
                url=url,
                kind="news",
                title=title,
                published=dates.get(url),
                date_source="listing" if url in dates else None,
            )
            yield scrapy.Request(
                url, callback=self.parse_body, errback=self.article_failed, cb_kwargs={"item": item}
            )
        following = response.css(source.next_selector or DEFAULT_NEXT).get()
        if following and new and page < MAX_PAGES:
            yield scrapy.Request(
                response.urljoin(following),
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"source": source, "page": page + 1},
            )

    def listing_failed(self, failure: Any) -> None:
        source, page = failure.request.cb_kwargs["source"], failure.request.cb_kwargs["page"]
        if page == 1:
            self.failed(source, failure)
        else:
            self.item_failed(source, failure)
