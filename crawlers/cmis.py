"""Crawl Civica CMIS democracy sites (DotNetNuke applications).

A CMIS source's URL is the application folder (`https://cambridgeshire.cmis.uk.com/ccc_live/`,
`https://democracy.derby.gov.uk/cmis5/`). The real sites (markup saved in tests/files/cmis/,
from Democracy Club's LGSF) are read the way LGSF reads them:

1. `Meetings.aspx` (some sites `MeetingsCalendar.aspx` or `CalendarofMeetings.aspx`) carries
   the meetings calendar module, whose buttons name its module id: `dnn$ctr397$
   MeetingCalendarPublic$btnButtonListView`.
2. `Meetings.aspx?ctl=MeetingCalendarListView&mid=397` lists this month's meetings: rows of
   `td.DateColumn a` reading "9 Jul 2026 11:00 - Planning Committee", linking meeting pages
   `…/Meetings/tabid/70/ctl/ViewMeetingPublic/mid/397/Meeting/15042/Committee/4/SelectedTab/
   Documents/Default.aspx`.
3. Other months come from the plain month calendar, whose address is built from a meeting
   link's `…/tabid/70/` and `mid/397`: `…/Meetings/tabid/70/ctl/MeetingCalendarPublicNoJava/
   mid/397/Date/2026-06-01/Default.aspx`, a row per day (`td.SimpleCalendarDate` "Monday, 8
   June", no year) with `p.Meeting a` "10:00 Licensing Sub-Committee A".
4. A meeting page's "Meeting Details" (`div.holder`: "Committee:", "Date/Time:", "Status:")
   and documents (`li.DocumentListItem a.TitleLink` → `Document.ashx?…`, no file extension:
   the extractor sniffs `%PDF-`), typed by their titles.

The page parsers are plain functions; the spider decides what to fetch.

Steps 1 to 3 are the walk, made by a first crawl and every `WALK_EVERY` (28 days). In between,
a crawl reads the list view alone (its address kept from the walk, conditional on its last
ETag/Last-Modified; next month's calendar too in a month's last week), a meeting it shows
that was never read, and the meetings their schedule says are due
(`crawlers.meetings.recheck_every`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.base import unreadable_page
from crawlers.meetings import Meeting, MeetingSpider, classify_document, meeting_date
from domain.config import Source
from pipelines.normalise import clean_text

MEETINGS_PAGES = ("Meetings.aspx", "MeetingsCalendar.aspx", "CalendarofMeetings.aspx")
HISTORY_DAYS = 92  # months of calendar read back: the radar's 12-week baseline, and late minutes
CALENDAR_TIMEOUT = 120  # seconds: a real month calendar has taken 40 s to render
_MODULE = re.compile(r"dnn\$ctr(\d+)\$MeetingCalendarPublic")
_CALENDAR_BASE = re.compile(r"^(.*/tabid/\d+)/ctl/\w+/(mid/\d+)/", re.IGNORECASE)
_MEETING_ID = re.compile(r"/Meeting/(\d+)/", re.IGNORECASE)
_LIST_LABEL = re.compile(r"^(.*?\d{4}(?:\s+\d{1,2}[:.]\d{2})?)\s+-\s+(.+)$")
_CALENDAR_LABEL = re.compile(r"^\s*\d{1,2}[:.]\d{2}\s*(?:[ap]m)?\s+(.+)$", re.IGNORECASE)
_DAY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)")
MEETING_LINKS = "a[href*='ViewMeetingPublic']"


def link_text(anchor: Any) -> str:
    return clean_text(" ".join(anchor.css("::text").getall()))


def meetings_module(response: Response) -> str | None:
    """The meetings calendar module's id on a CMIS meetings page, or None."""
    match = _MODULE.search(response.text)
    return match[1] if match else None


def list_view_url(meetings_page: str, module: str) -> str:
    return f"{meetings_page.split('?')[0]}?ctl=MeetingCalendarListView&mid={module}"


def list_view_meetings(response: Response) -> list[Meeting]:
    """The list view's meetings: "9 Jul 2026 11:00 - Planning Committee" → date, committee."""
    found = []
    for anchor in response.css(MEETING_LINKS):
        label = link_text(anchor)
        match = _LIST_LABEL.match(label)
        when, committee = (match[1], match[2]) if match else (label, "")
        found.append(
            Meeting(
                url=response.urljoin(anchor.attrib["href"]),
                committee=committee.strip(),
                date=meeting_date(when),
            )
        )
    return found


def calendar_url(meeting_url: str, month: date) -> str | None:
    """The plain month calendar for `month`, from any meeting page's address (it holds the
    tab and module ids the calendar's address needs), or None."""
    match = _CALENDAR_BASE.match(meeting_url)
    if not match:
        return None
    start = month.replace(day=1).isoformat()
    return f"{match[1]}/ctl/MeetingCalendarPublicNoJava/{match[2]}/Date/{start}/Default.aspx"


def calendar_meetings(response: Response, month: date) -> list[Meeting]:
    """A month calendar's meetings: a row per day ("Monday, 8 June": the year is the
    month's) holding `p.Meeting a` links ("10:00 Licensing Sub-Committee A")."""
    found = []
    for row in response.css("tr"):
        day = clean_text(" ".join(row.css("td.SimpleCalendarDate ::text").getall()))
        when = _DAY.search(day)
        meeting_day = None
        if when:
            meeting_day = meeting_date(f"{when[1]} {when[2]} {month.year}")
        for anchor in row.css(f"p.Meeting {MEETING_LINKS}, {MEETING_LINKS}"):
            label = link_text(anchor)
            match = _CALENDAR_LABEL.match(label)
            found.append(
                Meeting(
                    url=response.urljoin(anchor.attrib["href"]),
                    committee=(match[1] if match else label).strip(),
                    date=meeting_day,
                )
            )
    return found


def detail_value(response: Response, label: str) -> str | None:
    """The value beside a "Meeting Details" label ("Committee:", "Date/Time:", "Status:").
    The label's text is the key: real pages reuse the classes (Status is `div.Value.Venue`)."""
    for holder in response.css("div.holder"):
        names = clean_text(" ".join(holder.css(":scope > .DNNLabel ::text").getall()))
        if names.rstrip(":").strip().lower() == label.lower():
            return clean_text(" ".join(holder.css(":scope > .Value ::text").getall())) or None
    return None


def parse_meeting_page(response: Response) -> Meeting:
    """A meeting page: committee, date and status from its details, and its documents."""
    when = detail_value(response, "Date/Time") or detail_value(response, "Date")
    meeting = Meeting(
        url=response.url,
        committee=detail_value(response, "Committee") or "",
        date=meeting_date(when or ""),
        status=detail_value(response, "Status"),
    )
    for anchor in response.css("li.DocumentListItem a.TitleLink, .CmisDocumentList a.TitleLink"):
        href = response.urljoin(anchor.attrib.get("href", ""))
        meeting.documents.append(classify_document(link_text(anchor), href))
    return meeting


def calendar_months(now: datetime, history_days: int = HISTORY_DAYS) -> list[date]:
    """The first day of each month from `history_days` ago to next month, oldest first."""
    month = (now - timedelta(days=history_days)).date().replace(day=1)
    last = (now.date().replace(day=1) + timedelta(days=32)).replace(day=1)
    months = []
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


class CmisSpider(MeetingSpider):
    name = "cmis"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.meetings_seen: dict[str, set[str]] = {}  # source id -> meeting ids asked for

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            self.begin(source)
            list_view = self.site(source).state.get("list_view")
            if self.walk_due(source) or not list_view:
                yield self.walk(source)
                continue
            # A re-crawl: this month's list view (its address kept from the last walk) is
            # the entry page; meetings read before are read again as their schedule says.
            yield self.signal_request(source, list_view, self.parse_list_view, self.signal_failed)
            for meeting, _ in self.due_meetings(source):
                for request in self.meeting_requests(source, [meeting]):
                    yield request

    def walk(self, source: Source) -> scrapy.Request:
        """The meetings page, its list view and the months' calendars from `HISTORY_DAYS`
        back: a first crawl, and every `WALK_EVERY`."""
        return self.meetings_page_request(source, self.meetings_pages(source), tried=[])

    def signal_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """The list view kept from the last walk failed (a site moved, a server error): the
        walk instead, which decides whether the source is failing."""
        source = failure.request.cb_kwargs["source"]
        self.item_failed(source, failure)
        yield self.walk(source)

    @staticmethod
    def meetings_pages(source: Source) -> list[str]:
        """Where the meetings calendar may be: the source's own page if it names one (an
        older watch list may name `Committees.aspx`), then the usual page names in the
        application folder."""
        folder = urljoin(source.url, ".")
        pages = [source.url] if urlsplit(source.url).path.lower().endswith(".aspx") else []
        pages += [urljoin(folder, name) for name in MEETINGS_PAGES]
        return list(dict.fromkeys(pages))

    def meetings_page_request(
        self, source: Source, candidates: list[str], tried: list[str]
    ) -> scrapy.Request:
        return scrapy.Request(
            candidates[0],
            callback=self.parse_meetings_page,
            errback=self.meetings_page_failed,
            cb_kwargs={"source": source},
            meta={"entry": True, "candidates": candidates[1:], "tried": tried},
            dont_filter=True,
        )

    def meetings_page_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """A 404 for one name of the meetings page: try the next; the last failure fails the
        source."""
        request = failure.request
        source, candidates = request.cb_kwargs["source"], request.meta["candidates"]
        status = getattr(getattr(failure.value, "response", None), "status", None)
        if status == 404 and candidates:
            yield self.meetings_page_request(
                source, candidates, [*request.meta["tried"], request.url]
            )
            return
        self.failed(source, failure)

    def parse_meetings_page(self, response: Response, source: Source) -> Iterator[Any]:
        if not self.readable(response, source, entry=True):
            return
        module = meetings_module(response)
        listed = list_view_meetings(response)
        if module is None and not listed:
            tried = [*response.meta.get("tried", []), response.url]
            if candidates := response.meta.get("candidates"):
                yield self.meetings_page_request(source, candidates, tried)
                return
            reason = f"{', '.join(tried)}: no CMIS meetings calendar on the page (not a CMIS site?)"
            self.record_error(source, response.status, reason)
            return
        self.succeeded(source, response.status, 0)
        self.walked(source)
        yield from self.meeting_requests(source, listed)
        if module is not None:
            yield scrapy.Request(
                list_view_url(response.url, module),
                callback=self.parse_list_view,
                errback=self.listing_failed,
                cb_kwargs={"source": source},
            )
        elif listed:
            yield from self.calendar_requests(source, listed[0].url)

    def parse_list_view(self, response: Response, source: Source) -> Iterator[Any]:
        signal = response.meta.get("signal")
        if signal and response.status == 304:
            self.succeeded(source, 304, 0)
            yield from self.next_month(source, self.site(source).state.get("meeting_url"))
            return
        if signal and unreadable_page(response) is not None:
            self.record_item_error(source, f"{unreadable_page(response)}: the site walked instead")
            yield self.walk(source)
            return
        if not self.readable(response, source):
            self.walk_failed(source)
            return
        listed = list_view_meetings(response)
        if signal:
            self.succeeded(source, response.status, 0)
        else:
            self.site(source).state["list_view"] = response.url
        self.remember_validators(source, response)
        yield from self.meeting_requests(source, listed)
        if listed:
            self.site(source).state["meeting_url"] = listed[0].url
        if signal:
            yield from self.next_month(source, self.site(source).state.get("meeting_url"))
        elif listed:
            yield from self.calendar_requests(source, listed[0].url)
        else:
            self.record_item_error(
                source,
                f"{response.url}: no meetings listed this month, so the month calendars'"
                " address is not known; only this month was read",
            )

    def next_month(self, source: Source, meeting_url: str | None) -> Iterator[scrapy.Request]:
        """A re-crawl's calendar of next month, in this month's last week (`signal_months`):
        the list view shows this month only, and the months back were read by the walk."""
        for month in self.signal_months()[1:] if meeting_url else ():
            yield from self.calendar_requests(source, meeting_url, [month.date()])

    def calendar_requests(
        self, source: Source, meeting_url: str, months: list[date] | None = None
    ) -> Iterator[scrapy.Request]:
        """The month calendars (`calendar_months`, unless `months` are given)."""
        for month in calendar_months(self.now) if months is None else months:
            url = calendar_url(meeting_url, month)
            if url is None:
                return
            yield scrapy.Request(
                url,
                callback=self.parse_calendar,
                errback=self.listing_failed,
                cb_kwargs={"source": source, "month": month},
                meta={"download_timeout": self.calendar_timeout()},
            )

    def calendar_timeout(self) -> int:
        """Seconds a month calendar may take: never less than the crawl's own timeout."""
        return max(CALENDAR_TIMEOUT, self.crawler.settings.getint("DOWNLOAD_TIMEOUT"))

    def parse_calendar(self, response: Response, source: Source, month: date) -> Iterator[Any]:
        if not self.readable(response, source):
            self.walk_failed(source)
            return
        yield from self.meeting_requests(source, calendar_meetings(response, month))

    def meeting_requests(self, source: Source, meetings: list[Meeting]) -> Iterator[Any]:
        """A request for each meeting page not read already in this crawl (the list view and
        the calendars show the same meetings) and wanted (`meeting_wanted`: never read, or
        due by its schedule)."""
        seen = self.meetings_seen.setdefault(source.id, set())
        for meeting in meetings:
            key = _MEETING_ID.search(meeting.url)
            identity = key[1] if key else meeting.url
            if identity in seen or not self.meeting_wanted(meeting):
                continue
            seen.add(identity)
            yield self.meeting_page_request(
                source, meeting, self.parse_meeting, self.meeting_failed
            )

    def meeting_failed(self, failure: Failure) -> None:
        """A meeting page that failed: an item error, and asked for again by the next crawl
        when that may help (`retry_meeting`)."""
        source, listed = failure.request.cb_kwargs["source"], failure.request.cb_kwargs["listed"]
        self.item_failed(source, failure)
        self.retry_meeting(source, listed, failure)

    def parse_meeting(self, response: Response, source: Source, listed: Meeting) -> Iterator[Any]:
        if response.status == 304:
            yield from self.not_modified(source, listed)
            return
        if not self.readable(response, source):
            self.retry_meeting(source, listed)
            return
        meeting = parse_meeting_page(response)
        meeting.committee = meeting.committee or listed.committee
        meeting.date = meeting.date or listed.date
        self.record_check(source, response, meeting)
        yield from self.meeting_items(source, meeting)
