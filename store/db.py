"""Open the store and keep its schema: councils, sources, items, links, tags, digests, FTS.

Also what every writer needs to survive crashes and share the file: WAL with a busy timeout,
all-or-nothing write transactions, and store failures (a full disk, a read-only file)
described in words naming the file, for the CLI's one-line message.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

# How long a writer waits for another process's write to finish before "database is locked".
# Write transactions are short (one item, one chunk of tags), so this is generous.
BUSY_TIMEOUT_MS = 10_000

# Each table: its columns, primary key, foreign keys. A column added here is added to an
# existing store on the next open, so upgrading never needs a hand-written migration.
TABLES: dict[str, dict[str, Any]] = {
    "councils": {
        "columns": {
            "gss_code": str, "name": str, "official_name": str, "type": str, "region": str,
            "county": str, "aliases": str, "watched": int, "ended": str, "successors": str,
        },
        "pk": "gss_code",
    },
    "sources": {
        "columns": {
            "id": str, "kind": str, "origin": str, "name": str, "url": str, "council": str,
            "last_attempt": str, "last_success": str, "last_status": int, "last_error": str,
            "items_found": int, "items_new": int, "consecutive_failures": int,
            "etag": str, "last_modified": str, "items_failed": int, "last_item_error": str,
            "last_complete": str,
            # the first crawl that succeeded; news items dated long before it, found since,
            # have suspect dates: how many so far, and the last one's note (store.items)
            "first_success": str, "suspect_dates": int, "last_date_note": str,
            # when its last item was stored: written with the item, so a crawl killed before
            # it could record the source's health still shows that it ran
            "last_item_stored": str,
            # a sitemap source's documents and their validators, JSON (crawlers.sitemaps)
            "page_validators": str,
        },
        "pk": "id",
    },
    "items": {
        "columns": {
            "id": str, "url": str, "canonical_url": str, "source_id": str, "origin": str,
            "kind": str, "title": str, "text": str, "summary_only": int, "published": str,
            "date_source": str, "fetched": str, "content_hash": str, "page_offsets": str,
            "meta": str, "story_id": str, "first_seen": str, "radar_at": str,
            # found by its source's first crawl (history: store.items.radar_time); null in
            # stores older than the column, read as not
            "first_crawl": int,
            # fetches in a row that left it without its text for a reason a later fetch may
            # mend (a server error, a timeout, a damaged download); null when read or final
            "fetch_failures": int,
        },
        "pk": "id",
    },
    # URLs whose text was already stored under another URL (syndicated copies): remembered so
    # the next crawl does not fetch them again, and so a story's other outlets are known.
    "url_aliases": {
        "columns": {"canonical_url": str, "item_id": str, "seen_at": str},
        "pk": "canonical_url",
        "foreign_keys": [("item_id", "items", "id")],
    },
    # MinHash sketches and LSH bands of news-like items, to group syndicated stories.
    "story_sketches": {
        "columns": {"item_id": str, "story_id": str, "signature": str},
        "pk": "item_id",
        "foreign_keys": [("item_id", "items", "id")],
    },
    "story_bands": {
        "columns": {"band": str, "item_id": str},
        "pk": ("band", "item_id"),
        "foreign_keys": [("item_id", "items", "id")],
    },
    "item_councils": {
        "columns": {"item_id": str, "gss_code": str, "method": str},
        "pk": ("item_id", "gss_code"),
        "foreign_keys": [("item_id", "items", "id")],
    },
    "tags": {
        "columns": {
            "item_id": str, "classifier_version": str, "sentiment": str, "service": int,
            "scores": str, "tagged_at": str,
        },
        "pk": "item_id",
        "foreign_keys": [("item_id", "items", "id")],
    },
    "flags": {
        "columns": {
            "item_id": str, "factor": str, "score": float, "evidence": str, "page": int,
            "rule": str,
        },
        "pk": ("item_id", "factor"),
        "foreign_keys": [("item_id", "items", "id")],
    },
    # One adviser's weekly digest (issue #18): the unit of sending is (recipient, week), one
    # email covering every region in `regions` (a JSON list); `sent_at` is set only once the
    # SMTP server has accepted it, or when it was skipped (`skipped`: an empty week with
    # `schedule.empty_digest: skip`). A store from before keeps its per-region rows, renamed
    # `digests_by_region` (store.db._create_missing).
    "digests": {
        "columns": {
            "recipient": str, "week": str, "regions": str, "sent_at": str, "message_id": str,
            "html_path": str, "attempted_at": str, "last_error": str, "sending_at": str,
            "skipped": int,
        },
        "pk": ("recipient", "week"),
    },
    # Acute signals (a section 114 notice, commissioners...): one row per council, signal and
    # episode; `sent_at` is set only once the SMTP server has accepted the alert.
    "alerts": {
        "columns": {
            "id": str, "gss_code": str, "signal": str, "item_id": str, "raised_at": str,
            "evidence": str, "sent_at": str, "message_id": str, "recipients": str,
            "last_error": str, "sending_at": str,
        },
        "pk": "id",
    },
    # The radar as last computed for a week: one row per council on it (`radar ui`, reports).
    "radar_weeks": {
        "columns": {
            "week": str, "gss_code": str, "council": str, "region": str, "score": float,
            "baseline": float, "trend": str, "factors": str, "stories": int, "acute": str,
            "priority": float, "top_headline": str, "top_url": str,
        },
        "pk": ("week", "gss_code"),
    },
    # The weekly history (store.history): each council's radar in every week, below the
    # radar too (`on_radar` 0), ranked as computed; and which weeks are recorded, when, and
    # whether final (the week's digest slot had passed) or still in progress, and the
    # `radar.on_radar` threshold it was computed with (a chart draws the line that applied).
    "radar_history": {
        "columns": {
            "week": str, "gss_code": str, "council": str, "region": str, "on_radar": int,
            "rank": int, "score": float, "baseline": float, "trend": str, "factors": str,
            "stories": int, "acute": str, "priority": float, "top_headline": str,
            "top_url": str,
        },
        "pk": ("week", "gss_code"),
    },
    "radar_history_weeks": {
        "columns": {
            "week": str, "recorded_at": str, "final": int, "councils": int, "on_radar": int,
            "threshold": float,
        },
        "pk": "week",
    },
    # Democracy sites' re-crawl state (store.meetings): per source, when its committee lists
    # were last walked and what its cheap change signal needs (CMIS's list view address,
    # validators); per meeting page, when it was last read, its validators and the documents
    # it listed, so a later crawl reads it again only when its schedule says so.
    "meeting_sites": {
        "columns": {"source_id": str, "walked": str, "state": str},
        "pk": "source_id",
    },
    "meeting_checks": {
        "columns": {
            "canonical_url": str, "url": str, "source_id": str, "committee": str,
            "meeting_date": str, "checked": str, "etag": str, "last_modified": str,
            "documents": str,
        },
        "pk": "canonical_url",
    },
    # Advisers' concerns about a council (the papers' stage 3 and 4): the concern, and its
    # history as events that are only ever added, never changed. Confidential.
    "concerns": {
        "columns": {
            "id": int, "gss_code": str, "factors": str, "opened_at": str, "owner": str,
        },
        "pk": "id",
    },
    "concern_events": {
        "columns": {
            "id": int, "concern_id": int, "at": str, "status": str, "note": str, "owner": str,
            "items": str,
        },
        "pk": "id",
        "foreign_keys": [("concern_id", "concerns", "id")],
    },
    # Advisers' judgements on items (store.feedback): dated, signed, never changed; the
    # latest per question overrides the classifier, and `radar train` learns from them.
    "feedback": {
        "columns": {
            "id": int, "item_id": str, "at": str, "adviser": str, "verdict": str,
            "value": str, "note": str, "evidence": str,
        },
        "pk": "id",
        "foreign_keys": [("item_id", "items", "id")],
    },
    # Saved searches (store.saved): when the store first saw each one (only items stored
    # after that are new to it) and last checked it; each message of new matches, claimed
    # before sending and marked sent once SMTP accepts it; and which items each search has
    # put in a message, so none is mailed twice for the same search.
    "saved_searches": {
        "columns": {"name": str, "started_at": str, "checked_at": str, "last_error": str},
        "pk": "name",
    },
    "saved_mails": {
        "columns": {
            "id": str, "search": str, "created_at": str, "recipients": str, "matches": str,
            "sending_at": str, "sent_at": str, "message_id": str, "accepted": str,
            "last_error": str,
        },
        "pk": "id",
    },
    "saved_items": {
        "columns": {"search": str, "item_id": str, "mail_id": str},
        "pk": ("search", "item_id"),
        "foreign_keys": [("mail_id", "saved_mails", "id")],
    },
    # What each scheduled job did, for `radar status`.
    "job_runs": {
        "columns": {
            "id": int, "job": str, "started": str, "finished": str, "outcome": str,
            "detail": str,
        },
        "pk": "id",
    },
}  # fmt: skip


# Columns added to existing stores, filled from what those stores knew.
BACKFILL = {
    ("items", "first_seen"): "update items set first_seen = fetched",
    ("items", "radar_at"): "update items set radar_at = coalesce(published, fetched)",
    # what a store kept before completions were recorded counts as from complete crawls
    ("sources", "last_complete"): """
        update sources set last_complete =
        (select max(first_seen) from items where items.source_id = sources.id)
    """,
    # crawled since its first item was found, for the suspect-date notes of older stores
    ("sources", "first_success"): """
        update sources set first_success = coalesce(
            (select min(first_seen) from items where items.source_id = sources.id),
            last_success)
    """,
}


class StoreError(Exception):
    """The store's file cannot be written or read: which file, and why in words.

    Raised (or recorded, where Scrapy's engine would swallow it) instead of a traceback: a
    full disk or a read-only file is for the admin to fix, not a bug to report.
    """

    def __init__(self, path: Path | str, cause: str):
        super().__init__(f"{path}: {cause}")
        self.path = str(path)
        self.cause = cause


_opened: list[str] = []  # the store files this process opened, latest last
_deferred: list[StoreError] = []  # store failures raised where no caller could hear them


def open_db(path: Path | str) -> Database:
    """Open (creating if needed) the store at `path`, in WAL mode with a busy timeout.

    WAL lets searches read while a crawl writes; the busy timeout makes a second writer wait
    for the first instead of failing with "database is locked".
    """
    path = Path(path)
    _opened.append(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    ensure_schema(db, path)
    return db


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One all-or-nothing write: committed whole, or rolled back whole on any error or kill.

    `with db.conn:` is not enough: sqlite-utils' table methods commit each call on their own
    when no transaction is open, so an item could be stored without its council links. BEGIN
    IMMEDIATE takes the write lock first (waiting up to the busy timeout), so reads inside
    the transaction never need a lock upgrade that another writer could refuse. Nested uses
    become savepoints.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise


def check_writable(db: Database, path: Path | str) -> None:
    """Raise StoreError now if the store cannot be written (a read-only file or file system),
    before long work whose results could not be saved."""
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        with write_transaction(db):
            db.execute(f"PRAGMA user_version = {version}")  # a write that changes nothing
    except sqlite3.Error as exc:
        raise StoreError(path, store_cause(exc, path) or str(exc)) from exc


def store_cause(exc: BaseException, path: Path | str) -> str | None:
    """What went wrong with the store's file, in words ("disk is full", "database is
    read-only"), from SQLite's error code or the operating system's errno; None for an error
    that is not about the file (a mistake in a query is a bug, and keeps its traceback)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if not name:
        return FILE_ERRNOS.get(getattr(exc, "errno", None))
    if name == "SQLITE_FULL" or (name.startswith("SQLITE_IOERR") and _disk_full(path)):
        return "disk is full"
    unwritable = name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR"))
    if unwritable and not _writable(path):
        return "database is read-only" + _read_only_why(path)
    if name.startswith("SQLITE_READONLY"):
        return "database is read-only"
    if name.startswith("SQLITE_CANTOPEN"):
        return "cannot open the database file (is its folder there and readable?)"
    if name.startswith("SQLITE_IOERR"):
        return f"disk I/O error ({name})"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        seconds = BUSY_TIMEOUT_MS // 1000
        return f"database is locked (another process kept it busy for over {seconds} s)"
    if name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB":
        return f"database file is damaged ({exc})"
    if name == "SQLITE_PERM":
        return "permission denied"
    return None


FILE_ERRNOS = {
    errno.ENOSPC: "disk is full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EFBIG: "file too large for this file system or process limit",
}


def _disk_full(path: Path | str) -> bool:
    try:
        return os.statvfs(Path(path).parent).f_bavail == 0
    except OSError:
        return False


def _writable(path: Path | str) -> bool:
    path = Path(path)
    target = path if path.exists() else path.parent
    return os.access(target, os.W_OK)


def _read_only_why(path: Path | str) -> str:
    try:
        if os.statvfs(Path(path).parent).f_flag & os.ST_RDONLY:
            return " (read-only file system)"
    except OSError:
        pass
    return ""


def describe_store_error(exc: BaseException) -> StoreError | None:
    """The StoreError for an error from the store's file (or another file the command
    writes), or None for anything else, which is a bug and keeps its traceback.

    The store is the one this process opened last (each command works on one store); an
    OSError names its own file.
    """
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, sqlite3.Error):
        path = _opened[-1] if _opened else "the store"
    elif isinstance(exc, OSError) and exc.errno in FILE_ERRNOS:
        path = exc.filename or (_opened[-1] if _opened else "a file")
    else:
        return None
    cause = store_cause(exc, path)
    return StoreError(path, cause) if cause else None


def defer_failure(error: StoreError) -> None:
    """Keep a store failure raised where nobody could catch it (inside Scrapy's engine, which
    logs and swallows pipeline errors) for `raise_deferred_failure` to raise at the edge."""
    _deferred.append(error)


def raise_deferred_failure() -> None:
    """Raise the first store failure `defer_failure` kept in this process, if any."""
    if _deferred:
        raise _deferred[0]


@contextmanager
def _schema_lock(path: Path) -> Iterator[None]:
    """One process at a time creates tables, columns and the FTS index: two commands started
    together on a new or upgraded store would otherwise both create the same table, or index
    the same rows twice. The lock is on the store's folder, so it needs no file of its own."""
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the lock


def ensure_schema(db: Database, path: Path | str | None = None) -> None:
    """Create missing tables, columns, indexes and the FTS index; schema changes are code,
    not DDL strings. An up-to-date store is only read."""
    if _schema_complete(db):
        return
    if path is None:
        _create_missing(db)
        return
    with _schema_lock(Path(path)):
        _create_missing(db)


FTS_TRIGGERS = {"items_ai", "items_ad", "items_au"}
COUNCIL_ITEMS_INDEX = "idx_item_councils_gss_code_item_id"
INDEXES = (
    "canonical_url", "content_hash", "published", "story_id", "radar_at", "fetch_failures",
)  # fmt: skip


def _schema_complete(db: Database) -> bool:
    for name, spec in TABLES.items():
        table = db[name]
        if not table.exists() or not set(spec["columns"]) <= set(table.columns_dict):
            return False
    indexed = {tuple(index.columns) for index in db["items"].indexes}
    if not {(column,) for column in INDEXES} <= indexed:
        return False
    if ("gss_code", "signal") not in {tuple(i.columns) for i in db["alerts"].indexes}:
        return False
    if ("item_id",) not in {tuple(i.columns) for i in db["feedback"].indexes}:
        return False
    if ("gss_code", "week") not in {tuple(i.columns) for i in db["radar_history"].indexes}:
        return False
    if ("gss_code", "item_id") not in {tuple(i.columns) for i in db["item_councils"].indexes}:
        return False
    return bool(db["items"].detect_fts()) and FTS_TRIGGERS <= {t.name for t in db["items"].triggers}


def _council_items_index(db: Database) -> None:
    """A council's items, for a search filtered by council (store.search): a few seconds at
    a million items, once. In a store whose planner has statistics (ANALYZE), the new index
    gets its own at once: without them SQLite takes it for a very selective one, and the
    radar's query (store.radar) went from every council to their items, 1.3 s to 6 s."""
    if ("gss_code", "item_id") in {tuple(i.columns) for i in db["item_councils"].indexes}:
        return
    db["item_councils"].create_index(["gss_code", "item_id"], index_name=COUNCIL_ITEMS_INDEX)
    if db["sqlite_stat1"].exists():
        db.execute(f"analyze {COUNCIL_ITEMS_INDEX}")


def _create_missing(db: Database) -> None:
    backfills = []  # run once every column exists: one may read another table's new column
    digests = db["digests"]
    if digests.exists() and "recipient" not in digests.columns_dict:
        # Digests were per (region, week) before issue #18: those rows are kept, under
        # another name, and the new table (per adviser) starts empty.
        db.execute("alter table digests rename to digests_by_region")
    for name, spec in TABLES.items():
        table = db[name]
        if not table.exists():
            table.create(
                spec["columns"], pk=spec["pk"], foreign_keys=spec.get("foreign_keys"), not_null=None
            )
            continue
        have = set(table.columns_dict)
        for column, kind in spec["columns"].items():
            if column not in have:
                table.add_column(column, kind)
                if (name, column) in BACKFILL:
                    backfills.append(BACKFILL[(name, column)])
    for sql in backfills:
        db.execute(sql)
    db["items"].create_index(["canonical_url"], unique=True, if_not_exists=True)
    for column in INDEXES[1:]:
        db["items"].create_index([column], if_not_exists=True)
    db["alerts"].create_index(["gss_code", "signal"], if_not_exists=True)
    db["feedback"].create_index(["item_id"], if_not_exists=True)
    db["radar_history"].create_index(["gss_code", "week"], if_not_exists=True)  # council_history
    _council_items_index(db)

    # A process killed between creating the FTS table and its triggers left an index that
    # new items would never reach: `replace` rebuilds it when a trigger is missing.
    triggers = {t.name for t in db["items"].triggers}
    if not db["items"].detect_fts() or not FTS_TRIGGERS <= triggers:
        db["items"].enable_fts(
            ["title", "text"], create_triggers=True, tokenize="porter", replace=True
        )
