"""What the radar reads from the store: flagged items per council and week, and acute alerts."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from store.db import write_transaction


def flag_rows(
    db: Database, start: str, end: str, region: str | None = None
) -> list[dict[str, Any]]:
    """One row per (flag, council) for items that count on the radar in [start, end)."""
    where = "and c.region = ?" if region else ""
    sql = f"""
        select c.gss_code, c.name as council_name, c.region, items.id as item_id, items.title,
               items.url, coalesce(items.story_id, items.id) as story_id, items.kind,
               items.origin, items.radar_at,
               coalesce(items.published, items.first_seen) as published,
               items.first_seen, json_extract(items.meta, '$.date_note') as date_note,
               coalesce(nullif(sources.name, ''), items.source_id) as source_name,
               flags.factor, flags.score, flags.evidence, flags.page, flags.rule, tags.sentiment
        from items
        join flags on flags.item_id = items.id
        join tags on tags.item_id = items.id
        join item_councils ic on ic.item_id = items.id
        join councils c on c.gss_code = ic.gss_code
        left join sources on sources.id = items.source_id
        where items.radar_at >= ? and items.radar_at < ? {where}
    """
    return list(db.query(sql, [start, end, region] if region else [start, end]))


def latest_evidence(db: Database, gss_code: str) -> dict[str, Any] | None:
    """The council's most recent flagged item, with its factors: the PSP report's evidence."""
    rows = list(
        db.query(
            """select i.title, i.url, coalesce(i.published, i.first_seen) as published,
                      group_concat(f.factor, ', ') as factors
               from flags f join items i on i.id = f.item_id
               join item_councils ic on ic.item_id = i.id
               where ic.gss_code = ? group by i.id order by published desc limit 1""",
            [gss_code],
        )
    )
    return rows[0] if rows else None


def fresh_flagged_items(db: Database, since: str) -> list[dict[str, Any]]:
    """Flagged items that count on the radar since `since`, with their factors and councils
    (and each council's names), for the acute-signal check. Items counted when found
    because their date was suspect (`meta.date_note`) are left out: the event may be years
    old, so it goes to the week's digest with its note, not to an adviser's inbox at once."""
    sql = """
        select items.id, items.title, items.text, items.source_id,
               (select group_concat(factor) from flags where flags.item_id = items.id) as factors,
               (select json_group_array(json_object(
                    'gss_code', c.gss_code, 'name', c.name, 'aliases', c.aliases,
                    'region', c.region, 'method', ic.method))
                from item_councils ic join councils c on c.gss_code = ic.gss_code
                where ic.item_id = items.id) as councils
        from items
        where items.radar_at >= ? and exists (select 1 from flags where item_id = items.id)
        and json_extract(items.meta, '$.date_note') is null
        order by items.radar_at
    """
    rows = list(db.query(sql, [since]))
    for row in rows:
        row["factors"] = (row["factors"] or "").split(",")
        row["councils"] = json.loads(row["councils"] or "[]")
    return rows


def alert_raised_since(db: Database, gss_code: str, signal: str, since: str) -> bool:
    return bool(
        db.execute(
            "select 1 from alerts where gss_code = ? and signal = ? and raised_at >= ?",
            [gss_code, signal, since],
        ).fetchone()
    )


def record_alert(db: Database, alert: dict[str, Any]) -> None:
    with write_transaction(db):
        db["alerts"].insert(alert, pk="id", ignore=True)


def unsent_alerts(db: Database) -> list[dict[str, Any]]:
    return list(db.query(ALERT_SQL + " where a.sent_at is null order by a.raised_at"))


def alerts_between(
    db: Database, start: str, end: str, region: str | None = None
) -> list[dict[str, Any]]:
    where = " where a.raised_at >= ? and a.raised_at < ?" + (" and c.region = ?" if region else "")
    params = [start, end, region] if region else [start, end]
    return list(db.query(ALERT_SQL + where + " order by a.raised_at", params))


ALERT_SQL = """
    select a.*, c.name as council_name, c.region, items.title, items.url,
           coalesce(items.published, items.first_seen) as published,
           coalesce(nullif(sources.name, ''), items.source_id) as source_name
    from alerts a
    join councils c on c.gss_code = a.gss_code
    left join items on items.id = a.item_id
    left join sources on sources.id = items.source_id
"""


def mark_alert(db: Database, alert_id: str, **fields: Any) -> None:
    """Record a delivery outcome: sent_at/message_id/recipients, or last_error."""
    with write_transaction(db):
        db["alerts"].update(alert_id, fields)


def claim_alert(db: Database, alert_id: str, now: str) -> bool:
    from store.digests import claim

    return claim(db, "alerts", "id = ?", [alert_id], now)
