"""A news item a later crawl finds dated far before it was found (issue #14: template metadata
says 2022-12-01 on this week's article) counts in the week it was found, keeps its stated
date and says why; its source counts it for the admin. Real rows in a real store; the clock
is the items' own stamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml
from conftest import jsonl, run_radar

from alerts.acute import check_acute
from alerts.digest import build_digest
from alerts.render import render_digest
from alerts.scoring import compute_radar
from domain.config import RadarSettings, WatchList
from store import open_db
from store.items import SUSPECT_DAYS, insert_item, radar_time, suspect_date_note, update_item

SETTINGS = RadarSettings()
THIS = "2026-W48"  # Monday 23 November 2026
FOUND = "2026-11-25T10:00:00Z"  # Wednesday of that week
LISTING = "https://av.example.org/news/"
DEMOCRACY = "https://democracy.av.example.org/mgListCommittees.aspx"
NEW_FEED = "https://av.example.org/news/rss.xml"
TITLE = "Council's chief finance officer leaves after section 114 warning"


@pytest.fixture()
def store(tmp_path):
    """A council with a listing crawled since June, a democracy site crawled before, and a
    feed added today (its first crawl still running)."""
    db = open_db(tmp_path / "radar.db")
    db["councils"].insert(
        {"gss_code": "X9", "name": "Ashworth Vale", "region": "North West", "aliases": "[]",
         "watched": 1}
    )  # fmt: skip
    crawled = {"last_success": "2026-11-24T02:30:00Z", "first_success": "2026-06-01T02:30:00Z"}
    db["sources"].insert_all(
        [
            {"id": LISTING, "kind": "listing", "url": LISTING, "name": "AV news", **crawled},
            {"id": DEMOCRACY, "kind": "moderngov", "url": DEMOCRACY, "name": "AV meetings",
             **crawled},
            {"id": NEW_FEED, "kind": "feed", "url": NEW_FEED, "name": "AV feed"},
        ],
        pk="id",
    )  # fmt: skip
    return db


def store_item(db, item_id: str, source: str, published: str, date_source: str, **extra) -> dict:
    """An item as the crawl stores it, tagged and flagged for finance; the stored row."""
    url = f"https://av.example.org/{item_id}"
    item = {
        "id": item_id, "url": url, "canonical_url": url, "source_id": source,
        "origin": "council", "kind": extra.get("kind", "news"), "title": extra.get("title", TITLE),
        "text": extra.get("text", "The chief finance officer has left."), "published": published,
        "date_source": date_source, "fetched": FOUND, "story_id": item_id,
        "meta": json.dumps(extra.get("meta", {})),
    }  # fmt: skip
    assert insert_item(db, item, [("X9", "source")])
    db["tags"].insert({"item_id": item_id, "sentiment": "negative", "scores": "{}"})
    db["flags"].insert(
        {"item_id": item_id, "factor": "finance", "score": 0.95, "evidence": "It has left."}
    )
    return next(db.query("select * from items where id = ?", [item_id]))


def test_an_old_date_on_a_later_crawl_counts_in_the_week_it_was_found(store):
    row = store_item(store, "cfo", LISTING, "2022-12-01T00:00:00Z", "page")
    assert row["published"] == "2022-12-01T00:00:00Z", "the stated date is kept"
    assert row["radar_at"] == FOUND
    note = json.loads(row["meta"])["date_note"]
    assert note == (
        "the page's metadata says 2022-12-01, 1,455 days before it was first found "
        "(2026-11-25) on a source crawled since 2026-06-01; counted in the week it was found"
    )
    source = next(store.query("select * from sources where id = ?", [LISTING]))
    assert source["suspect_dates"] == 1 and source["last_date_note"] == f"{TITLE}: {note}"


def test_the_item_reaches_that_weeks_digest_saying_its_date_looks_wrong(store):
    store_item(store, "cfo", LISTING, "2022-12-01T00:00:00Z", "page")
    assert [c.name for c in compute_radar(store, SETTINGS, THIS).councils] == ["Ashworth Vale"]
    assert not compute_radar(store, SETTINGS, "2022-W48").councils
    digest = build_digest(store, SETTINGS, "North West", THIS)
    [council] = digest.councils
    [evidence] = council.evidence
    assert (evidence.headline, evidence.published, evidence.found) == (
        TITLE,
        "2022-12-01",
        "2026-11-25",
    )
    html, text = render_digest(digest)
    for part in (html, text):
        assert "chief finance officer leaves" in part
        assert "2022-12-01 (found 2026-11-25: its date looks wrong)" in part


def test_an_old_date_a_reader_sees_is_believed(store):
    # a site's archive moved to new addresses, or a search feed's old story: the page shows
    # 2022-12-01 under its headline, so the article is old, and history
    shown = {"date_shown": "headline"}
    row = store_item(store, "moved", LISTING, "2022-12-01T00:00:00Z", "feed", meta=shown)
    assert row["radar_at"] == "2022-12-01T00:00:00Z"
    assert json.loads(row["meta"]) == shown
    assert not compute_radar(store, SETTINGS, THIS).councils


def test_a_suspect_date_raises_no_acute_alert_but_reaches_the_digest(store, tmp_path):
    text = "The chief finance officer issued a section 114 notice today."
    store_item(store, "s114", LISTING, "2022-12-01T00:00:00Z", "page", text=text)
    config = WatchList(database=tmp_path / "radar.db", include_england=False)
    now = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    assert check_acute(store, config, now) == [], "the notice may be years old"
    assert [c.name for c in compute_radar(store, SETTINGS, THIS).councils] == ["Ashworth Vale"]
    store_item(store, "s114-new", LISTING, "2026-11-25T09:00:00Z", "headline", text=text)
    assert [a["item_id"] for a in check_acute(store, config, now)] == ["s114-new"]


def test_a_sources_first_crawl_is_history(store):
    row = store_item(store, "old", NEW_FEED, "2022-12-01T00:00:00Z", "feed")
    assert row["radar_at"] == "2022-12-01T00:00:00Z"
    assert "date_note" not in json.loads(row["meta"])
    assert not next(store.query("select suspect_dates from sources where id = ?", [NEW_FEED]))[
        "suspect_dates"
    ]


def test_minutes_of_an_old_meeting_keep_the_meeting_date(store):
    row = store_item(store, "mins", DEMOCRACY, "2026-06-01T18:00:00Z", "meeting", kind="minutes")
    assert row["radar_at"] == "2026-06-01T18:00:00Z", "a democracy site reorganised: history"
    assert "date_note" not in json.loads(row["meta"])


def test_a_recent_date_is_believed(store):
    row = store_item(store, "recent", LISTING, "2026-10-01T00:00:00Z", "headline")
    assert row["radar_at"] == "2026-10-01T00:00:00Z", "no digest for that week was sent"
    assert "date_note" not in json.loads(row["meta"])


def test_the_rule_by_itself():
    assert SUSPECT_DAYS == 90
    old, found = "2026-08-26T09:00:00Z", "2026-11-25T10:00:00Z"  # 91 days
    assert suspect_date_note(old, found, "feed") == (
        "the feed says 2026-08-26, 91 days before it was first found (2026-11-25) on a "
        "source crawled before; counted in the week it was found"
    )
    assert suspect_date_note("2026-08-27T09:00:00Z", found, "feed") is None  # 90 days
    assert suspect_date_note(None, found, "none") is None


def test_radar_time_counts_suspect_news_when_found(tmp_path):
    db = open_db(tmp_path / "radar.db")
    old, found = "2022-12-01T00:00:00Z", FOUND
    assert radar_time(db, old, found, news=True) == found
    assert radar_time(db, old, found, news=True, first_crawl=True) == old
    assert radar_time(db, old, found) == old, "not news: history"


def test_radar_sources_and_the_items_json_say_so(store, tmp_path):
    store_item(store, "cfo", LISTING, "2022-12-01T00:00:00Z", "page")
    store.close()
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(
        yaml.safe_dump({"database": str(tmp_path / "radar.db"), "output_dir": str(tmp_path)}),
        encoding="utf-8",
    )
    shown = run_radar("sources", "-w", str(watchlist)).stdout
    [line] = [line for line in shown.splitlines() if line.startswith("│ AV news")]
    assert [cell.strip() for cell in line.split("│")][2:8] == ["listing", "-", "0", "0", "0", "1"]
    assert "suspect dates: AV news: 1 item dated long before it was found" in " ".join(
        shown.split()
    )
    [found] = jsonl(run_radar("search", "finance", "--json", "-w", str(watchlist)).stdout)
    [exported] = jsonl(run_radar("export", "-w", str(watchlist)).stdout)
    for row in (found, exported):
        assert row["published"].startswith("2022-12-01") and row["radar_at"] == FOUND
        assert (
            row["date_source"] == "page"
            and "counted in the week it was found" in (row["date_note"])
        )


def stored(db, item_id: str) -> dict:
    return next(db.query("select * from items where id = ?", [item_id]))


def source_row(db, source_id: str) -> dict:
    return next(db.query("select * from sources where id = ?", [source_id]))


def test_a_page_read_at_last_that_shows_its_old_date_takes_back_the_suspicion(store):
    # first stored from the listing without its page (a timeout): only the metadata's date
    row = store_item(store, "late", LISTING, "2022-12-01T00:00:00Z", "page")
    assert row["radar_at"] == FOUND and source_row(store, LISTING)["suspect_dates"] == 1
    # a later crawl reads the page: it shows 2022-12-01 under its headline, an old article
    update = {**row, "fetched": "2026-11-26T10:00:00Z", "date_source": "headline",
              "meta": json.dumps({"date_shown": "headline", "date_note": "stale"})}  # fmt: skip
    assert update_item(store, update)
    after = stored(store, "late")
    assert after["radar_at"] == "2022-12-01T00:00:00Z", "history, as an article it shows"
    assert json.loads(after["meta"]) == {"date_shown": "headline"}, "the old note is gone"
    assert source_row(store, LISTING)["suspect_dates"] == 0


def test_an_update_that_brings_an_old_date_nobody_sees_makes_it_suspect(store):
    row = store_item(store, "fresh", LISTING, "2026-11-25T00:00:00Z", "headline",
                     meta={"date_shown": "headline"})  # fmt: skip
    assert row["radar_at"] == "2026-11-25T00:00:00Z" and "date_note" not in row["meta"]
    update = {**row, "published": "2022-12-01T00:00:00Z", "date_source": "page", "meta": "{}"}
    assert update_item(store, update)
    after = stored(store, "fresh")
    assert after["radar_at"] == FOUND, "counted when found, as a new suspect item would be"
    assert "2022-12-01, 1,455 days before" in json.loads(after["meta"])["date_note"]
    assert source_row(store, LISTING)["suspect_dates"] == 1
    assert update_item(store, {**update, "title": "Newer title"})
    assert source_row(store, LISTING)["suspect_dates"] == 1, "the same verdict counts once"


def test_what_a_sources_first_crawl_found_stays_history_when_updated(store):
    first = {"id": "first", "url": "https://av.example.org/f", "canonical_url":
             "https://av.example.org/f", "source_id": NEW_FEED, "origin": "council",
             "kind": "news", "title": TITLE, "text": "Old news.", "published":
             "2022-12-01T00:00:00Z", "date_source": "feed", "fetched": FOUND,
             "story_id": "first", "meta": "{}"}  # fmt: skip
    assert insert_item(store, first, [("X9", "source")])
    store["sources"].update(NEW_FEED, {"last_success": FOUND, "first_success": FOUND})
    assert update_item(store, {**first, "published": "2022-11-30T00:00:00Z", "date_source": "page"})
    after = stored(store, "first")
    assert after["first_crawl"] == 1 and after["radar_at"] == "2022-11-30T00:00:00Z"
    assert "date_note" not in json.loads(after["meta"])
