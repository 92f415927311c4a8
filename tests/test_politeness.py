"""Politeness as a council server sees it: never more than `crawl.concurrency_per_domain`
requests to one host in flight at once, robots.txt obeyed, and nothing lost for it.

Scrapy 2.19's CONCURRENT_REQUESTS_PER_DOMAIN alone let 8-10 requests at once reach one host
(its downloader slot counts a transfer only once the task downloading it has started, a turn
of the asyncio loop later), so the limit is measured where it matters: at the server.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from conftest import rows, run_radar
from scrapy import Request
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from twisted.internet.defer import Deferred

import crawlers.middlewares as middlewares
from crawlers.middlewares import HostConcurrencyLimit

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

HOSTS = ("127.0.0.1", "localhost")  # one server, two host names: two download slots
ARTICLES_PER_HOST = 12
PER_DOMAIN = 2  # crawl.concurrency_per_domain's default, the README's promise
SERVE_SECONDS = 0.3  # long enough that requests sent together are in flight together
ROBOTS = b"User-agent: *\nDisallow: /admin/\n"


class CountingWeb:
    """A council site on loopback that sleeps on every answer and counts, per Host header,
    how many requests it is answering at once. A request stops counting just before its
    answer is written, so two counted together were truly both waiting on the server."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.peak_overall = 0
        self.paths: dict[str, list[str]] = defaultdict(list)

    def feed(self, host: str) -> bytes:
        now = format_datetime(datetime.now(UTC))
        entries = "".join(
            f"<item><title>{host} story {n}</title><link>{self.url(host)}/news/{n}.html</link>"
            f"<pubDate>{now}</pubDate></item>"
            for n in range(ARTICLES_PER_HOST)
        )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
            f"<link>{self.url(host)}/</link>{entries}</channel></rss>"
        ).encode()

    @staticmethod
    def article(host: str, path: str) -> bytes:
        words = f"{host} {path}"
        return (
            f"<html><head><title>Council news {words}</title></head><body><article>"
            f"<h1>Council news {words}</h1><p>The cabinet met on {words} to agree the bin "
            f"collection calendar and the library opening hours for the coming year.</p>"
            "</article></body></html>"
        ).encode()

    def answer(self, host: str, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 200, "text/plain", ROBOTS
        if path == "/rss.xml":
            return 200, "application/rss+xml", self.feed(host)
        if path.startswith("/news/"):
            return 200, "text/html; charset=utf-8", self.article(host, path)
        return 404, "text/plain", b"not here"

    def url(self, host: str) -> str:
        return f"http://{host}:{self.port}"

    def __enter__(self) -> CountingWeb:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                host = (self.headers.get("Host") or "").rpartition(":")[0]
                with web.lock:
                    web.paths[host].append(self.path)
                    web.in_flight[host] += 1
                    web.peak[host] = max(web.peak[host], web.in_flight[host])
                    web.peak_overall = max(web.peak_overall, sum(web.in_flight.values()))
                try:
                    time.sleep(SERVE_SECONDS)
                finally:
                    with web.lock:
                        web.in_flight[host] -= 1
                status, ctype, body = web.answer(host, self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def polite_crawl(tmp_path_factory) -> dict[str, Any]:
    """One `radar crawl` of a news feed on each host name, with the default politeness."""
    folder: Path = tmp_path_factory.mktemp("politeness")
    with CountingWeb() as web:
        watchlist = {
            "database": str(folder / "radar.db"),
            "output_dir": str(folder),
            "crawl": {"allow_private": ["127.0.0.1"], "autothrottle": False},
            "sources": [
                {"kind": "feed", "origin": "media", "name": host, "url": f"{web.url(host)}/rss.xml"}
                for host in HOSTS
            ],
        }
        path = folder / "watchlist.yaml"
        path.write_text(yaml.safe_dump(watchlist), encoding="utf-8")
        result = run_radar("crawl", "--quiet", "--watchlist", str(path))
        with web.lock:
            return {
                "result": result,
                "db": folder / "radar.db",
                "peak": dict(web.peak),
                "peak_overall": web.peak_overall,
                "paths": {host: list(paths) for host, paths in web.paths.items()},
                "base_urls": {host: web.url(host) for host in HOSTS},
            }


def test_no_host_ever_has_more_than_the_per_domain_limit_in_flight(polite_crawl):
    assert polite_crawl["peak"] == {host: PER_DOMAIN for host in HOSTS}, (
        "each host must see at most the limit at once (and the limit used, not one at a time)"
    )


def test_the_limit_is_per_host_not_one_queue_for_the_whole_crawl(polite_crawl):
    assert PER_DOMAIN < polite_crawl["peak_overall"] <= PER_DOMAIN * len(HOSTS)


def test_robots_txt_is_obeyed_asked_once_per_host_before_anything_else(polite_crawl):
    for host in HOSTS:
        paths = polite_crawl["paths"][host]
        assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1


def test_every_entry_is_still_fetched_once_and_stored(polite_crawl):
    for host in HOSTS:
        articles = [p for p in polite_crawl["paths"][host] if p.startswith("/news/")]
        assert sorted(articles) == sorted(f"/news/{n}.html" for n in range(ARTICLES_PER_HOST))
    stored = {row["url"] for row in rows(polite_crawl["db"], "select url from items")}
    expected = {
        f"{base}/news/{n}.html"
        for base in polite_crawl["base_urls"].values()
        for n in range(ARTICLES_PER_HOST)
    }
    assert stored == expected
    [health] = {
        (row["last_status"], row["last_error"])
        for row in rows(polite_crawl["db"], "select * from sources")
    }
    assert health == (200, None)


# The gate itself, driven without a reactor: which request waits, and that every way a
# download ends frees its permit exactly once.


def _gate(monkeypatch, **settings: Any) -> tuple[HostConcurrencyLimit, SignalManager]:
    # awaiting the semaphore's Deferred directly works in Deferred.fromCoroutine, whatever
    # reactor an earlier test installed
    monkeypatch.setattr(middlewares, "maybe_deferred_to_future", lambda d: d)
    signals = SignalManager()
    downloader = SimpleNamespace(
        get_slot_key=lambda r: r.meta.get("download_slot") or r.url.split("/")[2]
    )
    crawler = SimpleNamespace(
        settings=Settings({"CONCURRENT_REQUESTS_PER_DOMAIN": PER_DOMAIN, **settings}),
        signals=signals,
        engine=SimpleNamespace(downloader=downloader),
    )
    return HostConcurrencyLimit.from_crawler(crawler), signals


def _ask(gate: HostConcurrencyLimit, request: Request) -> Deferred[None]:
    return Deferred.fromCoroutine(gate.process_request(request))


def test_a_request_beyond_the_limit_waits_for_a_transfer_to_end(monkeypatch):
    from scrapy import signals as scrapy_signals

    gate, signals = _gate(monkeypatch)
    first, second, third = (Request(f"https://council.example/{n}") for n in range(3))
    other_host = Request("https://other.example/")
    asked = [_ask(gate, r) for r in (first, second, third, other_host)]
    assert [d.called for d in asked] == [True, True, False, True]

    signals.send_catch_log(scrapy_signals.request_left_downloader, request=first)
    assert asked[2].called, "the transfer's end hands its permit to the waiting request"
    gate.process_response(first, None)  # the same download ending again frees nothing more
    gate.process_exception(first, Exception())
    assert not _ask(gate, Request("https://council.example/4")).called

    for request in (second, third, other_host):
        gate.process_exception(request, Exception())
    assert gate.peak == {"council.example": 2, "other.example": 1}


def test_download_slots_concurrency_and_meta_slot_are_honoured(monkeypatch):
    gate, _ = _gate(monkeypatch, DOWNLOAD_SLOTS={"slow.example": {"concurrency": 1}})
    assert [_ask(gate, Request(f"https://slow.example/{n}")).called for n in range(2)] == [
        True,
        False,
    ]
    shared = [Request(f"https://{n}.example/", meta={"download_slot": "one"}) for n in range(3)]
    assert [_ask(gate, r).called for r in shared] == [True, True, False]
