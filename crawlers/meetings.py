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
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.base import RadarSpider, response_header, validator_headers, worth_refetching
from domain.config import Source
from domain.items import Item
from pipelines.normalise import DATE_FORMAT, clean_text
from pipelines.urls import canonical_url, is_web_url
from store import open_db
from store.meetings import MeetingCheck, SiteState, save_meeting_state
from store.times import parse_iso, stamp

RECHECK_DAYS = 31  # meetings younger than this are read again even when their minutes are in
# A site's committee lists (and, for CMIS, the months back) are walked again this often; in
# between, a crawl reads only the site's change signal (its month calendar, CMIS's list view)
# and the meetings its schedule says are due (`recheck_every`).
WALK_EVERY = timedelta(days=28)
# A crawl reads a meeting that is due by its schedule give or take this: daily crawls do not
# start at the same second, and a day's interval must not slip to two.
SLACK = timedelta(hours=3)
AGENDA_DAYS = 10  # a meeting this close is read while its agenda and reports appear
MONTH_END_DAYS = 7  # in the month's last week, next month's calendar is read as well
# How often a past meeting without minutes is read again, by its age in days: minutes are
# usually posted within a few weeks, approved at the committee's next meeting (four to eight
# weeks on), and now and then much later. After a year it is left to the committee walk.
NO_MINUTES = ((14, 2), (56, 4), (91, 7), (365, 28))
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


def recheck_every(meeting_date: str | None, has_minutes: bool, now: datetime) -> timedelta | None:
    """How often a meeting page already read is read again, or None for never (the monthly
    committee walk still lists it, and a change to its date brings it back).

    - to come: every 2 days from `AGENDA_DAYS` before (the agenda and reports appear about a
      week ahead), else every 14 days (a date or a venue changes, a meeting is cancelled);
    - with its minutes stored: every 14 days to `RECHECK_DAYS` old (draft minutes are
      approved, decisions added: once or twice is enough), then never;
    - without minutes: by age (`NO_MINUTES`): every 2 days for two weeks, every 4 to eight
      weeks, weekly to three months, every four weeks to a year. Minutes posted late to a
      six-week-old meeting are found within 4 days.
    - no date known: weekly.
    """
    if not meeting_date:
        return timedelta(days=7)
    age = (now - parse_iso(meeting_date)).days
    if age < 0:
        return timedelta(days=2 if -age <= AGENDA_DAYS else 14)
    if has_minutes:
        return timedelta(days=14) if age <= RECHECK_DAYS else None
    for limit, every in NO_MINUTES:
        if age <= limit:
            return timedelta(days=every)
    return None


class MeetingSpider(RadarSpider):
    """Base for democracy-site spiders. A meeting whose minutes are stored and which is over a
    month old is not read again: by then its minutes are approved and its page has nothing
    new to offer. `now` is the crawl's clock (tests pin it)."""

    def __init__(
        self,
        *args: Any,
        meetings_done: set[str] | None = None,
        now: datetime | None = None,
        meeting_state: dict[str, SiteState] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.meetings_done = {canonical_url(url) for url in meetings_done or ()}
        self.now = now or datetime.now(UTC)
        self.sites = meeting_state or {}  # source id -> its state from the last crawls
        # Only a crawl given the state saves it: `radar watch check --online` reads each
        # source's first page alone, and must not record a walk it never made.
        self.keeps_state = meeting_state is not None
        self.known_checks = {
            key: check for site in self.sites.values() for key, check in site.meetings.items()
        }
        self.checks: dict[str, MeetingCheck] = {}  # canonical URL -> meeting read this crawl
        self.sites_seen: dict[str, SiteState] = {}  # source id -> its state to save
        self.walks_failed: set[str] = set()  # sources with a list the walk could not read

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> MeetingSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.save_state, signal=signals.spider_closed)
        return spider

    def save_state(self, spider: Any, reason: str) -> None:
        """Store what this crawl learnt of its sites and meetings, if it ran to the end: a
        crawl stopped early may have left a meeting's documents queued, which its next
        scheduled read would otherwise put off for days."""
        if spider is not self or reason != "finished" or not self.keeps_state:
            return
        watchlist = self.crawler.settings.get("RADAR_WATCHLIST")
        if watchlist is None or not (self.sites_seen or self.checks):
            return
        for source_id in self.walks_failed & set(self.sites_seen):
            known = self.sites.get(source_id)
            self.sites_seen[source_id].walked = known.walked if known else None
        db = open_db(watchlist.database)
        try:
            save_meeting_state(db, list(self.sites_seen.values()), self.checks)
        finally:
            db.close()

    def site(self, source: Source) -> SiteState:
        """The source's state as this crawl will save it (its last one, updated)."""
        site = self.sites_seen.get(source.id)
        if site is None:
            known = self.sites.get(source.id)
            site = SiteState(source.id, known.walked if known else None)
            site.state = dict(known.state) if known else {}
            self.sites_seen[source.id] = site
        return site

    def walk_due(self, source: Source) -> bool:
        """Whether this crawl walks the site's committee lists: never walked (a first crawl,
        or a store from before this state was kept), or not for `WALK_EVERY`."""
        known = self.sites.get(source.id)
        if known is None or not known.walked:
            return True
        return self.now - parse_iso(known.walked) >= WALK_EVERY - SLACK

    def walked(self, source: Source) -> None:
        self.site(source).walked = stamp(self.now)

    def walk_failed(self, source: Source) -> None:
        """A committee's list (or a month's calendar) of the walk could not be read: the walk
        is not recorded, so the next crawl walks again rather than miss its meetings for
        `WALK_EVERY`."""
        self.walks_failed.add(source.id)

    def listing_failed(self, failure: Failure) -> None:
        """Errback for a list page of the walk: an item error, and the walk left undone."""
        source = failure.request.cb_kwargs["source"]
        self.item_failed(source, failure)
        self.walk_failed(source)

    def retry_meeting(
        self, source: Source, listed: Meeting, failure: Failure | None = None
    ) -> None:
        """A meeting page that could not be read (a server error, a timeout, a garbage page):
        kept as never read, so the next crawl asks for it again whatever its schedule. One
        that is gone (404) or refused is left to its schedule, or the next walk."""
        if failure is not None and not worth_refetching(failure):
            return
        previous = self.last_check(listed.url)
        fields = (
            previous.__dict__
            if previous
            else {
                "url": listed.url,
                "source_id": source.id,
                "committee": listed.committee,
                "meeting_date": listed.date,
            }
        )
        self.checks[canonical_url(listed.url)] = MeetingCheck(**{**fields, "checked": None})

    def signal_months(self) -> list[datetime]:
        """The months whose calendar a re-crawl reads: this one, and next month in this
        one's last week (a meeting early next month has its agenda out by then)."""
        months = [self.now.replace(day=1)]
        following = (self.now.replace(day=1) + timedelta(days=32)).replace(day=1)
        if (following - self.now).days < MONTH_END_DAYS:
            months.append(following)
        return months

    def signal_request(
        self, source: Source, url: str, callback: Any, errback: Any, **meta: Any
    ) -> scrapy.Request:
        """A re-crawl's entry page (the month calendar, CMIS's list view), conditional on
        the validators it last answered with."""
        known = self.site(source).state.get("validators", {}).get(url, {})
        return scrapy.Request(
            url,
            headers=validator_headers(known),
            callback=callback,
            errback=errback,
            cb_kwargs={"source": source},
            meta={"entry": True, "signal": True, "handle_httpstatus_list": [304], **meta},
            dont_filter=True,
        )

    def remember_validators(self, source: Source, response: Response) -> None:
        """A signal page's ETag and Last-Modified, for the next crawl's conditional GET."""
        validators = self.site(source).state.setdefault("validators", {})
        validators[response.url] = {
            "etag": response_header(response, b"ETag"),
            "last_modified": response_header(response, b"Last-Modified"),
        }

    def last_check(self, url: str) -> MeetingCheck | None:
        return self.known_checks.get(canonical_url(url))

    def check_due(self, check: MeetingCheck, date: str | None = None) -> bool:
        """Whether a meeting read before is due another read (`recheck_every`)."""
        if not check.checked:
            return True
        has_minutes = canonical_url(check.url) in self.meetings_done
        every = recheck_every(date or check.meeting_date, has_minutes, self.now)
        if every is None:
            return False
        return self.now - parse_iso(check.checked) >= every - SLACK

    def meeting_wanted(self, meeting: Meeting) -> bool:
        """Whether to read a meeting page found in a list, a calendar or the web service: one
        never read is (unless its minutes are stored and it is over a month old:
        `meeting_done`, for stores from before the checks were kept); one read before when
        its schedule says so, on the date the site now gives it."""
        check = self.last_check(meeting.url)
        if check is None:
            return not self.meeting_done(meeting.url, meeting.date)
        return self.check_due(check, meeting.date)

    def due_meetings(self, source: Source) -> list[tuple[Meeting, MeetingCheck]]:
        """The meetings of `source` read before whose schedule says read them again."""
        known = self.sites.get(source.id)
        due = []
        for check in known.meetings.values() if known else ():
            if self.check_due(check):
                meeting = Meeting(url=check.url, committee=check.committee, date=check.meeting_date)
                due.append((meeting, check))
        return due

    def meeting_page_request(
        self, source: Source, meeting: Meeting, callback: Any, errback: Any, **meta: Any
    ) -> scrapy.Request:
        """A meeting page, conditional on its last validators (if the site sent any)."""
        check = self.last_check(meeting.url)
        headers = (
            validator_headers({"etag": check.etag, "last_modified": check.last_modified})
            if check
            else {}
        )
        if headers:
            meta["handle_httpstatus_list"] = [304]
        return scrapy.Request(
            meeting.url,
            headers=headers,
            callback=callback,
            errback=errback,
            cb_kwargs={"source": source, "listed": meeting},
            meta=meta,
        )

    def record_check(self, source: Source, response: Response, meeting: Meeting) -> None:
        """A meeting page read (200): when, its validators and its wanted documents."""
        self.checks[canonical_url(meeting.url)] = MeetingCheck(
            url=meeting.url,
            source_id=source.id,
            committee=meeting.committee,
            meeting_date=meeting.date,
            checked=stamp(self.now),
            etag=response_header(response, b"ETag"),
            last_modified=response_header(response, b"Last-Modified"),
            documents=[[d.url, d.label, d.type] for d in meeting.wanted()],
        )

    def not_modified(self, source: Source, listed: Meeting) -> list[Any]:
        """A meeting page that answered 304: nothing new on it, but a document it listed that
        is not stored yet (its download failed, or the crawl stopped) is asked for again."""
        check = self.last_check(listed.url)
        if check is None:
            return []
        self.checks[canonical_url(listed.url)] = MeetingCheck(
            **{**check.__dict__, "checked": stamp(self.now)}
        )
        meeting = Meeting(
            url=check.url,
            committee=listed.committee or check.committee,
            date=listed.date or check.meeting_date,
        )
        found = []
        for url, label, kind in check.documents:
            request = self.document_request(source, meeting, Document(url, label, kind))
            if request:
                found.append(request)
        return found

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

    def minutes_item(self, source: Source, meeting: Meeting, url: str, text: str) -> Item | None:
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
