"""Council news sites without a feed: a news listing page → its article pages.

Article links come from the source's `selector` (CSS) when given; otherwise from a sensible
fallback: links on the same host under the listing's own folder (`/news/…`), which keeps the
site's navigation and footer out. Older pages are followed through `rel="next"` (or the
source's `next_selector`) until a page brings nothing new, at most MAX_PAGES a crawl.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from crawlers.base import RadarSpider
from pipelines.normalise import clean_text
from pipelines.urls import canonical_url
from radar.config import Source

MAX_PAGES = 5
DEFAULT_NEXT = "a[rel~=next]::attr(href), link[rel~=next]::attr(href)"


def listing_folder(url: str) -> str:
    path = urlsplit(url).path
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def article_links(response: Response, source: Source) -> list[tuple[str, str]]:
    """(url, link text) of the articles a listing page links to, in page order, once each."""
    if source.selector:
        anchors = response.css(source.selector)
    else:
        anchors = response.css("main a[href], article a[href], #content a[href]") or response.css(
            "a[href]"
        )
    folder, host = listing_folder(response.url), urlsplit(response.url).netloc
    listing = canonical_url(response.url).split("?")[0]
    found: dict[str, str] = {}
    for anchor in anchors:
        url = response.urljoin(anchor.attrib.get("href", ""))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or (
            not source.selector
            and (parts.netloc != host or not parts.path.startswith(folder) or parts.path == folder)
        ):
            continue
        is_pager = anchor.attrib.get("rel") in ("next", "prev")
        if is_pager or canonical_url(url).split("?")[0] == listing:
            continue
        found.setdefault(url, clean_text(" ".join(anchor.css("::text").getall())))
    return list(found.items())


class ListingSpider(RadarSpider):
    name = "listings"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            self.begin(source)
            yield scrapy.Request(
                source.url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"source": source, "page": 1},
                dont_filter=True,
            )

    def parse_listing(self, response: Response, source: Source, page: int) -> Iterator[Any]:
        links = article_links(response, source)
        if page == 1:
            self.succeeded(source, response.status, 0)
        self.health[source.id].items_found += len(links)
        new = [(url, title) for url, title in links if canonical_url(url) not in self.known_urls]
        for url, title in new:
            item = self.base_item(source, url=url, kind="news", title=title)
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
