"""The CMIS spider on markup saved from a real CMIS site (Birmingham's, as Democracy Club's
LGSF keeps it: tests/files/cmis/, sources in tests/files/SOURCES.md), in-process: each
callback gets a response built from the saved page at its real address."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from saved import saved_response, spider_for, split

from crawlers.cmis import (
    CmisSpider,
    calendar_meetings,
    calendar_months,
    calendar_url,
    list_view_meetings,
    meetings_module,
    parse_meeting_page,
)
from domain.config import Source

ROOT = "https://birmingham.cmis.uk.com/birmingham/"
MEETINGS = ROOT + "Meetings/tabid/70/ctl/ViewMeetingPublic/mid/397/Meeting/{}/Committee/{}"
PAGE = MEETINGS + "/SelectedTab/Documents/Default.aspx"
CALENDAR = ROOT + "Meetings/tabid/70/ctl/MeetingCalendarPublicNoJava/mid/397/Date/{}/Default.aspx"
JUNE = CALENDAR.format("2026-06-01")
NOW = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def spider():
    source = Source(kind="cmis", url=ROOT, council="E08000025", name="Birmingham meetings")
    return spider_for(CmisSpider, [source], now=NOW)


def test_the_meetings_page_names_its_calendar_module():
    response = saved_response("cmis/cmis_base.html", ROOT + "Meetings.aspx")
    assert meetings_module(response) == "397"


def test_the_list_view_gives_each_meeting_its_date_and_committee():
    response = saved_response(
        "cmis/cmis_listview.html", ROOT + "Meetings.aspx?ctl=MeetingCalendarListView&mid=397"
    )
    meetings = list_view_meetings(response)
    assert [(m.committee, m.date, m.url) for m in meetings] == [
        ("Planning Committee", "2026-07-09T00:00:00Z", PAGE.format(15042, 4)),
        ("Standards Committee", "2026-07-23T00:00:00Z", PAGE.format(15115, 38)),
    ]


def test_the_month_calendar_address_comes_from_a_meeting_link():
    assert calendar_url(PAGE.format(15042, 4), date(2026, 6, 17)) == JUNE
    assert calendar_url(ROOT + "Meetings.aspx", date(2026, 6, 1)) is None


def test_the_month_calendar_gives_every_meeting_with_the_months_year():
    response = saved_response("cmis/cmis_calendar_month.html", JUNE)
    meetings = calendar_meetings(response, date(2026, 6, 1))
    assert [(m.date[:10], m.committee, m.url) for m in meetings] == [
        ("2026-06-08", "Licensing Sub-Committee A", PAGE.format(15028, 6)),
        ("2026-06-09", "Licensing Sub-Committee B", PAGE.format(15029, 7)),
        ("2026-06-09", "Licensing Sub-Committee B", PAGE.format(15030, 7)),
        ("2026-06-30", "Planning Committee", PAGE.format(15099, 4)),
    ]


def test_a_meeting_page_gives_its_details_and_typed_documents():
    meeting = parse_meeting_page(
        saved_response("cmis/cmis_meeting_summary.html", PAGE.format(15200, 6))
    )
    assert (meeting.committee, meeting.date, meeting.status) == (
        "Licensing Sub-Committee A",
        "2026-08-03T00:00:00Z",
        "Scheduled",
    )
    [previous] = meeting.documents
    assert previous.label == "Minutes of the previous meeting"
    assert (previous.type, previous.previous) == ("minutes", True)
    assert previous.url == ROOT + "Document.ashx?czJKcaeAi5tUFL1DTL2UE4sOqCLHzE2A"
    assert meeting.wanted() == [], "the previous meeting's minutes are that meeting's"


@pytest.mark.parametrize(
    ("page", "documents", "wanted"),
    [
        (
            "cmis/cmis_detail_with_minutes.html",
            [
                ("Final Planning Minutes 16042026", "minutes", "Document.ashx?id=abc123"),
                ("Final Agenda Reports - 9th July 2026", "pack", "Document.ashx?id=def456"),
            ],
            # no report of its own, so the pack (the agenda with its reports) is read
            ["Final Planning Minutes 16042026", "Final Agenda Reports - 9th July 2026"],
        ),
        (
            "cmis/cmis_detail_no_minutes.html",
            [("Agenda Contents", "agenda", "Document.ashx?id=xyz789")],
            [],
        ),
    ],
)
def test_document_links_are_typed_by_their_titles(page, documents, wanted):
    meeting = parse_meeting_page(saved_response(page, PAGE.format(15042, 4)))
    assert [(d.label, d.type, d.url) for d in meeting.documents] == [
        (label, kind, "https://birmingham.cmis.uk.com/Birmingham/" + path)
        for label, kind, path in documents
    ]
    assert [d.label for d in meeting.wanted()] == wanted


def test_the_spider_goes_from_the_meetings_page_to_the_list_view(spider):
    [source] = spider.sources
    requests, items = split(
        spider.parse_meetings_page(
            saved_response("cmis/cmis_base.html", ROOT + "Meetings.aspx"), source
        )
    )
    assert [r.url for r in requests] == [ROOT + "Meetings.aspx?ctl=MeetingCalendarListView&mid=397"]
    assert spider.health[source.id].last_success and spider.health[source.id].last_error is None


def test_a_page_without_a_meetings_calendar_fails_the_source_in_words(spider):
    [source] = spider.sources
    response = saved_response("cmis/cmis_detail_no_minutes.html", ROOT + "Meetings.aspx")
    requests, _ = split(spider.parse_meetings_page(response, source))
    assert requests == []
    assert "no CMIS meetings calendar" in spider.health[source.id].last_error
    assert ROOT + "Meetings.aspx" in spider.health[source.id].last_error


def test_the_spider_reads_this_months_meetings_and_the_calendars_back_three_months(spider):
    [source] = spider.sources
    response = saved_response(
        "cmis/cmis_listview.html", ROOT + "Meetings.aspx?ctl=MeetingCalendarListView&mid=397"
    )
    requests, _ = split(spider.parse_list_view(response, source))
    meetings = [r for r in requests if "ViewMeetingPublic" in r.url]
    calendars = [r for r in requests if "MeetingCalendarPublicNoJava" in r.url]
    assert [r.url for r in meetings] == [PAGE.format(15042, 4), PAGE.format(15115, 38)]
    assert [r.cb_kwargs["month"] for r in calendars] == calendar_months(NOW)
    assert calendar_months(NOW) == [date(2026, m, 1) for m in (4, 5, 6, 7, 8)]
    assert JUNE in [r.url for r in calendars]
    assert all(r.meta["download_timeout"] >= 120 for r in calendars), "calendars render slowly"


def test_a_meeting_in_both_the_list_view_and_a_calendar_is_read_once(spider):
    [source] = spider.sources
    listed = saved_response(
        "cmis/cmis_listview.html", ROOT + "Meetings.aspx?ctl=MeetingCalendarListView&mid=397"
    )
    first, _ = split(spider.parse_list_view(listed, source))
    july = JUNE.replace("2026-06-01", "2026-07-01")
    # the July calendar lists the same two meetings (same page shape as June's)
    calendar = saved_response("cmis/cmis_listview.html", july)
    again, _ = split(spider.parse_calendar(calendar, source, date(2026, 7, 1)))
    assert len([r for r in first if "ViewMeetingPublic" in r.url]) == 2
    assert again == []


def test_the_spider_asks_for_minutes_and_reports_with_the_meetings_details(spider):
    [source] = spider.sources
    listed = list_view_meetings(
        saved_response(
            "cmis/cmis_listview.html", ROOT + "Meetings.aspx?ctl=MeetingCalendarListView&mid=397"
        )
    )[0]
    page = saved_response("cmis/cmis_detail_with_minutes.html", listed.url)
    requests, items = split(spider.parse_meeting(page, source, listed))
    assert items == []
    by_url = {r.url: r.cb_kwargs["item"] for r in requests}
    minutes = by_url["https://birmingham.cmis.uk.com/Birmingham/Document.ashx?id=abc123"]
    assert minutes["kind"] == "minutes"
    assert minutes["title"] == "Planning Committee: Final Planning Minutes 16042026 (2026-07-09)"
    assert minutes["published"] == "2026-07-09T00:00:00Z" and minutes["date_source"] == "meeting"
    assert minutes["meta"] == {
        "committee": "Planning Committee",
        "meeting_date": "2026-07-09T00:00:00Z",
        "meeting_url": listed.url,
        "doc_type": "minutes",
    }
    pack = by_url["https://birmingham.cmis.uk.com/Birmingham/Document.ashx?id=def456"]
    assert pack["kind"] == "report" and pack["meta"]["doc_type"] == "pack"
    assert spider.health[source.id].items_found == 2


def test_a_stored_old_meeting_is_not_read_again(spider):
    [source] = spider.sources
    spider.meetings_done = {PAGE.format(15042, 4)}
    response = saved_response(
        "cmis/cmis_listview.html", ROOT + "Meetings.aspx?ctl=MeetingCalendarListView&mid=397"
    )
    spider.now = datetime(2026, 9, 1, tzinfo=UTC)  # the 9 July meeting is now over a month old
    requests, _ = split(spider.parse_list_view(response, source))
    assert [r.url for r in requests if "ViewMeetingPublic" in r.url] == [PAGE.format(15115, 38)]


def test_a_source_naming_another_cmis_page_finds_the_meetings_page_in_its_folder():
    source = Source(kind="cmis", url=ROOT + "Committees.aspx", council="E08000025")
    spider = spider_for(CmisSpider, [source], now=NOW)
    assert CmisSpider.meetings_pages(source) == [
        ROOT + "Committees.aspx",
        ROOT + "Meetings.aspx",
        ROOT + "MeetingsCalendar.aspx",
        ROOT + "CalendarofMeetings.aspx",
    ]
    first = spider.meetings_page_request(source, CmisSpider.meetings_pages(source), tried=[])
    # Committees.aspx has no meetings calendar: the next name is tried, not given up on
    page = saved_response("cmis/cmis_detail_no_minutes.html", first.url, meta=first.meta)
    [following], _ = split(spider.parse_meetings_page(page, source))
    assert following.url == ROOT + "Meetings.aspx" and following.meta["tried"] == [first.url]
    assert spider.health[source.id].last_error is None
