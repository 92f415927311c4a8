"""Council news found through sitemaps: robots.txt `Sitemap:` lines, sitemap indexes, and
urlsets (including Google News sitemaps with their publication dates).

For councils without a usable feed. Only URLs matching the source's `pattern` (default: a
`/news/` path) are treated as articles, so the site's ordinary pages are never stored as news.

A re-crawl of an unchanged site costs only what it must. Every sitemap document (robots.txt,
index, urlset) read cleanly is remembered with its ETag and Last-Modified, and an index or
robots.txt with the sitemaps it listed (and each one's <lastmod>): the next crawl asks for it
with If-None-Match / If-Modified-Since, and a 304 means the sitemaps it listed are those it
listed last time. A listed sitemap whose <lastmod> is the one it had when it was last read is
not asked for at all; one without a <lastmod> is asked for conditionally. Article pages
already stored are not fetched again unless their <lastmod> is after the fetch
(`needs_fetch`). What a crawl remembers is saved only when the crawl ran to the end with every
entry stored (pipelines.store), as for feeds: never a 304 hiding what a stopped crawl missed.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawlers.base import RadarSpider, response_header, validator_headers
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


# What is remembered of one sitemap document: {"etag", "last_modified"} (either may be
# None), and for a robots.txt or an index "children": {listed sitemap URL: its <lastmod>
# or ""}. Per source: {document URL: that}, saved as JSON in `sources.page_validators`.
Document = dict[str, Any]


def asked_url(response: Response) -> str:
    """The URL a sitemap was asked for (and listed under), before any redirect: what its
    validators are remembered by, as the next crawl will ask for it."""
    redirects = response.request.meta.get("redirect_urls") if response.request else None
    return redirects[0] if redirects else response.url


class SitemapSpider(RadarSpider):
    name = "sitemaps"

    def __init__(
        self, *args: Any, validators: dict[str, dict[str, str]] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        # Source id -> document URL -> what the last complete crawl knew of it.
        self.known_documents: dict[str, dict[str, Document]] = {
            source_id: json.loads(known["page_validators"])
            for source_id, known in (validators or {}).items()
            if known.get("page_validators")
        }
        self.documents: dict[str, dict[str, Document]] = {}  # the same, from this crawl
        # Source id -> listed sitemap URL -> the <lastmod> it was listed with when last read.
        self.listed_lastmods: dict[str, dict[str, str]] = {
            source_id: {
                url: lastmod
                for document in documents.values()
                for url, lastmod in document.get("children", {}).items()
                if lastmod
            }
            for source_id, documents in self.known_documents.items()
        }

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            self.begin(source)
            # filled as its documents are read, saved with its health (if the crawl completes)
            self.documents[source.id] = self.health[source.id].page_validators = {}
            yield self.sitemap_request(source.url, source, depth=0)

    def remember(self, source: Source, url: str, document: Document) -> None:
        """`document` read (or confirmed by a 304) in this crawl: saved with the source's
        health, kept by the store only if the crawl completes."""
        self.documents[source.id][url] = document

    def carry_forward(self, source: Source, url: str, depth: int) -> None:
        """A listed sitemap not asked for (its <lastmod> unchanged): what was known of it,
        and of the sitemaps it lists in turn, stays known."""
        known = self.known_documents.get(source.id, {})
        if url not in known or url in self.documents[source.id] or depth > MAX_DEPTH:
            return
        self.remember(source, url, known[url])
        for child in known[url].get("children", {}):
            self.carry_forward(source, child, depth + 1)

    def listed_sitemaps(
        self, source: Source, children: dict[str, str], depth: int
    ) -> Iterator[scrapy.Request]:
        """Requests for the sitemaps an index or robots.txt lists, less those whose <lastmod>
        is the one they had when last read (unchanged since, as the site says)."""
        known = self.known_documents.get(source.id, {})
        listed = self.listed_lastmods.get(source.id, {})
        for url, lastmod in children.items():
            if lastmod and url in known and listed.get(url) == lastmod:
                self.carry_forward(source, url, depth)
                continue
            yield self.sitemap_request(url, source, depth)

    def max_sitemap_bytes(self) -> int:
        """A `.xml.gz` sitemap comes without Content-Encoding, so Scrapy's size limit covers
        only its compressed bytes: inflating it is held to the same crawl.max_bytes as any
        document (and never past the protocol's 50 MB)."""
        limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE") if self.crawler else 0
        return min(limit, MAX_SITEMAP_BYTES) if limit else MAX_SITEMAP_BYTES

    def sitemap_request(self, url: str, source: Source, depth: int) -> scrapy.Request:
        known = self.known_documents.get(source.id, {}).get(url, {})
        return scrapy.Request(
            url,
            headers=validator_headers(known),
            callback=self.parse_sitemap,
            errback=self.sitemap_failed,
            cb_kwargs={"source": source, "depth": depth},
            meta={"handle_httpstatus_list": [304]},
            dont_filter=depth == 0,
        )

    def not_modified(self, response: Response, source: Source, depth: int) -> Iterator[Any]:
        """A 304: the document is as last read; an index or robots.txt lists what it did."""
        known = self.known_documents.get(source.id, {}).get(asked_url(response))
        if known is None:  # a 304 to a request that sent no validators: nothing to go on
            self.record_error(source, 304, f"{response.url}: HTTP 304 to a plain request")
            return
        self.remember(source, asked_url(response), known)
        self.succeeded(source, 304, 0)
        yield from self.listed_sitemaps(source, known.get("children", {}), depth + 1)

    def parse_sitemap(self, response: Response, source: Source, depth: int) -> Iterator[Any]:
        if response.status == 304:
            yield from self.not_modified(response, source, depth)
            return
        validators = {
            "etag": response_header(response, b"ETag"),
            "last_modified": response_header(response, b"Last-Modified"),
        }
        if response.url.endswith("/robots.txt"):
            found = list(sitemap_urls_from_robots(response.text, base_url=response.url))
            self.succeeded(source, response.status, 0)
            children = dict.fromkeys(found, "")
            self.remember(source, asked_url(response), {**validators, "children": children})
            yield from self.listed_sitemaps(source, children, depth + 1)
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
            children = {response.urljoin(e["loc"]): e.get("lastmod", "") for e in entries}
            self.remember(source, asked_url(response), {**validators, "children": children})
            yield from self.listed_sitemaps(source, children, depth + 1)
            return
        if kind != "urlset":
            self.record_error(source, response.status, f"{response.url}: not a sitemap")
            return
        pattern = re.compile(source.pattern or DEFAULT_PATTERN)
        articles = [e for e in entries if pattern.search(e["loc"])]
        self.succeeded(source, response.status, len(articles))
        self.remember(source, asked_url(response), validators)
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
