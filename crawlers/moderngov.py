"""Crawl ModernGov democracy sites: committees → meetings → minutes and reports.

ModernGov (most English councils) has stable page names: `mgListCommittees.aspx` lists
committees (`mgCommitteeDetails.aspx?ID=n`), `ieListMeetings.aspx?CommitteeId=n` lists their
meetings, `ieListDocuments.aspx?CId=n&MId=m` is a meeting with its documents under
`documents/…` (`g<n>/Printed minutes ….pdf`, `s<n>/<report>.pdf`) and, on many sites,
minutes published inline ("Minutes:" under each agenda item). The month's calendar
(`mgCalendarMonthView.aspx`) finds meetings of committees the list leaves out, and the web
service (`mgWebService.asmx`: GetCommittees, GetMeetings, GetMeeting) does the same without
pages, and gives a meeting's documents when its page cannot be had. The page parsers are
plain functions, tested on pages saved from real sites (tests/files/moderngov/).

A first crawl walks every committee's list; later crawls walk them again every
`WALK_EVERY` (28 days). In between, a crawl reads the month's calendar (and next month's in a
month's last week), conditional on its last ETag/Last-Modified, reads any meeting it shows
that was never read, and reads again only the meetings their schedule says are due
(`crawlers.meetings.recheck_every`: by the meeting's age and whether its minutes are stored).
An unchanged site costs one request a day, and minutes posted late are found within days.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.selector import Selector
from twisted.python.failure import Failure

from crawlers.base import describe_failure, unreadable_page
from crawlers.meetings import (
    MINUTES,
    REPORT,
    Document,
    Meeting,
    MeetingSpider,
    classify_document,
    meeting_date,
    paragraphs_text,
)
from crawlers.xml import XmlRefused, parse_xml
from domain.config import Source
from pipelines.normalise import clean_text

_CALENDAR_STATUS = re.compile(r"^(NEW|MOVED|PROVISIONAL|RESCHEDULED)\s+-\s+", re.IGNORECASE)
# The web service wants both dates but real sites ignore them; a fixed range keeps the URL stable.
SERVICE_DATES = "sFromDate=2000-01-01&sToDate=2099-12-31"
_SIZE_SUFFIX = re.compile(r"\s*\b(PDF|DOCX?|HTML)\b\s*[\d.,]*\s*[KMG]?B\s*$", re.IGNORECASE)
_ITEM_SUFFIX = re.compile(r"\s*,\s*item\s+[\d.]+\s*$", re.IGNORECASE)  # ", item 59." (mgHide)


def link_text(anchor: Any) -> str:
    return clean_text(" ".join(anchor.css("::text").getall()))


def document_label(anchor: Any) -> str:
    """A document link's words without ModernGov's size ("PDF 198 KB") and hidden item
    number (", item 59.")."""
    label = _SIZE_SUFFIX.sub("", " ".join(link_text(anchor).split()))
    return _ITEM_SUFFIX.sub("", label).strip()


def parse_meeting_page(response: Response) -> Meeting:
    """A meeting page (`ieListDocuments.aspx`): its date (from the heading "Committee -
    Thursday 15 January 2026 7:30 pm"), its documents, typed, and its inline minutes."""
    heading = clean_text(" ".join(response.css("h2.mgSubTitleTxt ::text, h2 ::text").getall()))
    meeting = Meeting(url=response.url, date=meeting_date(heading))
    for anchor in response.css("a[href*='documents/']"):
        href = response.urljoin(anchor.attrib["href"])
        meeting.documents.append(classify_document(document_label(anchor), href))
    meeting.minutes_text = inline_minutes(response)
    return meeting


def inline_minutes(response: Response) -> str | None:
    """Minutes published on the meeting page itself: each agenda item's title ("56.
    Apologies for Absence") with the text under its "Minutes:" subheading. Items are table
    rows on real sites (`table.mgItemTable tr`) and list items on older templates."""
    parts = []
    for label in response.xpath(
        "//p[contains(@class, 'mgSubItemTitleTxt')][starts-with(normalize-space(.), 'Minutes')]"
    ):
        item = label.xpath("ancestor::tr[1] | ancestor::li[1]")
        heading = clean_text(" ".join(item.css("p.mgAiTitleTxt ::text").getall())) if item else ""
        body = label.xpath("following-sibling::div[contains(@class, 'mgWordPara')][1]")
        minute = paragraphs_text(body[0]) if body else ""
        if minute:
            parts.append(f"{heading}\n{minute}" if heading else minute)
    return "\n\n".join(parts) or None


def calendar_meetings(response: Response) -> list[Meeting]:
    """Calendar links: `a.mgCalendarCellTxt`, titled 'Cabinet, 26/11/2026 7.00 pm' (possibly
    'NEW - ' first); cancelled meetings left out."""
    found = []
    for link in response.css("a.mgCalendarCellTxt, a[href*='ieListDocuments.aspx']"):
        title = link.attrib.get("title") or link_text(link)
        title = _CALENDAR_STATUS.sub("", title)
        if title.upper().startswith("CANCELLED"):
            continue
        found.append(
            Meeting(
                url=response.urljoin(link.attrib["href"]),
                committee=title.split(",", 1)[0].strip(),
                date=meeting_date(title),
            )
        )
    return found


def committee_meetings(response: Response, committee: str) -> list[Meeting]:
    """A committee's meetings list (`ieListMeetings.aspx`): links whose text is the date
    ("15 Jan 2026 7:30 pm"), followed by " - CANCELLED" for a cancelled one."""
    found = []
    for link in response.css("a[href*='ieListDocuments.aspx']"):
        after = " ".join(link.xpath("following-sibling::text()[1]").getall()).upper()
        found.append(
            Meeting(
                url=response.urljoin(link.attrib["href"]),
                committee=committee,
                date=meeting_date(link_text(link)),
                status="Cancelled" if "CANCELLED" in after else None,
            )
        )
    return found


def service_text(element: Any, name: str) -> str:
    """An element's text from the web service: whitespace-only means empty, and titles are
    HTML-escaped twice ("Members&#39; Question Time" after XML parsing)."""
    return html.unescape((element.findtext(name) or "").strip())


def service_meeting(root: Any, base_url: str, page_url: str, committee: str) -> Meeting:
    """GetMeeting's answer as a Meeting: each agenda item's linked documents (`linkeddoc`,
    `mgConvert2PDF.aspx?ID=…` addresses; restricted ones and web links left out), and the
    minutes of the items when the meeting's minutes are published. It does not list the
    meeting-level PDFs (printed minutes, frontsheet, packs): those are only on the page."""
    meeting = Meeting(
        url=page_url, committee=committee, date=meeting_date(service_text(root, "meetingdate"))
    )
    published = service_text(root, "minutepublished").lower() == "true"
    minutes = []
    for item in root.iter("agendaitem"):
        if service_text(item, "isrestricted").lower() == "true":
            continue
        title = service_text(item, "agendaitemtitle")
        number = service_text(item, "fulldisplaynumberformat")
        for doc in item.iter("linkeddoc"):
            url = service_text(doc, "url")
            if (
                not url
                or service_text(doc, "isurl").lower() == "true"
                or service_text(doc, "isrestricted").lower() == "true"
            ):
                continue
            label = service_text(doc, "title") or title
            document = classify_document(label, urljoin(base_url, url))
            if document.type != MINUTES:
                document = Document(document.url, label, REPORT, document.previous)
            meeting.documents.append(document)
        body = service_text(item, "minutesnonemptyhtmlbody")
        if published and body:
            text = paragraphs_text(Selector(text=body))
            heading = f"{number} {title}".strip()
            minutes.append(f"{heading}\n{text}" if heading else text)
    meeting.minutes_text = "\n\n".join(minutes) or None
    return meeting


class ModernGovSpider(MeetingSpider):
    name = "moderngov"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            self.begin(source)
            if self.walk_due(source):
                for request in self.walk(source):
                    yield request
                continue
            # A re-crawl: the month's calendar (the cheapest signal of a new meeting) is the
            # entry page; meetings read before are read again as their schedule says.
            for month in self.signal_months():
                yield self.calendar_request(source, month)
            for meeting, _ in self.due_meetings(source):
                for request in self.meeting_request(source, meeting):
                    yield request

    def walk(self, source: Source, calendar: bool = True) -> Iterator[scrapy.Request]:
        """Every committee's meetings list, the month's calendar (unless it has just
        failed) and the web service: a first crawl, and every `WALK_EVERY` (a meeting the
        calendars of the days between never showed, a committee's list changed)."""
        yield scrapy.Request(
            urljoin(source.url, "mgListCommittees.aspx"),
            callback=self.parse_committees,
            errback=self.site_failed,
            cb_kwargs={"source": source},
            meta={"entry": True},
            dont_filter=True,
        )
        # The month's calendar finds meetings of committees the list leaves out.
        if calendar:
            yield scrapy.Request(
                urljoin(source.url, "mgCalendarMonthView.aspx"),
                callback=self.parse_calendar,
                errback=self.site_failed,
                cb_kwargs={"source": source},
            )
        if source.web_service:
            yield scrapy.Request(
                urljoin(source.url, "mgWebService.asmx/GetCommittees"),
                callback=self.parse_service_committees,
                errback=self.site_failed,
                cb_kwargs={"source": source},
            )

    def calendar_request(self, source: Source, month: datetime) -> scrapy.Request:
        """A re-crawl's month calendar (`mgCalendarMonthView.aspx`: this month; `?M=&DD=`
        names another, as real sites' month links do), conditional on its last validators."""
        page = "mgCalendarMonthView.aspx"
        if (month.year, month.month) != (self.now.year, self.now.month):
            page += f"?M={month.month}&DD={month.year}"
        return self.signal_request(
            source, urljoin(source.url, page), self.parse_signal, self.signal_failed
        )

    def parse_signal(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        """A re-crawl's calendar: a meeting never read is read; 304, nothing new. A calendar
        that is not a readable page sends the crawl back to the committee lists."""
        if response.status == 304:
            self.succeeded(source, 304, 0)
            return
        reason = unreadable_page(response)
        if reason is not None:
            self.record_item_error(source, f"{reason}: the committee lists read instead")
            yield from self.walk(source, calendar=False)
            return
        self.succeeded(source, response.status, 0)
        self.remember_validators(source, response)
        for meeting in calendar_meetings(response):
            yield from self.meeting_request(source, meeting)

    def signal_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """The calendar failed (a site without one, a server error): the committee lists
        instead, which decide whether the source is failing. A 404 or 410 is a site without a
        calendar, as two of the demo's are: not counted as a failure on every crawl."""
        source = failure.request.cb_kwargs["source"]
        status, _ = describe_failure(failure)
        if status not in (404, 410):
            self.item_failed(source, failure)
        yield from self.walk(source, calendar=False)

    def parse_calendar(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        if not self.readable(response, source):
            return
        self.remember_validators(source, response)
        for meeting in calendar_meetings(response):
            yield from self.meeting_request(source, meeting)

    def service_answer(self, response: Response, source: Source) -> Any | None:
        """The web service's XML, or None. One the parser refuses (billion laughs) is an
        item error: the site's pages are still read."""
        try:
            return parse_xml(response.body)
        except XmlRefused as exc:
            self.record_item_error(source, f"{response.url}: {exc}")
            return None

    def parse_service_committees(
        self, response: Response, source: Source
    ) -> Iterator[scrapy.Request]:
        """mgWebService.asmx/GetCommittees: /committees/committee/{committeeid, committeetitle}."""
        root = self.service_answer(response, source)
        for committee in root.iter("committee") if root is not None else ():
            committee_id = committee.findtext("committeeid")
            if committee_id and committee_id.strip().isdigit():
                yield scrapy.Request(
                    response.urljoin(
                        f"GetMeetings?lCommitteeId={committee_id.strip()}&{SERVICE_DATES}"
                    ),
                    callback=self.parse_service_meetings,
                    errback=self.site_failed,
                    cb_kwargs={"source": source},
                )

    def parse_service_meetings(
        self, response: Response, source: Source
    ) -> Iterator[scrapy.Request]:
        """GetMeetings: committee/committeemeetings/meeting/{meetingid, meetingdate}; the
        service gives no links, so meeting pages are built as ModernGov names them, and the
        meeting's GetMeeting is kept to fall back on should its page fail."""
        root = self.service_answer(response, source)
        service = response.url.split("mgWebService.asmx")[0]
        for committee in root.iter("committee") if root is not None else ():
            committee_id = service_text(committee, "committeeid")
            title = service_text(committee, "committeetitle")
            for element in committee.iter("meeting"):
                meeting_id = service_text(element, "meetingid")
                if not (committee_id.isdigit() and meeting_id.isdigit()):
                    continue
                if service_text(element, "meetingstatus").lower().startswith("cancel"):
                    continue
                page = f"ieListDocuments.aspx?CId={committee_id}&MId={meeting_id}&Ver=4"
                meeting = Meeting(
                    url=urljoin(service, page),
                    committee=title,
                    date=meeting_date(service_text(element, "meetingdate")),
                )
                detail = f"mgWebService.asmx/GetMeeting?lMeetingId={meeting_id}"
                yield from self.meeting_request(source, meeting, urljoin(service, detail))

    def meeting_request(
        self, source: Source, meeting: Meeting, fallback: str | None = None
    ) -> Iterator[scrapy.Request]:
        """The meeting page, if it is wanted (`meeting_wanted`: never read, or due by its
        schedule). `fallback`: the meeting's GetMeeting, asked for if the page cannot be had."""
        if not self.meeting_wanted(meeting):
            return
        yield self.meeting_page_request(
            source, meeting, self.parse_meeting, self.meeting_failed, service_fallback=fallback
        )

    def parse_committees(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        if not self.readable(response, source, entry=True):
            return
        links = response.css("a[href*='mgCommitteeDetails.aspx']")
        self.succeeded(source, response.status, 0)
        self.walked(source)
        for link in links:
            query = parse_qs(urlsplit(link.attrib["href"]).query)
            committee_id = (query.get("ID") or query.get("id") or [None])[0]
            if not committee_id:
                continue
            yield scrapy.Request(
                response.urljoin(f"ieListMeetings.aspx?CommitteeId={committee_id}"),
                callback=self.parse_meetings,
                errback=self.listing_failed,
                cb_kwargs={"source": source, "committee": link_text(link)},
            )

    def parse_meetings(
        self, response: Response, source: Source, committee: str
    ) -> Iterator[scrapy.Request]:
        if not self.readable(response, source):
            self.walk_failed(source)
            return
        for meeting in committee_meetings(response, committee):
            if meeting.status != "Cancelled":
                yield from self.meeting_request(source, meeting)

    def parse_meeting(self, response: Response, source: Source, listed: Meeting) -> Iterator[Any]:
        if response.status == 304:
            yield from self.not_modified(source, listed)
            return
        if not self.readable(response, source):
            self.retry_meeting(source, listed)
            yield from self.service_fallback(response.request, source, listed)
            return
        meeting = parse_meeting_page(response)
        meeting.committee = listed.committee
        meeting.date = listed.date or meeting.date
        self.record_check(source, response, meeting)
        yield from self.meeting_items(source, meeting)

    def meeting_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """A meeting page that failed: its GetMeeting instead, when the web service found it;
        otherwise an item error for the admin."""
        request = failure.request
        source, listed = request.cb_kwargs["source"], request.cb_kwargs["listed"]
        self.item_failed(source, failure)
        self.retry_meeting(source, listed, failure)
        yield from self.service_fallback(request, source, listed)

    def service_fallback(
        self, request: scrapy.Request, source: Source, listed: Meeting
    ) -> Iterator[scrapy.Request]:
        fallback = request.meta.get("service_fallback")
        if fallback:
            yield scrapy.Request(
                fallback,
                callback=self.parse_service_meeting,
                errback=self.site_failed,
                cb_kwargs={"source": source, "listed": listed},
            )

    def parse_service_meeting(
        self, response: Response, source: Source, listed: Meeting
    ) -> Iterator[Any]:
        """GetMeeting?lMeetingId=: the meeting's documents and minutes without its page."""
        root = self.service_answer(response, source)
        if root is None:
            return
        base = response.url.split("mgWebService.asmx")[0]
        meeting = service_meeting(root, base, listed.url, listed.committee)
        meeting.date = listed.date or meeting.date
        yield from self.meeting_items(source, meeting)
