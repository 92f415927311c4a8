"""A synthetic council web that changes over time and misbehaves, for bench/soak.py.

It is bench/crawl.py's `SyntheticWeb` (a news feed and a ModernGov-shaped democracy site per
council, over 16 loopback addresses) with three differences:

- the web grows: every council's feed starts with a few entries and `publish()` adds new ones
  (a small share announcing a section 114 notice, so acute alerts are raised and mailed); the
  feed lists the latest 10, with an ETag that changes when it does;
- every meeting has its own minutes PDF (bench/crawl.py serves one PDF for all, which
  de-duplication stores once);
- every request (but robots.txt) may fail, drawn from an RNG seeded by the seed, the path and
  how many times that path was asked for: HTTP 500 or 503, a timeout (the server sleeps past
  the crawler's download timeout and closes), or a malformed document of the requested kind
  (a feed cut off half-way or an HTML error page served as the feed, a truncated PDF, random
  bytes as an HTML page).

The web keeps the ground truth the soak compares the store with: every article and minutes
URL it published, every answer it gave on every path, which articles an intact feed offered
(and when), and every 304 it answered to an ETag it had only ever sent with a broken feed.

Not run on its own: bench/soak.py starts it.
"""

from __future__ import annotations

import io
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from bench.crawl import SyntheticWeb
from domain.config import Council

FEED_LENGTH = 10  # entries a feed lists, newest first
MEETINGS = [f"{committee}{meeting}" for committee in (1, 2) for meeting in (1, 2)]  # MId values
TOPICS = (
    "bin collections change over the bank holiday weekend",
    "roadworks on the high street will close one lane",
    "residents are invited to comment on the draft local plan",
    "the library will host a summer reading challenge",
    "councillors approved new play equipment for the park",
    "a consultation on parking charges opens next month",
    "the leisure centre pool reopens after repairs",
    "a new cycle route links the station and the town centre",
)
MALFORMED = {
    "feed": "broken feed",
    "pdf": "truncated pdf",
    "article": "html garbage",
    "page": "html garbage",
}
FAULT_KINDS = ("http 500", "http 503", "timeout", "broken feed", "truncated pdf", "html garbage")
_MEETING_ID = re.compile(r"MId=(\d+)")
_DOCUMENT_ID = re.compile(r"documents/g(\d+)/")


@dataclass(frozen=True)
class FaultRates:
    errors: float = 0.05  # HTTP 500 or 503, half each
    timeouts: float = 0.01
    malformed: float = 0.01


@dataclass
class Article:
    council: Council
    number: int
    path: str
    url: str
    published: datetime
    adverse: bool

    @property
    def title(self) -> str:
        if self.adverse:
            return f"{self.council.official_name} issues section 114 notice"
        return f"{self.council.name} news {self.number}: {TOPICS[self.number % len(TOPICS)]}"


@dataclass
class Answer:
    at: float  # time.time() when answered
    outcome: str  # "ok", "304", or one of FAULT_KINDS


def article_html(article: Article) -> bytes:
    name, topic = article.council.name, TOPICS[article.number % len(TOPICS)]
    paragraphs = [
        f"{name} Council said today that {topic}; this is announcement {article.number} of "
        f"{article.council.official_name}, number {p} of its notes on the matter."
        for p in range(10)
    ]
    if article.adverse:
        paragraphs.insert(
            0,
            f"The chief finance officer of {article.council.official_name} has issued a section "
            "114 notice after a forecast overspend, and all non-essential spending is frozen.",
        )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{article.title}</title></head><body><nav>Home News Contact</nav>"
        f"<main><article><h1>{article.title}</h1>{body}</article></main>"
        "<footer>Copyright</footer></body></html>"
    ).encode()


def meeting_minutes_pdf(council: Council, meeting: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.drawString(50, 800, f"{council.official_name}: minutes of meeting {meeting}")
    for line in range(30):
        topic = TOPICS[(line + int(meeting)) % len(TOPICS)]
        page.drawString(50, 780 - line * 18, f"Minute {meeting}.{line}: noted that {topic}.")
    page.showPage()
    page.save()
    return buffer.getvalue()


class FaultyWeb(SyntheticWeb):
    """`SyntheticWeb` that grows with `publish()` and fails some requests (see the module)."""

    def __init__(
        self,
        councils: list[Council],
        rates: FaultRates,
        seed: int,
        timeout_seconds: float,
        initial_entries: int = 3,
        adverse_share: float = 0.02,
    ) -> None:
        super().__init__()
        self.councils = {c.gss_code: c for c in councils}
        self.bases = {c.gss_code: self.base(i) for i, c in enumerate(councils)}
        self.rates, self.seed, self.sleep = rates, seed, timeout_seconds + 2
        self.adverse_share = adverse_share
        self.rng = random.Random(seed)
        self.tries: Counter[str] = Counter()  # path -> requests so far (seeds its fault draw)
        self.answers: dict[str, list[Answer]] = defaultdict(list)
        self.injected: Counter[str] = Counter()
        self.articles: dict[str, list[Article]] = {code: [] for code in self.councils}
        self.offered: dict[str, float] = {}  # article url -> first time an intact feed listed it
        self.delivered_etags: dict[str, set[str]] = defaultdict(set)
        self.hidden_304: Counter[str] = Counter()  # council -> 304s to a broken feed's ETag
        self.broken_feeds: Counter[str] = Counter()  # "cut off" / "html error page" answers
        self.pdfs: dict[tuple[str, str], bytes] = {}
        self.frozen = False
        start = datetime.now(UTC)
        for code in self.councils:
            for hours in range(initial_entries, 0, -1):
                self._add(code, start - timedelta(hours=hours))

    # -- the web's content -------------------------------------------------------------------

    def _add(self, code: str, published: datetime) -> Article:
        number = len(self.articles[code])
        path = f"/c/{code}/news/s{number}.html"
        article = Article(
            council=self.councils[code],
            number=number,
            path=path,
            url=self.bases[code] + path,
            published=published,
            adverse=self.rng.random() < self.adverse_share,
        )
        self.articles[code].append(article)
        return article

    def publish(self, count: int) -> list[Article]:
        """Add `count` new entries to the feeds of councils chosen at random (none once frozen)."""
        with self.lock:
            if self.frozen:
                return []
            now = datetime.now(UTC)
            codes = list(self.councils)
            return [self._add(self.rng.choice(codes), now) for _ in range(count)]

    def freeze(self) -> None:
        with self.lock:
            self.frozen = True

    def all_articles(self) -> list[Article]:
        with self.lock:
            return [a for articles in self.articles.values() for a in articles]

    def minutes(self) -> dict[str, tuple[str, str]]:
        """Every minutes PDF the democracy sites list: path -> (council, meeting id)."""
        return {
            f"/c/{code}/democracy/documents/g{mid}/Printed%20minutes.pdf?T=1": (code, mid)
            for code in self.councils
            for mid in MEETINGS
        }

    def feed(self, code: str) -> tuple[bytes, str, list[Article]]:
        with self.lock:
            entries = list(reversed(self.articles[code][-FEED_LENGTH:]))
            etag = f'"{code}-{len(self.articles[code])}"'
        items = "".join(
            f"<item><title>{a.title}</title><link>{a.url}</link>"
            f"<description>Summary of {a.title}.</description>"
            f"<pubDate>{format_datetime(a.published)}</pubDate></item>"
            for a in entries
        )
        body = f'<rss version="2.0"><channel><title>{code}</title>{items}</channel></rss>'
        return body.encode(), etag, entries

    def article(self, code: str, path: str) -> Article | None:
        match = re.fullmatch(rf"/c/{re.escape(code)}/news/s(\d+)\.html", path)
        with self.lock:
            articles = self.articles.get(code, [])
            if match and int(match[1]) < len(articles):
                return articles[int(match[1])]
        return None

    def minutes_pdf(self, code: str, path: str) -> bytes | None:
        match = _DOCUMENT_ID.search(path)
        if code not in self.councils or not match or match[1] not in MEETINGS:
            return None
        key = (code, match[1])
        if key not in self.pdfs:
            self.pdfs[key] = meeting_minutes_pdf(self.councils[code], match[1])
        return self.pdfs[key]

    # -- faults and the record of answers ------------------------------------------------------

    def draw_fault(self, path: str, kind: str) -> tuple[str | None, random.Random]:
        """The fault (or None) for this request: the same seed, path and try give the same."""
        with self.lock:
            attempt = self.tries[path]
            self.tries[path] += 1
        rng = random.Random(f"{self.seed}:{path}:{attempt}")
        draw, rates = rng.random(), self.rates
        if draw < rates.errors / 2:
            return "http 500", rng
        if draw < rates.errors:
            return "http 503", rng
        if draw < rates.errors + rates.timeouts:
            return "timeout", rng
        if draw < rates.errors + rates.timeouts + rates.malformed:
            return MALFORMED[kind], rng
        return None, rng

    def record(self, path: str, outcome: str) -> None:
        with self.lock:
            self.answers[path].append(Answer(time.time(), outcome))
            if outcome not in ("ok", "304"):
                self.injected[outcome] += 1

    def feed_answered(self, code: str, etag: str, entries: list[Article], outcome: str) -> None:
        """What a crawl could learn from this answer: an intact feed offers its entries; a 304
        to an ETag never sent with an intact body hides the entries behind it."""
        with self.lock:
            if outcome == "ok":
                self.delivered_etags[code].add(etag)
                now = time.time()
                for article in entries:
                    self.offered.setdefault(article.url, now)
            elif outcome == "304" and etag not in self.delivered_etags[code]:
                self.hidden_304[code] += 1

    def mangle(self, fault: str, body: bytes, rng: random.Random) -> bytes:
        if fault == "truncated pdf":
            return body[: len(body) // 2]
        if fault == "broken feed":
            cut = rng.random() < 0.5
            with self.lock:
                self.broken_feeds["cut off" if cut else "html error page"] += 1
            if cut:
                return body[: int(len(body) * rng.uniform(0.3, 0.7))]  # cut off mid-document
            return b"<html><body><h1>Service unavailable</h1><p>Try later.</p></body></html>"
        return rng.randbytes(1500)  # html garbage

    def handler(self) -> type[BaseHTTPRequestHandler]:
        web = self
        base: Any = super().handler()

        class FaultyHandler(base):  # type: ignore[misc, valid-type]
            fault: str | None = None
            rng: random.Random | None = None

            def answer(self, body: bytes, ctype: str, etag: str | None = None) -> str:
                """Send `body` (or its malformed form, or a 304); return the outcome."""
                if self.fault:
                    body = web.mangle(self.fault, body, self.rng or random.Random())
                    self.send_response(200)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    if etag:  # a broken body with the real document's validators
                        self.send_header("ETag", etag)
                    self.end_headers()
                    self.wfile.write(body)
                    outcome = self.fault
                else:
                    not_modified = bool(etag) and self.headers.get("If-None-Match") == etag
                    base.reply(self, body, ctype, etag)
                    outcome = "304" if not_modified else "ok"
                web.record(self.path.split("#")[0], outcome)
                return outcome

            def reply(self, body: bytes, ctype: str, etag: str | None = None) -> None:
                self.answer(body, ctype, etag)  # bench/crawl.py's pages come through here

            def do_GET(self) -> None:  # noqa: N802
                path = self.path
                parts = path.split("/")
                if path == "/robots.txt" or len(parts) < 4 or parts[1] != "c":
                    return base.do_GET(self)
                code, rest = parts[2], "/".join(parts[3:])
                kind = (
                    "feed"
                    if rest == "news/rss.xml"
                    else "article"
                    if rest.startswith("news/")
                    else "pdf"
                    if rest.startswith("democracy/documents/")
                    else "page"
                )
                self.fault, self.rng = web.draw_fault(path, kind)
                if self.fault in ("http 500", "http 503"):
                    web.record(path, self.fault)
                    self.send_error(int(self.fault.split()[1]))
                    return None
                if self.fault == "timeout":
                    web.record(path, self.fault)
                    time.sleep(web.sleep)  # the crawler has given up by now
                    self.close_connection = True
                    return None
                if kind == "feed" and code in web.councils:
                    body, etag, entries = web.feed(code)
                    outcome = self.answer(body, "application/rss+xml", etag)
                    web.feed_answered(code, etag, entries, outcome)
                    return None
                if kind == "article":
                    article = web.article(code, path)
                    if article is None:
                        self.send_error(404)
                        return None
                    self.answer(article_html(article), "text/html; charset=utf-8")
                    return None
                if kind == "pdf":
                    pdf = web.minutes_pdf(code, path)
                    if pdf is None:
                        self.send_error(404)
                        return None
                    self.answer(pdf, "application/pdf")
                    return None
                if rest.startswith("democracy/mgCalendarMonthView.aspx"):
                    self.answer(b"<html><body><table></table></body></html>", "text/html")
                    return None
                return base.do_GET(self)  # committees, meetings and meeting pages

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler gave up on a slow answer

        return FaultyHandler


def meeting_of(path: str) -> str | None:
    """The meeting id (MId) a meeting page's path asks for."""
    match = _MEETING_ID.search(path) if "ieListDocuments.aspx" in path else None
    return match[1] if match else None
