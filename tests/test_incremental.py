"""Incremental crawling: stored pages are fetched again only when their source says they changed."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import yaml
from conftest import rows, run_radar
from faultweb import FaultWeb

from demo.server import LoopbackServer, reply

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow


def fault_watchlist(folder, feed_url: str):
    watchlist = folder / "watchlist.yaml"
    watchlist.write_text(
        yaml.safe_dump(
            {
                "database": str(folder / "radar.db"),
                # the fault web on loopback, which the crawler refuses unless allowed
                "crawl": {"autothrottle": False, "allow_private": [urlsplit(feed_url).netloc]},
                "sources": [{"kind": "feed", "url": feed_url}],
            }
        )
    )
    return watchlist


def test_an_updated_entry_is_fetched_again_and_replaces_the_stored_text(tmp_path):
    with FaultWeb() as web:
        watchlist = fault_watchlist(tmp_path, f"{web.base_url}/feeds/updated.atom")
        run_radar("crawl", "--watchlist", str(watchlist))
        [first] = rows(tmp_path / "radar.db", "select * from items")
        run_radar("tag", "--store", "--watchlist", str(watchlist))
        run_radar("crawl", "--watchlist", str(watchlist))
        hits = web.hits["/pages/changing.html"]
    [second] = rows(tmp_path / "radar.db", "select * from items")
    assert "agreed its budget" in first["text"]
    assert "failed to set a lawful budget" in second["text"]
    assert second["id"] == first["id"], "the same item, updated, not a second one"
    assert rows(tmp_path / "radar.db", "select * from tags") == [], "its old tags are dropped"
    assert hits == 2, "fetched when new and again when the feed said it changed"


def test_a_story_syndicated_with_changes_is_grouped_and_counted_once(tmp_path):
    with FaultWeb() as web:
        watchlist = fault_watchlist(tmp_path, f"{web.base_url}/feeds/syndicated.xml")
        run_radar("crawl", "--watchlist", str(watchlist))
    found = {
        row["url"].rsplit("/", 1)[1]: row
        for row in rows(tmp_path / "radar.db", "select * from items")
    }
    assert set(found) == {"a.html", "b.html", "c.html"}, "every URL is kept"
    assert found["a.html"]["story_id"] == found["b.html"]["story_id"]
    assert found["c.html"]["story_id"] != found["a.html"]["story_id"]


def test_a_feed_cut_off_mid_document_keeps_no_etag_so_its_other_entries_arrive(tmp_path):
    """A feed cut off half-way answers 200 with an ETag: kept, the next crawl's 304 would hide
    the entries that were cut off until the council published again."""
    from http.server import BaseHTTPRequestHandler

    served = {"cut": True}

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            base = f"http://{self.headers['Host']}"
            if self.path != "/rss.xml":
                page = b"<html><body><article><p>A story page.</p></article></body></html>"
                return reply(self, 200, page, "text/html")
            if self.headers.get("If-None-Match") == '"v1"':
                return reply(self, 304, b"", "application/rss+xml")
            items = "".join(
                f"<item><title>Story {n}</title><link>{base}/s{n}.html</link>"
                f"<description>Story number {n} of the week.</description></item>"
                for n in range(1, 5)
            )
            channel = f"<channel><title>News</title>{items}</channel>"
            body = f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()
            if served["cut"]:
                body = body[: body.index(b"<item><title>Story 3")] + b"<item><tit"
            reply(self, 200, body, "application/rss+xml", ETag='"v1"')

        def log_message(self, format: str, *args: object) -> None:
            pass

    with LoopbackServer(Feed) as server:
        watchlist = fault_watchlist(tmp_path, f"{server.base_url}/rss.xml")
        run_radar("crawl", "--watchlist", str(watchlist))
        titles = {r["title"] for r in rows(tmp_path / "radar.db", "select title from items")}
        assert titles == {"Story 1", "Story 2"}
        assert rows(tmp_path / "radar.db", "select etag from sources") == [{"etag": None}]
        served["cut"] = False  # the same feed (same ETag), whole this time
        run_radar("crawl", "--watchlist", str(watchlist))
    titles = {r["title"] for r in rows(tmp_path / "radar.db", "select title from items")}
    assert titles == {"Story 1", "Story 2", "Story 3", "Story 4"}
    assert rows(tmp_path / "radar.db", "select etag from sources") == [{"etag": '"v1"'}]
