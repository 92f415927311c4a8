"""What democracy-site spiders share: one meeting/document shape, dates, document types.

ModernGov and CMIS differ in their pages, not in what a meeting is: a committee, a date, and
documents (minutes, reports, decisions; agendas skipped) stored with that metadata.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from twisted.python.failure import Failure

from crawlers.base import RadarSpider
from pipelines.normalise import DATE_FORMAT
from pipelines.urls import canonical_url, is_web_url
from radar.config import Source

RECHECK_DAYS = 31  # meetings younger than this are read again even when their minutes are in
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})")
_MEETING_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3})[a-z]*,?\s+(\d{4})")


def meeting_date(text: str) -> str | None:
    """Dates as democracy sites write them: '24 Nov 2026 7.00 pm', 'Tue 24th November, 2026'."""
    numeric = _NUMERIC_DATE.search(text)
    if numeric:  # 26/11/2026 (calendar titles, the web service) or 2026-11-26
        if numeric[1]:
            day, month, year = numeric[1], numeric[2], numeric[3]
        else:
            year, month, day = numeric[4], numeric[5], numeric[6]
        try:
            moment = datetime(int(year), int(month), int(day), tzinfo=UTC)
        except ValueError:
            return None
        return moment.strftime(DATE_FORMAT)
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
    if "previous" in text or "last meeting" in text:
        return None  # "Minutes of the previous meeting" in an agenda pack: that meeting's copy
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
    """Base for democracy-site spiders: meetings are dicts of committee, meeting_date and
    meeting_url. A meeting whose minutes are stored and which is over a month old is not read
    again: by then its minutes are approved and its page has nothing new to offer."""

    def __init__(self, *args: Any, meetings_done: set[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.meetings_done = {canonical_url(url) for url in meetings_done or ()}

    def meeting_done(self, url: str, date: str | None) -> bool:
        """Skip a meeting only once its minutes are stored and it is over a month old:
        draft minutes get approved and decisions are added in the weeks after a meeting."""
        if canonical_url(url) not in self.meetings_done or not date:
            return False
        return date < (datetime.now(UTC) - timedelta(days=RECHECK_DAYS)).strftime(DATE_FORMAT)

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
    ) -> scrapy.Request | None:
        """A request for one document of a meeting, unless it is already stored."""
        if not is_web_url(url):
            return None
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
            meta={**meeting, "doc_type": doc_type},
        )
        return scrapy.Request(
            url, callback=self.parse_body, errback=self.article_failed, cb_kwargs={"item": item}
        )

    def site_failed(self, failure: Failure) -> None:
        """The entry page failing fails the source; a committee or meeting page is one item."""
        source = failure.request.cb_kwargs["source"]
        if failure.request.meta.get("entry"):
            self.failed(source, failure)
        else:
            self.item_failed(source, failure)
