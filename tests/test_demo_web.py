"""The demo web serves recorded pages the way real sites do, with this week's dates."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime

import feedparser

from demo.server import render


def fetch(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url) as response:
        return response.status, response.read(), response.headers.get("Content-Type", "")


def test_placeholders_put_recent_news_in_this_iso_week():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
    text = render(
        "@BASE@ @BASE_Q@ @RECENT:100:iso@ @RECENT:2:iso@ @OLD:3:human@", "http://h:1", now
    )
    base, quoted, long_ago, recent, old = text.split(" ", 4)
    assert (base, quoted) == ("http://h:1", "http%3A%2F%2Fh%3A1")
    assert long_ago >= "2026-11-23T00:00:00Z"  # clamped to Monday, not last week
    assert recent == "2026-11-25T10:00:00Z"
    assert old == "20 November 2026"


def test_council_feed_is_valid_rss_with_this_weeks_items(demo_web):
    status, body, content_type = fetch(f"{demo_web.base_url}/kelderby/news/rss.xml")
    feed = feedparser.parse(body)
    assert status == 200 and "xml" in content_type
    assert not feed.bozo and len(feed.entries) >= 10
    assert all(entry.link.startswith(demo_web.base_url) for entry in feed.entries)


def test_moderngov_pages_resolve_query_strings_to_recorded_files(demo_web):
    status, body, _ = fetch(
        f"{demo_web.base_url}/kelderby/democracy/ieListMeetings.aspx?CommitteeId=130"
    )
    assert status == 200 and b"ieListDocuments.aspx" in body


def test_alert_redirect_wrapper_redirects_to_the_real_page(demo_web):
    target = f"{demo_web.base_url}/media/wire/brackenfold-chief-executive-suspended.html"
    status, body, _ = fetch(f"{demo_web.base_url}/alerts/url?rct=j&url={target}&ct=ga")
    assert status == 200 and b"suspended" in body
