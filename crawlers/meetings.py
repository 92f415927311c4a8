"""What democracy-site spiders share: one Meeting/Document shape, dates, document types.

ModernGov and CMIS differ in their pages, not in what a meeting is: a committee, a date, and
documents (minutes, reports, decisions; agendas and packs) stored with that metadata. Each
system's module parses its pages into `Meeting`s with plain functions, tested on saved real
pages; the spiders only decide what to fetch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import scrapy
from twisted.python.failure import Failure

from crawlers.base import RadarSpider
from domain.config import Source
from domain.items import Item
from pipelines.normalise import DATE_FORMAT, clean_text
from pipelines.urls import canonical_url, is_web_url

RECHECK_DAYS = 31  # meetings younger than this are read again even when their minutes are in
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})")
_MEETING_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3})[a-z]*,?\s+(\d{4})")
_REPORT_FOLDER = re.compile(r"/documents/s\d+/", re.IGNORECASE)  # ModernGov: one report each

# What a document is. Minutes, decisions and reports are read; an agenda (a frontsheet: the
# list of items) is not, its substance being in the reports; a pack (an agenda with every
# report bound in) only when the meeting lists no report of its own.
MINUTES, DECISION, REPORT, AGENDA, PACK = "minutes", "decision", "report", "agenda", "pack"


@dataclass(frozen=True)
class Document:
    """One document linked from a meeting, with the type its label and address give it."""

    url: str
    label: str
    type: str
    previous: bool = False  # minutes of an earlier meeting, attached to this one's agenda


@dataclass
class Meeting:
    """A meeting as a democracy site shows it."""

    url: str
    committee: str = ""
    date: str | None = None  # DATE_FORMAT, midnight UTC of the meeting's day
    status: str | None = None  # "Scheduled", "Cancelled", ... where the site says
    documents: list[Document] = field(default_factory=list)
    minutes_text: str | None = None  # minutes published on the meeting's page itself

    def wanted(self) -> list[Document]:
        """The documents worth reading: minutes, decisions and reports of this meeting, and
        its pack when it lists no report of its own. Each address once."""
        own = [d for d in self.documents if not d.previous]
        has_reports = any(d.type == REPORT for d in own)
        chosen: dict[str, Document] = {}
        for document in own:
            if document.type in (MINUTES, DECISION, REPORT) or (
                document.type == PACK and not has_reports
            ):
                chosen.setdefault(canonical_url(document.url), document)
        return list(chosen.values())


_BLOCKS = ".//p | .//li | .//h1 | .//h2 | .//h3 | .//h4 | .//tr"


def paragraphs_text(selection: Any) -> str:
    """The text of HTML as its paragraphs, one a line, each on one line: minutes pasted
    from Word wrap their source lines mid-sentence and split words into spans, none of which
    is the reader's text. A block with no paragraphs inside is one paragraph."""
    blocks = selection.xpath(_BLOCKS)
    parts = blocks if blocks else [selection]
    texts = (" ".join(" ".join(part.xpath("string()").getall()).split()) for part in parts)
    return clean_text("\n".join(text for text in texts if text))


def meeting_date(text: str) -> str | None:
    """Dates as democracy sites write them: '24 Nov 2026 7.00 pm', 'Tue 24th November, 2026',
    '26/11/2026' (calendar titles, the web service), '2026-11-26'."""
    numeric = _NUMERIC_DATE.search(text)
    if numeric:
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


def classify_document(label: str, href: str) -> Document:
    """A document's type from its link text and address, as ModernGov and CMIS label them:
    "Printed minutes", "240424 LRB Minute (Final)", "Printed decisions", "Agenda frontsheet",
    "Agenda Contents", "Agenda Document Pack", "Final Agenda Reports", a report's title.
    A ModernGov report folder (`documents/s123/`) holds one report whatever its label says
    ("Decision Progress Update" is a report); a "Minutes" document in one is the previous
    meeting's, attached to this agenda."""
    text = label.lower()
    name = unquote(urlsplit(href).path).lower()
    in_report_folder = bool(_REPORT_FOLDER.search(name))
    previous = any(mark in text or mark in name for mark in ("previous", "last meeting"))
    if "minute" in text:
        kind = MINUTES
        previous = previous or in_report_folder
    elif in_report_folder:
        kind = REPORT
    elif "decision" in text:
        kind = DECISION
    elif "pack" in text or ("agenda" in text and "report" in text):
        kind = PACK
    elif "agenda" in text:
        kind = AGENDA
    else:
        kind = REPORT
    return Document(url=href, label=label, type=kind, previous=previous)


class MeetingSpider(RadarSpider):
    """Base for democracy-site spiders. A meeting whose minutes are stored and which is over a
    month old is not read again: by then its minutes are approved and its page has nothing
    new to offer. `now` is the crawl's clock (tests pin it)."""

    def __init__(
        self,
        *args: Any,
        meetings_done: set[str] | None = None,
        now: datetime | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.meetings_done = {canonical_url(url) for url in meetings_done or ()}
        self.now = now or datetime.now(UTC)

    def meeting_done(self, url: str, date: str | None) -> bool:
        """Skip a meeting only once its minutes are stored and it is over a month old:
        draft minutes get approved and decisions are added in the weeks after a meeting."""
        if canonical_url(url) not in self.meetings_done or not date:
            return False
        return date < (self.now - timedelta(days=RECHECK_DAYS)).strftime(DATE_FORMAT)

    @staticmethod
    def meeting_meta(meeting: Meeting) -> dict[str, Any]:
        """What every item of a meeting carries in its `meta`."""
        return {
            "committee": meeting.committee,
            "meeting_date": meeting.date,
            "meeting_url": meeting.url,
        }

    @staticmethod
    def meeting_title(meeting: Meeting, label: str) -> str:
        when = f" ({meeting.date[:10]})" if meeting.date else ""
        return f"{meeting.committee}: {label}{when}"

    def meeting_items(self, source: Source, meeting: Meeting) -> list[Any]:
        """The minutes published on the meeting's page (an item) and a request for each
        document worth reading that is not stored yet."""
        found: list[Any] = []
        if meeting.minutes_text:
            item = self.minutes_item(source, meeting, meeting.url, meeting.minutes_text)
            if item:
                found.append(item)
        for document in meeting.wanted():
            request = self.document_request(source, meeting, document)
            if request:
                found.append(request)
        return found

    def minutes_item(
        self, source: Source, meeting: Meeting, url: str, text: str
    ) -> Item | None:
        """Minutes published as a web page: the text is already here, nothing to fetch."""
        self.health[source.id].items_found += 1
        if canonical_url(url) in self.known_urls:
            return None
        return self.base_item(
            source,
            url=url,
            kind=MINUTES,
            title=self.meeting_title(meeting, "minutes"),
            text=text,
            published=meeting.date,
            date_source="meeting" if meeting.date else None,
            meta={**self.meeting_meta(meeting), "doc_type": MINUTES, "format": "html"},
        )

    def document_request(
        self, source: Source, meeting: Meeting, document: Document
    ) -> scrapy.Request | None:
        """A request for one document of a meeting, unless it is already stored."""
        if not is_web_url(document.url):
            return None
        self.health[source.id].items_found += 1
        if canonical_url(document.url) in self.known_urls:
            return None
        kind = REPORT if document.type == PACK else document.type
        item = self.base_item(
            source,
            url=document.url,
            kind=kind,
            title=self.meeting_title(meeting, document.label),
            published=meeting.date,
            date_source="meeting" if meeting.date else None,
            meta={**self.meeting_meta(meeting), "doc_type": document.type},
        )
        return scrapy.Request(
            document.url,
            callback=self.parse_body,
            errback=self.article_failed,
            cb_kwargs={"item": item},
        )

    def site_failed(self, failure: Failure) -> None:
        """The entry page failing fails the source; a committee or meeting page is one item."""
        source = failure.request.cb_kwargs["source"]
        if failure.request.meta.get("entry"):
            self.failed(source, failure)
        else:
            self.item_failed(source, failure)
