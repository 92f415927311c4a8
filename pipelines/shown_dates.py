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
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from lxml import etree
from lxml.html import HtmlElement

from pipelines.dates import SHORT_TEXT, ShownDate, read_date

UPDATED_WORDS = re.compile(r"updat|modif|revis|review|amend|edited|changed", re.IGNORECASE)
PUBLISHED_WORDS = re.compile(r"publish|posted|released|issued|created|\bdate\b", re.IGNORECASE)
# A labelled date that is not the article's: an event's, a deadline, a member's joining.
OTHER_WORDS = re.compile(
    r"event|meeting|\btermin\b|deadline|clos(?:e|es|ing)\b|opens|until|expir|starts|ends\b|"
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
    r"related|comment|sidebar|promo|teaser|trending|popular|recommend|newsletter|"
    r"breadcrumb|more-from|read-next|readnext|most-read",
    re.IGNORECASE,
)
PROSE_TAGS = frozenset({"p", "li", "dd", "td"})  # a long one of these is the article's text
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


def words(element: HtmlElement) -> str:
    """An element's text with a space between its pieces: <span>30</span><span>June</span>
    reads "30 June", where lxml's text_content() runs them together."""
    return " ".join(" ".join(piece.split()) for piece in element.itertext() if piece.strip())


def short_words(
    element: HtmlElement, skipped: dict[HtmlElement, bool] | None = None
) -> str | None:
    """`words(element)` if it is no longer than a date line, else None, reading no further
    than that, and leaving out the text of `skipped` parts (a card's comments): asked of
    every block of a card, reading each block whole would be quadratic on a deeply nested
    (hostile) page."""
    pieces, size = [], 0
    for looked, (event, node) in enumerate(etree.iterwalk(element, events=("start", "end"))):
        if looked > 8 * SHORT_TEXT:  # thousands of empty nodes hold no date line either
            return None
        if event == "start":
            text = node.text if isinstance(node.tag, str) else None
            hidden = skipped is not None and skipped.get(node, False)
        else:  # a node's tail is its parent's text
            parent = node.getparent()
            text = node.tail if node is not element else None
            hidden = skipped is not None and parent is not None and skipped.get(parent, False)
        piece = " ".join(text.split()) if text and not hidden else ""
        if piece:
            size += len(piece) + 1
            if size > SHORT_TEXT + 1:
                return None
            pieces.append(piece)
    return " ".join(pieces)


def _word_set(text: str) -> set[str]:
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
    title = _word_set(page_title(tree))
    headings = [h for h in tree.iter("h1", "h2") if h.text_content().strip()]
    if not title:
        return next((h for h in headings if h.tag == "h1"), None)
    best, best_score = None, 0.0
    for heading in headings:
        words = _word_set(heading.text_content())
        if not words:
            continue
        score = len(words & title) / len(words | title)
        if heading.tag == "h1":
            score += 0.01  # an h1 before an h2 that matches as well
        if score > best_score:
            best, best_score = heading, score
    return best if best_score >= 0.3 else None


def _skipped_here(node: HtmlElement, around: set[HtmlElement]) -> bool:
    """Whether an element itself starts a part of the page that holds no date of the
    article: a script, a menu, a sidebar, related stories, comments. A part that holds the
    headline (or the listing's card) is not one: ASP.NET pages put everything in a <form>,
    and themes call their whole content area "content-with-sidebar"."""
    if node in around:
        return False
    return node.tag in SKIPPED_TAGS or bool(SKIPPED_CLASSES.search(node.get("class") or ""))


class _Walk:
    """The text under `root` in reading order, as runs, outside the parts of the page that
    hold no date of the article at `anchor` (its headline, or its card in a listing);
    `<time>` elements are one run each, with their machine-readable datetime. What each
    element inherits (skipped, inside a <time>, its prose paragraph) is worked out once,
    from its parent, so a 500 KB page is one pass."""

    def __init__(self, root: HtmlElement, anchor: HtmlElement):
        self.root, self.around = root, {anchor, *anchor.iterancestors()}
        self.skipped: dict[HtmlElement, bool] = {}
        self.in_time: dict[HtmlElement, bool] = {}
        self.prose: dict[HtmlElement, HtmlElement | None] = {}
        self.long: dict[HtmlElement, bool] = {}

    def _visit(self, element: HtmlElement) -> None:
        parent = element.getparent()
        self.skipped[element] = self.skipped.get(parent, False) or _skipped_here(
            element, self.around
        )
        self.in_time[element] = self.in_time.get(parent, False) or (
            parent is not None and parent.tag == "time"
        )
        self.prose[element] = element if element.tag in PROSE_TAGS else self.prose.get(parent)

    def paragraph(self, element: HtmlElement) -> HtmlElement | None:
        """The prose paragraph an element's text is part of, if that paragraph is long."""
        prose = self.prose.get(element)
        if prose is None:
            return None
        if prose not in self.long:
            self.long[prose] = len(" ".join(prose.text_content().split())) > LONG
        return prose if self.long[prose] else None

    def __iter__(self) -> Iterator[_Run]:
        for element in self.root.iter():
            if not isinstance(element.tag, str):
                continue
            self._visit(element)
            if self.skipped[element]:
                continue
            if element.tag == "time" or element.get("datetime"):
                text = " ".join(element.text_content().split())
                yield _Run(text, element, element.get("datetime"), self.paragraph(element))
            elif element.text and element.text.strip() and not self.in_time[element]:
                yield _Run(element.text, element, None, self.paragraph(element))
            parent = element.getparent()
            if element is self.root:
                continue  # its tail is outside it
            if element.tail and element.tail.strip() and parent is not None:
                if not self.skipped.get(parent, False) and not self.in_time.get(parent, False):
                    yield _Run(element.tail, parent, None, self.paragraph(parent))


def _near(runs: Iterator[_Run], headline: HtmlElement) -> list[tuple[int, _Run]]:
    """The runs near the headline, with their distance from it (negative before it): a few
    short ones before it, and after it those up to the article's second paragraph."""
    inside = set(headline.iter())
    before: deque[_Run] = deque(maxlen=BEFORE)
    for run in runs:
        if run.element in inside:
            break
        before.append(run)
    else:
        return []
    near: list[tuple[int, _Run]] = []
    for distance, run in enumerate(reversed(before), 1):
        if run.paragraph is not None:
            break
        near.append((-distance, run))
    paragraphs: set[HtmlElement] = set()
    distance = 0
    for run in runs:
        if run.element in inside:
            continue
        distance += 1
        if distance > AFTER:
            break
        if run.paragraph is not None:
            paragraphs.add(run.paragraph)
            if len(paragraphs) >= BODY_STARTED:
                break
            continue
        near.append((distance, run))
    return near


def _label(text: str) -> str | None:
    """'updated', 'published' or '' (no label) for the words before a date; None for a
    label saying it is another kind of date (an event's, a deadline)."""
    if UPDATED_WORDS.search(text):
        return "updated"
    if OTHER_WORDS.search(text):
        return None
    if PUBLISHED_WORDS.search(text):
        return "published"
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
    walk = _Walk(body if body is not None else tree, headline)
    runs = iter(walk)
    around = {headline, *headline.iterancestors()}
    joined: set[HtmlElement] = set()
    for distance, run in sorted(_near(runs, headline), key=lambda pair: pair[0]):
        shown_here = list(run_dates(run, previous, today))
        container = run.element.getparent()
        if not shown_here and container is not None and container not in around | joined:
            # <span>30</span> <span>June</span> <span>2026</span>: the date is their block's
            joined.add(container)
            whole = short_words(container, walk.skipped)
            if whole:
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
    walk = _Walk(card, card)
    for run in walk:
        found += run_dates(run, previous, today)
        previous = " ".join(run.text.split())
    if not found:  # <span>30</span> <span>Jun</span> <span>2026</span>: one block's words
        for element in card.iter():
            if not isinstance(element.tag, str) or walk.skipped.get(element, True):
                continue  # a comment, or inside the card's comments or related stories
            whole = short_words(element, walk.skipped)
            if whole:
                found += run_dates(_Run(whole, element), "", today)
    return min(found, key=lambda shown: shown.label == "updated") if found else None
