"""What democracy-site spiders share: one meeting/document shape, dates, document types.

ModernGov and CMIS differ in their pages, not in what a meeting is: a committee, a date, and
documents (minutes, reports, decisions; agendas skipped) stored with that metadata.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from twisted.python.failure import Failure

from crawlers.base import RadarSpider
from pipelines.normalise import DATE_FORMAT
from pipelines.urls import canonical_url
from radar.config import Source

_MEETING_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3})[a-z]*,?\s+(\d{4})")


def meeting_date(text: str) -> str | None:
    """Dates as democracy sites write them: '24 Nov 2026 7.00 pm', 'Tue 24th November, 2026'."""
    match = _MEETING_DATE.search(text)
    if not match:
        return None
    try:
        moment = datetime.strptime(f"{match[1]} {match[2][:3].title()} {match[3]}", "%d %b %Y")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC).strftime(DATE_FORMAT)


def document_type(label: str, href: str, default: str | None = None) -> str | None:
    """minutes / decision / report; None for agendas (their substance is in the reports)."""
    text = label.lower()
    if "minutes" in text:
        return "minutes"
    if "decision" in text:
        return "decision"
    if "agenda" in text:
        return None
    if "/documents/s" in urlsplit(href).path.lower():  # ModernGov's report folders
        return "report"
    return default


class MeetingSpider(RadarSpider):
    """Base for democracy-site spiders: meetings are dicts of committee and meeting_date."""

    def meeting_title(self, meeting: dict[str, Any], label: str) -> str:
        when = f" ({meeting['meeting_date'][:10]})" if meeting.get("meeting_date") else ""
        return f"{meeting['committee']}: {label}{when}"

    def minutes_item(
        self, source: Source, meeting: dict[str, Any], url: str, text: str
    ) -> dict[str, Any] | None:
        """Minutes published as a web page: the text is already here, nothing to fetch."""
        self.health[source.id].items_found += 1
        if canonical_url(url) in self.known_urls:
            return None
        return self.base_item(
            source,
            url=url,
            kind="minutes",
            title=self.meeting_title(meeting, "minutes"),
            text=text,
            published=meeting.get("meeting_date"),
            date_source="meeting" if meeting.get("meeting_date") else None,
            meta={**meeting, "doc_type": "minutes", "format": "html"},
        )

    def document_request(
        self,
        source: Source,
        meeting: dict[str, Any],
        url: str,
        doc_type: str,
        label: str,
        meeting_url: str,
    ) -> scrapy.Request | None:
        """A request for one document of a meeting, unless it is already stored."""
        self.health[source.id].items_found += 1
        if canonical_url(url) in self.known_urls:
            return None
        item = self.base_item(
            source,
            url=url,
            kind=doc_type,
            title=self.meeting_title(meeting, label),
            published=meeting.get("meeting_date"),
            date_source="meeting" if meeting.get("meeting_date") else None,
            meta={**meeting, "doc_type": doc_type, "meeting_url": meeting_url},
        )
        return scrapy.Request(
            url, callback=self.parse_body, errback=self.document_failed, cb_kwargs={"item": item}
        )

    def document_failed(self, failure: Failure) -> None:
        item = failure.request.cb_kwargs["item"]
        source = next(s for s in self.sources if s.id == item["source_id"])
        self.failed(source, failure)

    def site_failed(self, failure: Failure) -> None:
        self.failed(failure.request.cb_kwargs["source"], failure)
