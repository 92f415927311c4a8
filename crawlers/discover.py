"""Find a council website's news feeds, news section, sitemaps and democracy site
(`radar discover`), for one homepage or for every watched council at once.

A polite Scrapy crawl (robots.txt obeyed, one request at a time and at most one a second per
host) of each homepage and its robots.txt. What it finds is proposed for an admin to accept,
never added silently, and ranked the way an admin would: the council's news feed first;
feeds an admin would not want (comments, social media, jobs, events, podcasts, planning
applications) listed as skipped with the reason; one democracy source per site, at its root.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import Settings
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure

from crawlers.base import describe_failure
from crawlers.sites import democracy_kind, democracy_root, homepage_candidates, registrable_domain
from pipelines.normalise import clean_text
from radar.config import WatchList

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
_FEED_ANCHOR = re.compile(r"(\.rss|\.atom|/rss/?|/feed/?|/atom/?|(rss|atom|feed)\.xml)$", re.I)
_NEWS = re.compile(r"news|press|media", re.IGNORECASE)
SOCIAL_DOMAINS = (
    "facebook.com", "twitter.com", "x.com", "youtube.com", "youtu.be", "instagram.com",
    "linkedin.com", "tiktok.com", "flickr.com", "pinterest.com", "threads.net", "bsky.app",
    "nextdoor.co.uk", "nextdoor.com", "vimeo.com", "soundcloud.com",
)  # fmt: skip
# (reason, pattern on the feed's title and URL path): feeds an admin would not read for signs
# of trouble. Comments and social media are skipped always; the rest unless titled as news.
_NEVER = (("comments feed", re.compile(r"\bcomments?\b", re.IGNORECASE)),)
_UNLESS_NEWS = (
    ("jobs and vacancies", re.compile(r"\b(jobs?|vacanc\w*|careers?|recruit\w*)\b", re.I)),
    ("events", re.compile(r"\b(events?|what'?s[ -]?on|whatson|calendar)\b", re.IGNORECASE)),
    ("podcast", re.compile(r"podcast", re.IGNORECASE)),
    ("planning applications", re.compile(r"planning[ -_]?applications?", re.IGNORECASE)),
)
# What comes first in a list of proposals: news feeds, other feeds, the news listing,
# sitemaps, the democracy site.
ORDER = {"feed": 1, "listing": 2, "sitemap": 3, "moderngov": 4, "cmis": 4}


def skip_reason(url: str, title: str = "") -> str | None:
    """Why an admin would not want this feed (comments, social media, jobs, events…), or
    None if it may be news."""
    host = (urlsplit(url).hostname or "").lower()
    if any(host == d or host.endswith("." + d) for d in SOCIAL_DOMAINS):
        return "social media"
    split = urlsplit(url)
    text = f"{title} {split.path} {split.query}".replace("-", " ").replace("_", " ")
    for reason, pattern in _NEVER:
        if pattern.search(text):
            return reason
    if _NEWS.search(text):
        return None
    for reason, pattern in _UNLESS_NEWS:
        if pattern.search(text):
            return reason
    return None


def is_news(url: str, title: str = "") -> bool:
    """A feed whose title or path says news, press or media: ranked above other feeds."""
    split = urlsplit(url)
    return bool(_NEWS.search(f"{title} {split.path} {split.query}"))


@dataclass
class Proposal:
    """A source discovery proposes; `news` feeds come first."""

    kind: str
    url: str
    name: str
    news: bool = False

    def source(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "url": self.url}

    @property
    def order(self) -> tuple[int, int]:
        return ORDER.get(self.kind, 9), 0 if self.news else 1


@dataclass
class Skipped:
    url: str
    title: str
    reason: str


@dataclass
class Discovery:
    """One council website's discovery: where it looked, what it found, what it skipped."""

    key: str  # who asked: a GSS code, or the homepage itself
    candidates: list[str]  # homepages to try, in order
    via: str | None = None  # a page (a shared democracy site) whose links may name the homepage
    homepage: str | None = None  # the homepage that answered
    title: str = ""
    found: dict[str, Proposal] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def propose(self, proposal: Proposal) -> None:
        self.found.setdefault(proposal.url, proposal)

    def skip(self, url: str, title: str, reason: str) -> None:
        if all(s.url != url for s in self.skipped):
            self.skipped.append(Skipped(url, title, reason))

    @property
    def proposals(self) -> list[Proposal]:
        """Everything found, best first: news feeds, other feeds, listing, sitemaps,
        democracy sites."""
        return sorted(self.found.values(), key=lambda p: p.order)

    def recommended(self) -> list[Proposal]:
        """What an admin would accept: the news feeds; without one, the news listing; else
        the other feeds; else the first sitemap. Plus the democracy site(s)."""
        by_kind: dict[str, list[Proposal]] = {}
        for proposal in self.proposals:
            by_kind.setdefault(proposal.kind, []).append(proposal)
        feeds = by_kind.get("feed", [])
        news = [p for p in feeds if p.news]
        chosen = news or by_kind.get("listing", [])[:1] or feeds or by_kind.get("sitemap", [])[:1]
        return chosen + by_kind.get("moderngov", []) + by_kind.get("cmis", [])


class DiscoverSpider(scrapy.Spider):
    """Reads each target's homepage (trying its candidates in turn, or first finding it
    from a shared democracy site's links) and the robots.txt of the host that answered."""

    name = "discover"

    def __init__(
        self,
        targets: list[Discovery],
        on_done: Callable[[Discovery], None] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.targets = {target.key: target for target in targets}
        self.on_done = on_done

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for target in self.targets.values():
            request = self.next_candidate(target)
            if request is not None:
                yield request

    def next_candidate(self, target: Discovery) -> scrapy.Request | None:
        """The request for the next homepage to try; None (and the target done) if none."""
        if target.via is not None:
            via, target.via = target.via, None
            return self._request(via, self.parse_via, target)
        if target.candidates:
            return self._request(target.candidates.pop(0), self.parse_home, target)
        self.done(target)
        return None

    def _request(self, url: str, callback: Any, target: Discovery) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.failed,
            cb_kwargs={"target": target},
            dont_filter=True,  # two councils may share a homepage (a joint website)
        )

    def parse_via(self, response: Response, target: Discovery) -> Iterator[scrapy.Request]:
        """A democracy site on a shared host: its council's homepage is the gov.uk site it
        links to most."""
        target.via = None  # read once
        if isinstance(response, TextResponse):
            hosts: Counter[str] = Counter()
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                domain = registrable_domain(url)
                if domain and domain.endswith(".gov.uk"):
                    split = urlsplit(url)
                    hosts[urlunsplit((split.scheme, split.netloc, "/", "", ""))] += 1
            if hosts:
                best = hosts.most_common(1)[0][0]
                target.candidates = list(dict.fromkeys([best, *homepage_candidates(best)]))
        if not target.candidates:
            target.errors.append(f"{response.url}: links to no gov.uk site")
        request = self.next_candidate(target)
        if request is not None:
            yield request

    def parse_home(self, response: Response, target: Discovery) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse) or not response.css("a, link"):
            target.errors.append(f"{response.url}: not an HTML page")
            request = self.next_candidate(target)
            if request is not None:
                yield request
            return
        target.homepage = response.url
        target.candidates = []
        try:
            target.title = clean_text(response.css("title::text").get() or "")
            self.read_feeds(response, target)
            self.read_links(response, target)
        except Exception as exc:  # a page too odd to read is a finding, not a crash
            target.errors.append(f"{response.url}: could not read the page ({exc})")
        split = urlsplit(response.url)
        yield scrapy.Request(
            urlunsplit((split.scheme, split.netloc, "/robots.txt", "", "")),
            callback=self.parse_robots,
            errback=self.robots_failed,
            cb_kwargs={"target": target},
            dont_filter=True,
        )

    def read_feeds(self, response: Response, target: Discovery) -> None:
        for link in response.css("link[rel~=alternate][href]"):
            if (link.attrib.get("type") or "").lower().split(";")[0].strip() in FEED_TYPES:
                title = clean_text(link.attrib.get("title") or "")
                self.consider_feed(target, response.urljoin(link.attrib["href"]), title)

    def consider_feed(self, target: Discovery, url: str, title: str) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            return
        reason = skip_reason(url, title)
        if reason:
            target.skip(url, title, reason)
        else:
            news = is_news(url, title)
            target.propose(Proposal("feed", url, title or ("News feed" if news else "Feed"), news))

    def read_links(self, response: Response, target: Discovery) -> None:
        """Democracy sites (one per root), RSS links in the page, and the news section."""
        listings: list[tuple[int, str]] = []
        for anchor in response.css("a[href]"):
            url = response.urljoin(anchor.attrib["href"])
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            text = clean_text(" ".join(anchor.css("::text").getall()))
            kind = democracy_kind(url)
            path = urlsplit(url).path.lower()
            if kind:
                target.propose(Proposal(kind, democracy_root(url, kind), "Council meetings"))
            elif _FEED_ANCHOR.search(path) or text.lower() == "rss":
                self.consider_feed(target, url, text if text.lower() != "rss" else "")
            elif "/news" in path and "news" in text.lower():
                listings.append((len(path), url))
        if listings:  # the shortest news path is the section, not an article
            url = min(listings)[1]
            target.propose(Proposal("listing", url, "News", news=True))

    def parse_robots(self, response: Response, target: Discovery) -> None:
        if isinstance(response, TextResponse):
            for url in sitemap_urls_from_robots(response.body, base_url=response.url):
                target.propose(Proposal("sitemap", url, "Sitemap"))
        self.done(target)

    def robots_failed(self, failure: Failure) -> None:
        target: Discovery = failure.request.cb_kwargs["target"]
        self.done(target)  # no robots.txt: no sitemaps from it, nothing wrong

    def failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        target: Discovery = failure.request.cb_kwargs["target"]
        target.errors.append(describe_miss(failure))
        request = self.next_candidate(target)
        if request is not None:
            yield request

    def done(self, target: Discovery) -> None:
        if self.on_done is not None:
            self.on_done(target)


def describe_miss(failure: Failure) -> str:
    """Why a homepage was not read, in words ("robots.txt forbids it", "HTTP 404", …)."""
    if failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
        return f"{failure.request.url}: robots.txt forbids it"
    return describe_failure(failure)[1]


def discover_settings(watchlist: WatchList) -> Settings:
    """The crawl's settings (robots.txt, User-Agent, SSRF guard, size limits, retries), made
    slower still: one request at a time and at most one a second to each host, since a
    discovery run visits hundreds of council sites an admin has not yet agreed to crawl."""
    from crawlers.run import crawl_settings

    settings = crawl_settings(watchlist)
    settings.setdict(
        {
            "ROBOTSTXT_OBEY": True,
            "DOWNLOAD_DELAY": 1.0,
            "RANDOMIZE_DOWNLOAD_DELAY": False,  # never under a second
            "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
            "ITEM_PIPELINES": {},  # discovery stores nothing
        },
        priority="cmdline",
    )
    return settings


def discover_all(
    targets: list[Discovery],
    watchlist: WatchList,
    on_done: Callable[[Discovery], None] | None = None,
) -> list[Discovery]:
    """Run discovery for every target in one crawl (blocks; one call per process, Twisted);
    each target comes back with what it found, skipped and could not reach."""
    import logging

    from scrapy.crawler import CrawlerProcess

    logging.getLogger("scrapy").setLevel(logging.ERROR)
    process = CrawlerProcess(discover_settings(watchlist))
    process.crawl(process.create_crawler(DiscoverSpider), targets=targets, on_done=on_done)
    process.start()
    return targets


def discover(homepage: str, watchlist: WatchList) -> Discovery:
    """Discovery for one homepage (blocks; one call per process)."""
    [found] = discover_all([Discovery(key=homepage, candidates=[homepage])], watchlist)
    return found
