"""Benchmark anchor: bare Scrapy fetching exactly the URLs `radar crawl` fetched.

`bench/crawl.py` measures the product's crawl; on its own that figure says nothing about our
overhead (extraction, attribution, the store, our middlewares). This fetches the same URLs
(the list the synthetic web logged during the product's first crawl, robots.txt left to
Scrapy as it is for ours) from the same 16 loopback hosts, with the politeness settings
`crawlers.settings.crawl_settings` gives the same watch list (concurrency overall and per
domain, AutoThrottle, timeouts, size limit, retries, robots.txt, no cookies), and nothing
else: no pipelines, none of our middlewares, a callback that drops the response.

Called by bench/crawl.py (`record_requests`, `run_bare`, `print_anchor`); run on its own it is
the subprocess that does the bare crawl: `python bench/bare_scrapy.py WATCHLIST URLS_FILE`.
Asserts nothing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# What bare Scrapy keeps of our settings: politeness and limits, nothing of ours.
POLITENESS = (
    "USER_AGENT", "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
    "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE", "RETRY_ENABLED", "RETRY_TIMES",
    "COOKIES_ENABLED", "DNS_TIMEOUT", "TELNETCONSOLE_ENABLED", "REMOTE_CONTROL_ENABLED",
    "DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_IP",
)  # fmt: skip


class RequestLog:
    """Every request the synthetic web answered (404s included), as full URLs, in order."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.lock = threading.Lock()

    def take(self) -> list[str]:
        with self.lock:
            urls, self.urls = self.urls, []
        return urls


def record_requests(web: Any) -> RequestLog:
    """Log every GET each of `web.servers` receives: the handler class is wrapped, so the
    synthetic web itself (bench/crawl.py's, whatever it serves) is left as it is."""
    log = RequestLog()
    for server in web.servers:
        handler: type[BaseHTTPRequestHandler] = server.RequestHandlerClass

        class Logged(handler):  # type: ignore[valid-type,misc]
            def do_GET(self) -> None:  # noqa: N802
                with log.lock:
                    log.urls.append(f"http://{self.headers['Host']}{self.path}")
                super().do_GET()

        server.RequestHandlerClass = Logged
    return log


def bare_settings(watchlist_path: Path) -> dict[str, Any]:
    """The politeness part of the product's settings for this watch list, nothing else."""
    from crawlers.settings import crawl_settings
    from domain.config import load_watchlist

    ours = crawl_settings(load_watchlist(watchlist_path))
    settings = {key: ours[key] for key in POLITENESS if key in ours}
    return {**settings, "LOG_LEVEL": "WARNING", "ITEM_PIPELINES": {}}


def bare_crawl(watchlist_path: Path, urls: list[str]) -> None:
    """Fetch every URL once with plain Scrapy (run in its own process, as `radar crawl` is)."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self) -> AsyncIterator[scrapy.Request]:
            for url in urls:
                yield scrapy.Request(url, dont_filter=True, callback=self.drop, errback=self.drop)

        def drop(self, _: Any) -> None:
            return None

    process = CrawlerProcess(bare_settings(watchlist_path))
    process.crawl(BareSpider)
    process.start()


def run_bare(urls: list[str], watchlist: Path) -> float:
    """Seconds for bare Scrapy, in a subprocess, to fetch `urls` (robots.txt excluded: Scrapy
    asks for it itself); timed as bench/crawl.py times `radar crawl`, start-up included."""
    pages = [url for url in urls if not url.endswith("/robots.txt")]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(pages))
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, str(watchlist), listing.name], check=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    Path(listing.name).unlink()
    return elapsed


def pages(urls: list[str]) -> int:
    """Requests answered (404s too), robots.txt aside: each of our spiders asks for it once
    per host, bare Scrapy's one spider once."""
    return sum(not url.endswith("/robots.txt") for url in urls)


def print_anchor(
    ours_urls: list[str], ours_time: float, bare_urls: list[str], bare_time: float
) -> None:
    """Ours against bare Scrapy, each timed from its process's start to its end."""
    ours, bare = pages(ours_urls) / ours_time, pages(bare_urls) / bare_time
    print(
        f"bare Scrapy:  {pages(bare_urls)} pages in {bare_time:.1f}s, {bare:.0f} pages/s; "
        f"ours {pages(ours_urls)} in {ours_time:.1f}s, {ours:.0f} pages/s: "
        f"ratio {ours / bare:.2f}"
    )


if __name__ == "__main__":
    bare_crawl(Path(sys.argv[1]), Path(sys.argv[2]).read_text().split("\n"))
