"""A daily re-crawl of an unchanged democracy site costs its change signal, and still finds
what changes: a new meeting in the calendar, minutes posted late to an old meeting.

Real crawls (`radar crawl` in a process of its own, on a clock moved by time-machine) of
loopback ModernGov and CMIS sites whose markup is that of the real pages the parsers are
tested on (tests/files/moderngov/, tests/files/cmis/), cut down to what these tests need; the
ETags are the tests' own (no public evidence shows real ModernGov or CMIS sending any).
Every request the site answers is recorded, so each test states the exact requests a crawl
may make.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from conftest import rows
from docweb import minutes_pdf
from saved import spider_for
from scrapy.http import HtmlResponse, Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.cmis import CmisSpider
from crawlers.moderngov import ModernGovSpider
from demo.server import LoopbackServer, reply
from domain.config import Source
from store.times import stamp

# The end-to-end tests (real crawls in processes) are marked slow: `pytest -m "not slow"`
# runs only the in-process ones.
slow = pytest.mark.slow

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)  # the first crawl; every later one is days on
ROBOTS = ("/robots.txt", 200)

# `radar crawl` as a user runs it, with its wall clock moved to `when` (ticking on from there).
CRAWL_AT = """
import sys, time_machine
from datetime import datetime
from radar.cli import main
when = datetime.fromisoformat(sys.argv[1])
sys.argv = ["radar", "crawl", "--quiet", "-w", sys.argv[2]]
with time_machine.travel(when, tick=True):
    main()
"""


def crawl_at(watchlist: Path, when: datetime) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CRAWL_AT, when.isoformat(), str(watchlist)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


@dataclass
class Sitting:
    """One meeting: its committee, id, day, and whether its minutes are published."""

    committee: int
    mid: int
    day: datetime
    minutes: bool

    @property
    def name(self) -> str:
        return {1: "Cabinet", 2: "Planning Committee"}.get(self.committee, "Scrutiny")


class DemocracySite(LoopbackServer):
    """A democracy site on loopback that records every request it answers (path, status)
    and answers 304 to a request whose If-None-Match is the page's ETag."""

    def __init__(self, meetings: list[Sitting]) -> None:
        self.meetings = meetings
        self.requests: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/robots.txt":
                    return self.send(200, b"User-agent: *\nDisallow:\n", "text/plain")
                page = site.page(self.path, f"http://{self.headers['Host']}")
                if page is None:
                    return self.send(404, b"<html><body>Not found</body></html>", "text/html")
                body, kind = page
                tag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
                if self.headers.get("If-None-Match") == tag:
                    return self.send(304, b"", kind, ETag=tag)
                return self.send(200, body, kind, ETag=tag)

            def send(self, status: int, body: bytes, kind: str, **headers: str) -> None:
                with site.lock:
                    site.requests.append((self.path, status))
                reply(self, status, body, kind, **headers)

            def log_message(self, format: str, *args: object) -> None:
                return

        super().__init__(Handler)

    def page(self, path: str, host: str) -> tuple[bytes, str] | None:
        raise NotImplementedError

    def take(self) -> list[tuple[str, int]]:
        """The requests answered since the last call, sorted (a crawl's order is its own)."""
        with self.lock:
            taken, self.requests = sorted(self.requests), []
        return taken

    def meeting(self, mid: int) -> Sitting | None:
        return next((m for m in self.meetings if m.mid == mid), None)


def html(body: str) -> tuple[bytes, str]:
    return f"<!DOCTYPE html><html lang='en'><body>{body}</body></html>".encode(), "text/html"


def pdf(title: str) -> tuple[bytes, str]:
    """A document whose text is its own (the store keeps one copy of a text)."""
    return minutes_pdf(1, council=title), "application/pdf"


class ModernGov(DemocracySite):
    """ModernGov at /mg/, in Kingston's markup: the committee list, each committee's
    meetings list, the month calendar (November 2026 unless `M`/`DD` name another month),
    meeting pages with a report and, once published, printed minutes."""

    def page(self, path: str, host: str) -> tuple[bytes, str] | None:
        parts = urlsplit(path)
        name, query = parts.path.removeprefix("/mg/"), parse_qs(parts.query)
        if name == "mgListCommittees.aspx":
            committees = sorted({(m.committee, m.name) for m in self.meetings})
            return html(
                "".join(
                    f'<p class="mgCommitteeTxt"><a href="mgCommitteeDetails.aspx?ID={c}">'
                    f"{title}</a></p>"
                    for c, title in committees
                )
            )
        if name == "ieListMeetings.aspx":
            cid = int(query["CommitteeId"][0])
            return html(
                '<ul class="mgBulletList">'
                + "".join(
                    f'<li><a href="ieListDocuments.aspx?CId={m.committee}&amp;MId={m.mid}&amp;'
                    f'Ver=4">{m.day:%-d %b %Y}&nbsp;7&#58;30 pm</a></li>'
                    for m in self.meetings
                    if m.committee == cid
                )
                + "</ul>"
            )
        if name == "mgCalendarMonthView.aspx":
            month = int(query.get("M", ["11"])[0]), int(query.get("DD", ["2026"])[0])
            return html(
                "".join(
                    f'<a class="mgCalendarCellTxt" title="{m.name}, {m.day:%d/%m/%Y} 7.30 pm" '
                    f'href="ieListDocuments.aspx?CId={m.committee}&amp;MId={m.mid}&amp;Ver=4">'
                    f"{m.name}</a>"
                    for m in self.meetings
                    if (m.day.month, m.day.year) == month
                )
            )
        if name == "ieListDocuments.aspx":
            meeting = self.meeting(int(query["MId"][0]))
            if meeting is None:
                return None
            minutes = (
                f'<li><a href="documents/g{meeting.mid}/Printed%20minutes.pdf?T=1">'
                "Printed minutes PDF 120 KB</a></li>"
                if meeting.minutes
                else ""
            )
            return html(
                f'<h2 class="mgSubTitleTxt">{meeting.name} - {meeting.day:%A %-d %B %Y} '
                f'7.30 pm</h2><ul class="mgActionList">{minutes}</ul>'
                '<table class="mgItemTable"><tr><td><p class="mgAiTitleTxt">4. Budget</p>'
                f'<ul class="mgActionList"><li><a href="documents/s{meeting.mid}0/Report.pdf">'
                "Budget report PDF 200 KB</a></li></ul></td></tr></table>"
            )
        if name.startswith("documents/"):
            return pdf(f"Meeting {name}")
        return None


def cmis_meeting_path(mid: int, committee: int) -> str:
    return (
        f"/cmis/Meetings/tabid/70/ctl/ViewMeetingPublic/mid/397/Meeting/{mid}/Committee/"
        f"{committee}/SelectedTab/Documents/Default.aspx"
    )


class Cmis(DemocracySite):
    """CMIS at /cmis/, in Birmingham's markup (LGSF's fixtures): the meetings page with its
    calendar module, the list view of November 2026, month calendars, meeting pages with a
    report and, once published, minutes (`Document.ashx`)."""

    def page(self, path: str, host: str) -> tuple[bytes, str] | None:
        parts = urlsplit(path)
        name, query = parts.path.removeprefix("/cmis/"), parse_qs(parts.query)
        if name == "Meetings.aspx" and query.get("ctl") == ["MeetingCalendarListView"]:
            return html(
                "<table>"
                + "".join(
                    f'<tr><td class="DateColumn"><a href="{host}'
                    f'{cmis_meeting_path(m.mid, m.committee)}">{m.day:%-d %b %Y} 11:00 - '
                    f"{m.name}</a></td></tr>"
                    for m in self.meetings
                    if (m.day.year, m.day.month) == (2026, 11)
                )
                + "</table>"
            )
        if name == "Meetings.aspx":
            return html(
                '<input type="submit" name="dnn$ctr397$MeetingCalendarPublic$'
                'btnButtonListView" value="Meeting List View" />'
            )
        if "/MeetingCalendarPublicNoJava/" in name:
            start = datetime.fromisoformat(name.split("/Date/")[1].split("/")[0])
            return html(
                '<table class="rgMasterTable">'
                + "".join(
                    f'<tr><td class="SimpleCalendarDate">{m.day:%A, %-d %B}</td><td>'
                    f'<p class="Meeting"><a href="{host}{cmis_meeting_path(m.mid, m.committee)}">'
                    f"11:00 {m.name}</a></p></td></tr>"
                    for m in self.meetings
                    if (m.day.year, m.day.month) == (start.year, start.month)
                )
                + "</table>"
            )
        if "/ViewMeetingPublic/" in name:
            meeting = self.meeting(int(name.split("/Meeting/")[1].split("/")[0]))
            if meeting is None:
                return None
            documents = [("Budget report", f"r{meeting.mid}")]
            if meeting.minutes:
                documents.append(("Minutes", f"m{meeting.mid}"))
            return html(
                '<div class="holder"><div class="DNNLabel"><span>Committee:</span></div>'
                f'<div class="Value Committee">{meeting.name}</div></div>'
                '<div class="holder"><div class="DNNLabel"><span>Date/Time:</span></div>'
                f'<div class="Value DateTime">{meeting.day:%-d %b %Y} - 11:00</div></div>'
                '<ul class="DocumentList CmisDocumentList">'
                + "".join(
                    f'<li class="DocumentListItem"><a class="TitleLink" '
                    f'href="/cmis/Document.ashx?czJKcae{key}">{title}</a></li>'
                    for title, key in documents
                )
                + "</ul>"
            )
        if name == "Document.ashx":
            return pdf(f"Document {parts.query}")
        return None


def watchlist_for(folder: Path, site: DemocracySite, kind: str, path: str) -> Path:
    watchlist = folder / "watchlist.yaml"
    watchlist.write_text(
        yaml.safe_dump(
            {
                "database": str(folder / "radar.db"),
                "crawl": {"autothrottle": False, "allow_private": [site.crawl_allowance]},
                "sources": [{"kind": kind, "url": f"{site.base_url}{path}"}],
            }
        )
    )
    return watchlist


def days(n: float, hours: int = 0) -> datetime:
    return T0 + timedelta(days=n, hours=hours)


def meetings() -> list[Sitting]:
    """A committee year as a crawl on 10 November 2026 finds it: an old meeting with its
    minutes, one three weeks ago with minutes, one last week without, one to come."""
    return [
        Sitting(1, 11, days(-56), minutes=True),
        Sitting(2, 21, days(-20), minutes=True),
        Sitting(1, 12, days(-5), minutes=False),
        Sitting(2, 22, days(15), minutes=False),
    ]


@pytest.fixture
def moderngov(tmp_path) -> Iterator[tuple[ModernGov, Path]]:
    with ModernGov(meetings()) as site:
        yield site, watchlist_for(tmp_path, site, "moderngov", "/mg/")


@pytest.fixture
def cmis(tmp_path) -> Iterator[tuple[Cmis, Path]]:
    with Cmis(meetings()) as site:
        yield site, watchlist_for(tmp_path, site, "cmis", "/cmis/")


def items(watchlist: Path) -> dict[str, dict]:
    db = yaml.safe_load(watchlist.read_text())["database"]
    return {row["url"]: row for row in rows(Path(db), "select url, kind, meta from items")}


@slow
def test_an_unchanged_moderngov_site_costs_its_calendar_the_next_day(moderngov):
    site, watchlist = moderngov
    crawl_at(watchlist, T0)
    first = site.take()
    assert ("/mg/mgListCommittees.aspx", 200) in first
    assert len([p for p, _ in first if "ieListDocuments" in p]) == 4, "every meeting read"

    crawl_at(watchlist, days(1))
    # Nothing changed: the month's calendar answers 304; no meeting is due (the oldest is
    # done, the others were read yesterday), so no list and no meeting page is asked for.
    assert site.take() == sorted([ROBOTS, ("/mg/mgCalendarMonthView.aspx", 304)])

    crawl_at(watchlist, days(2, hours=1))
    # Two days on, last week's meeting without minutes is due again: its page, unchanged, 304.
    assert site.take() == sorted(
        [
            ROBOTS,
            ("/mg/ieListDocuments.aspx?CId=1&MId=12&Ver=4", 304),
            ("/mg/mgCalendarMonthView.aspx", 304),
        ]
    )


@slow
def test_an_unchanged_cmis_site_costs_its_list_view_the_next_day(cmis):
    site, watchlist = cmis
    crawl_at(watchlist, T0)
    first = site.take()
    assert len([p for p, _ in first if "/MeetingCalendarPublicNoJava/" in p]) == 5
    assert len([p for p, _ in first if "/ViewMeetingPublic/" in p]) == 4, "every meeting read"

    crawl_at(watchlist, days(1))
    assert site.take() == sorted(
        [
            ROBOTS,
            ("/cmis/Meetings.aspx?ctl=MeetingCalendarListView&mid=397", 304),
        ]
    )


@slow
def test_a_new_meeting_in_the_calendar_is_read_the_next_day(moderngov):
    site, watchlist = moderngov
    crawl_at(watchlist, T0)
    site.take()
    site.meetings.append(Sitting(3, 31, days(8), minutes=False))  # a special meeting called

    crawl_at(watchlist, days(1))
    assert site.take() == sorted(
        [
            ROBOTS,
            ("/mg/documents/s310/Report.pdf", 200),
            ("/mg/ieListDocuments.aspx?CId=3&MId=31&Ver=4", 200),
            ("/mg/mgCalendarMonthView.aspx", 200),
        ]
    )
    stored = items(watchlist)
    report = next(row for url, row in stored.items() if url.endswith("/s310/Report.pdf"))
    assert "MId=31" in report["meta"], "stored as the new meeting's report"


@slow
def test_minutes_posted_late_to_a_six_week_old_meeting_are_found_within_four_days(tmp_path):
    late = Sitting(1, 13, days(-42), minutes=False)
    with ModernGov([Sitting(1, 11, days(-56), minutes=True), late]) as site:
        watchlist = watchlist_for(tmp_path, site, "moderngov", "/mg/")
        crawl_at(watchlist, T0)
        site.take()
        late.minutes = True  # posted the evening after the first crawl

        for day in (1, 2, 3):
            crawl_at(watchlist, days(day))
            # the days between cost the calendar alone (no meeting this month: 304)
            assert site.take() == sorted([ROBOTS, ("/mg/mgCalendarMonthView.aspx", 304)]), day

        crawl_at(watchlist, days(4))
        assert site.take() == sorted(
            [
                ROBOTS,
                ("/mg/documents/g13/Printed%20minutes.pdf?T=1", 200),
                ("/mg/ieListDocuments.aspx?CId=1&MId=13&Ver=4", 200),
                ("/mg/mgCalendarMonthView.aspx", 304),
            ]
        )
    minutes = [row for url, row in items(watchlist).items() if "/g13/" in url]
    assert [row["kind"] for row in minutes] == ["minutes"]


# --- in process: the schedule and the spiders' first requests ---------------------------
# (The new names are imported in the tests, so the end-to-end tests above still run, and
# fail by their assertions, on code without them.)


def test_a_meeting_is_read_again_as_its_age_and_minutes_say():
    from crawlers.meetings import recheck_every

    def every(age: int, minutes: bool) -> timedelta | None:
        return recheck_every(stamp(T0 - timedelta(days=age)), minutes, T0)

    assert every(-20, False) == timedelta(days=14), "to come: its date may move"
    assert every(-7, False) == timedelta(days=2), "its agenda and reports are out"
    assert [every(age, False) for age in (5, 42, 80, 200)] == [
        timedelta(days=n) for n in (2, 4, 7, 28)
    ], "without minutes: less often as it ages"
    assert every(400, False) is None, "a year on: left to the committee walk"
    assert every(20, True) == timedelta(days=14) and every(40, True) is None


def meeting_url(source: Source, mid: int) -> str:
    return f"{source.url}ieListDocuments.aspx?CId=2&MId={mid}&Ver=4"


def recrawl_state(source: Source, walked: datetime, **state: str) -> dict[str, Any]:
    """A site walked on `walked`, with two meetings read then: meeting 21, three weeks
    before (its minutes stored, see `recrawl_spider`), and meeting 22, to come."""
    from store.meetings import MeetingCheck, SiteState

    site = SiteState(source.id, stamp(walked), dict(state))
    for mid, day in ((21, days(-20)), (22, days(15))):
        url = meeting_url(source, mid)
        site.meetings[url] = MeetingCheck(
            url, source.id, "Planning", stamp(day), stamp(walked), etag='"v1"'
        )
    return {source.id: site}


def recrawl_spider(spider_class: type, source: Source, now: datetime, **state: str) -> Any:
    return spider_for(
        spider_class,
        [source],
        now=now,
        meeting_state=recrawl_state(source, T0, **state),
        meetings_done={meeting_url(source, 21)},
    )


def start_requests(spider: Any) -> list[Request]:
    async def collect() -> list[Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def test_a_moderngov_recrawl_asks_for_the_calendar_and_the_meetings_due():
    source = Source(kind="moderngov", url="https://democracy.example.gov.uk/", web_service=True)
    # 12 days on, meeting 22 is 3 days ahead: due; meeting 21 is over a month old with its
    # minutes stored: never again. Not the month's last week: this month's calendar only.
    requests = start_requests(recrawl_spider(ModernGovSpider, source, days(12)))
    assert [(r.url, r.headers.get("If-None-Match")) for r in requests] == [
        (source.url + "mgCalendarMonthView.aspx", None),
        (meeting_url(source, 22), b'"v1"'),
    ]
    assert requests[0].meta["entry"], "the calendar answers for the source's health"


def test_a_moderngov_recrawl_walks_the_lists_every_four_weeks():
    source = Source(kind="moderngov", url="https://democracy.example.gov.uk/")
    requests = start_requests(recrawl_spider(ModernGovSpider, source, days(28)))
    assert [r.url.rsplit("/", 1)[1] for r in requests] == [
        "mgListCommittees.aspx",
        "mgCalendarMonthView.aspx",
    ]


def test_a_cmis_recrawl_in_the_months_last_week_reads_next_months_calendar():
    root = "https://democracy.example.gov.uk/cmis5/"
    source = Source(kind="cmis", url=root)
    list_view = root + "Meetings.aspx?ctl=MeetingCalendarListView&mid=397"
    meeting = root + cmis_meeting_path(15042, 4).removeprefix("/cmis/")
    spider = recrawl_spider(CmisSpider, source, days(16), list_view=list_view, meeting_url=meeting)
    [entry, due] = start_requests(spider)
    assert (entry.url, due.url) == (list_view, meeting_url(source, 22))
    unchanged = HtmlResponse(url=list_view, status=304, body=b"", request=entry)
    [calendar] = list(spider.parse_list_view(unchanged, source))
    assert calendar.url == (
        root + "Meetings/tabid/70/ctl/MeetingCalendarPublicNoJava/mid/397/Date/2026-12-01/"
        "Default.aspx"
    )


def test_a_meeting_page_that_failed_is_asked_for_again_by_the_next_crawl_whatever_its_schedule():
    from crawlers.meetings import Meeting
    from store.meetings import SiteState

    source = Source(kind="moderngov", url="https://democracy.example.gov.uk/")
    spider = recrawl_spider(ModernGovSpider, source, days(1))
    listed = Meeting(url=meeting_url(source, 22), committee="Planning", date=stamp(days(15)))
    request = Request(listed.url, cb_kwargs={"source": source, "listed": listed})
    failure = Failure(HttpError(HtmlResponse(listed.url, status=503, body=b"", request=request)))
    failure.request = request
    list(spider.meeting_failed(failure))
    [(key, check)] = spider.checks.items()
    assert check.checked is None and check.etag == '"v1"', "kept as never read"

    # The next day meeting 22 would not be due (read two days before, 13 days ahead).
    state = {source.id: SiteState(source.id, stamp(T0), {}, {key: check})}
    later = spider_for(ModernGovSpider, [source], now=days(2), meeting_state=state)
    assert [r.url for r in start_requests(later)] == [
        source.url + "mgCalendarMonthView.aspx",
        listed.url,
    ]
