"""Bad input real sites serve: none of it stops the crawl, each leaves a clear error."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import rows, run_radar
from faultweb import FaultWeb

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

FAULT_FEEDS = (
    "malformed", "latin1", "html-200", "gone", "flaky", "busy", "slow", "huge", "loop",
    "documents", "hostile-links",
)  # fmt: skip


@pytest.fixture(scope="module")
def fault_crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    with FaultWeb() as web:
        watchlist = {
            "database": str(folder / "radar.db"),
            "output_dir": str(folder),
            "crawl": {
                "allow_private": [web.crawl_allowance],
                "autothrottle": False,
                "download_timeout": 2,
                "max_bytes": 100_000,
                "retries": 2,
                "max_failures": 2,
                "backoff_seconds": 0.2,
            },
            "sources": [
                {
                    "kind": "sitemap",
                    "origin": "council",
                    "name": "broken-loc",
                    "url": f"{web.base_url}/sitemaps/broken-loc.xml",
                }
            ]
            + [
                {
                    "kind": "feed",
                    "origin": "media",
                    "name": name,
                    "url": f"{web.base_url}/feeds/{name}.xml",
                }
                for name in FAULT_FEEDS
            ],
        }
        path = folder / "watchlist.yaml"
        path.write_text(yaml.safe_dump(watchlist), encoding="utf-8")
        first = run_radar("crawl", "--watchlist", str(path))
        second = run_radar("crawl", "--watchlist", str(path))
        third = run_radar("crawl", "--watchlist", str(path))
        yield {
            "db": folder / "radar.db",
            "runs": (first, second, third),
            "hits": dict(web.hits),
            "watchlist": path,
        }


def source(fault_crawl, name: str) -> dict:
    [row] = rows(fault_crawl["db"], "select * from sources where name = ?", [name])
    return row


def item(fault_crawl, url_end: str) -> dict:
    [row] = rows(fault_crawl["db"], "select * from items where url like ?", [f"%{url_end}"])
    return row


def test_every_crawl_finishes_despite_the_faults(fault_crawl):
    assert all(run.returncode == 0 for run in fault_crawl["runs"])


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("malformed", 200, "not a readable feed"),
        ("html-200", 200, "not a readable feed"),
        ("gone", 410, "HTTP 410"),
        ("huge", None, "max size"),
        ("loop", None, "redirect"),
        ("slow", None, "TimeoutError"),
    ],
)
def test_each_fault_leaves_a_clear_error_on_its_source(fault_crawl, name, status, words):
    row = source(fault_crawl, name)
    assert row["last_status"] == status
    assert words.lower() in row["last_error"].lower()
    assert f"/feeds/{name}.xml" in row["last_error"], "the error names the URL at fault"


def test_a_source_failing_repeatedly_is_suspended_not_retried_forever(fault_crawl):
    gone = source(fault_crawl, "gone")
    assert gone["consecutive_failures"] == 2
    # three crawls, but the third skipped it: 2 crawls x 1 request (410 is not retried)
    assert fault_crawl["hits"]["/feeds/gone.xml"] == 2
    assert "suspended, not crawled" in fault_crawl["runs"][2].stdout


def test_server_errors_are_retried_and_the_source_recovers(fault_crawl):
    flaky = source(fault_crawl, "flaky")
    assert flaky["last_error"] is None and flaky["consecutive_failures"] == 0
    assert "library will reopen" in item(fault_crawl, "/pages/ok.html")["text"]


def test_retry_after_is_honoured(fault_crawl):
    busy = source(fault_crawl, "busy")
    assert busy["last_error"] is None
    assert item(fault_crawl, "/pages/ok2.html")["title"] == "After the wait"


def test_non_utf8_feed_and_page_are_read_correctly(fault_crawl):
    page = item(fault_crawl, "/pages/cp1252.html")
    assert page["title"] == "Parking now £2 an hour"
    assert "£2 an hour" in page["text"] and "café quarter" in page["text"]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("corrupt.pdf", "unreadable PDF"),
        ("encrypted.pdf", "PDF is encrypted"),
        ("scanned.pdf", "no text layer"),
    ],
)
def test_bad_documents_are_kept_with_the_reason_they_have_no_text(fault_crawl, document, reason):
    row = item(fault_crawl, f"/docs/{document}")
    assert row["summary_only"] == 1
    assert reason in json.loads(row["meta"])["extract_error"]
    assert row["text"].startswith("Summary of"), "the feed's summary stands in for the text"


def test_good_document_next_to_bad_ones_is_read(fault_crawl):
    assert "approved the budget" in item(fault_crawl, "/docs/good.pdf")["text"]


def test_radar_sources_shows_troubled_sources_first(fault_crawl):
    result = run_radar("sources", "--watchlist", str(fault_crawl["watchlist"]))
    names = [line.split("│")[1].strip() for line in result.stdout.splitlines() if "│" in line]
    healthy = names.index("flaky")
    for troubled in ("gone", "malformed", "html-200", "loop", "huge", "slow"):
        assert names.index(troubled) < healthy


def test_links_to_local_files_are_never_fetched(fault_crawl):
    assert not rows(fault_crawl["db"], "select * from items where url like 'file:%'")
    [kept] = rows(fault_crawl["db"], "select * from items where title = 'Local file'") or [None]
    assert kept is None or kept["summary_only"] == 1


def test_relative_feed_links_are_resolved(fault_crawl):
    page = item(fault_crawl, "/pages/relative.html")
    assert page["url"].startswith("http://127.0.0.1:") and "library will reopen" in page["text"]


def test_summaries_are_stored_as_plain_text(fault_crawl):
    gone = item(fault_crawl, "/gone/none.html")
    assert gone["summary_only"] == 1 and gone["text"] == "Council sets budget"


def test_a_crash_inside_a_spider_is_recorded_on_its_source(fault_crawl):
    row = source(fault_crawl, "broken-loc")
    assert "ValueError" in row["last_error"] and "/sitemaps/broken-loc.xml" in row["last_error"]
    assert row["consecutive_failures"] >= 1
