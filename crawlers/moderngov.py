"""Crawl ModernGov democracy sites: committees → meetings → minutes and reports.

ModernGov (most English councils) has stable page names: `mgListCommittees.aspx` lists
committees (`mgCommitteeDetails.aspx?ID=n`), `ieListMeetings.aspx?CommitteeId=n` lists their
meetings, `ieListDocuments.aspx?CId=n&MId=m` is a meeting with its documents under
`documents/…` (printed minutes, reports) and, on many sites, minutes published inline as HTML.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.base import RadarSpider
from pipelines.normalise import DATE_FORMAT, clean_text
from pipelines.urls import canonical_url
from radar.config import Source

_MEETING_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3})[a-z]*,?\s+(\d{4})")
_SIZE_SUFFIX = re.compile(r"\s*\b(PDF|DOCX?|HTML)\b\s*[\d.,]*\s*[KMG]?B\s*$", re.IGNORECASE)


def meeting_date(text: str) -> str | None:
    """Meeting dates as ModernGov writes them: '24 Nov 2026 7.00 pm', 'Tue 24th November, 2026'."""
    match = _MEETING_DATE.search(text)
    if not match:
        return None
    try:
        moment = datetime.strptime(f"{match[1]} {match[2][:3].title()} {match[3]}", "%d %b %Y")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC).strftime(DATE_FORMAT)


def document_type(link_text: str, href: str) -> str | None:
    """minutes / report / decision; agendas are skipped (their substance is in the reports)."""
    text = link_text.lower()
    if "minutes" in text:
        return "minutes"
    if "decision" in text:
        return "decision"
    if "agenda" in text:
        return None
    if "/documents/s" in urlsplit(href).path.lower():
        return "report"
    return None


class ModernGovSpider(RadarSpider):
    name = "moderngov"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            self.begin(source)
            yield scrapy.Request(
                urljoin(source.url, "mgListCommittees.aspx"),
                callback=self.parse_committees,
                errback=self.site_failed,
                cb_kwargs={"source": source},
                dont_filter=True,
            )

    def parse_committees(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
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
        for link in response.css("a[href*='ieListDocuments.aspx']"):
            label = clean_text(" ".join(link.css("::text").getall()))
            yield scrapy.Request(
                response.urljoin(link.attrib["href"]),
                callback=self.parse_meeting,
                errback=self.site_failed,
                cb_kwargs={
                    "source": source,
                    "meeting": {"committee": committee, "meeting_date": meeting_date(label)},
                },
            )

    def parse_meeting(
        self, response: Response, source: Source, meeting: dict[str, Any]
    ) -> Iterator[Any]:
        title_date = meeting["meeting_date"] or meeting_date(
            " ".join(response.css("h2 ::text").getall())
        )
        meeting = {**meeting, "meeting_date": title_date}
        when = f" ({title_date[:10]})" if title_date else ""
        inline = self.inline_minutes(response)
        if inline:
            self.health[source.id].items_found += 1
        if inline and canonical_url(response.url) not in self.known_urls:
            yield self.base_item(
                source,
                url=response.url,
                kind="minutes",
                title=f"{meeting['committee']} minutes{when}",
                text=inline,
                published=title_date,
                date_source="meeting" if title_date else None,
                meta={**meeting, "doc_type": "minutes", "format": "html"},
            )
        for link in response.css("a[href*='documents/']"):
            href = response.urljoin(link.attrib["href"])
            label = _SIZE_SUFFIX.sub("", clean_text(" ".join(link.css("::text").getall())))
            doc_type = document_type(label, href)
            if doc_type is None:
                continue
            self.health[source.id].items_found += 1
            if canonical_url(href) in self.known_urls:
                continue
            item = self.base_item(
                source,
                url=href,
                kind=doc_type,
                title=f"{meeting['committee']}: {label}{when}",
                published=title_date,
                date_source="meeting" if title_date else None,
                meta={**meeting, "doc_type": doc_type, "meeting_url": response.url},
            )
            yield scrapy.Request(
                href,
                callback=self.parse_body,
                errback=self.document_failed,
                cb_kwargs={"item": item},
            )

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

    def document_failed(self, failure: Failure) -> None:
        item = failure.request.cb_kwargs["item"]
        source = next(s for s in self.sources if s.id == item["source_id"])
        self.failed(source, failure)

    def site_failed(self, failure: Failure) -> None:
        self.failed(failure.request.cb_kwargs["source"], failure)
