"""Benchmark: crawl a synthetic web of every English council on loopback, then again later.

Serves, for each of the 317 councils in the register, a news feed (10 entries, 6 with
article pages) and a ModernGov-shaped site (`--shape old`: 2 committees x 2 meetings, printed
minutes as PDF; `--shape real`: 16 committees x 12 meetings, as real sites are, see SHAPES),
spread over 16 loopback addresses (127.0.0.2-17) so per-domain politeness applies as it would
across real council hosts. Nothing changes between crawls: the later ones show what an
unchanged England costs. Each later crawl runs on a clock `--days` after the first (0:
straight after it; 1: the next day's crawl). Prints pages/s, items/s, the crawl's peak RSS,
each later crawl's requests and bytes as a share of the first's, the requests by kind of
page, and the anchor: the first crawl's URLs fetched again by bare Scrapy with the same
politeness and nothing of ours (bench/bare_scrapy.py), its pages/s and our ratio to it.
Asserts nothing.

Run: .venv/bin/python bench/crawl.py [--councils N] [--shape old|real] [--days 0,1,7]
"""

from __future__ import annotations

import argparse
import functools
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
from urllib.parse import parse_qs, urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bare_scrapy import print_anchor, record_requests, run_bare  # noqa: E402

from domain.config import load_england_register  # noqa: E402

HOSTS = [f"127.0.0.{n}" for n in range(2, 18)]
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@functools.lru_cache(maxsize=4096)
def minutes_pdf(document: str) -> bytes:
    """Three pages of minutes, their text each document's own: the store keeps one copy of
    a text, and identical minutes would be one item, leaving the other meetings without."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for number in range(3):
        for line in range(40):
            page.drawString(
                50, 800 - line * 18, f"{document} minute {number}.{line}: RESOLVED: noted."
            )
        page.showPage()
    page.save()
    return buffer.getvalue()


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


# The synthetic democracy sites' shapes. "old": the bench as it was (2 committees x 2 meetings,
# 9 and 18 days ago, each with printed minutes), now also serving the month calendar every real
# ModernGov site has. "real": as real sites are (tests/files/moderngov/: Kingston's committee
# structure lists 16 committees, one of which shows 15 meetings over two years; Gloucester's
# web service lists 131 committees, its Cabinet 20 meetings): 16 committees, each meeting every
# 8 weeks, 12 listed (two years back, one ahead), minutes posted 10 days after the meeting.
SHAPES: dict[str, dict[str, int]] = {
    "old": {
        "committees": 2,
        "meetings": 2,
        "every": 9,
        "ahead": 0,
        "minutes_after": 0,
        "stagger": 0,
    },
    "real": {
        "committees": 16,
        "meetings": 12,
        "every": 56,
        "ahead": 1,
        "minutes_after": 10,
        "stagger": 1,
    },
}


def meeting_day(shape: dict[str, int], committee: int, m: int) -> datetime:
    """Meeting `m` of `committee` (1 the newest; the first `ahead` are still to come), on a
    day of its own when the shape staggers committees."""
    stagger = (committee * 3) % shape["every"] if shape["stagger"] else 0
    return (NOW - timedelta(days=(m - shape["ahead"]) * shape["every"] - stagger)).replace(hour=19)


def kind_of(path: str) -> str:
    """What a request was for, for the breakdown."""
    name = path.split("?")[0]
    if name == "/robots.txt":
        return "robots"
    if name.endswith("rss.xml"):
        return "feed"
    if "/news/" in name:
        return "article"
    if "/documents/" in name:
        return "mg pdf"
    for page, kind in (
        ("mgListCommittees", "mg committees"),
        ("ieListMeetings", "mg meeting list"),
        ("mgCalendarMonthView", "mg calendar"),
        ("ieListDocuments", "mg meeting page"),
        ("mgWebService", "mg web service"),
    ):
        if page in name:
            return kind
    return "other"


class SyntheticWeb:
    def __init__(self, shape: str = "old") -> None:
        self.shape = SHAPES[shape]
        self.requests: Counter[str] = Counter()  # kind of page -> requests (any status)
        self.not_modified: Counter[str] = Counter()  # kind -> 304s among them
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
            self.not_modified.clear()
            self.bytes = 0

    def meetings(self) -> list[tuple[int, int, datetime]]:
        """(committee, meeting id, day) of every meeting of a site."""
        shape = self.shape
        return [
            (c, c * 100 + m, meeting_day(shape, c, m))
            for c in range(1, shape["committees"] + 1)
            for m in range(1, shape["meetings"] + 1)
        ]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def count(self, status: int, size: int) -> None:
                kind = kind_of(self.path)
                with web.lock:
                    web.requests[kind] += 1
                    web.not_modified[kind] += status == 304
                    web.bytes += size

            def reply(self, body: bytes, ctype: str, etag: str | None = None) -> None:
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return self.count(304, 0)
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)
                return self.count(200, len(body))

            def missing(self) -> None:
                self.send_error(404)
                self.count(404, 0)

            def do_GET(self) -> None:  # noqa: N802
                host = f"http://{self.headers['Host']}"
                parts = self.path.split("/")
                if self.path == "/robots.txt":
                    return self.reply(b"User-agent: *\nDisallow:\n", "text/plain")
                if len(parts) < 4 or parts[1] != "c":
                    return self.missing()
                code, rest = parts[2], "/".join(parts[3:])
                if rest == "news/rss.xml":
                    return self.reply(feed(host, code), "application/rss+xml", etag=f'"{code}"')
                if rest.startswith("news/"):
                    n = int(rest.split("/")[1].split(".")[0])
                    if n % 5 in (3, 4):  # some entries have no page: summary only
                        return self.missing()
                    return self.reply(article(code, n), "text/html")
                if not rest.startswith("democracy/"):
                    return self.missing()
                return self.democracy(code, rest.removeprefix("democracy/"))

            def democracy(self, code: str, page: str) -> None:
                """The ModernGov site, in the markup the parsers read on real pages: no
                ETag or Last-Modified (no public evidence that real ModernGov sends them)."""
                html = "text/html; charset=utf-8"
                meetings = web.meetings()
                if page.startswith("mgListCommittees.aspx"):
                    links = "".join(
                        f'<a href="mgCommitteeDetails.aspx?ID={c}">Committee {c}</a>'
                        for c in range(1, web.shape["committees"] + 1)
                    )
                    return self.reply(f"<html><body>{links}</body></html>".encode(), html)
                if page.startswith("ieListMeetings.aspx"):
                    cid = int(page.split("=")[-1])
                    links = "".join(
                        f'<li><a href="ieListDocuments.aspx?CId={c}&amp;MId={mid}&amp;Ver=4">'
                        f"{day:%d %b %Y} 7.00 pm</a></li>"
                        for c, mid, day in meetings
                        if c == cid
                    )
                    return self.reply(f"<html><body><ul>{links}</ul></body></html>".encode(), html)
                if page.startswith("mgCalendarMonthView.aspx"):
                    query = parse_qs(urlsplit(page).query)
                    month = int(query.get("M", [NOW.month])[0])
                    year = int(query.get("DD", [NOW.year])[0])
                    links = "".join(
                        f'<a class="mgCalendarCellTxt" title="Committee {c}, '
                        f'{day:%d/%m/%Y} 7.00 pm" '
                        f'href="ieListDocuments.aspx?CId={c}&amp;MId={mid}&amp;Ver=4">'
                        f"Committee {c}</a>"
                        for c, mid, day in meetings
                        if (day.month, day.year) == (month, year)
                    )
                    return self.reply(f"<html><body>{links}</body></html>".encode(), html)
                if page.startswith("ieListDocuments.aspx"):
                    mid = int(page.split("MId=")[1].split("&")[0])
                    day = next(d for _, m, d in meetings if m == mid)
                    published = NOW - day >= timedelta(days=web.shape["minutes_after"])
                    link = (
                        f'<a href="documents/g{mid}/Printed%20minutes.pdf?T=1">'
                        "Printed minutes PDF 9 KB</a>"
                        if published
                        else ""
                    )
                    body = (
                        f'<html><body><h2 class="mgSubTitleTxt">Committee - '
                        f"{day:%A %d %B %Y} 7.00 pm</h2>{link}</body></html>"
                    )
                    return self.reply(body.encode(), html)
                if page.startswith("documents/"):
                    return self.reply(minutes_pdf(f"{code} {page}"), "application/pdf")
                return self.missing()

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


# A crawl as `radar crawl` runs it, in its own process, on the clock `days` after the first
# (time-machine moves the crawl's wall clock; Scrapy's timers run on the monotonic one).
CRAWL_AT = (
    "import sys, time_machine\n"
    "from datetime import datetime\n"
    "from radar.cli import main\n"
    "when = datetime.fromisoformat(sys.argv[1])\n"
    "sys.argv = ['radar', 'crawl', '--quiet', '-w', sys.argv[2]]\n"
    "with time_machine.travel(when, tick=True):\n"
    "    main()\n"
)


def crawl(watchlist: Path, days: float = 0) -> float:
    """One crawl, `days` after the first (0: now, on the machine's clock)."""
    started = time.perf_counter()
    if days:
        when = (datetime.now(UTC) + timedelta(days=days)).isoformat()
        command = [sys.executable, "-c", CRAWL_AT, when, str(watchlist)]
    else:
        command = [sys.executable, "-m", "radar.cli", "crawl", "--quiet", "-w", str(watchlist)]
    subprocess.run(command, check=True, cwd=ROOT)
    return time.perf_counter() - started


KINDS = (
    "robots", "feed", "article", "mg committees", "mg meeting list", "mg calendar",
    "mg meeting page", "mg pdf", "mg web service", "other",
)  # fmt: skip


def breakdown(first: Counter[str], later: list[tuple[str, Counter[str], Counter[str]]]) -> None:
    """Requests by kind of page: the first crawl's, and each later crawl's (304s in brackets)."""
    header = f"{'kind':<16} {'first':>7}" + "".join(f" {name:>13}" for name, _, _ in later)
    print(header)
    for kind in KINDS:
        if not first[kind] and not any(counts[kind] for _, counts, _ in later):
            continue
        cells = "".join(
            f" {counts[kind]:>7} ({not_modified[kind]:>3})" for _, counts, not_modified in later
        )
        print(f"{kind:<16} {first[kind]:>7}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--councils", type=int, default=317)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="old")
    parser.add_argument(
        "--days",
        default="0,1",
        help="when the later crawls run, in days after the first (0: straight after it)",
    )
    args = parser.parse_args()
    days = [float(d) for d in args.days.split(",") if d.strip()]
    councils = load_england_register()[: args.councils]
    web = SyntheticWeb(args.shape)
    log = record_requests(web)  # bare-Scrapy anchor (bench/bare_scrapy.py)
    web.start()
    later: list[tuple[str, Counter[str], Counter[str]]] = []
    later_totals: list[tuple[float, int, int, float]] = []
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
        first = Counter(web.requests)
        first_requests, first_bytes = sum(first.values()), web.bytes
        ours_urls = log.take()  # bare-Scrapy anchor: the same URLs, without us
        bare_time, bare_urls = run_bare(ours_urls, watchlist), log.take()
        import sqlite3

        from store.audit import count_rows

        items = count_rows(sqlite3.connect(f"{folder}/radar.db"), "items")
        for day in days:
            web.reset()
            took = crawl(watchlist, day)
            name = f"+{day:g} day" + ("s" if day != 1 else "")
            later.append((name, Counter(web.requests), Counter(web.not_modified)))
            later_totals.append((day, sum(web.requests.values()), web.bytes, took))
    web.stop()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"councils: {len(councils)} on {len(HOSTS)} loopback hosts, shape {args.shape!r}")
    print(
        f"first crawl:  {first_requests} requests, {first_bytes / 1e6:.1f} MB, "
        f"{items} items in {first_time:.1f}s"
    )
    print(
        f"              {first_requests / first_time:.0f} pages/s, {items / first_time:.0f} items/s"
    )
    for day, requests, size, took in later_totals:
        print(
            f"crawl +{day:g}d:    {requests} requests ({requests / first_requests:.1%} of the "
            f"first's), {size / 1e6:.2f} MB ({size / first_bytes:.1%}) in {took:.1f}s"
        )
    print("requests by kind (every status counted; 304s in brackets):")
    breakdown(first, later)
    print(f"peak RSS of a crawl process: {peak:.0f} MiB")
    print_anchor(ours_urls, first_time, bare_urls, bare_time)  # bare-Scrapy anchor


if __name__ == "__main__":
    main()
