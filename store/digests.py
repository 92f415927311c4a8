"""What a region's digest needs from the store, and the record of digests sent."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def flagged_items(db: Database, region: str, start: str, end: str) -> list[dict[str, Any]]:
    """One row per (flag, council in region) for items published in [start, end)."""
    sql = """
        select c.gss_code, c.name as council_name, items.id as item_id, items.title, items.url,
               coalesce(items.story_id, items.id) as story_id,
               items.kind, items.origin, coalesce(items.published, items.fetched) as published,
               coalesce(nullif(sources.name, ''), items.source_id) as source_name,
               flags.factor, flags.score, flags.evidence, flags.page, tags.sentiment
        from flags
        join items on items.id = flags.item_id
        join tags on tags.item_id = items.id
        join item_councils ic on ic.item_id = items.id
        join councils c on c.gss_code = ic.gss_code
        left join sources on sources.id = items.source_id
        where c.region = ?
          and coalesce(items.published, items.fetched) >= ?
          and coalesce(items.published, items.fetched) < ?
        order by c.name, flags.score desc
    """
    return list(db.query(sql, [region, start, end]))


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
        },
        pk=("region", "week"),
    )
