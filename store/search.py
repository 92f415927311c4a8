"""Full-text search over items (SQLite FTS5, ranked by bm25)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from store.items import councils_for_items
from store.times import date_range


class SearchError(ValueError):
    """A query FTS5 cannot parse; the message suggests how to fix it."""


@dataclass
class Filters:
    """What narrows a search besides its words (all optional, combined with AND)."""

    council: str | None = None  # GSS code or name
    region: str | None = None
    factor: str | None = None
    sentiment: str | None = None
    source_kind: str | None = None  # a source kind (feed, moderngov…), item kind or origin
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None  # YYYY-MM-DD, inclusive

    def sql(self) -> tuple[str, dict[str, Any]]:
        where, params = [], {}
        if self.council:
            where.append(_about("c.gss_code = :council or lower(c.name) = lower(:council)"))
            params["council"] = self.council
        if self.region:
            where.append(_about("lower(c.region) = lower(:region)"))
            params["region"] = self.region
        if self.factor:
            where.append(
                "exists (select 1 from flags f where f.item_id = items.id and f.factor = :factor)"
            )
            params["factor"] = self.factor
        if self.sentiment:
            where.append("tags.sentiment = :sentiment")
            params["sentiment"] = self.sentiment
        if self.source_kind:
            where.append(
                "(:kind in (items.kind, items.origin) or exists (select 1 from sources s "
                "where s.id = items.source_id and s.kind = :kind))"
            )
            params["kind"] = self.source_kind
        dated, dates = date_range(
            "coalesce(items.published, items.first_seen)", self.since, self.until
        )
        where += dated
        params.update(dates)
        return "".join(f" and {clause}" for clause in where), params


def _about(condition: str) -> str:
    """Items linked to a council (`c`) meeting `condition`."""
    return (
        "exists (select 1 from item_councils ic join councils c on c.gss_code = ic.gss_code "
        f"where ic.item_id = items.id and ({condition}))"
    )


def search(
    db: Database,
    query: str,
    limit: int = 20,
    marks: tuple[str, str] = ("[", "]"),
    filters: Filters | None = None,
) -> list[dict[str, Any]]:
    """Items matching an FTS5 query and `filters`, best first (bm25, titles weighing five
    times the text), with a snippet whose matches are wrapped in `marks`, and the item's
    councils, flagged factors and sentiment."""
    extra, params = (filters or Filters()).sql()
    sql = f"""
        select items.id, items.title, items.url, items.published, items.date_source,
               items.radar_at, json_extract(items.meta, '$.date_note') as date_note,
               items.origin, items.kind,
               snippet(items_fts, 1, :open, :close, ' … ', 20) as snippet,
               bm25(items_fts, 5.0, 1.0) as rank,
               tags.sentiment as sentiment,
               (select group_concat(factor, ',') from flags
                where flags.item_id = items.id) as factors
        from items_fts
        join items on items.rowid = items_fts.rowid
        left join tags on tags.item_id = items.id
        where items_fts match :query {extra}
        order by rank
        limit :limit
    """
    params.update(query=query, limit=limit, open=marks[0], close=marks[1])
    try:
        rows = list(db.query(sql, params))
    except sqlite3.OperationalError as exc:
        raise SearchError(
            f"cannot search for {query!r}: {exc}. Put phrases in double quotes, "
            "e.g. '\"section 114\"', and use AND / OR / NOT in capitals."
        ) from None
    councils = councils_for_items(db, [row["id"] for row in rows])
    for row in rows:
        row["councils"] = councils[row["id"]]
        row["factors"] = row["factors"].split(",") if row["factors"] else []
    return rows


def recent_items(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    """The newest items with the names of their councils (for `radar source test`)."""
    sql = """
        select items.*, (select group_concat(c.name, ', ') from item_councils ic
                         join councils c on c.gss_code = ic.gss_code
                         where ic.item_id = items.id) as councils
        from items order by coalesce(published, fetched) desc limit ?
    """
    return list(db.query(sql, [limit]))
