"""Which day an article was published: what its reader sees first, page metadata last.

Why: page metadata (`article:published_time`, `DC.date`, JSON-LD), which htmldate and so
trafilatura trust most, is copied with templates and migrations: a council article showing
"30 June 2026" under its headline can say 2022-12-01 in its head, and stored with that date
it counts in a week whose digest went out long ago. The date shown near the headline is the
one the council and its readers mean. In order of trust, named in the item's `date_source`:

1. `headline`: a date shown near the headline ("Published: 30 June 2026", "Tuesday 30 June
   2026", a `<time>`), labelled published/posted or not labelled at all
   (`pipelines.shown_dates` finds it);
2. `feed`, `sitemap`, `listing`: the date the crawl found beside the link (a feed's
   pubDate, a news sitemap's publication date, the date in the listing's card for it);
3. `url`: a date in the URL (`/2026/06/30/`);
4. `page`: the page's metadata date (trafilatura's, i.e. htmldate's);
5. `updated`, `lastmod`: a modification date ("Last updated 30 June 2026" near the headline,
   a sitemap `<lastmod>` without a publication date) when nothing else gave a date.

A headline date and a date from the crawl on the same calendar day (in UTC or UK time) are one
date: the crawl's is kept for its time of day. When they differ the headline's wins: a
feed's pubDate is sometimes an event's date (Jadu events feeds), and a sitemap's <lastmod>
says only when the page last changed. Whenever the candidates disagree, all of them are kept
(`meta.dates`), so the item shows why it has the date it has; `meta.date_shown` says where a
reader sees the chosen day (its page near the headline, or the listing), and such a day is
believed however old (store.items: an old date nobody sees is suspect).

htmldate's own parsers read the date strings; this module and `shown_dates` only decide
where to look and whom to believe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from htmldate.extractors import YMD_PATTERN, custom_parse, extract_url_date, regex_parse
from htmldate.utils import Extractor

UK = ZoneInfo("Europe/London")
EARLIEST = datetime(1995, 1, 1)  # htmldate's own floor
DAY = "%Y-%m-%d"

CRAWL_DATES = ("feed", "sitemap", "listing")  # found by the crawl beside the link
PAGE_DATES = ("headline", "url", "page", "updated")  # read from the page itself
# Every `date_source`, most trusted first ("meeting": a democracy document's meeting date).
DATE_SOURCES = ("headline", *CRAWL_DATES, "url", "page", "updated", "lastmod", "meeting", "none")

SHORT_TEXT = 80  # characters: a date line ("Published: Tuesday 30 June 2026, 10:04 BST")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# "30 Jun 26" (Richmond's news cards): day, month's name, two-digit year, then nothing but
# punctuation or a time, so "3 Jun 26 councillors" in a sentence is not read as a date.
TWO_DIGIT_YEAR = re.compile(
    r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<month>[a-z]{3})[a-z]*\.?,?\s+'?(?P<year>\d{2})"
    r"(?=\s*$|\s*[|,;)\]\u2013\u2014-]|\s+\d{1,2}[:.]\d{2})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ShownDate:
    """A date a page shows: the day, its label ("published", "updated" or "" when it has
    none), the words that showed it, and for a numeric date that reads both ways
    (05/06/2026) the other reading."""

    day: date
    label: str = ""
    text: str = ""
    swapped: date | None = None


def read_date(text: str, today: date) -> tuple[date, date | None] | None:
    """The calendar day a short piece of page text shows ("30th June 2026", "Tue 30 Jun
    2026", "30/06/2026", "2026-06-30T10:00:00Z") by htmldate's parsers, and the month-first
    reading of a numeric date whose day could be its month. None for text that is long (a
    sentence of the article), holds no whole date, or a day after `today` (an event's date,
    not the article's)."""
    text = " ".join(text.split())
    if not 6 <= len(text) <= SHORT_TEXT or not any(c.isdigit() for c in text):
        return None
    latest = datetime.combine(today, datetime.max.time())
    found, swapped = regex_parse(text), None  # a month's name, a day and a year
    if found is None:
        found = _two_digit_year(text)
    numeric = YMD_PATTERN.search(text) if found is None else None
    if numeric:  # numbers only: 30/06/2026 (day first, as in the UK), 2026-06-30
        parsed = custom_parse(text, DAY, EARLIEST, latest)
        found = datetime.strptime(parsed, DAY) if parsed else None
        first, second = numeric.group("day2"), numeric.group("month2")
        if found and first and second and int(first) <= 12 and int(first) != int(second):
            try:
                swapped = date(found.year, found.day, found.month)
            except ValueError:
                swapped = None
    if found is None or not EARLIEST <= found <= latest:
        return None
    return found.date(), swapped


def _two_digit_year(text: str) -> datetime | None:
    """"30 Jun 26" as 30 June 2026: htmldate reads only four-digit years after a month's
    name. The century is this one's (the caller refuses a day after today)."""
    match = TWO_DIGIT_YEAR.search(text)
    if match is None or match.group("month").lower() not in MONTHS:
        return None
    month = MONTHS.index(match.group("month").lower()) + 1
    try:
        return datetime(2000 + int(match.group("year")), month, int(match.group("day")))
    except ValueError:
        return None


def url_date(url: str, today: date) -> date | None:
    """A whole date in the URL (`/2026/06/30/`), by htmldate."""
    latest = datetime.combine(today, datetime.max.time())
    found = extract_url_date(url, Extractor(False, latest, EARLIEST, True, DAY))
    return date.fromisoformat(found) if found else None


@dataclass
class PageDates:
    """Every date one fetched page offers, before choosing."""

    shown: ShownDate | None = None  # near the headline (pipelines.shown_dates)
    url: date | None = None
    metadata: date | None = None  # trafilatura's metadata date (htmldate, original date)


@dataclass
class DateChoice:
    """The date chosen for an item (a stored stamp), where it came from, where a reader
    sees that day (`shown`: "headline" or "listing", for `meta.date_shown`; empty when no
    page or listing shows it), and, when the candidates disagree, every candidate by source
    (for `meta.dates`)."""

    published: str | None
    source: str
    candidates: dict[str, str] = field(default_factory=dict)
    shown: str = ""


def midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def same_day(value: str, day: date) -> bool:
    """Whether a date (YYYY-MM-DD) or a stored stamp (UTC) falls on `day` as a UK or a UTC
    calendar shows it: "30 June" on a council page may be 23:30 on 29 June UTC in its feed."""
    return day in crawl_days(value)


def crawl_days(stamp: str) -> tuple[date, ...]:
    """The calendar days a stored stamp falls on, as UTC and UK calendars show it."""
    if len(stamp) == 10:
        return (date.fromisoformat(stamp),)
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date(), moment.astimezone(UK).date()


def shown_day(shown: ShownDate, others: list[date | None]) -> date:
    """A numeric date that reads both ways (05/06/2026) is read day first, as UK pages write
    it, unless only the month-first reading agrees with the page's other dates (its URL's,
    its metadata's, or the day its feed or listing gives)."""
    if shown.swapped and shown.swapped in others and shown.day not in others:
        return shown.swapped
    return shown.day


def choose_date(given: str | None, given_source: str | None, found: PageDates) -> DateChoice:
    """The item's date from what the crawl gave with its link (`given`, a stamp named by
    `given_source`: feed, sitemap, listing or lastmod) and what its page offers; the order
    and why are in this module's docstring."""
    crawl = given if given and given_source in CRAWL_DATES else None
    lastmod = given if given and given_source == "lastmod" else None
    shown = found.shown
    others = [found.url, found.metadata, *(crawl_days(crawl) if crawl else ())]
    day = shown_day(shown, others) if shown else None
    published = day if shown and shown.label != "updated" else None
    updated = day if shown and shown.label == "updated" else None

    candidates = {
        name: value
        for name, value in (
            ("headline", published.isoformat() if published else None),
            (str(given_source), crawl),
            ("url", found.url.isoformat() if found.url else None),
            ("page", found.metadata.isoformat() if found.metadata else None),
            ("updated", updated.isoformat() if updated else None),
            ("lastmod", lastmod),
        )
        if value
    }
    if published and crawl and same_day(crawl, published):
        choice = DateChoice(crawl, str(given_source), shown="headline")
    elif published:
        choice = DateChoice(midnight(published), "headline", shown="headline")
    elif crawl:
        shown_in = "listing" if given_source == "listing" else ""
        choice = DateChoice(crawl, str(given_source), shown=shown_in)
    elif found.url:
        choice = DateChoice(midnight(found.url), "url")
    elif found.metadata:
        choice = DateChoice(midnight(found.metadata), "page")
    elif updated:
        choice = DateChoice(midnight(updated), "updated")
    elif lastmod:
        choice = DateChoice(lastmod, "lastmod")
    else:
        return DateChoice(None, "none")
    chosen = published or date.fromisoformat(str(choice.published)[:10])
    if not all(same_day(value, chosen) for value in candidates.values()):
        choice.candidates = candidates
    return choice
