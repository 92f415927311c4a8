"""Crashes, restarts, a shared store and a store that cannot be written.

The scheduler SIGKILLs a crawl that overruns, machines go down, an admin presses Ctrl-C, an
adviser searches while the crawl writes, a disk fills up. After any of these the store must
pass SQLite's integrity check, hold each item whole (its row, its full-text row, its council
links, its story sketch) or not at all, and a rerun must finish the job: nothing lost,
nothing stored twice. A store that cannot be written must stop the command with one line
naming the file and the cause and a non-zero exit, never a traceback or a false success.

Everything here is real: `radar` subprocesses, SQLite files, loopback web servers. A full
disk is a small tmpfs filled to the last block, and a read-only store a read-only bind
mount, both inside a private user and mount namespace (`unshare -rm`), so the test needs no
root and leaves nothing mounted; where namespaces are not allowed those tests are skipped.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import RADAR, run_radar, write_watchlist

from demo.server import LoopbackServer

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

# The SSRF guard refuses loopback unless the watch list allows it; politeness delays off.
LOOPBACK = {"allow_private": ["127.0.0.0/8"], "autothrottle": False}
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
ROOT = Path(__file__).resolve().parent.parent


# --- a small web whose pages can be held unanswered --------------------------------------

WORDS = (
    "budget cabinet housing roads library waste planning leisure parking school care grant "
    "member officer scrutiny audit reserve capital tender contract bridge park museum market "
    "transport flood energy climate youth health licence tax rent repair estate pension"
).split()


def prose(seed: int, words: int = 90) -> str:
    """Text no other page shares, long enough to be sketched as a story."""
    pick = random.Random(seed)
    sentences = []
    for _ in range(words // 9):
        sentences.append(" ".join(pick.choice(WORDS) for _ in range(9)).capitalize() + ".")
    return " ".join(sentences)


def article(title: str, seed: int) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><main><article><h1>{title}</h1>"
        f"<p>{prose(seed)}</p><p>{prose(seed + 1000)}</p></article></main></body></html>"
    ).encode()


MEETING = "/democracy/ieListDocuments.aspx"
MINUTES = "/democracy/documents/g7/Printed%20minutes.html"
REPORT = "/democracy/documents/s7/Budget%20report.html"


class HeldWeb(LoopbackServer):
    """A council on loopback: a news feed with an ETag (304 while unchanged) and its article
    pages, and a ModernGov site with one meeting two months old (printed minutes and a
    report). `hold(path)` leaves that page unanswered until `release()`, so a test can kill
    or stop a crawl at that exact point."""

    ENTRIES = 6

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.held: tuple[str, ...] = ()
        self.released = threading.Event()
        super().__init__(self._handler())

    def __exit__(self, *exc: object) -> None:
        self.released.set()  # a held page answers, so the server can shut down
        super().__exit__(*exc)

    def hold(self, prefix: str) -> None:
        """Leave every page whose path starts with `prefix` unanswered until `release()`."""
        self.held += (prefix,)

    def release(self) -> None:
        self.released.set()

    def page(self, path: str, headers: Any) -> tuple[int, bytes, dict[str, str]]:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, b"User-agent: *\nDisallow:\n", {"Content-Type": "text/plain"}
        if path == "/news/rss.xml":
            etag = '"feed-1"'
            validators = {"ETag": etag, "Last-Modified": "Wed, 25 Nov 2026 10:00:00 GMT"}
            if headers.get("If-None-Match") == etag:
                return 304, b"", validators
            return 200, self.feed(), {"Content-Type": "application/rss+xml", **validators}
        if path.startswith("/news/") and path.endswith(".html"):
            number = int(path.rsplit("/", 1)[1].split(".")[0])
            return 200, article(f"Council news {number}", number), html
        held_on = (datetime.now(UTC) - timedelta(days=60)).strftime("%d %b %Y")
        pages = {
            "/democracy/mgListCommittees.aspx": '<a href="mgCommitteeDetails.aspx?ID=1">Cab</a>',
            "/democracy/mgCalendarMonthView.aspx": "<p>No meetings this month.</p>",
            "/democracy/ieListMeetings.aspx": (
                f'<a href="ieListDocuments.aspx?CId=1&amp;MId=7">{held_on} 7.00 pm</a>'
            ),
            MEETING: (
                '<h2>Cabinet</h2><a href="documents/g7/Printed%20minutes.html">Printed minutes</a>'
                ' <a href="documents/s7/Budget%20report.html">Budget monitoring report</a>'
            ),
        }
        if path in pages:
            return 200, f"<html><body>{pages[path]}</body></html>".encode(), html
        if path == MINUTES:
            return 200, article("Cabinet minutes", 70), html
        if path == REPORT:
            return 200, article("Budget monitoring report", 71), html
        return 404, b"not here", {"Content-Type": "text/plain"}

    def feed(self) -> bytes:
        day = format_datetime(datetime.now(UTC) - timedelta(hours=2))
        items = "".join(
            f"<item><title>Council news {n}</title><link>{self.base_url}/news/{n}.html</link>"
            f"<description>Summary {n}.</description><pubDate>{day}</pubDate></item>"
            for n in range(self.ENTRIES)
        )
        return f'<rss version="2.0"><channel><title>News</title>{items}</channel></rss>'.encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path
                web.hits[path] += 1
                if web.held and path.startswith(web.held):
                    web.released.wait(timeout=120)
                status, body, headers = web.page(path, self.headers)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawl that asked was killed while the page was held

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


def held_watchlist(folder: Path, web: HeldWeb, kind: str) -> Path:
    """A watch list of one council source on the held web: its feed, or its ModernGov site."""
    url = f"{web.base_url}/news/rss.xml" if kind == "feed" else f"{web.base_url}/democracy/"
    path = folder / "watchlist.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": str(folder / "radar.db"),
                "output_dir": str(folder),
                # two requests at a time, so held pages keep the others queued (the whole
                # crawl's limit: with robots.txt obeyed, Scrapy 2.19 lets more than the
                # per-domain limit through at once)
                "crawl": {**LOOPBACK, "concurrency": 2},
                "councils": [
                    {
                        "gss_code": "X01000001",
                        "name": "Heldon",
                        "official_name": "Heldon Borough Council",
                        "type": "NMD",
                        "region": "North West",
                        "sources": [{"kind": kind, "name": "Heldon", "url": url}],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


# --- running, waiting, killing -----------------------------------------------------------


def start_radar(log: Path, *args: str) -> subprocess.Popen:
    """`radar` in the background in its own process group (as the scheduler runs it), its
    output in `log`: a pipe nobody reads could fill and stall it."""
    with log.open("w") as output:
        return subprocess.Popen(
            [*RADAR, *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=ENV,
            cwd=ROOT,
            start_new_session=True,
        )


def count(db_path: Path, sql: str = "select count(*) from items") -> int:
    """A count read through a read-only connection, so the watcher never writes; 0 until
    the store and its tables exist."""
    if not db_path.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def wait_until(condition: Callable[[], bool], process: subprocess.Popen, seconds: float) -> bool:
    """Poll until `condition` holds (True) or the process exits first (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.03)
    raise AssertionError(f"nothing happened in {seconds} s: {process.args}")


def kill_group(process: subprocess.Popen) -> bool:
    """SIGKILL the process and its children, as the scheduler's timeout does; False if it
    had already exited."""
    alive = process.poll() is None
    if alive:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return alive


# --- what a whole store and a finished crawl look like ---------------------------------

WHOLE = {
    "items stored twice under one canonical URL": """
        select count(*) from (select canonical_url from items group by 1 having count(*) > 1)
    """,
    "council links of no item": "select count(*) from item_councils where item_id not in "
    "(select id from items)",
    "story sketches of no item": "select count(*) from story_sketches where item_id not in "
    "(select id from items)",
    "story bands of no item": "select count(*) from story_bands where item_id not in "
    "(select id from items)",
    "sketches without their bands": "select count(*) from story_sketches s where not exists "
    "(select 1 from story_bands b where b.item_id = s.item_id)",
    "aliases of no item": "select count(*) from url_aliases where item_id not in "
    "(select id from items)",
    "tags of no item": "select count(*) from tags where item_id not in (select id from items)",
    "flags without their item's tags": "select count(*) from flags where item_id not in "
    "(select item_id from tags)",
    "council items without their council's link": """
        select count(*) from items i join sources s on s.id = i.source_id
        where s.council is not null and not exists (
            select 1 from item_councils ic where ic.item_id = i.id and ic.gss_code = s.council)
    """,
}


def assert_whole(db_path: Path) -> None:
    """SQLite's integrity check, the full-text index matching the items, and every item's
    rows all there or all absent."""
    with closing(sqlite3.connect(db_path, timeout=10)) as conn:
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
        # FTS5 compares its index with the items table and raises if they differ
        conn.execute("insert into items_fts(items_fts, rank) values ('integrity-check', 1)")
        problems = {what: conn.execute(sql).fetchone()[0] for what, sql in WHOLE.items()}
    assert {what: n for what, n in problems.items() if n} == {}


def crawl_outcome(db_path: Path) -> dict[str, Any]:
    """What a crawl left, independent of when and in how many runs: every URL known (stored
    or an alias of a stored text), each item's kind, origin, text and council links, whether
    it has a story sketch, the stories as groups of URLs, and each source's health."""
    with closing(sqlite3.connect(db_path, timeout=10)) as conn:
        conn.row_factory = sqlite3.Row
        links: dict[str, set[tuple[str, str]]] = {}
        for row in conn.execute("select item_id, gss_code, method from item_councils"):
            links.setdefault(row["item_id"], set()).add((row["gss_code"], row["method"]))
        sketched = {row[0] for row in conn.execute("select item_id from story_sketches")}
        items, stories = {}, {}
        for row in conn.execute("select * from items"):
            items[row["canonical_url"]] = {
                "kind": row["kind"],
                "origin": row["origin"],  # of two media feeds with a story, either may be first
                "summary_only": row["summary_only"],
                "text": row["content_hash"],
                "councils": links.get(row["id"], set()),
                "sketched": row["id"] in sketched,
            }
            stories.setdefault(row["story_id"], set()).add(row["canonical_url"])
        aliases = {row[0] for row in conn.execute("select canonical_url from url_aliases")}
        # A source whose own crawl ended before the kill kept its validators: the rerun's
        # 304 (nothing new since) is its 200 (everything read) of the uninterrupted crawl.
        sources = {
            row["id"]: (
                200 if row["last_status"] == 304 else row["last_status"],
                row["last_error"],
                row["last_complete"] is not None,
            )
            for row in conn.execute("select * from sources")
        }
    return {
        "urls": set(items) | aliases,
        "items": items,
        "stories": {frozenset(urls) for urls in stories.values()},
        "sources": sources,
    }


def assert_same_outcome(db_path: Path, reference: Path, story: str = "") -> None:
    """The store holds what the reference crawl's does (`story` says how it got there)."""
    got, want = crawl_outcome(db_path), crawl_outcome(reference)
    assert sorted(want["urls"] - got["urls"]) == [], f"URLs never stored; {story}"
    assert sorted(got["urls"] - want["urls"]) == [], f"URLs only this store has; {story}"
    for url, item in want["items"].items():
        assert got["items"].get(url, item) == item, f"{url}; {story}"
    assert got["stories"] == want["stories"], story
    assert got["sources"] == want["sources"], story


# --- 1. killed at random moments, restarted ------------------------------------------------


# The demo's Kelderby Cabinet minutes are held unanswered while the crawls are killed, so a
# crawl cannot finish before the kill the test chose: every kill lands at a point the test
# controls (a number of requests answered, or of items stored), never after a guessed delay.
HELD = "/kelderby/democracy/documents/g2001/Printed minutes Cabinet.pdf"


# Seeds whose draws cover a kill at an item count (2: at 46 items), one early in start-up
# (3: after 5 requests, before any item) and two kills in a row (7); any seed must pass.
@pytest.mark.parametrize("seed", [2, 3, 7])
def test_a_crawl_killed_at_random_moments_and_rerun_ends_as_if_never_killed(
    seed: int, tmp_path: Path, demo_web: Any, crawled: dict[str, Any]
) -> None:
    """SIGKILL (the scheduler's timeout, a power cut) once or twice: once some requests have
    been answered, or once a number of items are in; then a crawl that runs to the end. The
    store must then equal an uninterrupted crawl's of the same web."""
    rng = random.Random(seed)
    watchlist = write_watchlist(tmp_path, demo_web.base_url, crawl=LOOPBACK)
    db_path = tmp_path / "radar.db"
    total = count(crawled["db_path"])  # the held document's item is never in while held
    kills = []
    demo_web.hold(HELD)
    try:
        for attempt in range(rng.choice((1, 2))):
            asked = len(demo_web.requests)
            log = tmp_path / f"crawl-{attempt}.log"
            crawl = start_radar(log, "crawl", "-q", "-w", str(watchlist))
            if rng.random() < 0.5:
                target = rng.randint(count(db_path), total - 1)
                moment = f"at {target} items"
                wait_until(lambda target=target: count(db_path) >= target, crawl, 120)
            else:
                requests = rng.randint(1, 20)
                moment = f"after {requests} requests"
                wait_until(
                    lambda n=requests, asked=asked: len(demo_web.requests) - asked >= n, crawl, 120
                )
            assert kill_group(crawl), f"the crawl ended before its kill {moment}"
            kills.append(f"{moment} ({count(db_path)} stored)")
    finally:
        demo_web.release()
    run_radar("crawl", "-q", "-w", str(watchlist))
    assert_whole(db_path)
    assert_same_outcome(db_path, crawled["db_path"], f"killed {', '.join(kills)}")


# --- the gaps an interrupted crawl could leave ----------------------------------------------


def test_a_crawl_stopped_mid_feed_reads_the_rest_of_the_feed_next_time(tmp_path: Path) -> None:
    """Ctrl-C or SIGTERM lets Scrapy finish the pages in flight and drop those still queued.
    Had the feed's ETag been saved then, the next crawl's 304 would skip them for good."""
    db_path = tmp_path / "radar.db"
    with HeldWeb() as web:
        for entry in range(HeldWeb.ENTRIES):
            web.hold(f"/news/{entry}.html")
        watchlist = held_watchlist(tmp_path, web, "feed")
        crawl = start_radar(tmp_path / "crawl.log", "crawl", "-q", "-w", str(watchlist))

        def pages_asked() -> int:
            return sum(n for path, n in web.hits.items() if path.endswith(".html"))

        assert wait_until(lambda: pages_asked() >= 2, crawl, 60)  # both slots busy, 4 queued
        crawl.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # let Scrapy begin its shutdown before the held pages answer
        web.release()
        crawl.wait(timeout=60)
        stopped_with = count(db_path)
        run_radar("crawl", "-q", "-w", str(watchlist))
        after_rerun = count(db_path)
        run_radar("crawl", "-q", "-w", str(watchlist))
        conditional = web.hits["/news/rss.xml"]
    assert stopped_with < HeldWeb.ENTRIES, "the stop came before every page was read"
    assert after_rerun == HeldWeb.ENTRIES, "the rerun read the pages the stop dropped"
    assert conditional == 3, "then the ETag is kept and the feed's next answer is a 304"
    assert count(db_path, "select count(*) from sources where etag is null") == 0
    assert_whole(db_path)


def test_an_old_meeting_killed_between_its_minutes_and_its_report_is_read_again(
    tmp_path: Path,
) -> None:
    """A meeting over a month old whose minutes are stored is not read again; if the crawl
    that stored them was killed before the meeting's report, the report must not be lost."""
    with HeldWeb() as web:
        web.hold(REPORT)
        watchlist = held_watchlist(tmp_path, web, "moderngov")
        crawl = start_radar(tmp_path / "crawl.log", "crawl", "-q", "-w", str(watchlist))
        assert wait_until(lambda: count(tmp_path / "radar.db") >= 1, crawl, 60)
        assert kill_group(crawl)
        web.release()
        run_radar("crawl", "-q", "-w", str(watchlist))
        meeting_reads = web.hits[MEETING]
        run_radar("crawl", "-q", "-w", str(watchlist))
        assert web.hits[MEETING] == meeting_reads, "a meeting read to the end is not read again"
    kinds = count(tmp_path / "radar.db", "select group_concat(kind) from items")
    assert sorted(kinds.split(",")) == ["minutes", "report"]
    assert meeting_reads == 2
    assert_whole(tmp_path / "radar.db")


def test_tagging_killed_half_way_and_rerun_tags_every_item_once(
    tmp_path: Path, crawled: dict[str, Any]
) -> None:
    """`radar tag --store` saves each chunk of items in one transaction: killed between
    chunks, the rerun tags only the rest, and no item is left with tags but not flags."""
    shutil.copy(crawled["db_path"], tmp_path / "radar.db")
    with closing(sqlite3.connect(tmp_path / "radar.db")) as conn, conn:
        conn.execute("update items set text = substr(text, 1, 160)")  # short: quick to tag
    total = count(tmp_path / "radar.db")
    watchlist = write_watchlist(tmp_path, "http://127.0.0.1:9", crawl=LOOPBACK)
    tag = start_radar(tmp_path / "tag.log", "tag", "--store", "-w", str(watchlist))
    assert wait_until(lambda: count(tmp_path / "radar.db", "select count(*) from tags"), tag, 300)
    assert kill_group(tag), "tagging finished before it could be killed"
    with closing(sqlite3.connect(tmp_path / "radar.db")) as conn:
        first = dict(conn.execute("select item_id, tagged_at from tags"))
    assert 0 < len(first) < total
    rerun = run_radar("tag", "--store", "-w", str(watchlist))
    assert f"Tagged {total - len(first)} items" in rerun.stderr
    with closing(sqlite3.connect(tmp_path / "radar.db")) as conn:
        tagged = dict(conn.execute("select item_id, tagged_at from tags"))
    assert len(tagged) == total
    assert {item: tagged[item] for item in first} == first, "tagged once, never again"
    assert_whole(tmp_path / "radar.db")


def stored_item(number: int) -> dict[str, Any]:
    url = f"http://127.0.0.1/news/{number}.html"
    return {
        "id": f"item{number}",
        "url": url,
        "canonical_url": url,
        "origin": "council",
        "kind": "news",
        "title": f"Council news {number}",
        "text": prose(number),
        "fetched": "2026-11-25T10:00:00Z",
        "story_id": f"item{number}",
    }


def test_an_item_or_a_chunk_of_tags_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    """A write that fails half-way (here a trigger refuses the second table, as a full disk
    or a kill would stop it) leaves nothing of the item or of the chunk of tags: no item row
    without its links, no tags without their flags, which would never be written again."""
    from store.db import open_db
    from store.items import insert_item, save_tags

    db = open_db(tmp_path / "radar.db")
    refuse = "create trigger refuse before insert on {} begin select raise(abort, 'no'); end"
    db.execute(refuse.format("item_councils"))
    sketch = {"signature": [1, 2], "bands": ["0:ab"]}
    with pytest.raises(sqlite3.DatabaseError):
        insert_item(db, stored_item(1), [("X01000001", "source")], sketch)
    db.execute("drop trigger refuse")
    assert insert_item(db, stored_item(2), [("X01000001", "source")], sketch)
    db.execute(refuse.format("flags"))
    flagged = {
        "item_id": "item2",
        "classifier_version": "v",
        "sentiment": "negative",
        "service": 0,
        "scores": {},
        "flags": {"finance": {"score": 0.9, "evidence": "Reserves are exhausted."}},
        "tagged_at": "2026-11-25T11:00:00Z",
    }
    with pytest.raises(sqlite3.DatabaseError):
        save_tags(db, [flagged])
    db.close()
    assert count(tmp_path / "radar.db", "select group_concat(id) from items") == "item2"
    assert count(tmp_path / "radar.db", "select count(*) from tags") == 0
    assert_whole(tmp_path / "radar.db")


def test_a_store_killed_while_creating_its_search_index_is_repaired_when_opened(
    tmp_path: Path,
) -> None:
    """Killed between creating the full-text table and its triggers, a new store would keep
    an index that no item ever reaches: the next open rebuilds what is missing."""
    from store.db import open_db
    from store.items import insert_item

    db = open_db(tmp_path / "radar.db")
    insert_item(db, stored_item(1), [])
    db.execute("drop trigger items_ai")  # what the kill left
    db.close()
    db = open_db(tmp_path / "radar.db")
    insert_item(db, stored_item(2), [])
    found = db.execute("select count(*) from items_fts where items_fts match 'council'")
    assert found.fetchone()[0] == 2
    db.close()
    assert_whole(tmp_path / "radar.db")


# --- 2. sharing the store --------------------------------------------------------------------


def test_a_crawl_searches_and_writers_share_one_store_without_locking_each_other_out(
    tmp_path: Path, demo_web: Any, crawled: dict[str, Any]
) -> None:
    """WAL and a busy timeout: an adviser searching and recording concerns while a crawl
    writes (all starting together on a store not yet created) never sees "database is
    locked", and nothing anyone wrote is lost. A search that comes before the store exists
    is told so in one line; the crawl and the concern create it."""
    watchlist = write_watchlist(tmp_path, demo_web.base_url, crawl=LOOPBACK)
    crawl = start_radar(tmp_path / "crawl.log", "crawl", "-q", "-w", str(watchlist))
    results: dict[str, list[subprocess.CompletedProcess]] = {"search": [], "concern": []}

    def keep_running(name: str, *args: str) -> None:
        while crawl.poll() is None:
            results[name].append(run_radar(*args, "-w", str(watchlist), check=False))

    others = [
        threading.Thread(target=keep_running, args=("search", "search", "council")),
        threading.Thread(
            target=keep_running,
            args=("concern", "concern", "open", "Kelderby", "-f", "finance", "--owner", "Ann")
            + ("--note", "Reserves falling"),
        ),
    ]
    for thread in others:
        thread.start()
    assert crawl.wait(timeout=300) == 0, (tmp_path / "crawl.log").read_text()
    for thread in others:
        thread.join(timeout=120)
    for name, runs in results.items():
        for run in runs:
            assert "locked" not in run.stdout + run.stderr, run.stderr
            # A search before the crawl has made the store says so (it creates none).
            early = name == "search" and "no store here yet" in run.stderr
            assert run.returncode == 0 or (early and run.returncode == 1), run.stderr
        done = [run for run in runs if run.returncode == 0]
        assert len(done) >= 2, f"too few {name} runs overlapped the crawl"
    db_path = tmp_path / "radar.db"
    assert count(db_path, "select count(*) from concerns") == len(results["concern"])
    assert "locked" not in (tmp_path / "crawl.log").read_text()
    assert_whole(db_path)
    assert_same_outcome(db_path, crawled["db_path"])


# --- 3. a full disk, a read-only store -------------------------------------------------------


def private_mounts() -> str | None:
    """Why tmpfs and bind mounts cannot be made here (None when they can): they need a
    private user and mount namespace (`unshare -rm`), which some containers forbid."""
    if not shutil.which("unshare"):
        return "no unshare(1)"
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt || exit 3"],
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        return f"cannot mount in a private namespace here: {probe.stderr.strip()[:200]}"
    return None


needs_mounts = pytest.mark.skipif(
    private_mounts() is not None, reason=f"needs unshare -rm and mount: {private_mounts()}"
)


def in_private_mounts(script: str, **names: str | Path) -> subprocess.CompletedProcess:
    """Run a shell script as root of a private user and mount namespace: what it mounts no
    other process sees, and vanishes with it. `names` become its environment variables."""
    env = {**ENV, "PY": sys.executable, **{k: str(v) for k, v in names.items()}}
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )


def one_line_error(folder: Path, command: str) -> tuple[int, str]:
    """A command's exit code and its message, asserting it printed no traceback."""
    output = (folder / f"{command}.out").read_text() + (folder / f"{command}.err").read_text()
    assert "Traceback" not in output, output
    lines = (folder / f"{command}.err").read_text().strip().splitlines()
    return int((folder / f"{command}.rc").read_text()), lines[-1] if lines else ""


RUN = """run() { name=$1; shift; "$PY" -m radar.cli "$@" -w "$WATCHLIST" \
>"$OUT/$name.out" 2>"$OUT/$name.err"; echo $? >"$OUT/$name.rc"; }
"""


@needs_mounts
def test_a_disk_filling_up_mid_crawl_stops_commands_with_one_line_and_no_half_items(
    tmp_path: Path, demo_web: Any, crawled: dict[str, Any]
) -> None:
    """The disk fills while the crawl stores items: the crawl stops with "radar.db: disk is
    full" and exit 1 (not a report of success), tagging and sending digests refuse the same
    way, the store is whole, and a crawl once there is room again finishes the job."""
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir(), out.mkdir()
    watchlist = write_watchlist(tmp_path, demo_web.base_url, crawl=LOOPBACK)
    data = yaml.safe_load(watchlist.read_text())
    data.update(database=str(disk / "radar.db"), output_dir=str(disk / "output"))
    watchlist.write_text(yaml.safe_dump(data))
    script = (
        RUN
        + """
mount -t tmpfs -o size=16m tmpfs "$DISK" || exit 90
run crawl crawl -q &
"$PY" -c "
import sqlite3, sys, time, os
db = sys.argv[1]
for _ in range(3000):
    try:
        if sqlite3.connect('file:' + db + '?mode=ro', uri=True).execute(
                'select count(*) from items').fetchone()[0] >= 20:
            break
    except sqlite3.Error:
        pass
    time.sleep(0.02)
" "$DISK/radar.db"
cat /dev/zero >"$DISK/filler" 2>/dev/null   # the disk is full from here on
wait
run tag tag --store
run digest digest --all-regions --send
cp "$DISK/radar.db" "$OUT/"; [ -f "$DISK/radar.db-wal" ] && cp "$DISK/radar.db-wal" "$OUT/"
exit 0
"""
    )
    done = in_private_mounts(script, DISK=disk, OUT=out, WATCHLIST=watchlist)
    assert done.returncode == 0, done.stderr
    for command in ("crawl", "tag", "digest"):
        code, message = one_line_error(out, command)
        assert code == 1, f"radar {command} exited {code}: {message}"
        assert message.endswith("radar.db: disk is full"), f"radar {command}: {message}"
    stored = count(out / "radar.db")
    assert 20 <= stored < count(crawled["db_path"]), "the disk filled mid-crawl"
    assert_whole(out / "radar.db")

    # room again: the same store, on a disk with space, crawled to the end
    data.update(database=str(out / "radar.db"), output_dir=str(out))
    watchlist.write_text(yaml.safe_dump(data))
    run_radar("crawl", "-q", "-w", str(watchlist))
    assert_whole(out / "radar.db")
    assert_same_outcome(out / "radar.db", crawled["db_path"])


@needs_mounts
def test_a_read_only_store_stops_commands_with_one_line_and_stays_untouched(
    tmp_path: Path, demo_web: Any, crawled: dict[str, Any]
) -> None:
    """A store on a file system mounted read-only (what a disk error can leave): crawling,
    tagging and sending digests each stop with "radar.db: database is read-only" and exit 1,
    and the file is unchanged."""
    store, out = tmp_path / "store", tmp_path / "out"
    store.mkdir(), out.mkdir()
    shutil.copy(crawled["db_path"], store / "radar.db")
    before = hashlib.sha256((store / "radar.db").read_bytes()).hexdigest()
    watchlist = write_watchlist(tmp_path, demo_web.base_url, crawl=LOOPBACK)
    data = yaml.safe_load(watchlist.read_text())
    data.update(database=str(store / "radar.db"), output_dir=str(out))
    watchlist.write_text(yaml.safe_dump(data))
    script = (
        RUN
        + """
mount --bind "$STORE" "$STORE" && mount -o remount,ro,bind "$STORE" || exit 90
run crawl crawl -q
run tag tag --store
run digest digest --all-regions --send
exit 0
"""
    )
    done = in_private_mounts(script, STORE=store, OUT=out, WATCHLIST=watchlist)
    assert done.returncode == 0, done.stderr
    for command in ("crawl", "tag", "digest"):
        code, message = one_line_error(out, command)
        assert code == 1, f"radar {command} exited {code}: {message}"
        assert "radar.db: database is read-only" in message, f"radar {command}: {message}"
    assert hashlib.sha256((store / "radar.db").read_bytes()).hexdigest() == before


def test_a_store_file_that_may_not_be_written_stops_writers_but_not_searches(
    tmp_path: Path, demo_web: Any, crawled: dict[str, Any]
) -> None:
    """A store file the user may not write (read-only permissions; as root, which ignores
    them, the immutable attribute): crawling and tagging stop with "radar.db: database is
    read-only" and exit 1, while searching it still works."""
    store = tmp_path / "radar.db"
    shutil.copy(crawled["db_path"], store)
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    watchlist = write_watchlist(tmp_path, demo_web.base_url, crawl=LOOPBACK)
    if os.geteuid() == 0:
        immutable = subprocess.run(["chattr", "+i", str(store)], capture_output=True, text=True)
        if immutable.returncode:
            pytest.skip(f"root ignores permissions and chattr +i failed: {immutable.stderr}")
    else:
        store.chmod(0o444)
    try:
        for command in (["crawl", "-q"], ["tag", "--store"]):
            result = run_radar(*command, "-w", str(watchlist), check=False)
            assert "Traceback" not in result.stdout + result.stderr, result.stderr
            message = result.stderr.strip().splitlines()[-1]
            assert result.returncode == 1 and message.endswith("radar.db: database is read-only")
        found = run_radar("search", '"section 114"', "--json", "-w", str(watchlist))
        assert "section 114" in found.stdout.lower()
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(store)], check=True)
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before
