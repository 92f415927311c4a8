"""Hostile text in feeds and pages: stored as visible text, searchable, escaped in every email.

A council's own feed (two feeds: one well-formed, one broken by raw control bytes) carries
titles and bodies with HTML and script, control characters, NUL bytes, right-to-left
overrides and other bidi and zero-width characters, halves of surrogate pairs, a title of
10,000 characters and a 2 MB article on one line. It is served from loopback, crawled with
`radar crawl`, tagged with `radar tag --store`, searched, and sent as a digest and as acute
alerts written to .eml files, all through the CLI as an admin would.
"""

from __future__ import annotations

import email
import json
import random
from datetime import UTC, datetime
from email import policy
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import yaml
from conftest import rows, run_radar
from test_feed_corpus import (
    crawl_logging_errors,
    hidden_characters,
    markup_problems,
    unexpected_log_errors,
)

from alerts.scoring import week_of
from demo.server import LoopbackServer, reply
from pipelines.normalise import TITLE_MAX

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

COUNCIL = "E06000001"  # Hartlepool, North East
REGION = "North East"
LONG_BODY_BYTES = 2 * 1024 * 1024
FILLER = (
    "The cabinet met on Tuesday evening in the town hall and members discussed the plans for "
    "the parks, the libraries and the bin rounds for the coming year with residents. "
)


def long_line() -> str:
    """A 2 MB article body on one line, routine words only, with a marker word at its end
    (so search must have indexed the whole of it)."""
    words = "the council cabinet agreed a plan for roads parks libraries and bins across".split()
    chooser = random.Random(7)
    parts: list[str] = []
    size = 0
    while size < LONG_BODY_BYTES:
        word = chooser.choice(words)
        parts.append(word)
        size += len(word) + 1
    return " ".join(parts) + " xylomancer"


def article(title: str, *paragraphs: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f"<nav>Home | News</nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Hartlepool Borough Council</footer></body></html>"
    ).encode("utf-8", "surrogatepass")


# Each article page: the hostile part sits in the sentence the tagger quotes as evidence.
PAGES: dict[str, bytes] = {
    "/articles/script.html": article(
        "Budget",
        FILLER,
        # markup the page really has: extraction drops it
        '<script>alert("page")</script><iframe src="javascript:alert(1)"></iframe>'
        '<img src=x onerror="alert(2)"><style>body{display:none}</style>'
        "Hartlepool Borough Council has issued a section 114 notice "
        "&lt;script&gt;alert(document&#46;cookie)&lt;/script&gt; &lt;iframe "
        'src="javascript:alert(3)"&gt; &lt;img src=x onerror=alert(4)&gt; &lt;meta '
        'http-equiv="refresh" content="0"&gt; after its reserves ran out',
        FILLER,
    ),
    "/articles/rtl.html": article(
        "Chief executive",
        FILLER,
        "Hartlepool Borough Council's chief executive has been suspended pending an "
        "investigation, the word zanzibarite \u202eetisoppo\u202c said, \u2067isolated\u2069 "
        "\u200fmarked\u200e \u061cletter \u202dforced\u202c",
        FILLER,
    ),
    "/articles/zero-width.html": article(
        "Libraries",
        FILLER,
        "The libraries plan, quor\u200bvath\ufeff, was agreed \u2060with a word joiner, a "
        "soft\u00adhyphen and a family emoji \U0001f468\u200d\U0001f469\u200d\U0001f467.",
        FILLER,
    ),
    "/articles/controls.html": article(
        "LGA",
        FILLER,
        "Hartlepool Borough Council voted to leave the Local Government Association\x00 "
        "\x07with a bell\x1b[31m, an escape, a\x0bvertical tab and a form\x0cfeed",
        FILLER,
    ),
    "/articles/surrogates.html": article(
        "Surrogates",
        FILLER,
        "Half a pair &#xD800; here, a whole one &#x1F600; there, a reversed pair "
        "&#xDE00;&#xD83D; and a raw half \udc80 as well.",
        FILLER,
    ),
    "/articles/long.html": article("A long report", long_line()),
    "/articles/charref-control.html": article(
        "Control reference",
        FILLER,
        "A control character written as a reference &#1; in the text of an otherwise "
        "ordinary news page about the market square weirwolde.",
        FILLER,
    ),
}


def feed(base: str, entries: list[tuple[str, str, str]], now: datetime) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link>"
        f"<description>{summary}</description><pubDate>{format_datetime(now)}</pubDate></item>"
        for title, path, summary in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Hartlepool news</title><link>{base}/</link><description>News</description>"
        f"{items}</channel></rss>"
    )


def well_formed_feed(base: str, now: datetime) -> bytes:
    """Hostile but valid XML: markup escaped once (feedparser reads it as HTML) and twice
    (it reads as text that looks like HTML), bidi and zero-width characters as they are."""
    entries = [
        (
            "&amp;lt;script&amp;gt;alert(&quot;title&quot;)&amp;lt;/script&amp;gt; Hartlepool "
            '&lt;b onmouseover="alert(1)"&gt;budget&lt;/b&gt; &lt;img src=x onerror=alert(5)&gt;'
            " crisis",
            "/articles/script.html",
            "&lt;script&gt;alert(6)&lt;/script&gt;&lt;a href='javascript:alert(7)'&gt;read"
            "&lt;/a&gt;",
        ),
        (
            "Chief executive \u202esuspended\u202c \u2066etisoppo\u2069 in Hartlepool",
            "/articles/rtl.html",
            "Summary with an override \u202egnirts",
        ),
        (
            "Libraries quor\u200bvath\ufeff plan \U0001f468\u200d\U0001f469",
            "/articles/zero-width.html",
            "Zero\u200bwidth",
        ),
        ("A long report " + "word " * 2000, "/articles/long.html", "A long summary"),
    ]
    return feed(base, entries, now).encode("utf-8")


def broken_feed(base: str, now: datetime) -> bytes:
    """Not XML at all: raw control bytes and a NUL, references to control characters and
    to halves of surrogate pairs. feedparser's fallback parser has to read it."""
    entries = [
        (
            "Hartlepool leaves\x07 the LGA\x00 \x1b[31m &#x92;s &#xD800; &#xD83D;&#xDE00;",
            "/articles/controls.html",
            "Bell\x07 and NUL\x00 in a summary",
        ),
        ("Surrogates &#xDC00; in a title", "/articles/surrogates.html", "Lone &#xDBFF; half"),
        ("Control reference &#1; in a title", "/articles/charref-control.html", "Summary"),
    ]
    return feed(base, entries, now).encode("utf-8")


class HostileWeb(LoopbackServer):
    """A council site on loopback whose feeds and pages carry hostile text."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                status = 200
                if self.path == "/robots.txt":
                    body, ctype = b"User-agent: *\nDisallow:\n", "text/plain"
                elif self.path == "/news.xml":
                    body, ctype = well_formed_feed(web.base_url, web.now), "application/rss+xml"
                elif self.path == "/broken.xml":
                    body, ctype = broken_feed(web.base_url, web.now), "application/rss+xml"
                elif self.path in PAGES:
                    body, ctype = PAGES[self.path], "text/html; charset=utf-8"
                else:
                    status, body, ctype = 404, b"Not found", "text/plain"
                reply(self, status, body, ctype)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Any:
    """The hostile site crawled, tagged (the model loads once for the module), its alerts
    checked and written, and this week's digest written, each by the CLI."""
    folder = tmp_path_factory.mktemp("hostile")
    with HostileWeb() as web:
        data = {
            "database": str(folder / "radar.db"),
            "output_dir": str(folder),
            "councils": [
                {
                    "gss_code": COUNCIL,
                    "sources": [
                        {"kind": "feed", "name": "Hartlepool news",
                         "url": f"{web.base_url}/news.xml"},
                        {"kind": "feed", "name": "Hartlepool notices",
                         "url": f"{web.base_url}/broken.xml"},
                    ],
                }
            ],
            "regions": {REGION: {"advisers": [{"name": "NE adviser", "email": "ne@example.org"}]}},
            "crawl": {"allow_private": ["127.0.0.1"], "autothrottle": False, "retries": 0},
        }  # fmt: skip
        watchlist = folder / "watchlist.yaml"
        watchlist.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        crawl = crawl_logging_errors(watchlist)
    tag = run_radar("tag", "--store", "--watchlist", str(watchlist))
    outbox = folder / "outbox"
    alerts = run_radar(
        "alerts", "--dry-run", "--outbox", str(outbox), "--watchlist", str(watchlist)
    )
    week = week_of(web.now)
    digest = run_radar(
        "digest", "--region", REGION, "--week", week, "--dry-run", "--outbox", str(outbox),
        "--watchlist", str(watchlist),
    )  # fmt: skip
    return {
        "folder": folder,
        "watchlist": watchlist,
        "db": folder / "radar.db",
        "base_url": web.base_url,
        "outbox": outbox,
        "runs": {"crawl": crawl, "tag": tag, "alerts": alerts, "digest": digest},
    }


def stored(hostile: Any, path: str) -> dict[str, Any]:
    [row] = rows(hostile["db"], "select * from items where url = ?", [hostile["base_url"] + path])
    return row


def emails(hostile: Any) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(hostile["outbox"].rglob("*.eml"))
    ]


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return html, text


def search(hostile: Any, query: str) -> list[dict[str, Any]]:
    result = run_radar("search", query, "--json", "--watchlist", str(hostile["watchlist"]))
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_every_hostile_item_is_stored_and_no_source_fails(hostile):
    urls = {row["url"] for row in rows(hostile["db"], "select url from items")}
    assert urls == {hostile["base_url"] + path for path in PAGES}
    for source in rows(hostile["db"], "select * from sources"):
        assert source["last_error"] is None and source["items_failed"] == 0, source
        assert source["items_found"] == (4 if source["name"] == "Hartlepool news" else 3)


def test_stored_text_has_no_control_bidi_or_zero_width_characters(hostile):
    for item in rows(hostile["db"], "select url, title, summary_only, text from items"):
        assert not hidden_characters(item["title"]), item["url"]
        assert not hidden_characters(item["text"]), item["url"]
    script = stored(hostile, "/articles/script.html")
    assert script["title"].startswith('<script>alert("title")</script> Hartlepool budget')
    assert "onmouseover" not in script["title"]  # markup in a title is dropped, its words kept
    rtl = stored(hostile, "/articles/rtl.html")
    assert "zanzibarite etisoppo said" in rtl["text"]
    assert "\u202e" not in rtl["title"] and "suspended etisoppo" in rtl["title"]
    zero_width = stored(hostile, "/articles/zero-width.html")
    assert "quorvath," in zero_width["text"] and "softhyphen" in zero_width["text"]
    assert zero_width["title"] == "Libraries quorvath plan \U0001f468\u200d\U0001f469"  # the
    # joiner spells the emoji (trafilatura drops it from pages, with the other format marks)
    controls = stored(hostile, "/articles/controls.html")
    assert "Local Government Association" in controls["text"]
    assert "a bell[31m, an escape" in controls["text"]
    assert "leaves the LGA" in controls["title"]
    # &#x92; is windows-1252's apostrophe; half a pair is replaced, a whole pair joined
    assert "[31m \u2019s \ufffd \U0001f600" in controls["title"]
    surrogates = stored(hostile, "/articles/surrogates.html")
    assert "\U0001f600 there" in surrogates["text"] and "\ufffd" in surrogates["text"]


def test_a_ten_thousand_character_title_is_cut_and_a_2mb_line_is_kept_whole(hostile):
    long = stored(hostile, "/articles/long.html")
    assert len(long["title"]) <= TITLE_MAX + 1 and long["title"].endswith("…")
    heading, line = long["text"].split("\n")
    assert heading == "A long report" and len(line) > 2_000_000 and line.endswith(" xylomancer")


def test_a_control_character_reference_does_not_cost_a_page_its_text(hostile):
    item = stored(hostile, "/articles/charref-control.html")
    assert "weirwolde" in item["text"]


def test_a_control_character_reference_loses_no_item(hostile):
    item = stored(hostile, "/articles/charref-control.html")
    assert item["title"] == "Control reference in a title"


def test_hostile_items_are_tagged_and_their_signals_raised(hostile):
    flags = rows(
        hostile["db"], "select i.url, f.factor from flags f join items i on i.id = f.item_id"
    )
    flagged = {(row["url"].removeprefix(hostile["base_url"]), row["factor"]) for row in flags}
    assert ("/articles/script.html", "finance") in flagged
    assert ("/articles/rtl.html", "leadership") in flagged
    assert ("/articles/controls.html", "disengagement") in flagged


def test_search_finds_words_beside_overrides_and_inside_zero_width_spaces(hostile):
    for query, path in [
        ("zanzibarite", "/articles/rtl.html"),
        ("etisoppo", "/articles/rtl.html"),  # the word straight after the override
        ("quorvath", "/articles/zero-width.html"),  # a zero-width space had split it
        ("xylomancer", "/articles/long.html"),  # the last word of a 2 MB line
        ('"section 114 notice"', "/articles/script.html"),
    ]:
        found = [hit["url"] for hit in search(hostile, query)]
        assert hostile["base_url"] + path in found, query


def test_the_digest_shows_hostile_items_escaped_in_html_and_text(hostile):
    [digest] = [m for m in emails(hostile) if "ACUTE" not in m["Subject"]]
    html, text = parts(digest)
    assert "Hartlepool" in html and "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    assert "&lt;iframe" in html or "section 114" in html
    assert not markup_problems(html, "digest.html"), markup_problems(html, "digest.html")
    assert not hidden_characters(html) and not hidden_characters(text)
    assert '<script>alert("title")</script>' in text  # plain text shows the words as they are
    assert digest["To"] == "ne@example.org"


def test_alert_emails_show_hostile_evidence_escaped_in_html_and_text(hostile):
    alerts = [m for m in emails(hostile) if "ACUTE" in m["Subject"]]
    labels = {m["Subject"].split(": ", 1)[1] for m in alerts}
    assert {"Section 114 notice"} <= labels, labels
    for message in alerts:
        html, text = parts(message)
        assert not markup_problems(html, "alert.html"), markup_problems(html, "alert.html")
        assert not hidden_characters(html) and not hidden_characters(text)
        assert not hidden_characters(str(message["Subject"]))
    [s114] = [m for m in alerts if m["Subject"].endswith("Section 114 notice")]
    html, _text = parts(s114)
    assert "&lt;script&gt;" in html and "<script" not in html


def test_nothing_in_the_hostile_crawl_raised(hostile):
    assert not unexpected_log_errors(hostile["runs"]["crawl"].stderr)
    for name, run in hostile["runs"].items():
        assert run.returncode == 0 and "Traceback" not in run.stderr, (name, run.stderr[-2000:])
