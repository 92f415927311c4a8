"""Open the store and keep its schema: councils, sources, items, links, tags, digests, FTS."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

SCHEMA_VERSION = 1


def open_db(path: Path | str) -> Database:
    """Open (creating if needed) the store at `path`, in WAL mode with a busy timeout."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("PRAGMA foreign_keys=ON")
    ensure_schema(db)
    return db


def ensure_schema(db: Database) -> None:
    """Create missing tables; schema changes are code, never hand-written DDL elsewhere."""
    db["councils"].create(
        {
            "gss_code": str,
            "name": str,
            "official_name": str,
            "type": str,
            "region": str,
            "county": str,
            "aliases": str,
            "watched": int,
        },
        pk="gss_code",
        if_not_exists=True,
    )
    db["sources"].create(
        {
            "id": str,
            "kind": str,
            "origin": str,
            "name": str,
            "url": str,
            "council": str,
            "last_attempt": str,
            "last_success": str,
            "last_status": int,
            "last_error": str,
            "items_found": int,
            "items_new": int,
        },
        pk="id",
        if_not_exists=True,
    )
    db["items"].create(
        {
            "id": str,
            "url": str,
            "canonical_url": str,
            "source_id": str,
            "origin": str,
            "kind": str,
            "title": str,
            "text": str,
            "summary_only": int,
            "published": str,
            "fetched": str,
            "content_hash": str,
            "page_offsets": str,
            "meta": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["items"].create_index(["canonical_url"], unique=True, if_not_exists=True)
    db["items"].create_index(["content_hash"], if_not_exists=True)
    db["items"].create_index(["published"], if_not_exists=True)
    # URLs whose text was already stored under another URL (syndicated copies): remembered so
    # the next crawl does not fetch them again, and so a story's other outlets are known.
    db["url_aliases"].create(
        {"canonical_url": str, "item_id": str, "seen_at": str},
        pk="canonical_url",
        foreign_keys=[("item_id", "items", "id")],
        if_not_exists=True,
    )
    db["item_councils"].create(
        {"item_id": str, "gss_code": str, "method": str},
        pk=("item_id", "gss_code"),
        foreign_keys=[("item_id", "items", "id")],
        if_not_exists=True,
    )
    db["tags"].create(
        {
            "item_id": str,
            "classifier_version": str,
            "sentiment": str,
            "service": int,
            "scores": str,
            "tagged_at": str,
        },
        pk="item_id",
        foreign_keys=[("item_id", "items", "id")],
        if_not_exists=True,
    )
    db["flags"].create(
        {"item_id": str, "factor": str, "score": float, "evidence": str, "page": int},
        pk=("item_id", "factor"),
        foreign_keys=[("item_id", "items", "id")],
        if_not_exists=True,
    )
    db["digests"].create(
        {
            "region": str,
            "week": str,
            "sent_at": str,
            "message_id": str,
            "recipients": str,
            "html_path": str,
        },
        pk=("region", "week"),
        if_not_exists=True,
    )
    if not db["items"].detect_fts():
        db["items"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")
