"""An article's date is the one its reader sees: near its headline, beside its link in a
listing, in its feed; page metadata last (issue #14). In-process, on saved pages with their
real URLs, the clock pinned."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from trafilatura.utils import load_html

from crawlers.listing import ListingSpider, article_links, listing_dates
from crawlers.sitemaps import sitemap_date
from demo.server import SITE_ROOT, render
from domain.config import Source
from pipelines.dates import PageDates, ShownDate, choose_date, read_date
from pipelines.extract import ExtractPipeline, extract_html
from pipelines.shown_dates import headline_date

FILES = Path(__file__).parent / "files" / "dates"
TODAY = date(2026, 12, 6)


def listing_spider(*sources: Source) -> ListingSpider:
    """The listing spider as Scrapy makes it (with a crawler), for in-process calls."""
    return ListingSpider.from_crawler(get_crawler(ListingSpider), sources=list(sources))


def extracted(body: bytes, url: str, **item: object) -> dict:
    """An item as the crawl hands it to the pipelines after fetching `url` (the spider's
    own parse_body on a Scrapy response), through the extract pipeline."""
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html"})
    [fetched] = listing_spider().parse_body(response, {"url": url, **item})
    return asyncio.run(ExtractPipeline(today=TODAY).process_item(fetched))


# Real UK news pages from htmldate's evaluation set, with their hand-checked dates (sources in
# files/dates/SOURCES.md). Each shows its date near the headline in its own way.
REAL_PAGES = [
    (
        "htmldate__nationalgeographic.co.uk.goats.html",
        "https://www.nationalgeographic.co.uk/environment-and-conservation/2020/01/ravenous-wild-goats-ruled-island-over-century-now-its-being",
        "2020-01-06",
    ),
    (
        "htmldate__voice-online.co.uk-elites.html",
        "https://www.voice-online.co.uk/news/features-news/2023/11/03/code-of-the-elites/",
        "2023-11-03",
    ),
    (
        "htmldate__scottishfield.co.uk-Glasgow.html",
        "https://www.scottishfield.co.uk/food-and-drink-2/el-santo-glasgows-latin-american-delight/",
        "2023-11-06",
    ),
    (
        "htmldate__portsmouth.co.uk-Christmas.html",
        "https://www.portsmouth.co.uk/news/people/christmas-in-hampshire-fareham-indoor-christmas-market-to-take-place-this-weekend-heres-everything-you-need-to-know-4396092",
        "2023-11-03",
    ),
]  # fmt: skip


@pytest.mark.parametrize("name, url, day", REAL_PAGES)
def test_real_uk_news_pages_get_the_date_shown_under_their_headline(name, url, day):
    item = extracted((FILES / name).read_bytes(), url)
    assert item["published"] == f"{day}T00:00:00Z"
    assert item["date_source"] == "headline"
    assert "dates" not in item["meta"], "the page's metadata agrees"


def test_a_regional_papers_published_line_is_read_with_its_label():
    name, url, _ = REAL_PAGES[3]
    page = extract_html((FILES / name).read_bytes(), url, today=TODAY)
    assert page.dates.shown == ShownDate(
        date(2023, 11, 3), "published", "Published 3rd Nov 2023, 08:08 GMT"
    )


# --- the demo's council article whose metadata says 2022-12-01 ------------------------------

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday
BASE = "http://127.0.0.1:8000"
NEWS = f"{BASE}/ashworth-vale/news"
ARTICLE = "moorside-residents-parking-scheme-extended.html"


def demo_page(path: str) -> bytes:
    """A recorded demo page as the demo web serves it at NOW."""
    return render((SITE_ROOT / path).read_text(encoding="utf-8"), BASE, NOW).encode("utf-8")


def test_misleading_metadata_loses_to_the_date_under_the_headline():
    body = demo_page(f"ashworth-vale/news/{ARTICLE}")
    assert b"2022-12-01" in body and b"Published: 25 November 2026" in body
    item = extracted(body, f"{NEWS}/{ARTICLE}")
    assert item["published"] == "2026-11-25T00:00:00Z"
    assert item["date_source"] == "headline"
    assert item["meta"] == {
        "dates": {"headline": "2026-11-25", "page": "2022-12-01"},
        "date_shown": "headline",
    }


def test_a_listing_crawl_dates_the_article_by_its_card_and_keeps_the_metadata_as_evidence():
    source = Source(kind="listing", url=f"{NEWS}/index.html", name="Ashworth Vale news")
    spider = listing_spider(source)
    spider.today = TODAY
    spider.begin(source)
    listing = HtmlResponse(source.url, body=demo_page("ashworth-vale/news/index.html"))
    requests = {r.url: r for r in spider.parse_listing(listing, source, page=1)}
    listed = requests[f"{NEWS}/{ARTICLE}"].cb_kwargs["item"]
    assert (listed["published"], listed["date_source"]) == ("2026-11-25T00:00:00Z", "listing")
    item = extracted(demo_page(f"ashworth-vale/news/{ARTICLE}"), **listed)
    assert (item["published"], item["date_source"]) == ("2026-11-25T00:00:00Z", "listing")
    assert item["meta"]["dates"]["page"] == "2022-12-01"
    assert item["meta"]["date_shown"] == "headline", "the page shows the listing's day"
    # every article on the page has the date its card shows
    assert len(listing_dates(listing, source, TODAY)) == len(article_links(listing, source)) == 6


# --- where the date is on a page: council shapes -------------------------------------------


def shown(body: str) -> ShownDate | None:
    return headline_date(load_html(f"<html><head><title>Bins</title></head>{body}</html>"), TODAY)


@pytest.mark.parametrize(
    "body, day, label",
    [
        # GOV.UK: label and date in a definition list
        ("<h1>Bins</h1><dl><dt>Published</dt><dd>30 June 2026</dd></dl>",
         "2026-06-30", "published"),
        # Jadu: weekday, ordinal; all of it inside an ASP.NET form
        ('<form id="aspnetForm"><h1>Bins</h1><p>Published: Tuesday, 30th June 2026</p></form>',
         "2026-06-30", "published"),
        # LocalGov Drupal: a <time> whose text is the date
        ('<h1>Bins</h1><div><time datetime="2026-06-30T09:00:00Z">30 June 2026</time></div>',
         "2026-06-30", ""),
        # a <time> showing a weekday only: its datetime says the day
        ('<h1>Bins</h1><time datetime="2026-06-30T09:00:00+01:00">Tuesday</time>',
         "2026-06-30", ""),
        # day, month and year in spans of their own
        ("<h1>Bins</h1><div class=date><span>30</span><span>June</span><span>2026</span></div>",
         "2026-06-30", "published"),
        # numbers, day first as in the UK
        ("<h1>Bins</h1><p>Posted 05/06/2026</p>", "2026-06-05", "published"),
        # a date above the headline
        ("<p>30 June 2026</p><h1>Bins</h1><p>Text.</p>", "2026-06-30", ""),
        # published before updated, whichever is nearer
        ("<h1>Bins</h1><p>Last updated: 2 July 2026</p><p>First published: 30 June 2026</p>",
         "2026-06-30", "published"),
        # only an updated date: used, as such
        ("<h1>Bins</h1><p>Page last reviewed: 2 July 2026</p>", "2026-07-02", "updated"),
    ],
)  # fmt: skip
def test_the_date_shown_near_the_headline(body, day, label):
    found = shown(body)
    assert found is not None and (found.day.isoformat(), found.label) == (day, label)


@pytest.mark.parametrize(
    "body",
    [
        # a date in the article's prose is not its date
        "<h1>Bins</h1><p>"
        + "The council agreed on 30 June 2026 that collections will change. " * 4
        + "</p>",
        # an event's date, a consultation's close, a future day
        "<h1>Bins</h1><p>Event date: 30 June 2026</p><p>Consultation closes 1 July 2026</p>"
        "<p>14 January 2027</p>",
        # related news, menus, footers, comments
        "<h1>Bins</h1><aside><p>30 June 2026</p></aside><nav>1 July 2026</nav>"
        '<div class="related-news"><span>2 July 2026</span></div><footer>3 July 2026</footer>',
        # another article's title in a link
        '<h1>Bins</h1><a href="/news/x">Budget set for 2026/27 at the meeting of 30 June 2026</a>',
        # a page without a headline
        "<p>30 June 2026</p>",
    ],
)
def test_dates_that_are_not_the_articles(body):
    assert shown(body) is None


def test_a_numeric_date_is_read_month_first_only_when_the_page_agrees():
    us = ShownDate(date(2026, 1, 6), "published", "06/01/2026", swapped=date(2026, 6, 1))
    assert read_date("06/01/2026", TODAY) == (date(2026, 1, 6), date(2026, 6, 1))
    agreeing = choose_date(None, None, PageDates(shown=us, metadata=date(2026, 6, 1)))
    assert agreeing.published == "2026-06-01T00:00:00Z"
    alone = choose_date(None, None, PageDates(shown=us))
    assert alone.published == "2026-01-06T00:00:00Z", "day first, as UK pages write it"
    # the feed gave 1 June with the link: that reading agrees, so it is the page's date too
    fed = choose_date("2026-06-01T09:00:00Z", "feed", PageDates(shown=us))
    assert (fed.published, fed.source) == ("2026-06-01T09:00:00Z", "feed")


# --- how the dates combine ----------------------------------------------------------------

HEADLINE = PageDates(shown=ShownDate(date(2026, 6, 30), "published"), metadata=date(2022, 12, 1))


def test_a_feed_date_on_the_same_day_keeps_its_time_of_day():
    choice = choose_date("2026-06-30T08:15:00Z", "feed", HEADLINE)
    assert (choice.published, choice.source) == ("2026-06-30T08:15:00Z", "feed")
    assert choice.shown == "headline", "a reader sees that day on the page"
    assert choose_date("2026-06-30T08:15:00Z", "feed", PageDates()).shown == ""
    # 23:30 UTC on the 29th is the 30th in London (BST): the same day
    late = choose_date("2026-06-29T23:30:00Z", "feed", HEADLINE)
    assert (late.published, late.source) == ("2026-06-29T23:30:00Z", "feed")
    assert late.candidates["page"] == "2022-12-01", "the metadata disagrees, so it is kept"


def test_a_feed_date_that_disagrees_gives_way_to_the_headline_and_is_kept():
    # Jadu events feeds put the event's date in pubDate
    choice = choose_date("2026-09-14T18:00:00Z", "feed", HEADLINE)
    assert (choice.published, choice.source) == ("2026-06-30T00:00:00Z", "headline")
    assert choice.candidates == {
        "headline": "2026-06-30",
        "feed": "2026-09-14T18:00:00Z",
        "page": "2022-12-01",
    }


@pytest.mark.parametrize(
    "given, source, found, expected",
    [
        (None, None, PageDates(url=date(2026, 6, 30), metadata=date(2022, 12, 1)), "url"),
        (None, None, PageDates(metadata=date(2022, 12, 1)), "page"),
        ("2026-06-30T08:00:00Z", "sitemap", PageDates(metadata=date(2022, 12, 1)), "sitemap"),
        ("2026-07-02T08:00:00Z", "lastmod", PageDates(metadata=date(2026, 6, 30)), "page"),
        ("2026-07-02T08:00:00Z", "lastmod", PageDates(), "lastmod"),
        (None, None, PageDates(shown=ShownDate(date(2026, 7, 2), "updated")), "updated"),
        (None, None, PageDates(), "none"),
    ],
)
def test_without_a_headline_date_the_order_is_crawl_url_metadata_modified(
    given, source, found, expected
):
    assert choose_date(given, source, found).source == expected


def test_a_sitemaps_lastmod_is_named_as_such():
    modified = {"loc": "x", "lastmod": "2026-06-30"}
    assert sitemap_date(modified) == ("2026-06-30T00:00:00Z", "lastmod")
    both = {"loc": "x", "lastmod": "2026-07-02", "publication_date": "2026-06-30T10:00:00Z"}
    assert sitemap_date(both) == ("2026-06-30T10:00:00Z", "sitemap")
    assert sitemap_date({"loc": "x"}) == (None, None)


def test_a_meeting_date_is_kept_when_its_document_is_a_page():
    body = b"<html><body><h1>Minutes</h1><p>Published 2 July 2026</p><p>Text.</p></body></html>"
    url = "https://democracy.example.org/mgIssueHistory.aspx?IId=1"
    item = extracted(body, url, published="2026-06-29T18:00:00Z", date_source="meeting")
    assert (item["published"], item["date_source"]) == ("2026-06-29T18:00:00Z", "meeting")


def test_listing_cards_carry_their_own_dates_only():
    html = b"""<html><body><main><ul class="news">
      <li><a href="/news/a.html">Bins</a> <time datetime="2026-06-30">30 Jun 2026</time></li>
      <li class="card"><h3><a href="/news/b.html">Roads</a></h3>
          <div class="d"><span>29</span><span>June</span><span>2026</span></div></li>
      <li><a href="/news/c.html">No date</a></li></ul>
      <p><a href="/news/d.html">Flat</a> 1 June 2026 <a href="/news/e.html">Run</a></p>
    </main></body></html>"""
    response = HtmlResponse("https://c.example.org/news/index.html", body=html)
    source = Source(kind="listing", url=response.url)
    assert listing_dates(response, source, TODAY) == {
        "https://c.example.org/news/a.html": "2026-06-30T00:00:00Z",
        "https://c.example.org/news/b.html": "2026-06-29T00:00:00Z",
    }


def test_a_dated_comment_in_a_listing_card_is_not_the_articles_date():
    html = b"""<html><body><main><ul class="news">
      <li><a href="/news/bins.html">Bins</a>
          <div class="comments"><p>Comment posted <span>1</span> <span>June</span>
          <span>2020</span></p></div></li>
    </ul></main></body></html>"""
    response = HtmlResponse("https://c.example.org/news/index.html", body=html)
    assert listing_dates(response, Source(kind="listing", url=response.url), TODAY) == {}


def test_a_deeply_nested_card_is_read_without_reading_every_block_whole():
    from lxml.html import fromstring

    from pipelines.shown_dates import card_date, short_words

    deep = "<div>" * 200 + "text " * 2000 + "</div>" * 200
    card = fromstring(f"<li><a href='/x'>X</a>{deep}</li>")
    assert short_words(card) is None, "a block longer than a date line is not one"
    many = fromstring("<li>" + "<i></i>" * 5000 + "30 June 2026</li>")
    assert short_words(many) is None, "nor one of thousands of empty nodes"
    spans = fromstring("<p><b><i>30</i> June</b> 2026</p>")
    assert short_words(spans) == "30 June 2026", "in reading order"
    assert card_date(card, TODAY) is None


def test_the_trimmed_metadata_read_equals_trafilaturas_own_on_saved_real_pages():
    """pipelines.extract.title_and_date reads a page's title, URL and date with trafilatura's
    own metadata functions, skipping the fields nobody keeps (#19: half an article's time).
    It must answer as `trafilatura.extract_metadata` does, on every saved real page: a
    trafilatura release that changes those functions fails here, not in a crawl."""
    import trafilatura

    from pipelines.extract import title_and_date

    root = Path(__file__).parent / "files"
    pages = sorted(p for p in root.rglob("*.html") if p.stat().st_size > 2000)
    assert len(pages) >= 10, pages
    for page in pages:
        html = page.read_text(encoding="utf-8", errors="replace")
        url = f"https://example.org/{page.stem}"
        theirs = trafilatura.extract_metadata(html, default_url=url)
        ours = title_and_date(html, url)
        for field in ("title", "url", "date"):
            assert getattr(ours, field) == getattr(theirs, field, None), (page.name, field)
