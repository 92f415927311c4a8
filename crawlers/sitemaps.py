"""Council news found through sitemaps: robots.txt `Sitemap:` lines, sitemap indexes, and
urlsets (including Google News sitemaps with their publication dates).

For councils without a usable feed. Only URLs matching the source's `pattern` (default: a
`/news/` path) are treated as articles, so the site's ordinary pages are never stored as news.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawlers.base import RadarSpider
from crawlers.xml import XmlRefused, local_name, parse_xml
from domain.config import Source
from pipelines.normalise import DATE_FORMAT
from pipelines.urls import is_web_url

DEFAULT_PATTERN = r"/news/"
MAX_DEPTH = 3  # robots.txt → index → urlset is 2; deeper nesting is a misconfiguration
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


def parse_sitemap(body: bytes) -> tuple[str, list[dict[str, str]]]:
    """('sitemapindex' | 'urlset' | '', entries): each entry's loc, lastmod, and for news
    sitemaps its publication_date and title. XmlRefused for a document the parser stopped."""
    root = parse_xml(body)
    if root is None:
        return "", []
    entries = []
    for node in root:
        entry: dict[str, str] = {}
        for child in node.iter():
            name = local_name(child.tag)
            if name in ("loc", "lastmod", "publication_date", "title") and child.text:
                entry.setdefault(name, child.text.strip())
        if entry.get("loc"):
            entries.append(entry)
    return local_name(root.tag), entries


def w3c_date(value: str | None) -> str | None:
    """Sitemap dates are W3C datetimes (2026-11-24 or 2026-11-24T10:00:00+00:00)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


def sitemap_date(entry: dict[str, str]) -> tuple[str | None, str | None]:
    """An entry's date and its `date_source`: a news sitemap's publication date
    ("sitemap"), else its <lastmod> ("lastmod"), which is when the page last changed: the
    article's own page, or a date shown under its headline, is believed before it
    (pipelines.dates)."""
    published = w3c_date(entry.get("publication_date"))
    if published:
        return published, "sitemap"
    modified = w3c_date(entry.get("lastmod"))
    return modified, "lastmod" if modified else None


class SitemapSpider(RadarSpider):
    name = "sitemaps"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            self.begin(source)
            yield self.sitemap_request(source.url, source, depth=0)

    def max_sitemap_bytes(self) -> int:
        """A `.xml.gz` sitemap comes without Content-Encoding, so Scrapy's size limit covers
        only its compressed bytes: inflating it is held to the same crawl.max_bytes as any
        document (and never past the protocol's 50 MB)."""
        limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE") if self.crawler else 0
        return min(limit, MAX_SITEMAP_BYTES) if limit else MAX_SITEMAP_BYTES

    def sitemap_request(self, url: str, source: Source, depth: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.sitemap_failed,
            cb_kwargs={"source": source, "depth": depth},
            dont_filter=depth == 0,
        )

    def parse_sitemap(self, response: Response, source: Source, depth: int) -> Iterator[Any]:
        if response.url.endswith("/robots.txt"):
            found = list(sitemap_urls_from_robots(response.text, base_url=response.url))
            self.succeeded(source, response.status, 0)
            for url in found:
                yield self.sitemap_request(url, source, depth + 1)
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.max_sitemap_bytes())
            except _DecompressionMaxSizeExceeded:  # a gzip bomb, or a sitemap too big to hold
                reason = f"{response.url}: gzipped sitemap inflates past the size limit"
                self.record_error(source, response.status, f"{reason} (crawl.max_bytes)")
                return
            except (OSError, ValueError) as exc:  # corrupt
                self.record_error(source, response.status, f"{response.url}: bad gzip ({exc})")
                return
        try:
            kind, entries = parse_sitemap(body)
        except XmlRefused as exc:  # billion laughs and the like: not half a sitemap
            self.record_error(source, response.status, f"{response.url}: {exc}")
            return
        if kind == "sitemapindex" and depth < MAX_DEPTH:
            self.succeeded(source, response.status, 0)
            for entry in entries:
                yield self.sitemap_request(response.urljoin(entry["loc"]), source, depth + 1)
            return
        if kind != "urlset":
            self.record_error(source, response.status, f"{response.url}: not a sitemap")
            return
        pattern = re.compile(source.pattern or DEFAULT_PATTERN)
        articles = [e for e in entries if pattern.search(e["loc"])]
        self.succeeded(source, response.status, len(articles))
        for entry in articles:
            url = response.urljoin(entry["loc"])
            if not is_web_url(url):
                continue
            fetch, is_update = self.needs_fetch(url, w3c_date(entry.get("lastmod")))
            if not fetch:
                continue
            published, date_source = sitemap_date(entry)
            item = self.base_item(
                source,
                url=url,
                kind="news",
                title=entry.get("title", ""),
                published=published,
                date_source=date_source,
                update=is_update,
            )
            yield scrapy.Request(
                url, callback=self.parse_body, errback=self.article_failed, cb_kwargs={"item": item}
            )

    def sitemap_failed(self, failure: Any) -> None:
        self.failed(failure.request.cb_kwargs["source"], failure)
