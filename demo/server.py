"""Serve the recorded demo web from 127.0.0.1, as `make demo` and the tests crawl it.

The files under `demo/site/` are written once; to keep the demo's news "this week" whenever it
runs, text files carry date placeholders that are filled in relative to the moment of serving:

- `@BASE@` / `@BASE_Q@`: the server's base URL, plain or percent-encoded for a query parameter.
- `@RECENT:N:FMT@`: about N hours ago, but never before this ISO week's Monday.
- `@OLD:N:FMT@`: N days before this ISO week's Monday (09:00 UTC).
- FMT: `rfc` (RSS), `iso` (Atom), `human` ("24 November 2026"), `mg` (ModernGov lists),
  `short` ("24 Nov 2026", CMIS), `calday` ("Tuesday, 24 November": CMIS month calendars).

URLs map to files: the path is percent-decoded; a URL with a query is served from the file
`<path>@<query>` when it exists (how ModernGov's `ieListMeetings.aspx?CommitteeId=1` pages are
recorded), else from `<path>`. A CMIS month calendar (`…/Date/2026-11-01/Default.aspx`) is
served from `…/Date/any-month/Default.aspx`, keeping only the rows whose `data-demo-date`
falls in the month asked for, so the placeholders' moving dates land in the right month.
`/alerts/url?...&url=<target>` is a redirect wrapper like an e-alert service's. Every request
is logged so tests can check what a crawl fetched.
"""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

SITE_ROOT = Path(__file__).resolve().parent / "site"
WATCHLIST = Path(__file__).resolve().parent / "watchlist.yaml"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".aspx": "text/html; charset=utf-8",
    ".xml": "application/rss+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".asmx-xml": "text/xml; charset=utf-8",
}
TEXT_SUFFIXES = {".html", ".aspx", ".xml", ".rss", ".atom", ".txt", ".asmx-xml"}
_PLACEHOLDER = re.compile(r"@(RECENT|OLD):(\d+):(rfc|iso|human|mg|short|calday)@")
_MONTH_IN_PATH = re.compile(r"/Date/(\d{4}-\d{2})-\d{2}/")
_DATED_ROW = re.compile(r"<tr\b[^>]*\bdata-demo-date=\"(\d{4}-\d{2})[^\"]*\".*?</tr>\s*", re.DOTALL)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week containing `now`."""
    monday = now - timedelta(days=now.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def placeholder_date(kind: str, amount: int, now: datetime) -> datetime:
    monday = week_start(now)
    if kind == "RECENT":
        # Keep "this week" stories inside this ISO week, in the order their N gives.
        return max(now - timedelta(hours=amount), monday + timedelta(minutes=150 - amount))
    return monday + timedelta(hours=9) - timedelta(days=amount)


def format_date(moment: datetime, fmt: str) -> str:
    if fmt == "rfc":
        return format_datetime(moment)
    if fmt == "iso":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "human":
        return f"{moment.day} {moment:%B %Y}"
    if fmt == "short":
        return f"{moment.day} {moment:%b %Y}"
    if fmt == "calday":
        return f"{moment:%A}, {moment.day} {moment:%B}"
    hour = moment.hour % 12 or 12
    return f"{moment.day} {moment:%b %Y} {hour}.{moment:%M} {'pm' if moment.hour >= 12 else 'am'}"


def render(text: str, base_url: str, now: datetime) -> str:
    """Fill in a recorded text file's placeholders for a server at `base_url` at time `now`."""
    text = text.replace("@BASE_Q@", quote(base_url, safe="")).replace("@BASE@", base_url)
    return _PLACEHOLDER.sub(
        lambda m: format_date(placeholder_date(m[1], int(m[2]), now), m[3]), text
    )


def month_rows(text: str, month: str) -> str:
    """A rendered month calendar with only the rows dated in `month` (YYYY-MM)."""
    return _DATED_ROW.sub(lambda row: row[0] if row[1] == month else "", text)


class LoopbackServer:
    """A threaded HTTP server for `handler` on 127.0.0.1 (any free port unless one is asked
    for): the demo web's, and every recorded web the tests serve. Use as a context manager
    or start()/stop()."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], port: int = 0, host: str = "127.0.0.1"
    ) -> None:
        # `host`: another loopback address (127.0.0.2) is another host to the crawler, with
        # its own politeness slot, as two councils' servers would be.
        self.host = host
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def crawl_allowance(self) -> str:
        """The `crawl.allow_private` entry that opens this server, and nothing else on
        loopback, to the crawler (which refuses loopback addresses otherwise)."""
        return f"{self.host}:{self.port}"

    def start(self) -> LoopbackServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def reply(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, **headers: str
) -> None:
    """Answer a request whole: status, Content-Type and Content-Length, any other headers."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


class DemoWeb(LoopbackServer):
    """The demo web: the recorded council sites under `root`, with their dates moved to now."""

    def __init__(self, port: int = 0, root: Path = SITE_ROOT, now: datetime | None = None):
        self.root = root
        self.fixed_now = now
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._held: dict[str, threading.Event] = {}  # path -> released
        super().__init__(self._handler_class(), port)

    def now(self) -> datetime:
        """Dates move on the hour, so a page's content (and its ETag) holds within the hour."""
        return self.fixed_now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    def start(self) -> DemoWeb:
        super().start()
        return self

    def __enter__(self) -> DemoWeb:
        return self.start()

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def hold(self, path: str) -> None:
        """Leave requests for `path` unanswered until `release()`: a test then knows a crawl
        cannot finish, and stops it at a point it chooses, not after a guessed delay."""
        with self._lock:
            self._held.setdefault(path, threading.Event())

    def release(self) -> None:
        """Answer every held request, and hold nothing more."""
        with self._lock:
            held, self._held = self._held, {}
        for released in held.values():
            released.set()

    def resolve(self, raw_path: str) -> Path | None:
        parts = urlsplit(raw_path)
        path = _MONTH_IN_PATH.sub("/Date/any-month/", unquote(parts.path)).lstrip("/")
        candidates = [f"{path}@{unquote(parts.query)}"] if parts.query else []
        candidates.append(path)
        for candidate in candidates:
            target = (self.root / candidate).resolve()
            if target.is_relative_to(self.root) and target.is_file():
                return target
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "DemoWeb/1.0"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                with web._lock:
                    web.requests.append(self.path)
                    held = web._held.get(unquote(urlsplit(self.path).path))
                if held is not None:
                    held.wait()
                parts = urlsplit(self.path)
                if parts.path == "/alerts/url":
                    target = parse_qs(parts.query).get("url", [""])[0]
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                file = web.resolve(self.path)
                if file is None:
                    self.send_error(404, "Not Found")
                    return
                suffix = Path(unquote(parts.path)).suffix.lower()
                if "/mgWebService.asmx/" in parts.path:
                    suffix = ".asmx-xml"  # ModernGov's web service answers GETs with XML
                body = file.read_bytes()
                if suffix in TEXT_SUFFIXES:
                    text = render(body.decode("utf-8"), web.base_url, web.now())
                    if month := _MONTH_IN_PATH.search(unquote(parts.path)):
                        text = month_rows(text, month[1])
                    body = text.encode("utf-8")
                self.send_validated(body, CONTENT_TYPES.get(suffix, "application/octet-stream"))

            def send_validated(self, body: bytes, content_type: str) -> None:
                """200 with ETag and Last-Modified, or 304 when the client's copy is current."""
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                modified = format_datetime(web.now(), usegmt=True)
                if_none_match = self.headers.get("If-None-Match")
                if if_none_match == etag or (
                    not if_none_match and self.headers.get("If-Modified-Since") == modified
                ):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

        return Handler
