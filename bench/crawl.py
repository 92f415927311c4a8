"""Benchmark: crawl a synthetic web of every English council on loopback, twice.

Serves, for each of the 317 councils in the register, a news feed (10 entries, 6 with
article pages) and a ModernGov-shaped site (2 committees x 2 meetings, printed minutes as
PDF), spread over 16 loopback addresses (127.0.0.2-17) so per-domain politeness applies as it
would across real council hosts. Prints pages/s, items/s, the crawl's peak RSS, and the second
(incremental) crawl's requests and bytes as a share of the first's. Asserts nothing.

Run: .venv/bin/python bench/crawl.py [--councils N]
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bare_scrapy import print_anchor, record_requests, run_bare  # noqa: E402

from domain.config import load_england_register  # noqa: E402

HOSTS = [f"127.0.0.{n}" for n in range(2, 18)]
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def minutes_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for number in range(3):
        for line in range(40):
            page.drawString(
                50, 800 - line * 18, f"Minute {number}.{line}: RESOLVED that the report be noted."
            )
        page.showPage()
    page.save()
    return buffer.getvalue()


PDF = minutes_pdf()


def article(code: str, n: int) -> bytes:
    body = " ".join(
        f"Paragraph {p}: the council's cabinet agreed the plan for item {n}." for p in range(12)
    )
    return (
        f"<html><head><title>{code} story {n}</title></head><body><nav>Home News Contact</nav>"
        f"<main><article><h1>{code} story {n}</h1><p>{body}</p></article></main>"
        f"<footer>Copyright</footer></body></html>"
    ).encode()


def feed(base: str, code: str) -> bytes:
    items = "".join(
        f"<item><title>{code} story {n}</title><link>{base}/c/{code}/news/{n}.html</link>"
        f"<description>Summary {n} for {code}.</description>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=n))}</pubDate></item>"
        for n in range(10)
    )
    return f'<rss version="2.0"><channel><title>{code}</title>{items}</channel></rss>'.encode()


class SyntheticWeb:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.bytes = 0
        self.lock = threading.Lock()
        self.servers = [ThreadingHTTPServer((host, 0), self.handler()) for host in HOSTS]

    def base(self, index: int) -> str:
        server = self.servers[index % len(self.servers)]
        return f"http://{server.server_address[0]}:{server.server_address[1]}"

    def start(self) -> None:
        for server in self.servers:
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.bytes = 0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def reply(self, body: bytes, ctype: str, etag: str | None = None) -> None:
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    body = b""
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    if etag:
                        self.send_header("ETag", etag)
                    self.end_headers()
                    self.wfile.write(body)
                with web.lock:
                    web.requests[self.path.split("/")[-1].split("?")[0] or "/"] += 1
                    web.bytes += len(body)

            def do_GET(self) -> None:  # noqa: N802
                host = f"http://{self.headers['Host']}"
                parts = self.path.split("/")
                if self.path == "/robots.txt":
                    return self.reply(b"User-agent: *\nDisallow:\n", "text/plain")
                if len(parts) < 4 or parts[1] != "c":
                    return self.reply(b"", "text/plain")
                code, rest = parts[2], "/".join(parts[3:])
                if rest == "news/rss.xml":
                    return self.reply(feed(host, code), "application/rss+xml", etag=f'"{code}"')
                if rest.startswith("news/"):
                    n = int(rest.split("/")[1].split(".")[0])
                    if n % 5 in (3, 4):  # some entries have no page: summary only
                        self.send_error(404)
                        return None
                    return self.reply(article(code, n), "text/html")
                if rest == "democracy/mgListCommittees.aspx":
                    links = "".join(
                        f'<a href="mgCommitteeDetails.aspx?ID={c}">Committee {c}</a>'
                        for c in (1, 2)
                    )
                    return self.reply(links.encode(), "text/html")
                if rest.startswith("democracy/ieListMeetings.aspx"):
                    cid = rest.split("=")[-1]
                    links = "".join(
                        f'<a href="ieListDocuments.aspx?CId={cid}&amp;MId={cid}{m}&amp;Ver=4">'
                        f"{(NOW - timedelta(days=m * 9)):%d %b %Y} 7.00 pm</a>"
                        for m in (1, 2)
                    )
                    return self.reply(links.encode(), "text/html")
                if rest.startswith("democracy/ieListDocuments.aspx"):
                    mid = rest.split("MId=")[1].split("&")[0]
                    href = f"documents/g{mid}/Printed%20minutes.pdf?T=1"
                    link = f'<a href="{href}">Printed minutes PDF 9 KB</a>'
                    return self.reply(link.encode(), "text/html")
                if rest.startswith("democracy/documents/"):
                    return self.reply(PDF, "application/pdf")
                self.send_error(404)
                return None

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


def crawl(watchlist: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "radar.cli", "crawl", "--quiet", "-w", str(watchlist)],
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--councils", type=int, default=317)
    args = parser.parse_args()
    councils = load_england_register()[: args.councils]
    web = SyntheticWeb()
    log = record_requests(web)  # bare-Scrapy anchor (bench/bare_scrapy.py)
    web.start()
    with tempfile.TemporaryDirectory() as folder:
        entries = [
            {
                "gss_code": c.gss_code,
                "sources": [
                    {"kind": "feed", "url": f"{web.base(i)}/c/{c.gss_code}/news/rss.xml"},
                    {"kind": "moderngov", "url": f"{web.base(i)}/c/{c.gss_code}/democracy/"},
                ],
            }
            for i, c in enumerate(councils)
        ]
        watchlist = Path(folder) / "watchlist.yaml"
        watchlist.write_text(
            yaml.safe_dump(
                {
                    "database": f"{folder}/radar.db",
                    "output_dir": folder,
                    # the synthetic web's loopback hosts, which the crawler refuses otherwise
                    "crawl": {"autothrottle": False, "allow_private": ["127.0.0.0/8"]},
                    "councils": entries,
                }
            )
        )
        first_time = crawl(watchlist)
        first_requests, first_bytes = sum(web.requests.values()), web.bytes
        ours_urls = log.take()  # bare-Scrapy anchor: the same URLs, without us
        bare_time, bare_urls = run_bare(ours_urls, watchlist), log.take()
        import sqlite3

        from store.audit import count_rows

        items = count_rows(sqlite3.connect(f"{folder}/radar.db"), "items")
        web.reset()
        second_time = crawl(watchlist)
        second_requests, second_bytes = sum(web.requests.values()), web.bytes
    web.stop()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"councils: {len(councils)} on {len(HOSTS)} loopback hosts")
    print(
        f"first crawl:  {first_requests} requests, {first_bytes / 1e6:.1f} MB, "
        f"{items} items in {first_time:.1f}s"
    )
    print(
        f"              {first_requests / first_time:.0f} pages/s, {items / first_time:.0f} items/s"
    )
    print(
        f"second crawl: {second_requests} requests, {second_bytes / 1e6:.2f} MB "
        f"in {second_time:.1f}s"
    )
    print(
        f"incremental:  {second_requests / first_requests:.1%} of the requests, "
        f"{second_bytes / first_bytes:.1%} of the bytes"
    )
    print(f"peak RSS of a crawl process: {peak:.0f} MiB")
    print_anchor(ours_urls, first_time, bare_urls, bare_time)  # bare-Scrapy anchor


if __name__ == "__main__":
    main()
