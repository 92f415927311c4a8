"""Plain functions the pipeline stands on: URLs, text, sentences, rules, attribution."""

from __future__ import annotations

import pytest

from classifiers.attribution import CouncilMatcher
from classifiers.rules import rule_scores
from classifiers.sentences import split_sentences
from domain.config import WatchList
from pipelines.normalise import clean_text, clean_title, content_hash
from pipelines.urls import canonical_url, unwrap_alert_link


@pytest.fixture(scope="module")
def matcher() -> CouncilMatcher:
    return CouncilMatcher(WatchList().council_register().values())


def codes(matcher: CouncilMatcher, text: str) -> list[str]:
    return [m.gss_code for m in matcher.find(text)]


def test_unwrap_alert_link_returns_the_real_article():
    wrapped = "https://alerts.example.org/url?rct=j&sa=t&url=https%3A%2F%2Fnews.example.org%2Fa%3Fb%3D1&ct=ga"
    assert unwrap_alert_link(wrapped) == "https://news.example.org/a?b=1"
    assert unwrap_alert_link("https://news.example.org/a") == "https://news.example.org/a"


def test_canonical_url_drops_tracking_and_fragments():
    assert (
        canonical_url("HTTP://Example.org/a?utm_source=x&b=2&a=1#top")
        == "http://example.org/a?a=1&b=2"
    )


def test_clean_text_removes_controls_and_bidi_overrides():
    assert clean_text("a\u202eb\x00c \t d\n\n\n\ne") == "abc d\n\ne"
    assert clean_title("<b>Sallowmere</b> council &amp; friends") == "Sallowmere council & friends"


def test_short_snippets_are_not_deduplicated_by_text():
    assert content_hash("Road closed.") is None
    assert content_hash("x " * 200) == content_hash("X  " * 200)


def test_sentences_keep_offsets_and_join_wrapped_pdf_lines():
    text = (
        "RESOLVED: That the report be noted. Cllr. Smith asked a question about the budget gap\n"
        "which the officer answered.\nApologies for absence\nThere were none."
    )
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "RESOLVED: That the report be noted.",
        "Cllr. Smith asked a question about the budget gap which the officer answered.",
        "Apologies for absence",
        "There were none.",
    ]
    assert all(text[s.start :].startswith(s.text.split()[0]) for s in sentences)


def test_rules_fire_on_unambiguous_phrases_only():
    assert "finance" in rule_scores("The s151 officer issued a section 114 notice.")
    assert "leadership" in rule_scores("The chief executive was suspended on full pay.")
    assert "disengagement" in rule_scores(
        "Members voted to leave the Local Government Association."
    )
    assert rule_scores("The council hosted an LGA peer challenge and welcomed its findings.") == {}
    assert rule_scores("Section 114 of the Highways Act allows the works.") == {}


@pytest.mark.parametrize(
    "sentence",
    [
        "Ledmarsh District Council is not considering a section 114 notice.",
        "What is a capitalisation direction? Councils ask for one when reserves run out.",
        "The government has withdrawn the best value notice issued in 2023.",
        "Members took part in a training exercise in which a section 114 notice is issued.",
        'Chief executive "not suspended", council says.',
        "The council has ruled out leaving the Local Government Association.",
    ],
)
def test_rules_stand_down_where_the_event_is_not_happening_here(sentence):
    assert rule_scores(sentence) == {}


def test_rules_still_fire_on_the_event_itself():
    issued = "The council could not avoid it: a section 114 notice was issued."
    assert "finance" in rule_scores(issued)
    assert "finance" in rule_scores("The s151 officer said reserves were not adequate.")
    assert "leadership" in rule_scores("The chief executive has been suspended.")
    # words near the cues that do not say "not happening here"
    assert "finance" in rule_scores("Training budgets were cut after a section 114 notice.")
    dismissed = "Members dismissed the chief executive, who had been suspended since May."
    assert "leadership" in rule_scores(dismissed)


def test_admin_terms_from_the_watch_list_flag_too():
    fired = rule_scores("Talk of a capital receipts raid", {"finance": ["capital receipts raid"]})
    assert fired["finance"][1] == "term:capital receipts raid"
    assert rule_scores("The chief executive spoke.", {"finance": ["cut", " "]}) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Croydon Council issues notice", ["E09000008"]),
        ("Newcastle upon Tyne and Newcastle-under-Lyme", ["E08000021", "E07000195"]),
        (
            "Derbyshire Dales, South Derbyshire and Derby City Council",
            ["E07000035", "E07000039", "E06000015"],
        ),
        ("Richmond upon Thames, not Richmond in Yorkshire", ["E09000027"]),
        ("Brighton & Hove City Council", ["E06000043"]),
        ("Royal Borough of Kingston upon Thames", ["E09000021"]),
        ("Bin day changes on the high street", []),
        ("Westminster approved the bill", []),
        ("Westminster City Council objected", ["E09000033"]),
        ("Durham University researchers", []),
        ("Durham County Council and County Durham", ["E06000047"]),
        ("Hull City Council, not Hull KR", ["E06000010"]),
    ],
)
def test_council_names_are_matched_precisely(matcher, text, expected):
    assert codes(matcher, text) == expected


def test_sitemap_parser_reads_news_dates_and_refuses_entities():
    from crawlers.sitemaps import parse_sitemap, w3c_date

    body = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://c.example.org/news/a.html</loc>
    <news:news><news:publication_date>2026-11-24T10:00:00Z</news:publication_date>
    <news:title>Budget &x;</news:title></news:news></url>
</urlset>"""
    kind, entries = parse_sitemap(body)
    assert kind == "urlset" and entries[0]["loc"] == "https://c.example.org/news/a.html"
    assert "root:" not in entries[0].get("title", "")
    assert w3c_date(entries[0]["publication_date"]) == "2026-11-24T10:00:00Z"
    assert w3c_date("2026-11-24") == "2026-11-24T00:00:00Z"


def test_listing_links_are_articles_under_the_news_folder():
    from scrapy.http import HtmlResponse

    from crawlers.listing import article_links
    from domain.config import Source

    html = b"""<html><body><nav><a href="/council-tax.html">Council tax</a></nav>
    <main><a href="/news/a.html">A</a> <a href="/news/b.html">B</a> <a href="/news/a.html">A</a>
    <a rel="next" href="/news/index.html?page=2">Older</a><a href="/news/index.html">News</a>
    <a href="https://elsewhere.example.org/news/c.html">C</a></main></body></html>"""
    response = HtmlResponse("https://c.example.org/news/index.html", body=html)
    source = Source(kind="listing", url="https://c.example.org/news/index.html")
    assert article_links(response, source) == [
        ("https://c.example.org/news/a.html", "A"),
        ("https://c.example.org/news/b.html", "B"),
    ]


def test_word_documents_are_read_and_zip_bombs_refused():
    import io
    import zipfile

    import docx

    from pipelines.extract import ExtractionError, extract_docx

    document = docx.Document()
    document.add_paragraph("The Council failed to set a lawful budget.")
    buffer = io.BytesIO()
    document.save(buffer)
    assert "lawful budget" in extract_docx(buffer.getvalue(), "https://c.example.org/r.docx")

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * (60 * 1024 * 1024))
    with pytest.raises(ExtractionError, match="refused"):
        extract_docx(bomb.getvalue(), "https://c.example.org/bomb.docx")
