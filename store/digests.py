"""What a region's digest needs from the store, and the record of digests sent."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


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
) -> None:
    """Record a digest built; `sent_at` is set only once the SMTP server has accepted it."""
    db["digests"].upsert(
        {
            "region": region,
            "week": week,
            "html_path": html_path,
            "sent_at": sent_at,
            "message_id": message_id,
            "recipients": json.dumps(recipients or []),
            "attempted_at": sent_at,
            "last_error": None,
        },
        pk=("region", "week"),
    )


def record_digest_failure(
    db: Database, region: str, week: str, html_path: str, attempted_at: str, error: str
) -> None:
    """Record a failed send (never over a digest already sent): the next run retries it."""
    if digest_sent(db, region, week):
        return
    db["digests"].upsert(
        {
            "region": region,
            "week": week,
            "html_path": html_path,
            "attempted_at": attempted_at,
            "last_error": error,
        },
        pk=("region", "week"),
    )
