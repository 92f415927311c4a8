"""Crawl ModernGov democracy sites: committees → meetings → minutes and reports.

ModernGov (most English councils) has stable page names: `mgListCommittees.aspx` lists
committees (`mgCommitteeDetails.aspx?ID=n`), `ieListMeetings.aspx?CommitteeId=n` lists their
meetings, `ieListDocuments.aspx?CId=n&MId=m` is a meeting with its documents under
`documents/…` (printed minutes, reports) and, on many sites, minutes published inline as HTML.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import scrapy
from scrapy.http import Response

from crawlers.meetings import MeetingSpider, document_type, meeting_date
from crawlers.xml import XmlRefused, parse_xml
from pipelines.normalise import clean_text
from radar.config import Source

_CALENDAR_STATUS = re.compile(r"^(NEW|MOVED|PROVISIONAL|RESCHEDULED)\s+-\s+", re.IGNORECASE)
# The web service wants both dates but real sites ignore them; a fixed range keeps the URL stable.
SERVICE_DATES = "sFromDate=2000-01-01&sToDate=2099-12-31"
_SIZE_SUFFIX = re.compile(r"\s*\b(PDF|DOCX?|HTML)\b\s*[\d.,]*\s*[KMG]?B\s*$", re.IGNORECASE)


class ModernGovSpider(MeetingSpider):
    name = "moderngov"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            self.begin(source)
            yield scrapy.Request(
                urljoin(source.url, "mgListCommittees.aspx"),
                callback=self.parse_committees,
                errback=self.site_failed,
                cb_kwargs={"source": source},
                meta={"entry": True},
                dont_filter=True,
            )
            # The month's calendar finds meetings of committees the list leaves out.
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

    def parse_calendar(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        """Calendar links: `a.mgCalendarCellTxt`, titled 'Cabinet, 26/11/2026 7.00 pm'."""
        if not self.readable(response, source):
            return
        for link in response.css("a.mgCalendarCellTxt, a[href*='ieListDocuments.aspx']"):
            title = link.attrib.get("title") or clean_text(" ".join(link.css("::text").getall()))
            title = _CALENDAR_STATUS.sub("", title)
            committee = title.split(",", 1)[0].strip()
            if title.upper().startswith("CANCELLED"):
                continue
            yield from self.meeting_request(
                source, response.urljoin(link.attrib["href"]), committee, meeting_date(title)
            )

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
            if committee_id and committee_id.isdigit():
                yield scrapy.Request(
                    response.urljoin(f"GetMeetings?lCommitteeId={committee_id}&{SERVICE_DATES}"),
                    callback=self.parse_service_meetings,
                    errback=self.site_failed,
                    cb_kwargs={"source": source},
                )

    def parse_service_meetings(
        self, response: Response, source: Source
    ) -> Iterator[scrapy.Request]:
        """GetMeetings: committee/committeemeetings/meeting/{meetingid, meetingdate}; the
        service gives no links, so meeting pages are built as ModernGov names them."""
        root = self.service_answer(response, source)
        for committee in root.iter("committee") if root is not None else ():
            committee_id = committee.findtext("committeeid") or ""
            title = committee.findtext("committeetitle") or ""
            for meeting in committee.iter("meeting"):
                meeting_id = meeting.findtext("meetingid") or ""
                if not (committee_id.isdigit() and meeting_id.isdigit()):
                    continue
                url = urljoin(
                    response.url.split("mgWebService.asmx")[0],
                    f"ieListDocuments.aspx?CId={committee_id}&MId={meeting_id}&Ver=4",
                )
                when = meeting_date(meeting.findtext("meetingdate") or "")
                yield from self.meeting_request(source, url, title, when)

    def meeting_request(
        self, source: Source, url: str, committee: str, when: str | None
    ) -> Iterator[scrapy.Request]:
        """The meeting page, unless its minutes are stored and it is over a month old."""
        if self.meeting_done(url, when):
            return
        yield scrapy.Request(
            url,
            callback=self.parse_meeting,
            errback=self.site_failed,
            cb_kwargs={"source": source, "meeting": {"committee": committee, "meeting_date": when}},
        )

    def parse_committees(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        if not self.readable(response, source, entry=True):
            return
        links = response.css("a[href*='mgCommitteeDetails.aspx']")
        self.succeeded(source, response.status, 0)
        for link in links:
            query = parse_qs(urlsplit(link.attrib["href"]).query)
            committee_id = (query.get("ID") or query.get("id") or [None])[0]
            if not committee_id:
                continue
            committee = clean_text(" ".join(link.css("::text").getall()))
            yield scrapy.Request(
                response.urljoin(f"ieListMeetings.aspx?CommitteeId={committee_id}"),
                callback=self.parse_meetings,
                errback=self.site_failed,
                cb_kwargs={"source": source, "committee": committee},
            )

    def parse_meetings(
        self, response: Response, source: Source, committee: str
    ) -> Iterator[scrapy.Request]:
        if not self.readable(response, source):
            return
        for link in response.css("a[href*='ieListDocuments.aspx']"):
            label = clean_text(" ".join(link.css("::text").getall()))
            url = response.urljoin(link.attrib["href"])
            yield from self.meeting_request(source, url, committee, meeting_date(label))

    def parse_meeting(
        self, response: Response, source: Source, meeting: dict[str, Any]
    ) -> Iterator[Any]:
        if not self.readable(response, source):
            return
        title_date = meeting["meeting_date"] or meeting_date(
            " ".join(response.css("h2 ::text").getall())
        )
        meeting = {**meeting, "meeting_date": title_date, "meeting_url": response.url}
        inline = self.inline_minutes(response)
        if inline and (item := self.minutes_item(source, meeting, response.url, inline)):
            yield item
        for link in response.css("a[href*='documents/']"):
            href = response.urljoin(link.attrib["href"])
            label = _SIZE_SUFFIX.sub("", clean_text(" ".join(link.css("::text").getall())))
            doc_type = document_type(label, href)
            if doc_type is None:
                continue
            request = self.document_request(source, meeting, href, doc_type, label)
            if request:
                yield request

    @staticmethod
    def inline_minutes(response: Response) -> str | None:
        """Minutes published on the meeting page itself: each agenda item with its minute."""
        parts = []
        for item in response.css("li:has(p.mgSubItemTitleTxt)"):
            heading = clean_text(" ".join(item.css("p.mgAiTitleTxt ::text").getall()))
            minute = clean_text("\n".join(item.css("div.mgWordPara ::text").getall()))
            if minute:
                parts.append(f"{heading}\n{minute}" if heading else minute)
        return "\n\n".join(parts) or None
