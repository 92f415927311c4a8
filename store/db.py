"""Open the store and keep its schema: councils, sources, items, links, tags, digests, FTS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlite_utils import Database

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
        },
        "pk": "id",
    },
    "items": {
        "columns": {
            "id": str, "url": str, "canonical_url": str, "source_id": str, "origin": str,
            "kind": str, "title": str, "text": str, "summary_only": int, "published": str,
            "date_source": str, "fetched": str, "content_hash": str, "page_offsets": str,
            "meta": str, "story_id": str, "first_seen": str, "radar_at": str,
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
    "digests": {
        "columns": {
            "region": str, "week": str, "sent_at": str, "message_id": str, "recipients": str,
            "html_path": str, "attempted_at": str, "last_error": str, "sending_at": str,
        },
        "pk": ("region", "week"),
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
}


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
    """Create missing tables and columns; schema changes are code, not DDL strings."""
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
                    db.execute(BACKFILL[(name, column)])
    db["items"].create_index(["canonical_url"], unique=True, if_not_exists=True)
    db["items"].create_index(["content_hash"], if_not_exists=True)
    db["items"].create_index(["published"], if_not_exists=True)
    db["items"].create_index(["story_id"], if_not_exists=True)
    db["items"].create_index(["radar_at"], if_not_exists=True)
    db["alerts"].create_index(["gss_code", "signal"], if_not_exists=True)

    if not db["items"].detect_fts():
        db["items"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")
