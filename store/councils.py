"""Councils and sources as the store keeps them (copied from the watch list on each run)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from domain.config import Council, Source
from store.db import write_transaction
from store.times import now_iso


def sync_councils(db: Database, councils: Iterable[Council]) -> None:
    with write_transaction(db):
        _upsert_councils(db, councils)


def _upsert_councils(db: Database, councils: Iterable[Council]) -> None:
    db["councils"].upsert_all(
        (
            {
                "gss_code": c.gss_code,
                "name": c.name,
                "official_name": c.official_name,
                "type": c.type,
                "region": c.region,
                "county": c.county,
                "aliases": json.dumps(c.aliases),
                "watched": int(c.watched),
                "ended": c.ended.isoformat() if c.ended else None,
                "successors": json.dumps(c.successors) if c.successors else None,
            }
            for c in councils
        ),
        pk="gss_code",
    )


def council_names(db: Database) -> dict[str, dict[str, Any]]:
    """gss_code -> {"name", "region"} for every council in the store."""
    return {
        row["gss_code"]: {"name": row["name"], "region": row["region"]}
        for row in db.query("select gss_code, name, region from councils")
    }


def successors_of(db: Database) -> dict[str, tuple[list[str], str]]:
    """A reorganised council's successors and its name: gss_code -> (successors, name)."""
    return {
        row["gss_code"]: (json.loads(row["successors"]), row["name"])
        for row in db.query(
            "select gss_code, name, successors from councils where successors is not null"
        )
    }


def sync_sources(db: Database, sources: Iterable[Source]) -> None:
    with write_transaction(db):
        _upsert_sources(db, sources)


def _upsert_sources(db: Database, sources: Iterable[Source]) -> None:
    db["sources"].upsert_all(
        (
            {
                "id": s.id,
                "kind": s.kind,
                "origin": s.origin,
                "name": s.name,
                "url": s.url,
                "council": s.council,
            }
            for s in sources
        ),
        pk="id",
    )


def record_source_run(db: Database, source_id: str, **health: Any) -> None:
    """Record one crawl of a source: attempt, success, status, error in words, counts.

    A failure adds one to `consecutive_failures` and a success resets it, so an admin (and
    the crawl, which skips sources past `crawl.max_failures`) can tell a blip from a dead source.
    `last_complete` is given only by a crawl that ran to the end; the feed validators only by
    one that also stored every entry (else the next crawl's 304 would skip what is missing).
    """
    with write_transaction(db):
        previous = next(iter(db.query("select * from sources where id = ?", [source_id])), {})
        failed = bool(health.get("last_error"))
        health["consecutive_failures"] = (
            (previous.get("consecutive_failures") or 0) + 1 if failed else 0
        )
        if not previous.get("first_success") and health.get("last_success"):
            health["first_success"] = health["last_success"]
        # validators survive a failed, 304 or interrupted fetch; completion an interrupted one
        keep_previous = ("etag", "last_modified", "page_validators", "last_complete")
        db["sources"].update(
            source_id,
            {k: v for k, v in health.items() if v is not None or k not in keep_previous},
        )


def count_suspect_date(db: Database, source_id: str, note: str | None) -> None:
    """One more item of this source whose date is suspect (store.items.suspect_date_note),
    with its note, for `radar sources`; `note` None: one fewer (a page read since showed a
    date to believe). Called inside the item's own write transaction."""
    if note is None:
        db.execute(
            "update sources set suspect_dates = max(coalesce(suspect_dates, 0) - 1, 0)"
            " where id = ?",
            [source_id],
        )
        return
    db.execute(
        "update sources set suspect_dates = coalesce(suspect_dates, 0) + 1, last_date_note = ?"
        " where id = ?",
        [note, source_id],
    )


def source_state(db: Database, source_id: str | None) -> dict[str, Any]:
    """A source's kind, whether it has ever been crawled successfully (its success is
    recorded at the end of a crawl, so during its first crawl it still shows none) and
    since when."""
    row = db.execute(
        "select kind, last_success, first_success from sources where id = ?", [source_id]
    ).fetchone()
    if not row:
        return {"kind": None, "crawled": False, "since": None}
    return {"kind": row[0], "crawled": bool(row[1]), "since": row[2]}


def record_unread(db: Database, source_ids: list[str], since: str, reason: str) -> int:
    """Sources a crawl killed at its time limit never recorded (no attempt since `since`,
    when it began): each failed that crawl, with `reason`, so a source that keeps a crawl
    from finishing is suspended in the end rather than never heard of. Returns how many.
    The caller leaves out sources the crawl skipped (suspended ones)."""
    now, count = now_iso(), 0
    for source_id in source_ids:
        row = next(iter(db.query("select * from sources where id = ?", [source_id])), None)
        if row is None or (row["last_attempt"] or "") >= since:
            continue
        record_source_run(db, source_id, last_attempt=now, last_error=reason, last_status=None)
        count += 1
    return count


def suspended_sources(db: Database, max_failures: int) -> set[str]:
    """Sources that failed `max_failures` crawls in a row: skipped until an admin resets them."""
    sql = "select id from sources where consecutive_failures >= ?"
    return {row["id"] for row in db.query(sql, [max_failures])}


def reset_source(db: Database, source_id: str) -> bool:
    """Clear a source's failure count so the next crawl tries it again."""
    if not next(iter(db.query("select 1 from sources where id = ?", [source_id])), None):
        return False
    with write_transaction(db):
        db["sources"].update(source_id, {"consecutive_failures": 0})
    return True


def conditional_headers(db: Database) -> dict[str, dict[str, str]]:
    """Per source, the ETag and Last-Modified from its last successful fetch (and a sitemap
    source's, of each of its documents: `page_validators`)."""
    sql = """
        select id, etag, last_modified, page_validators from sources
        where etag is not null or last_modified is not null or page_validators is not null
    """
    return {row.pop("id"): row for row in db.query(sql)}


def source_health(db: Database) -> list[dict[str, Any]]:
    """Every source, the troubled ones first (most consecutive failures, then errors)."""
    sql = """
        select * from sources
        order by coalesce(consecutive_failures, 0) desc, (last_error is null), origin, name
    """
    return list(db.query(sql))


def current_councils(db: Database) -> list[dict[str, Any]]:
    """Every council in the store that has not ended (gss_code, name, region), by name: the
    councils a map of England or a region draws (an ended council's items count for its
    successors, which are drawn instead)."""
    return list(
        db.query("select gss_code, name, region from councils where ended is null order by name")
    )
