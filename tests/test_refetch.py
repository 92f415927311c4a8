"""Pages and documents stored without their text are fetched again by later crawls, when a
later fetch may mend them, and pages that cannot be read are reported, not skipped in silence.

The soak (bench/soak.py) found both: an article whose fetch failed after the crawl's retries
(a 503, a timeout) or came back as garbage was stored as its feed summary and never asked for
again; a ModernGov page that answered 200 with garbage listed nothing, and the minutes behind
it were skipped with no error anywhere.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

import pytest
import yaml
from conftest import rows, run_radar
from faultweb import encrypted_pdf, pdf_with_text

from demo.server import LoopbackServer, reply
from store import open_db
from store.items import refetch_due

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

HTML = "text/html; charset=utf-8"
PUBLISHED = "2026-11-25T10:00:00Z"
GARBAGE = bytes(range(256)).replace(b"<", b"") * 6  # no markup at all, as random bytes have


def article(text: str) -> bytes:
    return (
        f"<html><head><title>Story</title></head><body><article><h1>Story</h1>"
        f"<p>{text} The council's cabinet discussed it at length on Tuesday evening, and "
        f"residents who attended asked questions about what it means for services.</p>"
        f"</article></body></html>"
    ).encode()


class ScriptedWeb(LoopbackServer):
    """Each path answers from its script in turn, the last answer repeating: ("503 then the
    page") is `[(503, b"", HTML), (200, page, HTML)]`. `hits` counts requests per path. Feeds
    answer 304 to their ETag, as real ones do: a page is fetched again even when its feed has
    nothing new to say."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[tuple[int, bytes, str]]] = {}
        self.hits: Counter[str] = Counter()
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                web.hits[self.path] += 1
                script = web.scripts.get(self.path) or [(404, b"not here", "text/plain")]
                status, body, ctype = script.pop(0) if len(script) > 1 else script[0]
                if "xml" not in ctype:
                    return reply(self, status, body, ctype)
                # feeds carry an ETag (their body's hash) and answer 304 while unchanged
                etag = f'"{hash(body)}"'
                if self.headers.get("If-None-Match") == etag:
                    return reply(self, 304, b"", ctype)
                reply(self, status, body, ctype, ETag=etag)

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler)

    def feed(self, path: str, *entries: tuple[str, str, str]) -> None:
        """An Atom feed at `path` of (title, page path, updated) entries, all published on
        25 November: an `updated` after that says the page changed."""
        items = "".join(
            f'<entry><title>{title}</title><link href="{self.base_url}{page}"/>'
            f"<id>{page}</id><summary>Summary of {title}.</summary>"
            f"<published>{PUBLISHED}</published><updated>{updated}</updated></entry>"
            for title, page, updated in entries
        )
        body = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>{items}</feed>'
        self.scripts[path] = [(200, body.encode(), "application/atom+xml")]


def watchlist(folder, web: ScriptedWeb, sources: list[dict], **crawl) -> str:
    path = folder / "watchlist.yaml"
    settings = {"autothrottle": False, "retries": 0, "allow_private": [web.crawl_allowance]}
    path.write_text(
        yaml.safe_dump(
            {
                "database": str(folder / "radar.db"),
                "crawl": {**settings, **crawl},
                "sources": sources,
            }
        )
    )
    return str(path)


def news_watchlist(folder, web: ScriptedWeb, **crawl) -> str:
    """A watch list with one source, the web's news feed at /news.atom."""
    return watchlist(folder, web, [{"kind": "feed", "url": f"{web.base_url}/news.atom"}], **crawl)


def crawl(watch: str) -> None:
    run_radar("crawl", "--watchlist", watch)


def items_by_page(folder) -> dict[str, dict]:
    found = rows(folder / "radar.db", "select * from items")
    assert len(found) == len({row["canonical_url"] for row in found}), "no URL stored twice"
    return {row["url"].rsplit("/", 1)[1]: row for row in found}


def test_a_page_that_failed_is_fetched_again_and_its_text_replaces_the_summary(tmp_path):
    with ScriptedWeb() as web:
        web.feed(
            "/news.atom",
            ("Flaky", "/flaky.html", PUBLISHED),
            ("Garbled", "/garbled.html", PUBLISHED),
            ("Gone", "/gone.html", PUBLISHED),
        )
        web.scripts["/flaky.html"] = [(503, b"busy", HTML), (200, article("Flaky story."), HTML)]
        web.scripts["/garbled.html"] = [(200, GARBAGE, HTML), (200, article("Garbled."), HTML)]
        web.scripts["/gone.html"] = [(404, b"gone", HTML)]
        watch = news_watchlist(tmp_path, web, refetch_after=0)
        crawl(watch)
        first = items_by_page(tmp_path)
        crawl(watch)
        second = items_by_page(tmp_path)
        hits = dict(web.hits)

    for page in ("flaky.html", "garbled.html", "gone.html"):
        assert first[page]["summary_only"] == 1
        assert first[page]["text"] == f"Summary of {page.split('.')[0].title()}."
    assert first["flaky.html"]["fetch_failures"] == 1, "a 503 may pass: try again"
    assert first["garbled.html"]["fetch_failures"] == 1, "garbage served as the page: again"
    assert first["gone.html"]["fetch_failures"] is None, "a 404 will be the same next time"

    for page, words in (("flaky.html", "Flaky story."), ("garbled.html", "Garbled.")):
        assert second[page]["id"] == first[page]["id"], "the same item, mended"
        assert second[page]["summary_only"] == 0 and words in second[page]["text"]
        assert second[page]["fetch_failures"] is None
    assert second["gone.html"] == first["gone.html"]
    assert hits["/flaky.html"] == hits["/garbled.html"] == 2
    assert hits["/gone.html"] == 1, "a page that is gone is not asked for again"
    assert rows(tmp_path / "radar.db", "select last_status from sources") == [{"last_status": 304}]


def test_refetching_stops_at_the_limit_and_an_updated_page_that_fails_keeps_its_text(tmp_path):
    with ScriptedWeb() as web:
        web.feed(
            "/news.atom",
            ("Down", "/down.html", PUBLISHED),
            ("Kept", "/kept.html", PUBLISHED),
        )
        web.scripts["/down.html"] = [(500, b"error", HTML)]
        web.scripts["/kept.html"] = [(200, article("The first version."), HTML), (503, b"", HTML)]
        watch = news_watchlist(tmp_path, web, refetch_after=0, refetch_limit=2)
        crawl(watch)
        # the council edits the story (the feed dates the change), but its server is failing
        edited = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        web.feed(
            "/news.atom",
            ("Down", "/down.html", PUBLISHED),
            ("Kept", "/kept.html", edited),
        )
        crawl(watch)
        middle = items_by_page(tmp_path)
        crawl(watch)
        last = items_by_page(tmp_path)
        hits = dict(web.hits)

    assert hits["/down.html"] == 2, "fetched twice in all (refetch_limit: 2), then left"
    assert last["down.html"]["fetch_failures"] == 2 and last["down.html"]["summary_only"] == 1
    kept = middle["kept.html"]
    assert "The first version." in kept["text"] and kept["summary_only"] == 0, (
        "a failed fetch of an updated page keeps the text already stored"
    )
    assert kept["fetch_failures"] == 1
    health = rows(tmp_path / "radar.db", "select items_failed, last_item_error from sources")
    assert health[0]["items_failed"] >= 1 and "/kept.html: HTTP 503" in health[0]["last_item_error"]


def test_refetches_wait_four_times_longer_after_each_failure(tmp_path):
    db = open_db(tmp_path / "radar.db")
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    def stored(name: str, failures: int | None, hours_ago: float) -> None:
        fetched = (now - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        db["items"].insert(
            {"id": name, "url": name, "canonical_url": name, "source_id": "feed", "kind": "news",
             "fetched": fetched, "fetch_failures": failures}
        )  # fmt: skip

    stored("read", None, 100)
    stored("first-due", 1, 1.1)  # one failure: an hour's wait
    stored("first-waiting", 1, 0.9)
    stored("second-due", 2, 4.1)  # two: four hours
    stored("second-waiting", 2, 3.9)
    stored("third-waiting", 3, 15)  # three: sixteen hours
    stored("given-up", 5, 1000)  # refetch_limit reached
    due = refetch_due(db, 3600, 5, now)
    db.close()
    assert [row["url"] for row in due["feed"]] == ["second-due", "first-due"]


def moderngov_site(web: ScriptedWeb, root: str, committees: list[tuple[int, str]]) -> None:
    """A ModernGov-shaped site at `root`: committees, each with one meeting in January (long
    enough ago that a meeting whose minutes are stored is not read again)."""
    links = "".join(
        f'<li><a href="mgCommitteeDetails.aspx?ID={cid}">{name}</a></li>'
        for cid, name in committees
    )
    page = f"<html><body><ul>{links}</ul></body></html>".encode()
    web.scripts[f"{root}mgListCommittees.aspx"] = [(200, page, HTML)]
    web.scripts[f"{root}mgCalendarMonthView.aspx"] = [(200, b"<html><body></body></html>", HTML)]
    for cid, _ in committees:
        meetings = (
            f'<html><body><a href="ieListDocuments.aspx?CId={cid}&amp;MId={cid}">'
            f"1{cid} Jan 2026 7.00 pm</a></body></html>"
        ).encode()
        web.scripts[f"{root}ieListMeetings.aspx?CommitteeId={cid}"] = [(200, meetings, HTML)]
        meeting = (
            f"<html><body><h2>Meeting {cid}</h2><ul>"
            f'<li><a href="documents/g{cid}/minutes.pdf">Printed minutes PDF 20 KB</a></li>'
            f'<li><a href="documents/s{cid}/report.pdf">Budget report PDF 9 KB</a></li>'
            f"</ul></body></html>"
        ).encode()
        web.scripts[f"{root}ieListDocuments.aspx?CId={cid}&MId={cid}"] = [(200, meeting, HTML)]
        web.scripts[f"{root}documents/g{cid}/minutes.pdf"] = [
            (200, pdf_with_text(f"Minutes of meeting {cid}: the budget gap."), "application/pdf")
        ]
        web.scripts[f"{root}documents/s{cid}/report.pdf"] = [
            (200, pdf_with_text(f"Report {cid}."), "application/pdf")
        ]


def test_democracy_sites_fetch_damaged_minutes_again_and_report_unreadable_pages(tmp_path):
    with ScriptedWeb() as web:
        moderngov_site(web, "/mg/", [(1, "Cabinet"), (2, "Audit")])
        # committee 1's meeting list is garbage once; meeting 2's minutes are cut off once;
        # meeting 2's report is encrypted (a second download is the same file)
        listing = "/mg/ieListMeetings.aspx?CommitteeId=1"
        web.scripts[listing].insert(0, (200, GARBAGE, HTML))
        minutes = "/mg/documents/g2/minutes.pdf"
        intact = web.scripts[minutes][0]
        web.scripts[minutes].insert(0, (200, intact[1][:600], "application/pdf"))
        web.scripts["/mg/documents/s2/report.pdf"] = [(200, encrypted_pdf(), "application/pdf")]
        # another site's committee list is garbage: the site is failing, and says why
        web.scripts["/broken/mgListCommittees.aspx"] = [(200, GARBAGE, HTML)]
        sources = [
            {"kind": "moderngov", "name": "Good", "url": f"{web.base_url}/mg/"},
            {"kind": "moderngov", "name": "Broken", "url": f"{web.base_url}/broken/"},
        ]
        watch = watchlist(tmp_path, web, sources, refetch_after=0)
        crawl(watch)
        first = rows(tmp_path / "radar.db", "select * from items")
        health = {
            row["name"]: row
            for row in rows(tmp_path / "radar.db", "select * from sources order by name")
        }
        crawl(watch)
        second = rows(tmp_path / "radar.db", "select * from items")
        hits = dict(web.hits)

    assert "not a readable web page" in health["Broken"]["last_error"]
    assert "/broken/mgListCommittees.aspx" in health["Broken"]["last_error"]
    assert health["Good"]["last_error"] is None
    assert health["Good"]["items_failed"] == 1
    assert (
        "ieListMeetings.aspx?CommitteeId=1: not a readable web page"
        in (health["Good"]["last_item_error"])
    )

    by_url = {row["url"].split("/mg/", 1)[1]: row for row in first}
    assert set(by_url) == {"documents/g2/minutes.pdf", "documents/s2/report.pdf"}
    cut = by_url["documents/g2/minutes.pdf"]
    assert cut["fetch_failures"] == 1 and json.loads(cut["meta"])["extract_error"]
    report = by_url["documents/s2/report.pdf"]
    assert report["fetch_failures"] is None, "an encrypted PDF is final"
    assert "encrypted" in json.loads(report["meta"])["extract_error"]

    by_url = {row["url"].split("/mg/", 1)[1]: row for row in second}
    assert len(second) == 4, "meeting 1's documents arrive once its list reads"
    mended = by_url["documents/g2/minutes.pdf"]
    assert mended["id"] == cut["id"] and "the budget gap" in mended["text"]
    assert mended["fetch_failures"] is None and "extract_error" not in json.loads(mended["meta"])
    assert "the budget gap" in by_url["documents/g1/minutes.pdf"]["text"]
    assert hits["/mg/documents/g2/minutes.pdf"] == 2
    assert hits["/mg/documents/s2/report.pdf"] == 1, "an encrypted report is not fetched again"


def test_a_document_or_article_that_fails_is_kept_and_not_asked_for_by_every_crawl(tmp_path):
    """A meeting document or a listing's article whose download fails is stored as a
    placeholder (its title and date, no text), counted on its source: a 404 is never asked
    for again, a 503 only when its refetch is due. Before, neither was stored, and every
    crawl asked for both again, for ever (issue #17, item 8)."""
    with ScriptedWeb() as web:
        moderngov_site(web, "/mg/", [(1, "Cabinet")])
        web.scripts["/mg/documents/g1/minutes.pdf"] = [(404, b"gone", "text/plain")]
        web.scripts["/mg/documents/s1/report.pdf"] = [(503, b"busy", "text/plain")]
        cards = "".join(
            f'<li><a href="/news/{slug}">{title}</a> 2 December 2026</li>'
            for slug, title in [("budget-gap", "Council warns of budget gap"),
                                ("new-park", "New park opens in the town centre")]
        )  # fmt: skip
        web.scripts["/news"] = [(200, f"<html><body><ul>{cards}</ul></body></html>".encode(), HTML)]
        web.scripts["/news/budget-gap"] = [(404, b"gone", "text/plain")]
        web.scripts["/news/new-park"] = [(200, article("The new park opened."), HTML)]
        sources = [
            {"kind": "moderngov", "name": "Democracy", "url": f"{web.base_url}/mg/"},
            {"kind": "listing", "name": "News", "url": f"{web.base_url}/news"},
        ]
        watch = watchlist(tmp_path, web, sources, refetch_after=3600)
        crawl(watch)
        health = {row["name"]: row for row in rows(tmp_path / "radar.db", "select * from sources")}
        crawl(watch)
        crawl(watch)
        hits = dict(web.hits)
    stored = {row["url"].split(web.base_url, 1)[1]: row for row in rows(
        tmp_path / "radar.db", "select * from items")}  # fmt: skip
    failing = [
        ("/mg/documents/g1/minutes.pdf", True),
        ("/mg/documents/s1/report.pdf", False),
        ("/news/budget-gap", True),
    ]
    for path, final in failing:
        assert hits[path] == 1, f"{path} asked for by {hits[path]} crawls"
        placeholder = stored[path]
        assert placeholder["summary_only"] == 1 and placeholder["title"]
        assert placeholder["fetch_failures"] == (None if final else 1), path
    assert stored["/news/budget-gap"]["title"] == "Council warns of budget gap"
    assert "the new park opened" in stored["/news/new-park"]["text"].lower()
    assert health["Democracy"]["items_failed"] == 2 and health["News"]["items_failed"] == 1


@pytest.mark.parametrize(
    ("body", "ctype", "readable"),
    [
        (GARBAGE, HTML, False),
        (b"Service Unavailable", HTML, False),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png", False),
        (b"<!DOCTYPE html><title>x</title>", HTML, True),
        (b"<html><body><p>Committees</p></body></html>", HTML, True),
    ],
)
def test_a_page_without_html_is_unreadable(body: bytes, ctype: str, readable: bool):
    from scrapy.http import Request
    from scrapy.http.response import Response
    from scrapy.responsetypes import responsetypes

    from crawlers.base import unreadable_page

    cls = responsetypes.from_args(headers={"Content-Type": ctype}, url="http://x/p", body=body)
    assert issubclass(cls, Response)
    response = cls(
        url="http://x/p", body=body, headers={"Content-Type": ctype}, request=Request("http://x/p")
    )
    assert (unreadable_page(response) is None) is readable
