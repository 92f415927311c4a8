"""Which day an article was published: what its reader sees first, page metadata last.

Why: page metadata (`article:published_time`, `DC.date`, JSON-LD), which htmldate and so
trafilatura trust most, is copied with templates and migrations: a council article showing
"30 June 2026" under its headline can say 2022-12-01 in its head, and stored with that date
it counts in a week whose digest went out long ago. The date shown near the headline is the
one the council and its readers mean. In order of trust, named in the item's `date_source`:

1. `headline`: a date shown near the headline ("Published: 30 June 2026", "Tuesday 30 June
   2026", a `<time>`), labelled published/posted or not labelled at all;
2. `feed`, `sitemap`, `listing`: the date the crawl found beside the link (a feed's
   pubDate, a news sitemap's publication date, the date in the listing's card for it);
3. `url`: a date in the URL (`/2026/06/30/`);
4. `page`: the page's metadata date (trafilatura, i.e. htmldate), unless it is later than a
   modification date the page or sitemap gives, which it cannot be;
5. `updated`, `lastmod`: a modification date ("Last updated 30 June 2026" near the headline,
   a sitemap `<lastmod>` without a publication date), when nothing above gave a date: an
   article is no newer than its last change.

A headline date and a date from the crawl on the same calendar day (in UTC or UK time) are one
date: the crawl's is kept for its time of day. When they differ the headline's wins: a
feed's pubDate is sometimes an event's date (Jadu events feeds) and a sitemap's is often a
modification date. Whenever the candidates disagree, all of them are kept in the item's
`meta.dates`, so the item shows why it has the date it has.

htmldate's own parsers read the date strings; this module only decides where to look.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from htmldate.extractors import YMD_PATTERN, custom_parse, extract_url_date, regex_parse
from htmldate.utils import Extractor
from lxml.html import HtmlElement

UK = ZoneInfo("Europe/London")
EARLIEST = datetime(1995, 1, 1)  # htmldate's own floor: no web page is older
DAY = "%Y-%m-%d"

# Where an item's date came from, most trusted first ("meeting" and "none" are set elsewhere).
CRAWL_DATES = ("feed", "sitemap", "listing")  # found by the crawl beside the link
MODIFIED_DATES = ("updated", "lastmod")  # a last change: an upper bound on publication
DATE_SOURCES = ("headline", *CRAWL_DATES, "url", "page", *MODIFIED_DATES, "meeting", "none")

# --- reading a date out of a short piece of text ------------------------------------------

SHORT_TEXT = 80  # characters: a date line ("Published: Tuesday 30 June 2026, 10:04 BST")
UPDATED_WORDS = re.compile(r"updat|modif|revis|review|amend|edited|changed", re.IGNORECASE)
PUBLISHED_WORDS = re.compile(r"publish|posted|released|issued|first|created", re.IGNORECASE)


def parse_shown_date(text: str, today: date) -> date | None:
    """The calendar day a short piece of page text shows ("30th June 2026", "Tue 30 Jun
    2026", "30/06/2026", "2026-06-30T10:00:00Z"), by htmldate's parsers; None for text
    that is long (a sentence of the article), shows no whole date, or a day in the future
    (an event's date, not the article's)."""
    text = " ".join(text.split())
    if not 6 <= len(text) <= SHORT_TEXT or not any(c.isdigit() for c in text):
        return None
    latest = datetime.combine(today, datetime.max.time())
    found = regex_parse(text)  # a day, a month's name and a year, in either order
    if found is None and YMD_PATTERN.search(text):  # numbers only: 30/06/2026, 2026-06-30
        parsed = custom_parse(text, DAY, EARLIEST, latest)
        found = datetime.strptime(parsed, DAY) if parsed else None
    if found is None or not EARLIEST <= found <= latest:
        return None
    return found.date()


def label_of(text: str) -> str:
    """'updated' for a last-changed date, 'published' for a labelled publication date,
    '' for a date with no label (on news pages, nearly always the publication date)."""
    if UPDATED_WORDS.search(text):
        return "updated"
    if PUBLISHED_WORDS.search(text):
        return "published"
    return ""


# --- where on the page: near the headline --------------------------------------------------

SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form",
     "select", "option", "button", "figcaption", "iframe"}
)  # fmt: skip
# Blocks near a headline that hold other articles' dates, or readers' comments.
SKIPPED_CLASSES = re.compile(
    r"related|comment|sidebar|promo|teaser|trending|popular|recommend|newsletter|breadcrumb|"
    r"more-from|read-next|readnext|most-read|latest",
    re.IGNORECASE,
)
BEFORE = 6  # text blocks looked at before the headline (a date above it)
AFTER = 30  # and after it (standfirst, byline, date, share buttons)
LONG_BLOCK = 150  # characters: a paragraph of the article
BODY_STARTED = 2  # long blocks after the headline: the article has begun, stop looking


@dataclass(frozen=True)
class ShownDate:
    """A date shown near the headline: its day, its label and the words that showed it."""

    day: date
    label: str  # "published", "updated" or "" (unlabelled)
    text: str


@dataclass
class _Block:
    text: str
    element: HtmlElement
    inside_headline: bool
    machine: str | None = None  # a <time datetime=…> value


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) > 2}


def _page_title(tree: HtmlElement) -> str:
    for path in ('//meta[@property="og:title"]/@content', '//meta[@name="twitter:title"]/@content',
                 "//title//text()"):  # fmt: skip
        found = " ".join(" ".join(tree.xpath(path)).split())
        if found:
            return found
    return ""


def find_headline(tree: HtmlElement) -> HtmlElement | None:
    """The article's headline: the h1 (or, failing that, an h2) sharing most words with the
    page's title; the first h1 when the page has no title. A page whose h1 is "Comments
    form" and whose headline is an h2 is common enough on blogs to matter."""
    title = _words(_page_title(tree))
    headings = [h for h in tree.iter("h1", "h2") if h.text_content().strip()]
    if not title:
        return next((h for h in headings if h.tag == "h1"), None)
    best, best_share = None, 0.0
    for heading in headings:
        words = _words(heading.text_content())
        if not words:
            continue
        share = len(words & title) / len(words)
        if heading.tag == "h1":
            share += 0.01  # an h1 before an h2 that matches as well
        if share > best_share:
            best, best_share = heading, share
    return best if best_share >= 0.5 else None


def _skipped(element: HtmlElement) -> bool:
    for ancestor in element.iterancestors():
        if ancestor.tag in SKIPPED_TAGS or SKIPPED_CLASSES.search(ancestor.get("class") or ""):
            return True
    return False


def _blocks(tree: HtmlElement, headline: HtmlElement) -> Iterator[_Block]:
    """The page's text in reading order as short runs, each with the element it belongs
    to; `<time>` elements bring their machine-readable datetime."""
    inside = set(headline.iter())
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in SKIPPED_TAGS:
            continue
        if element.tag == "time" or element.get("datetime"):
            yield _Block(
                " ".join(element.text_content().split()),
                element,
                element in inside,
                element.get("datetime") or None,
            )
        elif element.text and element.text.strip():
            yield _Block(element.text, element, element in inside)
        if element.tail and element.tail.strip() and element.getparent() is not None:
            yield _Block(element.tail, element.getparent(), element.getparent() in inside)


def _window(tree: HtmlElement, headline: HtmlElement) -> list[tuple[int, _Block]]:
    """The blocks near the headline with their distance from it (negative before)."""
    blocks = [b for b in _blocks(tree, headline) if not _skipped(b.element)]
    start = next((i for i, b in enumerate(blocks) if b.inside_headline), None)
    if start is None:
        return []
    end = start
    while end < len(blocks) and blocks[end].inside_headline:
        end += 1
    near: list[tuple[int, _Block]] = []
    for distance, block in enumerate(reversed(blocks[max(0, start - BEFORE) : start]), 1):
        if len(block.text.strip()) > LONG_BLOCK:
            break
        near.append((-distance, block))
    long_blocks = 0
    for distance, block in enumerate(blocks[end : end + AFTER], 1):
        if len(block.text.strip()) > LONG_BLOCK:
            long_blocks += 1
            if long_blocks >= BODY_STARTED:
                break
        near.append((distance, block))
    return near


def _block_date(block: _Block, previous: str, today: date) -> ShownDate | None:
    """The date a block shows, labelled by its own words, the block just before it
    ("Published" in a <dt>, the date in its <dd>) or its element's class/itemprop."""
    day = parse_shown_date(block.text, today) if block.text else None
    if day is None and block.machine:
        day = parse_shown_date(block.machine[:25], today)
    if day is None:
        return None
    hints = " ".join(filter(None, [block.element.get("class"), block.element.get("itemprop")]))
    label = label_of(block.text) or label_of(hints)
    if not label and len(previous) <= 30 and parse_shown_date(previous, today) is None:
        label = label_of(previous)
    return ShownDate(day, label, " ".join(block.text.split()) or block.machine or "")


def headline_date(tree: HtmlElement, today: date) -> ShownDate | None:
    """The date the page shows near its headline: the nearest published or unlabelled date
    in the few short blocks before and after the headline; a "last updated" date only when
    there is no other."""
    headline = find_headline(tree)
    if headline is None:
        return None
    found: list[tuple[int, ShownDate]] = []
    previous = ""
    for distance, block in sorted(_window(tree, headline), key=lambda pair: pair[0]):
        shown = _block_date(block, previous, today)
        if shown is not None:
            found.append((distance, shown))
        previous = " ".join(block.text.split())
    if not found:
        return None
    strong = [pair for pair in found if pair[1].label != "updated"]
    return min(strong or found, key=lambda pair: abs(pair[0]))[1]


# --- the other places a date can come from -------------------------------------------------


def url_date(url: str, today: date) -> date | None:
    """A whole date in the URL's path (`/2026/06/30/`), by htmldate."""
    latest = datetime.combine(today, datetime.max.time())
    found = extract_url_date(url, Extractor(False, latest, EARLIEST, True, DAY))
    return date.fromisoformat(found) if found else None


@dataclass
class PageDates:
    """Every date one fetched page offers, before choosing."""

    shown: ShownDate | None = None
    url: date | None = None
    metadata: date | None = None  # trafilatura's metadata date (htmldate, original date)


def page_dates(
    tree: HtmlElement | None, url: str, metadata: str | None, today: date | None = None
) -> PageDates:
    """The dates a page offers: near its headline, in its URL, in its metadata."""
    today = today or datetime.now(UTC).date()
    try:
        meta_day = date.fromisoformat(metadata[:10]) if metadata else None
    except ValueError:
        meta_day = None
    return PageDates(
        shown=headline_date(tree, today) if tree is not None else None,
        url=url_date(url, today),
        metadata=meta_day,
    )


# --- choosing -----------------------------------------------------------------------------


@dataclass
class DateChoice:
    """The date chosen for an item (a stored stamp), where it came from, and, when the
    candidates disagree, every candidate by source (for `meta.dates`)."""

    published: str | None
    source: str
    candidates: dict[str, str] = field(default_factory=dict)


def midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def stamp_day(stamp: str) -> date:
    return date.fromisoformat(stamp[:10])


def same_day(stamp: str, day: date) -> bool:
    """Whether a stored stamp (UTC) falls on `day` as a UK or a UTC calendar shows it:
    "30 June" on a council page may be 23:30 on 29 June UTC in the feed."""
    if len(stamp) == 10:  # a day, as a page shows it
        return date.fromisoformat(stamp) == day
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return day in (moment.astimezone(UTC).date(), moment.astimezone(UK).date())


def choose_date(given: str | None, given_source: str | None, found: PageDates) -> DateChoice:
    """The item's date from what the crawl gave with its link (`given`, named by
    `given_source`: feed, sitemap, listing or lastmod) and what its page offers; see the
    module's docstring for the order and why."""
    crawl = given if given and given_source in CRAWL_DATES else None
    lastmod = given if given and given_source == "lastmod" else None
    shown = found.shown
    published = shown if shown and shown.label != "updated" else None
    updated = shown.day if shown and shown.label == "updated" else None
    modified = min(
        [d for d in (updated, stamp_day(lastmod) if lastmod else None) if d], default=None
    )

    candidates: dict[str, str] = {}
    if published:
        candidates["headline"] = published.day.isoformat()
    if crawl:
        candidates[str(given_source)] = crawl
    if found.url:
        candidates["url"] = found.url.isoformat()
    if found.metadata:
        candidates["page"] = found.metadata.isoformat()
    if updated:
        candidates["updated"] = updated.isoformat()
    if lastmod:
        candidates["lastmod"] = lastmod

    if published and crawl and same_day(crawl, published.day):
        choice = DateChoice(crawl, str(given_source))
    elif published:
        choice = DateChoice(midnight(published.day), "headline")
    elif crawl:
        choice = DateChoice(crawl, str(given_source))
    elif found.url:
        choice = DateChoice(midnight(found.url), "url")
    elif found.metadata and (modified is None or found.metadata <= modified):
        choice = DateChoice(midnight(found.metadata), "page")
    elif updated and (lastmod is None or updated <= stamp_day(lastmod)):
        choice = DateChoice(midnight(updated), "updated")
    elif lastmod:
        choice = DateChoice(lastmod, "lastmod")
    else:
        return DateChoice(None, "none")
    day = published.day if published and choice.source != "headline" else None
    day = day or stamp_day(choice.published or "")
    if not all(same_day(value, day) for value in candidates.values()):
        choice.candidates = candidates
    return choice
