"""Nothing a feed lists vanishes: every entry ends stored (its page, or its headline and
summary), or counted as a failure on its source and asked for again (issue #17, item 2).

Scrapy's duplicate filter used to drop, without a word or an errback, the second request for
a URL: an entry whose page redirects to itself (a session or cookie wall), or one of several
links that all redirect to one page, then left nothing in the store, no failure on the
source, and the feed's validators saved, so the next crawl's 304 hid it for good.
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import rows, run_radar
from faultweb import FaultWeb, rss

pytestmark = pytest.mark.slow  # two real crawls

MOVED = ("Library hours change", "Council issues section 114 notice", "Bins move to Tuesdays",
         "New chief executive named")  # fmt: skip


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vanish")
    with FaultWeb() as web:
        # Four links to four stories, all sent to one page (a site that moved its news).
        links = [(title, f"/go/moved{n}") for n, title in enumerate(MOVED)]
        for n, _ in enumerate(MOVED):
            web.redirects[f"moved{n}"] = "/pages/moved.html"
        links += [
            ("Behind a session wall", "/wall/story.html"),  # to itself once, then the page
            ("Endless self-redirect", "/self/forever.html"),  # to itself for ever
        ]
        feed = rss(web.base_url, *links)
        web.documents["/feeds/redirects.xml"] = (feed, "application/rss+xml")
        web.headers["/feeds/redirects.xml"] = {"ETag": '"v1"'}
        watchlist = {
            "database": str(folder / "radar.db"),
            "crawl": {
                "allow_private": [web.crawl_allowance],
                "autothrottle": False,
                "download_timeout": 5,
                "retries": 0,
            },
            "sources": [
                {
                    "kind": "feed",
                    "origin": "media",
                    "name": "redirects",
                    "url": f"{web.base_url}/feeds/redirects.xml",
                }
            ],
        }
        path = folder / "watchlist.yaml"
        path.write_text(yaml.safe_dump(watchlist), encoding="utf-8")
        run_radar("crawl", "--quiet", "--watchlist", str(path))
        first_hits = dict(web.hits)
        first_source = rows(folder / "radar.db", "select * from sources")[0]
        # The second crawl gets the feed again (no If-None-Match support here: a 200), so
        # every entry is looked at again: none may be fetched again, none stored twice.
        run_radar("crawl", "--quiet", "--watchlist", str(path))
        yield {
            "db": folder / "radar.db",
            "first_hits": first_hits,
            "hits": dict(web.hits),
            "first_source": first_source,
        }


def test_every_entry_of_a_many_to_one_redirect_is_stored(crawled):
    items = rows(crawled["db"], "select * from items")
    titles = [item["title"] for item in items]
    for title in MOVED:
        assert titles.count(title) == 1, f"{title!r} lost or stored twice: {titles}"
    page = [item for item in items if item["url"].endswith("/pages/moved.html")]
    assert len(page) == 1 and page[0]["summary_only"] == 0, "the page itself, once, read"
    kept = [item for item in items if "/go/moved" in item["url"]]
    assert len(kept) == 3, "the three other entries keep their headline under their own link"
    for item in kept:
        assert item["summary_only"] == 1 and item["text"] == f"Summary of {item['title']}."
        assert json.loads(item["meta"])["redirected_to"].endswith("/pages/moved.html")


def test_a_page_that_redirects_to_itself_is_read_or_keeps_its_summary(crawled):
    [wall] = rows(crawled["db"], "select * from items where title = 'Behind a session wall'")
    assert wall["summary_only"] == 0 and "library will reopen" in wall["text"]
    [loop] = rows(crawled["db"], "select * from items where title = 'Endless self-redirect'")
    assert loop["summary_only"] == 1 and loop["text"] == "Summary of Endless self-redirect."


def test_each_entry_not_read_is_counted_on_its_source(crawled):
    source = crawled["first_source"]
    # three redirected to another entry's page, one redirect loop
    assert source["items_failed"] == 4, source
    assert source["last_error"] is None, "the feed itself is fine"
    assert source["etag"] == '"v1"', "every entry accounted for: the validators are kept"


def test_the_next_crawl_fetches_none_of_them_again(crawled):
    first, both = crawled["first_hits"], crawled["hits"]
    for n in range(len(MOVED)):
        assert both[f"/go/moved{n}"] == first[f"/go/moved{n}"] == 1, "known: link or alias"
    assert both["/wall/story.html"] == first["/wall/story.html"] == 2
    items = rows(crawled["db"], "select count(*) as n from items")[0]["n"]
    assert items == len(MOVED) + 2
