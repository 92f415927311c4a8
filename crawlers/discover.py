"""Find a council website's news feeds, news section, sitemaps and democracy site
(`radar discover`), for one homepage or for every watched council at once.

A polite Scrapy crawl (robots.txt obeyed, one request at a time and at most one a second per
host) of each homepage; the robots.txt that Scrapy reads before it is also where the sitemaps
come from. What it finds is proposed for an admin to accept, never added silently, and ranked
the way an admin would: the council's news feed first; feeds an admin would not want
(comments, social media, jobs, events, podcasts, planning applications, another site's)
listed as skipped with the reason; one democracy source per site, at its root.

Feeds, the news page and sitemaps are taken only from the homepage's own domain (a link to
the BBC's news or a neighbouring council's feed is not this council's news); a democracy site
may be elsewhere (`*.moderngov.co.uk`, `*.cmis.uk.com`, a meetings site on its own domain),
but not on another council's gov.uk domain.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CannotResolveHostError, CloseSpider, IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import Settings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure

from crawlers.base import describe_failure
from crawlers.sites import (
    democracy_kind,
    democracy_root,
    homepage_candidates,
    registrable_domain,
    same_site,
)
from domain.config import WatchList
from pipelines.normalise import clean_text

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
# Homepages that failed to connect (no DNS, refused, timed out) before any server answered
# at all, after which the machine is taken to be offline and discovery stops: a run of
# hundreds of councils would otherwise wait on every lookup to say the same thing.
OFFLINE_AFTER = 20


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
    answered: bool = False  # some server answered (a page, an HTTP error, robots.txt's "no")

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
        self.sitemaps: dict[str, list[str]] = {}  # host:port -> sitemaps its robots.txt names
        self.heard_back = False  # some server answered something (a page, robots.txt, a 404)
        self.unreached = 0  # homepages that could not be connected to before that

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> DiscoverSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.read_robots, signal=signals.response_received)
        return spider

    def read_robots(self, response: Response, request: Request, **_: Any) -> None:
        """The sitemaps in the robots.txt Scrapy's RobotsTxtMiddleware fetched before a
        host's first page (ROBOTSTXT_OBEY), kept per host so robots.txt is read once."""
        self.heard_back = True  # any response, this one or a page's
        if not request.meta.get("dont_obey_robotstxt"):
            return  # a page of ours, not the middleware's robots.txt
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        if urlsplit(first).path != "/robots.txt":
            return
        urls = []
        if 200 <= response.status < 300:
            urls = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        self.sitemaps[urlsplit(first).netloc.lower()] = urls

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
        target.answered = True
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
        """The homepage's feeds, links and (from its robots.txt, already read) sitemaps; a
        page that is no HTML page sends discovery to the next candidate."""
        target.answered = True
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
        for url in self.sitemaps.get(urlsplit(response.url).netloc.lower(), []):
            if same_site(url, response.url):
                target.propose(Proposal("sitemap", url, "Sitemap"))
        self.done(target)

    def read_feeds(self, response: Response, target: Discovery) -> None:
        for link in response.css("link[rel~=alternate][href]"):
            if (link.attrib.get("type") or "").lower().split(";")[0].strip() in FEED_TYPES:
                title = clean_text(link.attrib.get("title") or "")
                self.consider_feed(target, response.urljoin(link.attrib["href"]), title)

    def consider_feed(self, target: Discovery, url: str, title: str) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            return
        reason = skip_reason(url, title)
        if reason != "social media" and not same_site(url, target.homepage or url):
            reason = f"another site's feed: {urlsplit(url).hostname}"
        if reason:
            target.skip(url, title, reason)
        else:
            news = is_news(url, title)
            target.propose(Proposal("feed", url, title or ("News feed" if news else "Feed"), news))

    def read_links(self, response: Response, target: Discovery) -> None:
        """Democracy sites (one per root), RSS links in the page, and the news section (on
        the homepage's own domain: a link to the BBC's /news is not the council's)."""
        listings: list[tuple[int, str]] = []
        for anchor in response.css("a[href]"):
            url = response.urljoin(anchor.attrib["href"])
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            text = clean_text(" ".join(anchor.css("::text").getall()))
            kind = democracy_kind(url)
            path = urlsplit(url).path.lower()
            if kind:
                self.consider_democracy_site(target, url, kind, response.url)
            elif _FEED_ANCHOR.search(path) or text.lower() == "rss":
                self.consider_feed(target, url, text if text.lower() != "rss" else "")
            elif "/news" in path and "news" in text.lower() and same_site(url, response.url):
                listings.append((len(path), url))
        if listings:  # the shortest news path is the section, not an article
            url = min(listings)[1]
            target.propose(Proposal("listing", url, "News", news=True))

    @staticmethod
    def consider_democracy_site(target: Discovery, url: str, kind: str, homepage: str) -> None:
        """A democracy site on the council's own domain, a shared host or a domain outside
        gov.uk is proposed at its root; one on another gov.uk domain than the homepage's is
        another council's (a homepage with no domain, an IP address, cannot tell)."""
        domain, own = registrable_domain(url), registrable_domain(homepage)
        if domain and domain.endswith(".gov.uk") and own and domain != own:
            target.skip(url, "", f"another council's democracy site: {urlsplit(url).hostname}")
        else:
            target.propose(Proposal(kind, democracy_root(url, kind), "Council meetings"))

    def failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """A homepage not read: note why and try the next candidate; stop the whole run
        when OFFLINE_AFTER homepages could not be connected to and no server has answered."""
        target: Discovery = failure.request.cb_kwargs["target"]
        target.errors.append(describe_miss(failure))
        robots_read = urlsplit(failure.request.url).netloc.lower() in self.sitemaps
        if failure.check(HttpError) or forbidden(failure) or robots_read:
            target.answered = True  # the host is there
        elif not failure.check(IgnoreRequest):  # no DNS, refused, timed out, cut off
            self.unreached += 1
            if not self.heard_back and self.unreached >= OFFLINE_AFTER:
                raise CloseSpider("offline")
        request = self.next_candidate(target)
        if request is not None:
            yield request

    def done(self, target: Discovery) -> None:
        if self.on_done is not None:
            self.on_done(target)


def describe_miss(failure: Failure) -> str:
    """Why a homepage was not read, in words ("robots.txt forbids it", "HTTP 404", …)."""
    if forbidden(failure):
        return f"{failure.request.url}: robots.txt forbids it"
    return describe_failure(failure)[1]


def forbidden(failure: Failure) -> bool:
    """The site's robots.txt (which answered) forbids the page."""
    return bool(failure.check(IgnoreRequest)) and "robots.txt" in failure.getErrorMessage()


def discover_settings(watchlist: WatchList) -> Settings:
    """The crawl's settings (robots.txt, User-Agent, SSRF guard, size limits, retries), made
    slower still: one request at a time and at most one a second to each host, since a
    discovery run visits hundreds of council sites an admin has not yet agreed to crawl.

    A host whose name does not resolve is not asked again: most candidate homepages
    (www.X.gov.uk, X.gov.uk) are guesses, and offline every one of them fails the same way."""
    from crawlers.settings import crawl_settings

    settings = crawl_settings(watchlist)
    dns = (CannotResolveHostError, "scrapy.exceptions.CannotResolveHostError")
    retried = [e for e in settings.getlist("RETRY_EXCEPTIONS") if e not in dns]
    settings.setdict(
        {
            "RETRY_EXCEPTIONS": retried,
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


def not_for_the_watch_list(url: str, watchlist: WatchList) -> str | None:
    """Why a proposed source must not be written into the watch list: its URL is one the
    crawl would refuse, written as a private, loopback, link-local or cloud metadata address
    (or `localhost`) that `crawl.allow_private` does not open. Proposals are links on a page
    anyone could have written. A host name is not looked up here (hundreds of proposals, and
    maybe no DNS): the crawl's guard checks what it resolves to on every request."""
    import ipaddress

    from crawlers.guard import PrivateAllowance, RequestRefused, refusal, url_target

    try:
        host, port = url_target(url)
    except RequestRefused as exc:
        return str(exc)
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        name = "127.0.0.1"
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return None
    allowance = PrivateAllowance.from_entries(watchlist.crawl.allow_private)
    return refusal(host, port, [address], allowance)


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
