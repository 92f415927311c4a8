"""A daily re-crawl of an unchanged site costs only the requests it must (issue #19 item 2).

Each test crawls a loopback site twice unchanged and asserts the second crawl's exact
requests (with what they were answered), then changes the site (a new article, a changed
<lastmod>) and asserts the third crawl finds the change with only the requests it needs.
Scrapy itself asks for robots.txt once per crawl: that one is in every list.

The listing is Richmond upon Thames's real news page (tests/files/news/richmond_news.html,
sources in tests/files/SOURCES.md) served at /news. The feed, the sitemaps and the article
pages are made here: no council's own feed or sitemap saved from its site could be found in
a public repository (tests/files/SOURCES.md), and the articles only need distinct texts.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import rows, run_radar

from demo.server import LoopbackServer, reply

# End to end (real crawls in processes, a real server): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

FILES = Path(__file__).parent / "files"
RICHMOND = (FILES / "news" / "richmond_news.html").read_text(encoding="utf-8")
ROBOTS = ("/robots.txt", 200)  # Scrapy's own, once per crawl


class Site:
    """A small web site whose pages can change between crawls; answers conditional GETs
    (If-None-Match against an ETag of the body, If-Modified-Since against the time the page
    last changed) with 304, and logs every request as (path, status)."""

    def __init__(self, validator: str) -> None:
        self.validator = validator  # "etag" or "last_modified": what the server offers
        self.pages: dict[str, tuple[bytes, str, str]] = {}  # path -> body, type, changed
        self.log: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.version = 0

    def put(self, path: str, body: str, content_type: str = "text/html") -> None:
        old = self.pages.get(path)
        if old is None or old[0] != body.encode():
            self.version += 1
            changed = f"Mon, {self.version:02d} Nov 2026 10:00:00 GMT"
            self.pages[path] = (body.encode(), content_type, changed)

    def requests(self) -> list[tuple[str, int]]:
        """The requests answered since the last call, sorted (the crawl's order varies)."""
        with self.lock:
            log, self.log = self.log, []
        return sorted(log)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                status = self.answer()
                with site.lock:
                    site.log.append((self.path, status))

            def answer(self) -> int:
                if self.path == "/robots.txt" and self.path not in site.pages:
                    reply(self, 200, b"User-agent: *\nDisallow:\n", "text/plain")
                    return 200
                page = site.pages.get(self.path)
                if page is None and self.path.startswith("/news/"):
                    page = (article(self.path), "text/html", "Mon, 02 Nov 2026 10:00:00 GMT")
                if page is None:
                    reply(self, 404, b"not here", "text/plain")
                    return 404
                body, content_type, changed = page
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if site.validator == "etag":
                    headers = {"ETag": etag}
                    unchanged = self.headers.get("If-None-Match") == etag
                else:
                    headers = {"Last-Modified": changed}
                    unchanged = self.headers.get("If-Modified-Since") == changed
                if unchanged:
                    reply(self, 304, b"", content_type, **headers)
                    return 304
                reply(self, 200, body, content_type, **headers)
                return 200

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def expect(*requests: tuple[str, int]) -> list[tuple[str, int]]:
    """Requests as `Site.requests` gives them: sorted."""
    return sorted(requests)


def article(path: str) -> bytes:
    """An article page whose text is its own (the same text twice would be one story)."""
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    words = " ".join(f"{slug.replace('_', ' ')} paragraph {n}." for n in range(12))
    return (
        f"<html><head><title>{slug}</title></head><body><main><article><h1>{slug}</h1>"
        f"<p>The council said today that {words}</p></article></main></body></html>"
    ).encode()


def rss(base: str, slugs: list[str]) -> str:
    items = "".join(
        f"<item><title>Story {slug}</title><link>{base}/news/{slug}</link>"
        f"<description>About {slug}.</description>"
        f"<pubDate>Mon, 2{n} Nov 2026 10:00:00 GMT</pubDate></item>"
        for n, slug in enumerate(slugs)
    )
    channel = f"<channel><title>News</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def urlset(base: str, entries: dict[str, str]) -> str:
    urls = "".join(
        f"<url><loc>{base}{path}</loc><lastmod>{lastmod}</lastmod></url>"
        for path, lastmod in entries.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )


def sitemap_index(base: str, entries: dict[str, str]) -> str:
    maps = "".join(
        f"<sitemap><loc>{base}{path}</loc><lastmod>{lastmod}</lastmod></sitemap>"
        for path, lastmod in entries.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'
    )


def watchlist(folder: Path, server: LoopbackServer, kind: str, path: str) -> str:
    file = folder / "watchlist.yaml"
    file.write_text(
        yaml.safe_dump(
            {
                "database": str(folder / "radar.db"),
                "crawl": {"autothrottle": False, "allow_private": [server.crawl_allowance]},
                "sources": [{"kind": kind, "url": f"{server.base_url}{path}"}],
            }
        )
    )
    return str(file)


def crawl(file: str) -> None:
    run_radar("crawl", "--quiet", "--watchlist", file)


def stored(folder: Path) -> set[str]:
    return {r["url"].rsplit("/", 1)[-1] for r in rows(folder / "radar.db", "select url from items")}


@pytest.fixture
def site() -> Iterator[Any]:
    def serve(validator: str) -> tuple[Site, LoopbackServer]:
        made = Site(validator)
        server = LoopbackServer(made.handler()).start()
        servers.append(server)
        return made, server

    servers: list[LoopbackServer] = []
    yield serve
    for server in servers:
        server.stop()


def test_an_unchanged_feed_costs_one_304_and_a_new_entry_only_its_page(tmp_path, site):
    """Already so before issue #19: kept as a guard, next to the sitemap and the listing."""
    web, server = site("etag")
    slugs = ["budget", "parks", "roads"]
    web.put("/news/rss.xml", rss(server.base_url, slugs), "application/rss+xml")
    file = watchlist(tmp_path, server, "feed", "/news/rss.xml")
    crawl(file)
    assert web.requests() == expect(
        ROBOTS, ("/news/rss.xml", 200), *[(f"/news/{s}", 200) for s in slugs]
    )
    crawl(file)
    assert web.requests() == expect(ROBOTS, ("/news/rss.xml", 304))

    web.put("/news/rss.xml", rss(server.base_url, ["library", *slugs]), "application/rss+xml")
    crawl(file)
    assert web.requests() == expect(ROBOTS, ("/news/rss.xml", 200), ("/news/library", 200))
    assert stored(tmp_path) == {"budget", "parks", "roads", "library"}


def test_an_unchanged_sitemap_costs_one_304_and_a_changed_one_only_what_changed(tmp_path, site):
    """An index of two urlsets, each listed with its <lastmod>: unchanged, the index answers
    304 and neither urlset is asked for; a new article changes one urlset's <lastmod> in the
    index, and only that urlset and the new article are fetched."""
    web, server = site("etag")
    base = server.base_url
    news = {"/news/budget": "2026-11-20", "/news/parks": "2026-11-21"}
    older = {"/news/roads": "2026-10-01"}
    web.put("/sitemap-news.xml", urlset(base, news), "application/xml")
    web.put("/sitemap-2026-10.xml", urlset(base, older), "application/xml")
    listed = {"/sitemap-news.xml": "2026-11-21", "/sitemap-2026-10.xml": "2026-10-01"}
    web.put("/sitemap.xml", sitemap_index(base, listed), "application/xml")
    file = watchlist(tmp_path, server, "sitemap", "/sitemap.xml")
    crawl(file)
    assert web.requests() == expect(
        ROBOTS,
        ("/sitemap.xml", 200),
        ("/sitemap-news.xml", 200),
        ("/sitemap-2026-10.xml", 200),
        ("/news/budget", 200),
        ("/news/parks", 200),
        ("/news/roads", 200),
    )
    crawl(file)
    assert web.requests() == expect(ROBOTS, ("/sitemap.xml", 304))

    news["/news/library"] = "2026-11-25"
    web.put("/sitemap-news.xml", urlset(base, news), "application/xml")
    listed["/sitemap-news.xml"] = "2026-11-25"
    web.put("/sitemap.xml", sitemap_index(base, listed), "application/xml")
    crawl(file)
    assert web.requests() == expect(
        ROBOTS, ("/sitemap.xml", 200), ("/sitemap-news.xml", 200), ("/news/library", 200)
    )
    assert stored(tmp_path) == {"budget", "parks", "roads", "library"}


def test_a_changed_lastmod_fetches_that_article_again_and_nothing_else(tmp_path, site):
    """A urlset named as the source (no index), served with Last-Modified: unchanged, a 304;
    an article's <lastmod> moved past its fetch, that article again and nothing else."""
    web, server = site("last_modified")
    base = server.base_url
    news = {"/news/budget": "2026-11-20", "/news/parks": "2026-11-21"}
    web.put("/sitemap.xml", urlset(base, news), "application/xml")
    file = watchlist(tmp_path, server, "sitemap", "/sitemap.xml")
    crawl(file)
    assert web.requests() == expect(
        ROBOTS, ("/sitemap.xml", 200), ("/news/budget", 200), ("/news/parks", 200)
    )
    crawl(file)
    assert web.requests() == expect(ROBOTS, ("/sitemap.xml", 304))

    news["/news/parks"] = "2099-01-01T00:00:00+00:00"  # after any fetch the test makes
    web.put("/sitemap.xml", urlset(base, news), "application/xml")
    crawl(file)
    assert web.requests() == expect(ROBOTS, ("/sitemap.xml", 200), ("/news/parks", 200))


def test_an_unchanged_listing_costs_one_304_and_a_new_article_only_its_page(tmp_path, site):
    """Richmond's real listing (no rel=next), served with Last-Modified."""
    web, server = site("last_modified")
    web.put("/news", RICHMOND)
    file = watchlist(tmp_path, server, "listing", "/news")
    crawl(file)
    first = web.requests()
    assert ("/news", 200) in first and ROBOTS in first
    # the 56 articles it lists and 2 older ones two of their summaries link to
    assert len(first) == 2 + 58, "the listing, robots.txt and each article linked"
    crawl(file)
    assert web.requests() == expect(ROBOTS, ("/news", 304))

    first_card = '<h2><a href="/news/news_june_2026/mayor_invites_residents_charity_reception"'
    new = '<h2><a href="/news/news_december_2026/library_hours">Library hours change</a></h2>'
    web.put("/news", RICHMOND.replace(first_card, new + "\n" + first_card, 1))
    crawl(file)
    assert web.requests() == expect(
        ROBOTS, ("/news", 200), ("/news/news_december_2026/library_hours", 200)
    )
    assert "library_hours" in stored(tmp_path)


def test_sitemaps_found_through_robots_txt_are_asked_for_conditionally(tmp_path, site):
    """robots.txt names the sitemap, without a <lastmod>: unchanged, robots.txt (ours, not
    Scrapy's own) and the sitemap each answer 304 and no article is asked for."""
    web, server = site("etag")
    base = server.base_url
    web.put("/robots.txt", f"User-agent: *\nDisallow:\nSitemap: {base}/sitemap.xml\n", "text/plain")
    web.put("/sitemap.xml", urlset(base, {"/news/budget": "2026-11-20"}), "application/xml")
    file = watchlist(tmp_path, server, "sitemap", "/robots.txt")
    crawl(file)
    assert web.requests() == expect(ROBOTS, ROBOTS, ("/sitemap.xml", 200), ("/news/budget", 200))
    crawl(file)
    assert web.requests() == expect(ROBOTS, ("/robots.txt", 304), ("/sitemap.xml", 304))
