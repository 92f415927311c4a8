"""Incremental crawling: stored pages are fetched again only when their source says they changed."""

from __future__ import annotations

from urllib.parse import urlsplit

import yaml
from conftest import rows, run_radar
from faultweb import FaultWeb


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
