"""Crawl Civica CMIS ("CMIS ePortal", DotNetNuke) democracy sites.

Shapes (see demo/SHAPES.md): a committees page links `…/ctl/ViewCMIS_CommitteeDetails/…/id/<n>/`
committee pages; those list meetings (`…/ctl/ViewMeetingPublic/…/Meeting/<m>/Committee/<n>/`,
link text "9 Jul 2026 19:00 - Council"); a meeting page lists its documents as
`li.DocumentListItem a.TitleLink` → `Document.ashx?<encrypted id>` (no file extension: the
extractor sniffs `%PDF-`), and may link minutes published as a page (`…/SelectedTab/Minutes/`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response

from crawlers.meetings import MeetingSpider, document_type, meeting_date
from pipelines.normalise import clean_text
from pipelines.urls import canonical_url
from radar.config import Source

COMMITTEE_LINKS = "a[href*='ViewCMIS_CommitteeDetails'], ul.CommitteeList a[href]"
MEETING_LINKS = "a[href*='/ctl/ViewMeetingPublic/'], a.MeetingLink[href]"
DOCUMENT_LINKS = "li.DocumentListItem a.TitleLink[href]"


def link_text(anchor: Any) -> str:
    return clean_text(" ".join(anchor.css("::text").getall()))


class CmisSpider(MeetingSpider):
    name = "cmis"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            self.begin(source)
            url = source.url if ".aspx" in source.url else urljoin(source.url, "Committees.aspx")
            yield scrapy.Request(
                url,
                callback=self.parse_committees,
                errback=self.site_failed,
                cb_kwargs={"source": source},
                meta={"entry": True},
                dont_filter=True,
            )

    def parse_committees(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        if not self.readable(response, source, entry=True):
            return
        self.succeeded(source, response.status, 0)
        seen = set()
        for anchor in response.css(COMMITTEE_LINKS):
            url = response.urljoin(anchor.attrib["href"])
            if url in seen:
                continue
            seen.add(url)
            yield scrapy.Request(
                url,
                callback=self.parse_committee,
                errback=self.site_failed,
                cb_kwargs={"source": source, "committee": link_text(anchor)},
            )

    def parse_committee(
        self, response: Response, source: Source, committee: str
    ) -> Iterator[scrapy.Request]:
        if not self.readable(response, source):
            return
        for anchor in response.css(MEETING_LINKS):
            label = link_text(anchor)
            url = response.urljoin(anchor.attrib["href"])
            if self.meeting_done(url, meeting_date(label)):
                continue
            name = label.split(" - ", 1)[1] if " - " in label else committee
            when = meeting_date(label)
            yield scrapy.Request(
                url,
                callback=self.parse_meeting,
                errback=self.site_failed,
                cb_kwargs={
                    "source": source,
                    "meeting": {"committee": name or committee, "meeting_date": when},
                },
            )

    def parse_meeting(
        self, response: Response, source: Source, meeting: dict[str, Any]
    ) -> Iterator[Any]:
        if not self.readable(response, source):
            return
        meeting = {**meeting, "meeting_url": response.url}
        if not meeting.get("meeting_date"):
            for holder in response.css("div.holder"):
                if "date" in " ".join(holder.css(".DNNLabel ::text").getall()).lower():
                    meeting = {**meeting, "meeting_date": meeting_date(link_text(holder))}
        for anchor in response.css(DOCUMENT_LINKS):
            url, label = response.urljoin(anchor.attrib["href"]), link_text(anchor)
            if "/selectedtab/minutes/" in url.lower():
                if canonical_url(url) in self.known_urls:
                    self.health[source.id].items_found += 1
                    continue
                yield scrapy.Request(
                    url,
                    callback=self.parse_minutes_page,
                    errback=self.site_failed,
                    cb_kwargs={"source": source, "meeting": meeting},
                )
                continue
            doc_type = document_type(label, url, default="report")
            if doc_type is None:
                continue
            request = self.document_request(source, meeting, url, doc_type, label)
            if request:
                yield request

    def parse_minutes_page(
        self, response: Response, source: Source, meeting: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        if not self.readable(response, source):
            return
        parts = []
        for minute in response.css("div.MinutesContent div.MinutesItem"):
            heading = clean_text(" ".join(minute.css(".AgendaItemTitle ::text").getall()))
            text = clean_text("\n".join(minute.css(".AgendaItemText ::text").getall()))
            parts.append(f"{heading}\n{text}".strip())
        if not parts:
            parts = [clean_text("\n".join(response.css("div.MinutesContent ::text").getall()))]
        text = "\n\n".join(p for p in parts if p)
        if text and (item := self.minutes_item(source, meeting, response.url, text)):
            yield item
