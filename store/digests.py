"""What a region's digest needs from the store, and the record of digests sent."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from store.db import write_transaction
from store.times import parse_iso, stamp


def source_problems(db: Database, region: str) -> list[dict[str, Any]]:
    """Sources whose last crawl failed, for this region's councils or shared by all regions."""
    sql = """
        select s.* from sources s left join councils c on c.gss_code = s.council
        where s.last_error is not null and s.last_error != ''
          and (c.region = ? or s.council is null)
        order by s.id
    """
    return list(db.query(sql, [region]))


def digest_sent(db: Database, region: str, week: str) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "select * from digests where region = ? and week = ? and sent_at is not null",
            [region, week],
        )
    )
    return rows[0] if rows else None


def record_digest(
    db: Database,
    region: str,
    week: str,
    html_path: str,
    sent_at: str | None = None,
    message_id: str | None = None,
    recipients: list[str] | None = None,
    error: str | None = None,
) -> None:
    """Record a digest sent: called only once the SMTP server has accepted it."""
    db["digests"].upsert(
        {
            "region": region,
            "week": week,
            "html_path": html_path,
            "sent_at": sent_at,
            "message_id": message_id,
            "recipients": json.dumps(recipients or []),
            "attempted_at": sent_at,
            "last_error": error,
            "sending_at": None,
        },
        pk=("region", "week"),
    )


def record_digest_failure(
    db: Database, region: str, week: str, html_path: str, attempted_at: str, error: str
) -> None:
    """Record a failed send (never over a digest already sent): the next run retries it."""
    if digest_sent(db, region, week):
        return
    row = {"region": region, "week": week, "attempted_at": attempted_at, "last_error": error}
    db["digests"].upsert(
        {**row, "sending_at": None, **({"html_path": html_path} if html_path else {})},
        pk=("region", "week"),
    )


CLAIM_MINUTES = 15  # a claim older than this died with the process that made it


def waiting_digests(db: Database) -> list[dict[str, Any]]:
    """Digests recorded but not sent, with the last error: what `radar status` warns of."""
    return list(db.query("select region, week, last_error from digests where sent_at is null"))


def release_claims(db: Database) -> None:
    """Forget every claim on an unsent digest, alert or saved-search mail ("being sent"):
    for a scheduler that holds the single-instance lock after one was killed mid-send."""
    with write_transaction(db):
        db.execute("update digests set sending_at = null where sent_at is null")
        db.execute("update alerts set sending_at = null where sent_at is null")
        db.execute("update saved_mails set sending_at = null where sent_at is null")


def claim(db: Database, table: str, where: str, params: list[str], now: str) -> bool:
    """Atomically mark an unsent row as being sent now; False if it was sent or another
    process claimed it in the last CLAIM_MINUTES (a claim older than that died with its
    process)."""
    stale = stamp(parse_iso(now) - timedelta(minutes=CLAIM_MINUTES))
    with write_transaction(db):
        cursor = db.execute(
            f"update {table} set sending_at = ? where {where} and sent_at is null "
            "and (sending_at is null or sending_at < ?)",
            [now, *params, stale],
        )
    return cursor.rowcount == 1


def claim_digest(db: Database, region: str, week: str, now: str) -> bool:
    with write_transaction(db):
        db.execute("insert or ignore into digests (region, week) values (?, ?)", [region, week])
    return claim(db, "digests", "region = ? and week = ?", [region, week], now)


def mark_due(db: Database, regions: list[str], week: str, now: str) -> None:
    """Note that these regions' digests for `week` are due (the scheduled run has begun)."""
    with write_transaction(db):
        for region in regions:
            db.execute("insert or ignore into digests (region, week) values (?, ?)", [region, week])
            db.execute(
                "update digests set attempted_at = ? where region = ? and week = ? "
                "and sent_at is null and attempted_at is null",
                [now, region, week],
            )


def digest_due(db: Database, region: str, week: str) -> bool:
    """Due and not sent: its scheduled run began (and failed or died) without sending it."""
    return bool(
        db.execute(
            "select 1 from digests where region = ? and week = ? and attempted_at is not null "
            "and sent_at is null",
            [region, week],
        ).fetchone()
    )
