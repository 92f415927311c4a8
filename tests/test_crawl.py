"""`radar crawl` against the demo web on loopback: every source, politely, once."""

from __future__ import annotations

import json

from conftest import rows, run_radar, write_watchlist

from demo.server import week_start


def test_crawl_stores_items_from_every_demo_source(crawled):
    sources = rows(crawled["db_path"], "select * from sources")
    assert len(sources) == 13
    for source in sources:
        assert source["last_error"] is None, source
        assert source["last_status"] == 200, source
        assert source["items_found"] > 0, f"{source['name']} found nothing"
        if source["origin"] == "council":  # a search feed's stories may all be stored already
            assert source["items_new"] > 0, f"{source['name']} stored nothing"


def test_crawl_obeys_robots_txt(crawled):
    assert "/robots.txt" in crawled["requests"]
    assert not [path for path in crawled["requests"] if path.startswith("/kelderby/private/")]
    blocked = rows(crawled["db_path"], "select * from items where url like '%/kelderby/private/%'")
    assert len(blocked) == 1 and blocked[0]["summary_only"] == 1
    assert blocked[0]["text"], "the feed summary is kept when the page may not be fetched"


def test_missing_pages_keep_the_feed_summary(crawled):
    missing = rows(
        crawled["db_path"], "select * from items where url like '%moss-lane-resurfacing%'"
    )
    assert missing[0]["summary_only"] == 1 and "Moss Lane" in missing[0]["text"]


def test_alert_links_are_unwrapped_before_fetching(crawled):
    assert not [path for path in crawled["requests"] if path.startswith("/alerts/url")]
    alerts = rows(crawled["db_path"], "select url from items where origin = 'alert'")
    assert alerts and all("/alerts/url" not in row["url"] for row in alerts)


def test_extraction_keeps_the_article_and_drops_the_page_furniture(crawled):
    [item] = rows(
        crawled["db_path"], "select * from items where url like '%/section-114-notice-issued.html'"
    )
    assert "section 114" in item["text"].lower()
    for furniture in ("cookie", "Accessibility statement", "Share this page"):
        assert furniture.lower() not in item["text"].lower()


def test_minutes_pdfs_are_read_page_by_page(crawled):
    [item] = rows(
        crawled["db_path"],
        "select * from items where url like '%/g4003/Printed%20minutes%20Council.pdf%'",
    )
    offsets = json.loads(item["page_offsets"])
    assert item["kind"] == "minutes" and len(offsets) >= 2
    page_two = item["text"][offsets[1] : offsets[2] if len(offsets) > 2 else None]
    assert "section 114" in page_two.lower()
    meta = json.loads(item["meta"])
    assert meta["committee"] == "Council" and meta["doc_type"] == "minutes"
    assert item["published"], "documents carry the meeting date"


def test_minutes_published_as_html_on_the_meeting_page_are_stored(crawled):
    [item] = rows(
        crawled["db_path"], "select * from items where url like '%ieListDocuments.aspx%MId=3001%'"
    )
    assert item["kind"] == "minutes" and "no confidence" in item["text"].lower()


def test_agenda_frontsheets_are_not_stored_but_reports_are(crawled):
    kinds = {row["kind"] for row in rows(crawled["db_path"], "select kind from items")}
    assert {"news", "media", "alert", "minutes", "report"} <= kinds
    assert not rows(
        crawled["db_path"], "select 1 from items where url like '%Agenda%20frontsheet%'"
    )


def test_alerts_pointing_at_wire_stories_do_not_duplicate_them(crawled):
    wire = rows(crawled["db_path"], "select origin from items where url like '%/media/wire/%'")
    assert [row["origin"] for row in wire].count("media") == 13
    fetched = [path for path in crawled["requests"] if "brackenfold-chief-executive" in path]
    assert len(fetched) == 1


def test_syndicated_press_release_is_stored_once(crawled):
    items = rows(
        crawled["db_path"],
        "select url, origin from items where title like '%Statement on the chief executive%'",
    )
    assert [row["origin"] for row in items] == ["council"], items


def test_media_items_are_attributed_to_the_councils_they_name(crawled):
    found = rows(
        crawled["db_path"],
        """select i.url, group_concat(ic.gss_code) as codes from items i
           join item_councils ic on ic.item_id = i.id where i.origin = 'media' group by i.id""",
    )
    by_url = {row["url"].rsplit("/", 1)[1]: set(row["codes"].split(",")) for row in found}
    assert by_url["brackenfold-chief-executive-suspended.html"] == {"X07000001"}
    assert by_url["councils-shortlisted-for-national-awards.html"] == {"X06000001", "X08000001"}


def test_council_news_belongs_to_its_council(crawled):
    unlinked = rows(
        crawled["db_path"],
        """select i.url from items i left join item_councils ic on ic.item_id = i.id
           where i.origin = 'council' and ic.gss_code is null""",
    )
    assert unlinked == []


def is_listing(path: str) -> bool:
    """Feeds, sitemaps, listings and meeting navigation: what every crawl reads again."""
    marks = (
        "rss.xml", "news.rss", ".atom", "/robots.txt", "sitemap", "/news/index.html",
        "mgListCommittees", "ieListMeetings", "ieListDocuments",
        "Meetings.aspx", "MeetingCalendarPublicNoJava", "ViewMeetingPublic",
        "mgCalendarMonthView", "mgWebService.asmx",
    )  # fmt: skip
    return any(mark in path for mark in marks)


def test_second_crawl_fetches_nothing_new(tmp_path, demo_web):
    watchlist = write_watchlist(tmp_path, demo_web.base_url)
    run_radar("crawl", "--watchlist", str(watchlist))
    first = rows(tmp_path / "radar.db", "select count(*) as n from items")[0]["n"]
    demo_web.clear_log()
    run_radar("crawl", "--watchlist", str(watchlist))
    second_requests = list(demo_web.requests)
    assert rows(tmp_path / "radar.db", "select count(*) as n from items")[0]["n"] == first
    refetched = [path for path in second_requests if not is_listing(path)]
    assert second_requests and refetched == [], "only feeds and listings are fetched again"
    feeds = rows(tmp_path / "radar.db", "select last_status from sources where kind = 'feed'")
    assert {row["last_status"] for row in feeds} == {304}, "feeds answer 304 Not Modified"
    # two demo ModernGov sites have no month calendar: their committee lists are read
    # instead, and a missing calendar is no failure to show an admin every crawl
    failed = rows(tmp_path / "radar.db", "select name from sources where items_failed > 0")
    assert failed == [], failed


def test_every_item_records_where_its_date_came_from(crawled):
    found = rows(crawled["db_path"], "select date_source, kind, published from items")
    sources = {(row["kind"], row["date_source"]) for row in found}
    assert ("news", "feed") in sources and ("minutes", "meeting") in sources
    assert all(row["published"] for row in found if row["date_source"] != "none")


def test_dead_source_is_recorded_and_the_rest_carry_on(tmp_path, demo_web):
    watchlist = write_watchlist(
        tmp_path,
        demo_web.base_url,
        sources=[
            {"kind": "feed", "origin": "media", "name": "Gone", "url": "/media/gone/rss.xml"},
            {"kind": "feed", "origin": "media", "name": "Wire", "url": "/media/wire/rss.xml"},
        ],
    )
    result = run_radar("crawl", "--watchlist", str(watchlist))
    sources = {row["name"]: row for row in rows(tmp_path / "radar.db", "select * from sources")}
    assert sources["Gone"]["last_status"] == 404
    assert "/media/gone/rss.xml" in sources["Gone"]["last_error"]
    assert sources["Wire"]["items_found"] == 13 and sources["Wire"]["items_new"] >= 10
    assert "HTTP 404" in result.stdout


def test_sitemap_council_news_is_found_and_ordinary_pages_are_not(crawled):
    found = rows(
        crawled["db_path"], "select url, date_source from items where url like '%/hollinsford/%'"
    )
    urls = [row["url"] for row in found]
    assert sum("/hollinsford/news/" in url for url in urls) == 8
    assert not [url for url in urls if url.endswith(("council-tax.html", "contact-us.html"))]
    assert {row["date_source"] for row in found if "/news/" in row["url"]} == {"sitemap"}


def test_listing_council_news_follows_older_pages(crawled, demo_web):
    found = rows(
        crawled["db_path"],
        "select url, date_source, published, meta from items where url like '%/ashworth-vale/%'",
    )
    assert len(found) == 10, "6 on the first listing page, 4 on the second"
    assert "/ashworth-vale/news/index.html?page=2" in crawled["requests"]
    assert {row["date_source"] for row in found} == {"listing"}, "dates shown beside the links"
    # its metadata (copied with a template) says 2022-12-01; the listing and the page's
    # headline say this week, and that is its date
    [moorside] = [row for row in found if "moorside-residents-parking" in row["url"]]
    assert moorside["published"] >= week_start(demo_web.now()).strftime("%Y-%m-%d")
    assert json.loads(moorside["meta"])["dates"]["page"] == "2022-12-01"


def test_cmis_meetings_from_the_list_view_and_month_calendars_have_their_documents_stored(
    crawled,
):
    found = rows(
        crawled["db_path"],
        "select kind, title, text, page_offsets, meta from items "
        "where url like '%/hollinsford/cmis5/%'",
    )
    kinds = sorted(row["kind"] for row in found)
    assert kinds == ["minutes", "minutes", "minutes", "minutes", "report"]
    assert not [row for row in found if "Agenda" in row["title"]]
    pdfs = [row for row in found if row["page_offsets"]]
    assert len(pdfs) == 5, "Document.ashx links carry no .pdf: the PDF is recognised by content"
    assert all(json.loads(row["meta"])["committee"] in ("Council", "Cabinet") for row in found)
    # meeting 5102 (40 days back) is in no list view, only in its month's calendar
    assert any("MeetingCalendarPublicNoJava" in path for path in crawled["requests"])
    assert any("/Meeting/5102/" in json.loads(row["meta"])["meeting_url"] for row in found)
    # the Word-style minutes (a text operation per word) read as lines and paragraphs
    [cabinet] = [row for row in found if row["title"].startswith("Cabinet: Final Cabinet")]
    assert "\n25. Town Centre Masterplan - adoption\n" in cabinet["text"]
    assert len(json.loads(cabinet["page_offsets"])) == 2


def test_moderngov_calendar_and_web_service_find_meetings_the_committee_list_misses(crawled):
    assert "/kelderby/democracy/mgCalendarMonthView.aspx" in crawled["requests"]
    assert "/kelderby/democracy/mgWebService.asmx/GetCommittees" in crawled["requests"]
    assert any("GetMeetings?lCommitteeId=130" in path for path in crawled["requests"])
    [scrutiny] = rows(
        crawled["db_path"], "select * from items where url like '%/g2005/Printed%20minutes%'"
    )
    assert json.loads(scrutiny["meta"])["committee"] == "Overview and Scrutiny Committee"
    assert scrutiny["date_source"] == "meeting"


def test_government_notices_are_attributed_to_the_councils_they_concern(crawled):
    found = rows(
        crawled["db_path"],
        """select i.title, group_concat(ic.gss_code) as codes from items i
           join item_councils ic on ic.item_id = i.id where i.origin = 'government'
           group by i.id""",
    )
    by_title = {row["title"]: row["codes"] for row in found}
    assert by_title["Best value notice issued to Brackenfold District Council"] == "X07000001"
    assert by_title["Commissioners appointed at Hollinsford Borough Council"] == "X07000002"
