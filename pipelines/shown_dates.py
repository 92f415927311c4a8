"""Where a page shows its date: near the headline of an article, in the card of a listing.

Why not htmldate's own search: it prefers metadata, and its text search reads the whole page,
where a council page also shows the date of the next meeting, of a consultation's close and of
the related news beside it. The date a reader takes for the article's is in the few short
lines around its headline (byline, "Published: 30 June 2026", a `<time>`), before the body
begins; a listing shows each article's date inside the article's own card. The strings are
read by htmldate's parsers (`pipelines.dates.read_date`); only where to look is decided here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from lxml.html import HtmlElement

from pipelines.dates import SHORT_TEXT, ShownDate, read_date

UPDATED_WORDS = re.compile(r"updat|modif|revis|review|amend|edited|changed", re.IGNORECASE)
PUBLISHED_WORDS = re.compile(r"publish|posted|released|issued|created|\bdate\b", re.IGNORECASE)
# A labelled date that is not the article's: an event's, a deadline, a member's joining.
OTHER_WORDS = re.compile(
    r"event|meeting|termin|deadline|clos(?:e|es|ing)\b|opens|until|expir|starts|ends\b|"
    r"regist|joined|member since|born|died|takes place|held on",
    re.IGNORECASE,
)
LABELS = re.compile(
    r"(?=\b(?:first |last )?(?:published|posted|updated|modified|reviewed|released)\b)",
    re.IGNORECASE,
)

SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form",
     "select", "option", "button", "iframe", "blockquote", "figcaption", "head"}
)  # fmt: skip
# Blocks near a headline holding other articles' dates, or readers' comments.
SKIPPED_CLASSES = re.compile(
    r"related|raleted|comment|sidebar|promo|teaser|trending|popular|recommend|newsletter|"
    r"breadcrumb|more-from|read-next|readnext|most-read",
    re.IGNORECASE,
)
PROSE_TAGS = frozenset({"p", "li", "dd", "td"})  # a long one of these is the article's text
# Headings that end the search after the headline: none (tuned on dev: stopping at the next
# h1 or h2 lost more standfirsts-as-h2 than the related-story dates it kept out).
HEADINGS: frozenset[str] = frozenset()
LINKED_TITLE = 40  # characters: link text this long is a title, even with a date in it
BEFORE = 6  # text runs looked at before the headline (a date above it)
AFTER = 30  # and after it (standfirst, byline, date, share buttons)
LONG = 150  # characters: a paragraph of the article
BODY_STARTED = 2  # paragraphs after the headline: the article has begun, stop looking


@dataclass
class _Run:
    """A piece of text in reading order, with the element it belongs to."""

    text: str
    element: HtmlElement
    machine: str | None = None  # a <time datetime=…> value
    paragraph: HtmlElement | None = None  # the long paragraph it is part of, if it is


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) > 2}


def page_title(tree: HtmlElement) -> str:
    for path in (
        '//meta[@property="og:title"]/@content',
        '//meta[@name="twitter:title"]/@content',
        "//title//text()",
    ):
        found = " ".join(" ".join(tree.xpath(path)).split())
        if found:
            return found
    return ""


def find_headline(tree: HtmlElement) -> HtmlElement | None:
    """The article's headline: the h1, or failing that the h2, whose words best match the
    page's title (a blog's h1 may be "Comments form", a news site's the site's name); the
    first h1 when the page has no title."""
    title = _words(page_title(tree))
    headings = [h for h in tree.iter("h1", "h2") if h.text_content().strip()]
    if not title:
        return next((h for h in headings if h.tag == "h1"), None)
    best, best_score = None, 0.0
    for heading in headings:
        words = _words(heading.text_content())
        if not words:
            continue
        score = len(words & title) / len(words | title)
        if heading.tag == "h1":
            score += 0.01  # an h1 before an h2 that matches as well
        if score > best_score:
            best, best_score = heading, score
    return best if best_score >= 0.3 else None


def _skipped(element: HtmlElement, around: set[HtmlElement]) -> bool:
    """Whether an element is in a part of the page that holds no date of the article: a
    script, a menu, a sidebar, related stories, comments. A part that holds the headline
    (or the listing's card) itself is not one: ASP.NET pages put everything in a <form>,
    and themes call their whole content area "content-with-sidebar"."""
    return any(
        node.tag in SKIPPED_TAGS or SKIPPED_CLASSES.search(node.get("class") or "")
        for node in (element, *element.iterancestors())
        if isinstance(node.tag, str) and node not in around
    )


def _paragraph(element: HtmlElement) -> HtmlElement | None:
    """The prose paragraph an element's text is part of, if that paragraph is long."""
    for node in (element, *element.iterancestors()):
        if node.tag in PROSE_TAGS:
            return node if len(" ".join(node.text_content().split())) > LONG else None
    return None


def _runs(root: HtmlElement, anchor: HtmlElement) -> Iterator[_Run]:
    """The text under `root` in reading order, outside the parts of the page that hold no
    date of the article at `anchor` (its headline, or its card in a listing); `<time>`
    elements as one run each, with their machine-readable datetime."""
    around = {anchor, *anchor.iterancestors()}
    for element in root.iter():
        if not isinstance(element.tag, str) or _skipped(element, around):
            continue
        if element.tag == "time" or element.get("datetime"):
            text = " ".join(element.text_content().split())
            yield _Run(text, element, element.get("datetime"), _paragraph(element))
        elif element.text and element.text.strip() and not _inside_time(element):
            yield _Run(element.text, element, None, _paragraph(element))
        parent = element.getparent()
        if element.tail and element.tail.strip() and parent is not None:
            if not _skipped(parent, around) and not _inside_time(parent):
                yield _Run(element.tail, parent, None, _paragraph(parent))


def _inside_time(element: HtmlElement) -> bool:
    return any(node.tag == "time" for node in element.iterancestors())


def _near(runs: list[_Run], headline: HtmlElement) -> list[tuple[int, _Run]]:
    """The runs near the headline, with their distance from it (negative before it): a few
    short ones before, and after it those up to the article's second paragraph or the next
    heading."""
    inside = set(headline.iter())
    start = next((i for i, r in enumerate(runs) if r.element in inside), None)
    if start is None:
        return []
    end = start
    while end < len(runs) and runs[end].element in inside:
        end += 1
    near: list[tuple[int, _Run]] = []
    for distance, run in enumerate(reversed(runs[max(0, start - BEFORE) : start]), 1):
        if run.paragraph is not None:
            break
        near.append((-distance, run))
    paragraphs: set[HtmlElement] = set()
    for distance, run in enumerate(runs[end : end + AFTER], 1):
        if run.paragraph is not None:
            paragraphs.add(run.paragraph)
            if len(paragraphs) >= BODY_STARTED:
                break
            continue
        heading = next((n for n in run.element.iterancestors() if n.tag in HEADINGS), None)
        if run.element.tag in HEADINGS or heading is not None:
            break
        near.append((distance, run))
    return near


def _label(text: str) -> str | None:
    """'updated', 'published' or '' (no label) for the words before a date; None for a
    label saying it is another kind of date (an event's, a deadline)."""
    if UPDATED_WORDS.search(text):
        return "updated"
    if PUBLISHED_WORDS.search(text):
        return "published"
    if OTHER_WORDS.search(text):
        return None
    return ""


def run_dates(run: _Run, previous: str, today: date) -> Iterator[ShownDate]:
    """The dates a run of text shows, each with its label: the words before it in the run
    ("Published 3 Nov 2023, Updated 4 Nov 2023" holds two), else the run just before
    ("Published" in a <dt>, the date in its <dd>), else its element's class or itemprop.
    A link whose words are more than a date is another article's title ("Fees set for
    2026/27, 30.01.2026"), not a date line."""
    if run.element.tag == "a" and len(" ".join(run.text.split())) > LINKED_TITLE:
        return
    hints = " ".join(filter(None, (run.element.get("class"), run.element.get("itemprop"))))
    pieces = [p for p in LABELS.split(run.text) if p.strip()] if run.text else []
    if run.machine and not any(read_date(p, today) for p in pieces):
        pieces = [run.machine[:25]]  # <time datetime="2026-06-30T10:00">Tuesday</time>
    for number, piece in enumerate(pieces):
        reading = read_date(piece, today)
        if reading is None:
            continue
        before = re.split(r"\d", piece, maxsplit=1)[0]
        label = _label(before)
        if label == "" and number == 0:
            label = _label(previous) if len(previous) <= 30 else ""
            if label == "" or (label is not None and read_date(previous, today)):
                label = _label(hints) or ""
        if label is None:
            continue
        yield ShownDate(reading[0], label, " ".join(piece.split()), reading[1])


def headline_date(tree: HtmlElement, today: date) -> ShownDate | None:
    """The date the page shows near its headline: the nearest published or unlabelled one,
    after the headline before one above it; a "last updated" date only when there is no
    other."""
    headline = find_headline(tree)
    body = tree.find("body")
    if headline is None:
        return None
    found: list[tuple[tuple[int, int, int], ShownDate]] = []
    previous = ""
    runs = list(_runs(body if body is not None else tree, headline))
    around = {headline, *headline.iterancestors()}
    joined: set[HtmlElement] = set()
    for distance, run in sorted(_near(runs, headline), key=lambda pair: pair[0]):
        shown_here = list(run_dates(run, previous, today))
        container = run.element.getparent()
        if not shown_here and container is not None and container not in around | joined:
            # <span>30</span> <span>June</span> <span>2026</span>: the date is their block's
            joined.add(container)
            whole = " ".join(container.text_content().split())
            shown_here = list(run_dates(_Run(whole, container), previous, today))
        for shown in shown_here:
            rank = 1 if shown.label == "updated" else 0
            found.append(((rank, int(distance < 0), abs(distance)), shown))
        previous = " ".join(run.text.split())
    return min(found, key=lambda pair: pair[0])[1] if found else None


def card_date(card: HtmlElement, today: date) -> ShownDate | None:
    """The date a listing shows in one article's card (the list item or block holding its
    link and nothing else's): its published or unlabelled date, else its updated date."""
    found: list[ShownDate] = []
    previous = ""
    for run in _runs(card, card):
        found += run_dates(run, previous, today)
        previous = " ".join(run.text.split())
    if not found:  # <span>30</span> <span>Jun</span> <span>2026</span>: one block's words
        for element in card.iter():
            whole = " ".join(element.text_content().split()) if isinstance(element.tag, str) else ""
            if len(whole) <= SHORT_TEXT and not _skipped(element, {card}):
                found += run_dates(_Run(whole, element), "", today)
    return min(found, key=lambda shown: shown.label == "updated") if found else None
