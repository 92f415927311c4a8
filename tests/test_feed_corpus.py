"""Every document of the feedparser corpus through a real `radar crawl`, served from loopback.

About 2,100 real-world-shaped feeds (well-formed, ill-formed, oddly encoded, entity-laden and
hostile) are each one source of a single watch list. The reader must turn each into items, a
recorded readable error or a valid empty result, never a crash; and the hostile HTML of
`wellformed/sanitize/` must reach an adviser's digest only as escaped text.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import unicodedata
from collections import Counter
from datetime import date
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from conftest import rows
from markupsafe import escape

from alerts.digest import CouncilOnRadar, Digest, Evidence
from alerts.render import render_digest
from pipelines.normalise import clean_text, clean_title

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "feedparser"
TEMPLATES = Path(__file__).resolve().parents[1] / "alerts" / "templates"
# feedparser's own test server sends the headers a document names in its comment header
# ("Header:  Content-type: text/plain") and guesses the type of the rest from the name.
DECLARED_HEADER = re.compile(rb"^Header:\s+([^:\s]+):(.*)$", re.MULTILINE)
DEFAULT_TYPE = "application/xml"

# `radar crawl` exactly as a user runs it, plus a log handler: Scrapy reports an exception in
# an item pipeline only in its log (the item is dropped), and `radar crawl` shows no log.
RADAR_CRAWL_WITH_LOG = [
    sys.executable,
    "-c",
    "import logging, sys\n"
    "handler = logging.StreamHandler(sys.stderr)\n"
    "handler.setLevel(logging.ERROR)\n"
    "handler.setFormatter(logging.Formatter('LOG %(levelname)s %(name)s: %(message)s'))\n"
    "logging.getLogger().addHandler(handler)\n"
    "from radar.cli import main\n"
    "main()\n",
    "crawl",
]
LOG_RECORD = re.compile(r"^LOG (\w+) (\S+): ", re.MULTILINE)
# Errors Scrapy logs for a page it could not reach: entries link to hosts this machine cannot
# resolve. Anything else logged as an error is a bug.
NETWORK_FAILURE = re.compile(r"DNS lookup failed|Connection (?:was )?refused|timed? ?out")
# What a crash looks like where a source's errors are recorded (crawlers/base.py:
# "<url>: <ExceptionType>: message"): the name of a Python exception, not words.
PYTHON_EXCEPTION = re.compile(
    r"(?:^|[\s(:])(?:[a-z_]+\.)*(?:[A-Z]\w*(?:Error|Exception)|KeyboardInterrupt|"
    r"StopIteration|GeneratorExit|SystemExit|Traceback)\b"
)
# Failures of the network, which a source's error names by their type (crawlers/base.py
# describe_failure): not crashes. None is expected from loopback, but a slow machine may
# time out.
NETWORK_ERROR_NAMES = ("TimeoutError", "DNSLookupError", "CannotResolveHostError")
# Elements a scraped string must never become in an adviser's mail client.
DANGEROUS_ELEMENT = re.compile(
    r"<\s*/?\s*(?:script|iframe|object|embed|style|meta|link|applet|form|frame|frameset|"
    r"base|svg|math|img|input|button|textarea|video|audio|source|blink|marquee|xml|"
    r"param|bgsound|layer|ilayer|isindex)\b",
    re.IGNORECASE,
)
UNSAFE_ATTRIBUTE_VALUE = re.compile(
    r"^\s*(?:javascript|vbscript|data|livescript):|expression\s*\(", re.IGNORECASE
)


def declared_headers(body: bytes) -> dict[str, str]:
    """The HTTP headers a corpus document asks to be served with (its `Header:` lines)."""
    headers = {}
    for name, value in DECLARED_HEADER.findall(body):
        headers[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    return headers


class CorpusHandler(SimpleHTTPRequestHandler):
    """Serves the corpus as files, each with the Content-Type and headers it declares."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/robots.txt":
            return self._send(404, b"", "text/plain", {})
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            return self._send(404, b"Not found", "text/plain", {})
        body = path.read_bytes()
        headers = declared_headers(body)
        content_type = headers.pop("content-type", DEFAULT_TYPE)
        return self._send(200, body, content_type, headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            if value and name not in ("content-length", "status"):
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def serve(directory: Path, handler: type[SimpleHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(directory)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def crawl_logging_errors(watchlist: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*RADAR_CRAWL_WITH_LOG, "--quiet", "--watchlist", str(watchlist)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def unexpected_log_errors(stderr: str) -> list[str]:
    """Error records and tracebacks in a crawl's stderr that are not an unreachable page."""
    problems = []
    starts = [m.start() for m in LOG_RECORD.finditer(stderr)]
    if "Traceback" in stderr[: starts[0] if starts else len(stderr)]:
        problems.append(stderr[:2000])  # the CLI itself died
    if not starts:
        return problems
    for begin, end in zip(starts, [*starts[1:], len(stderr)], strict=True):
        record = stderr[begin:end]
        match = LOG_RECORD.match(record)
        assert match is not None
        network = match[2].startswith("scrapy.downloadermiddlewares.") and NETWORK_FAILURE.search(
            record.splitlines()[0]
        )
        if not network:
            problems.append(record[:2000])
    return problems


def crash_in(message: str | None) -> bool:
    """Does a recorded error read like a Python exception rather than words?"""
    if not message:
        return False
    for name in NETWORK_ERROR_NAMES:
        message = message.replace(name, "")
    return bool(PYTHON_EXCEPTION.search(message))


def hidden_characters(text: str) -> set[str]:
    """Characters a reader cannot see but a screen obeys: controls other than newline and
    tab, format characters (bidi, zero-width) other than the joiners scripts need, halves
    of surrogate pairs."""
    return {
        char
        for char in set(text)
        if (unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t")
        or (unicodedata.category(char) == "Cf" and char not in "\u200c\u200d")
    }


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: Counter[str] = Counter()
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements[tag] += 1
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    handle_startendtag = handle_starttag


def markup_of(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser


def template_markup(template: str) -> tuple[Counter[str], set[str]]:
    """The elements (with their most frequent count per document bounded by the template)
    and attribute names a template writes itself, with the frame it extends (`_mail.html`):
    anything else came from scraped text."""
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    extended = re.match(r'\{% extends "([^"]+)" %\}', source)
    if extended:
        source = (TEMPLATES / extended.group(1)).read_text(encoding="utf-8") + source
    elements = Counter(m.lower() for m in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", source))
    attributes = {m.lower() for m in re.findall(r"\s([a-zA-Z-]+)=[\"{]", source)}
    return elements, attributes


def markup_problems(html: str, template: str) -> list[str]:
    """Markup in a rendered email that its template did not write: scraped text that became
    an element, an attribute, an event handler or a script URL instead of escaped text."""
    # <meta> and <style> are the template's own (viewport, the phone layout), as many as it
    # writes; one more came from scraped text
    own = ("<meta", "<style", "</style")
    problems = [m[0] for m in DANGEROUS_ELEMENT.finditer(html) if m[0].lower() not in own]
    found = markup_of(html)
    written, attribute_names = template_markup(template)
    problems += [f"<{tag}> is not in {template}" for tag in found.elements if tag not in written]
    for tag in ("meta", "style"):
        if found.elements[tag] > written[tag]:
            problems.append(f"a <{tag}> element came from scraped text")
    for tag, name, value in found.attributes:
        if name.startswith("on") or name not in attribute_names:
            problems.append(f"<{tag} {name}={value!r}> is not an attribute {template} writes")
        if UNSAFE_ATTRIBUTE_VALUE.search(value):
            problems.append(f"<{tag} {name}={value!r}>")
        if name == "href" and not value.startswith(("http://", "https://")):
            problems.append(f"<{tag} href={value!r}> is not an http(s) link")
    return problems


@pytest.fixture(scope="module")
def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"the feedparser corpus is not at {CORPUS} (CI has it in shared/corpora)")
    return sorted(p for p in CORPUS.rglob("*.xml") if p.is_file())


@pytest.fixture(scope="module")
def corpus_web(corpus_files):
    server = serve(CORPUS, CorpusHandler)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def corpus_url(base_url: str, path: Path) -> str:
    return f"{base_url}/{path.relative_to(CORPUS).as_posix()}"


@pytest.fixture(scope="module")
def corpus_crawl(tmp_path_factory, corpus_files, corpus_web) -> dict[str, Any]:
    """One `radar crawl` of a watch list whose sources are every corpus document."""
    folder = tmp_path_factory.mktemp("corpus")
    sources = [
        {"kind": "feed", "origin": "media", "name": str(p.relative_to(CORPUS)),
         "url": corpus_url(corpus_web, p)}
        for p in corpus_files
    ]  # fmt: skip
    watchlist = folder / "watchlist.yaml"
    data = {
        "database": str(folder / "radar.db"),
        "output_dir": str(folder),
        "sources": sources,
        "crawl": {
            "allow_private": ["127.0.0.1"],
            "autothrottle": False,
            "concurrency": 32,
            "concurrency_per_domain": 8,
            # Entries link to hosts this machine cannot resolve: one try each, and no
            # slowing the domain down for a retry that will not come.
            "retries": 0,
            "backoff_seconds": 0,
            "download_timeout": 10,
        },
    }
    watchlist.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = crawl_logging_errors(watchlist)
    db_path = folder / "radar.db"
    return {
        "result": result,
        "db_path": db_path,
        "sources": {row["name"]: row for row in rows(db_path, "select * from sources")},
        "files": corpus_files,
    }


def test_the_corpus_crawl_finishes_and_every_document_has_a_health_row(corpus_crawl):
    result = corpus_crawl["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    names = {str(p.relative_to(CORPUS)) for p in corpus_crawl["files"]}
    assert set(corpus_crawl["sources"]) == names
    unattempted = [n for n, row in corpus_crawl["sources"].items() if not row["last_attempt"]]
    assert not unattempted, f"never tried: {unattempted[:10]}"


def test_every_document_yields_items_a_readable_error_or_an_empty_feed(corpus_crawl):
    outcomes: Counter[str] = Counter()
    unreadable = []
    for name, row in corpus_crawl["sources"].items():
        if row["last_error"]:
            outcomes["error"] += 1
            if row["url"] not in row["last_error"]:
                unreadable.append((name, row["last_error"]))
        elif row["last_status"] == 200 and row["last_success"]:
            outcomes["items" if row["items_found"] else "empty"] += 1
        else:
            unreadable.append((name, "no status, no error"))
    assert not unreadable, "an error must name the URL at fault: " + repr(unreadable[:5])
    # Most of the corpus is feeds with entries; the errors are the few documents that are no
    # feed at all (empty, truncated, served as text/plain), not the entity-laden ones.
    assert outcomes["items"] > 1000 and outcomes["empty"] > 500, outcomes
    assert outcomes["error"] < 20, outcomes
    entities = [r for n, r in corpus_crawl["sources"].items() if n.startswith("entities/")]
    assert not [r["last_error"] for r in entities if r["last_error"]], (
        "a feed with HTML entities in it is readable, even with no entries"
    )


def test_no_exception_reaches_a_source_or_the_crawl_log(corpus_crawl):
    crashes = [
        (name, message)
        for name, row in corpus_crawl["sources"].items()
        for message in (row["last_error"], row["last_item_error"])
        if crash_in(message)
    ]
    assert not crashes, crashes[:10]
    problems = unexpected_log_errors(corpus_crawl["result"].stderr)
    assert not problems, "\n---\n".join(problems[:5])


def test_stored_corpus_items_hold_only_visible_text(corpus_crawl):
    items = rows(corpus_crawl["db_path"], "select url, title, text from items")
    assert items, "entries with links are stored (their pages fail: kept as summaries)"
    dirty = [
        (item["url"], hidden_characters(item["title"] + item["text"]))
        for item in items
        if hidden_characters(item["title"] + item["text"])
    ]
    assert not dirty, dirty[:5]


def _digest_of(evidence: list[Evidence]) -> Digest:
    councils = [
        CouncilOnRadar(f"E0{n:07d}", f"Council {n}", ["finance"], 1.0, 1, evidence[n : n + 3])
        for n in range(0, len(evidence), 3)
    ]
    return Digest(
        region="North West",
        week="2026-W48",
        start=date(2026, 11, 23),
        end=date(2026, 11, 29),
        councils=councils,
        source_problems=[],
        generated_at="2026-11-27T00:00:00Z",
    )


def _evidence(title: str, url: str, source: str, sentence: str) -> Evidence:
    return Evidence(["finance"], title, url, source, "2026-11-25", sentence, None, "media")


def test_hostile_html_of_the_sanitize_documents_reaches_a_digest_only_escaped(corpus_crawl):
    """What a crawl stored from `wellformed/sanitize/` (entries with links), and every one
    of its entries' titles, summaries and links as feedparser gives them and as the pipeline
    stores them, rendered as a digest's evidence: none of it may become markup."""
    stored = rows(
        corpus_crawl["db_path"],
        "select i.title, i.url, i.text, s.name, s.last_error from items i "
        "join sources s on s.id = i.source_id where s.name like 'wellformed/sanitize/%'",
    )
    assert stored, "the sanitize documents' linked entries are stored"
    evidence = [_evidence(r["title"], r["url"], r["name"], r["text"][:600]) for r in stored]
    sanitize = [p for p in corpus_crawl["files"] if "wellformed/sanitize/" in p.as_posix()]
    for path in sanitize:
        feed = feedparser.parse(path.read_bytes(), response_headers={"content-type": DEFAULT_TYPE})
        for entry in feed.entries:
            values = [entry.get("title") or "", entry.get("summary") or ""]
            values += [content.get("value") or "" for content in entry.get("content", [])]
            link = entry.get("link") or "javascript:alert(1)"
            for value in values:
                evidence.append(_evidence(value, link, path.name, value))
                evidence.append(_evidence(clean_title(value), link, path.name, clean_text(value)))
    problems = [
        {"name": s["name"], "url": s["url"], "last_error": s["last_error"]}
        for s in corpus_crawl["sources"].values()
        if s["last_error"]
    ]
    digest = _digest_of(evidence)
    digest.source_problems = problems
    html, text = render_digest(digest)
    assert all(str(escape(r["title"])) in html for r in stored), "the stored items are shown"
    issues = markup_problems(html, "digest.html")
    assert not issues, issues[:10]
    assert not hidden_characters(html) and not hidden_characters(text)
