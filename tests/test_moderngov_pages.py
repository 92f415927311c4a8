"""The ModernGov spider on pages saved from real sites (Kingston's pages, Gloucester's web
service: tests/files/moderngov/, sources in tests/files/SOURCES.md), in-process."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from saved import FILES, saved_response, spider_for, split
from scrapy.http import Response

from crawlers.moderngov import (
    ModernGovSpider,
    committee_meetings,
    parse_meeting_page,
    service_meeting,
)
from crawlers.xml import parse_xml
from domain.config import Source

KINGSTON = "https://moderngov.kingston.gov.uk/"
MEETING = KINGSTON + "ieListDocuments.aspx?CId=711&MId={}&Ver=4"
GLOUCESTER = "https://democracy.gloucester.gov.uk/"
NOW = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def spider():
    source = Source(kind="moderngov", url=KINGSTON, council="E09000021", web_service=True)
    return spider_for(ModernGovSpider, [source], now=NOW)


def meeting_page(meeting_id: int):
    name = f"moderngov/kingston_ieListDocuments_CId711_MId{meeting_id}.html"
    return parse_meeting_page(saved_response(name, MEETING.format(meeting_id)))


def meeting_10221():
    return meeting_page(10221)


def test_the_committee_list_leads_to_each_committees_meetings(spider):
    [source] = spider.sources
    response = saved_response(
        "moderngov/kingston_mgCommitteeStructure.html", KINGSTON + "mgCommitteeStructure.aspx"
    )
    requests, _ = split(spider.parse_committees(response, source))
    urls = {r.url: r.cb_kwargs["committee"] for r in requests}
    assert len(urls) > 20
    assert urls[KINGSTON + "ieListMeetings.aspx?CommitteeId=711"] == (
        "Kingston and North Kingston Neighbourhood Committee"
    )


def test_a_committees_meetings_have_their_dates_and_cancellations():
    response = saved_response(
        "moderngov/kingston_ieListMeetings_CommitteeId711.html",
        KINGSTON + "ieListMeetings.aspx?CommitteeId=711",
    )
    meetings = committee_meetings(response, "Kingston and North Kingston")
    assert len(meetings) == 15
    assert (meetings[3].url, meetings[3].date) == (MEETING.format(10221), "2026-01-15T00:00:00Z")
    assert [m.date[:10] for m in meetings if m.status == "Cancelled"] == ["2025-12-04"]
    assert meetings[-1].date == "2024-09-05T00:00:00Z"


def test_the_spider_skips_cancelled_meetings(spider):
    [source] = spider.sources
    response = saved_response(
        "moderngov/kingston_ieListMeetings_CommitteeId711.html",
        KINGSTON + "ieListMeetings.aspx?CommitteeId=711",
    )
    requests, _ = split(spider.parse_meetings(response, source, "K&NK"))
    assert len(requests) == 14 and MEETING.format(10161) not in [r.url for r in requests]


def test_a_meeting_page_types_every_document():
    meeting = meeting_10221()
    assert meeting.date == "2026-01-15T00:00:00Z"
    types = {d.label: (d.type, d.previous) for d in meeting.documents}
    assert types["Agenda frontsheet"] == ("agenda", False)
    assert types["Printed decisions"] == ("decision", False)
    assert types["Printed minutes"] == ("minutes", False)
    assert types["Minutes"] == ("minutes", True), "s111920: the previous meeting's minutes"
    assert types["Decision Progress Update"] == ("report", False), "a report's title"
    assert types["Community Grants Programme"] == ("report", False)
    assert types["Annex 1 - Wolverton Avenue"] == ("report", False), "', item 59.' dropped"
    assert len(meeting.documents) == 20


def test_a_meeting_page_wants_its_minutes_decisions_and_reports_not_the_frontsheet():
    wanted = {d.label for d in meeting_10221().wanted()}
    assert {"Printed minutes", "Printed decisions", "Community Safety Update"} <= wanted
    assert "Agenda frontsheet" not in wanted and "Minutes" not in wanted
    assert len(wanted) == 18
    printed = next(d for d in meeting_10221().documents if d.label == "Printed minutes")
    assert printed.url == (
        KINGSTON + "documents/g10230/Printed minutes Thursday 15-Jan-2026 19.30 "
        "Kingston and North Kingston Neighbourhood Committee.pdf?T=1"
    )


def test_minutes_published_on_the_meeting_page_are_read_item_by_item():
    text = meeting_10221().minutes_text
    assert text.startswith("54. Public Question Time\nThe Committee set aside a period")
    assert "56. Apologies for Absence\nApologies were received from Councillors Noel " in text
    assert "Hadjimichael, Patrick Hall and John Sweeney." in text, "Word's spans rejoined"
    assert "To receive completed petitions" not in text, "the agenda text is not the minutes"


def test_a_cancelled_meeting_has_nothing_to_read():
    meeting = meeting_page(10161)
    assert meeting.documents == [] and meeting.minutes_text is None
    assert meeting.date == "2025-12-04T00:00:00Z"


def test_the_spider_stores_inline_minutes_and_asks_for_the_documents(spider):
    [source] = spider.sources
    listed = committee_meetings(
        saved_response(
            "moderngov/kingston_ieListMeetings_CommitteeId711.html",
            KINGSTON + "ieListMeetings.aspx?CommitteeId=711",
        ),
        "Kingston and North Kingston Neighbourhood Committee",
    )[3]
    page = saved_response("moderngov/kingston_ieListDocuments_CId711_MId10221.html", listed.url)
    requests, items = split(spider.parse_meeting(page, source, listed))
    [minutes] = items
    assert minutes["kind"] == "minutes" and minutes["url"] == MEETING.format(10221)
    assert minutes["title"] == (
        "Kingston and North Kingston Neighbourhood Committee: minutes (2026-01-15)"
    )
    assert len(requests) == 18
    kinds = {r.cb_kwargs["item"]["meta"]["doc_type"] for r in requests}
    assert kinds == {"minutes", "decision", "report"}


def test_web_service_meetings_lead_to_their_pages_with_get_meeting_to_fall_back_on(spider):
    [source] = spider.sources
    url = GLOUCESTER + "mgWebService.asmx/GetMeetings?lCommitteeId=129&sFromDate=2000-01-01"
    response = saved_response("moderngov/gloucester_GetMeetings_committee129.xml", url)
    requests, _ = split(spider.parse_service_meetings(response, source))
    assert len(requests) == 19, "20 meetings, one of them cancelled"
    special = next(r for r in requests if "MId=7837" in r.url)
    assert special.url == GLOUCESTER + "ieListDocuments.aspx?CId=129&MId=7837&Ver=4"
    assert special.cb_kwargs["listed"].committee == "Cabinet"
    assert special.cb_kwargs["listed"].date == "2025-11-21T00:00:00Z"
    assert special.meta["service_fallback"] == (
        GLOUCESTER + "mgWebService.asmx/GetMeeting?lMeetingId=7837"
    )


def test_get_meeting_gives_the_documents_and_minutes_when_the_page_cannot_be_had():
    root = parse_xml((FILES / "moderngov/gloucester_GetMeeting_7837.xml").read_bytes())
    page = GLOUCESTER + "ieListDocuments.aspx?CId=129&MId=7837&Ver=4"
    meeting = service_meeting(root, GLOUCESTER, page, "Cabinet")
    assert meeting.date == "2025-11-21T00:00:00Z" and meeting.url == page
    labels = [d.label for d in meeting.documents]
    assert "Final proposals for Local Government Reorganisation in Gloucestershire" in labels
    host = GLOUCESTER.replace("gloucester", "Gloucester")  # the service spells its host so
    assert all(d.url.startswith(host) for d in meeting.documents)
    assert all("mgConvert2PDF.aspx?ID=" in d.url and d.type == "report" for d in meeting.documents)
    assert meeting.minutes_text.startswith("51. Declarations of Interest\n")
    assert "The Leader of the Council stated that nothing was certain at this stage." in (
        meeting.minutes_text
    )


def test_a_failed_meeting_page_falls_back_on_get_meeting(spider):
    [source] = spider.sources
    url = GLOUCESTER + "mgWebService.asmx/GetMeetings?lCommitteeId=129&sFromDate=2000-01-01"
    response = saved_response("moderngov/gloucester_GetMeetings_committee129.xml", url)
    requests, _ = split(spider.parse_service_meetings(response, source))
    special = next(r for r in requests if "MId=7837" in r.url)
    # the page answers 200 with no HTML (a broken proxy): unreadable, so GetMeeting is asked
    broken = Response(special.url, status=200, body=b"\x00\x01", request=special)
    fallback, _ = split(spider.parse_meeting(broken, **special.cb_kwargs))
    assert [r.url for r in fallback] == [special.meta["service_fallback"]]
    answer = saved_response(
        "moderngov/gloucester_GetMeeting_7837.xml", special.meta["service_fallback"]
    )
    documents, items = split(spider.parse_service_meeting(answer, **fallback[0].cb_kwargs))
    assert len(documents) == 7
    [minutes] = items
    assert minutes["title"] == "Cabinet: minutes (2025-11-21)"
    assert spider.health[source.id].items_failed == 1, "the broken page is shown to the admin"
