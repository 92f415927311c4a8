"""What a region's digest needs from the store, and the record of advisers' digests sent
(one per adviser and week, covering all of their regions)."""

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


def digest_sent(db: Database, recipient: str, week: str) -> dict[str, Any] | None:
    """The adviser's digest for `week` if it was sent (or skipped as empty)."""
    rows = list(
        db.query(
            "select * from digests where recipient = ? and week = ? and sent_at is not null",
            [recipient, week],
        )
    )
    return rows[0] if rows else None


def record_digest(
    db: Database,
    recipient: str,
    week: str,
    regions: list[str],
    html_path: str,
    sent_at: str,
    message_id: str | None = None,
    error: str | None = None,
    skipped: bool = False,
) -> None:
    """Record a digest sent: called only once the SMTP server has accepted it (or, with
    `skipped`, when an empty week is not sent by choice: done all the same)."""
    db["digests"].upsert(
        {
            "recipient": recipient,
            "week": week,
            "regions": json.dumps(regions),
            "html_path": html_path,
            "sent_at": sent_at,
            "message_id": message_id,
            "attempted_at": sent_at,
            "last_error": error,
            "sending_at": None,
            "skipped": int(skipped),
        },
        pk=("recipient", "week"),
    )


def record_digest_failure(
    db: Database, recipient: str, week: str, html_path: str, attempted_at: str, error: str
) -> None:
    """Record a failed send (never over a digest already sent): the next run retries it."""
    if digest_sent(db, recipient, week):
        return
    row = {"recipient": recipient, "week": week, "attempted_at": attempted_at,
           "last_error": error}  # fmt: skip
    db["digests"].upsert(
        {**row, "sending_at": None, **({"html_path": html_path} if html_path else {})},
        pk=("recipient", "week"),
    )


CLAIM_MINUTES = 15  # a claim older than this died with the process that made it


def waiting_digests(db: Database) -> list[dict[str, Any]]:
    """Digests recorded but not sent, with the last error: what `radar status` warns of."""
    sql = "select recipient, week, regions, last_error from digests where sent_at is null"
    return [{**row, "regions": json.loads(row["regions"] or "[]")} for row in db.query(sql)]


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


def _note(db: Database, recipient: str, week: str, regions: list[str]) -> None:
    """The adviser's row for `week`, with the regions it covers (as the watch list says now)."""
    db.execute("insert or ignore into digests (recipient, week) values (?, ?)", [recipient, week])
    db.execute(
        "update digests set regions = ? where recipient = ? and week = ? and sent_at is null",
        [json.dumps(regions), recipient, week],
    )


def claim_digest(db: Database, recipient: str, week: str, now: str, regions: list[str]) -> bool:
    """Claim the adviser's digest for `week` (see `claim`): one sender at a time."""
    with write_transaction(db):
        _note(db, recipient, week, regions)
    return claim(db, "digests", "recipient = ? and week = ?", [recipient, week], now)


def mark_due(db: Database, advisers: dict[str, list[str]], week: str, now: str) -> None:
    """Note that these advisers' digests (recipient -> regions) for `week` are due (the
    scheduled run has begun)."""
    with write_transaction(db):
        for recipient, regions in advisers.items():
            _note(db, recipient, week, regions)
            db.execute(
                "update digests set attempted_at = ? where recipient = ? and week = ? "
                "and sent_at is null and attempted_at is null",
                [now, recipient, week],
            )


def digest_due(db: Database, recipient: str, week: str) -> bool:
    """Due and not sent: its scheduled run began (and failed or died) without sending it."""
    return bool(
        db.execute(
            "select 1 from digests where recipient = ? and week = ? "
            "and attempted_at is not null and sent_at is null",
            [recipient, week],
        ).fetchone()
    )
