"""Find a council website's feeds, news section, sitemaps and democracy site (`radar discover`).

One polite Scrapy crawl of the homepage and robots.txt; what it finds is proposed as
watch-list sources for an admin to accept, never added silently.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.utils.sitemap import sitemap_urls_from_robots

from pipelines.normalise import clean_text

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
DEMOCRACY_MARKS = ("mglistcommittees", "ielistmeetings", "democracy.", "moderngov.", "/cmis")


def democracy_kind(url: str) -> str:
    return "cmis" if "/cmis" in url.lower() else "moderngov"


def democracy_base(url: str) -> str:
    """ModernGov sources are the site's folder (the spider adds mgListCommittees.aspx)."""
    if "cmis" in url.lower():
        return url
    return url.rsplit("/", 1)[0] + "/" if ".aspx" in url.lower() else url


class DiscoverSpider(scrapy.Spider):
    name = "discover"

    def __init__(self, homepage: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.homepage = homepage
        self.proposals: dict[str, dict[str, str]] = {}
        self.title = ""
        self.errors: list[str] = []

    def propose(self, kind: str, url: str, name: str) -> None:
        self.proposals.setdefault(url, {"kind": kind, "url": url, "name": name})

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.homepage, callback=self.parse_home, errback=self.failed)
        yield scrapy.Request(
            urljoin(self.homepage, "/robots.txt"), callback=self.parse_robots, errback=self.failed
        )

    def parse_home(self, response: Response) -> None:
        self.title = clean_text(response.css("title::text").get() or "")
        for link in response.css("link[rel~=alternate]"):
            if (link.attrib.get("type") or "").lower() in FEED_TYPES and link.attrib.get("href"):
                url = response.urljoin(link.attrib["href"])
                if urlsplit(url).scheme in ("http", "https"):
                    self.propose("feed", url, link.attrib.get("title") or "News feed")
        for anchor in response.css("a[href]"):
            url = response.urljoin(anchor.attrib["href"])
            text = clean_text(" ".join(anchor.css("::text").getall())).lower()
            lowered = url.lower()
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            if any(mark in lowered for mark in DEMOCRACY_MARKS) or "committee" in text:
                self.propose(democracy_kind(url), democracy_base(url), "Council meetings")
            elif lowered.endswith((".rss", "/rss", "/feed", ".atom")) or text == "rss":
                self.propose("feed", url, "News feed")
            elif "/news" in urlsplit(url).path.lower() and "news" in text:
                self.propose("listing", url, "News")

    def parse_robots(self, response: Response) -> None:
        for url in sitemap_urls_from_robots(response.text, base_url=response.url):
            self.propose("sitemap", url, "Sitemap")

    def failed(self, failure: Any) -> None:
        self.errors.append(f"{failure.request.url}: {failure.getErrorMessage()}")


def discover(homepage: str, settings: Any) -> DiscoverSpider:
    """Run the discovery crawl (blocks); the spider holds the proposals and any errors."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DiscoverSpider)
    process.crawl(crawler, homepage=homepage)
    process.start()
    return crawler.spider
