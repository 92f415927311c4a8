"""Full-text search over items (SQLite FTS5, ranked by bm25)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from store.items import councils_for_items


class SearchError(ValueError):
    """A query FTS5 cannot parse; the message suggests how to fix it."""


def search(
    db: Database, query: str, limit: int = 20, marks: tuple[str, str] = ("[", "]")
) -> list[dict[str, Any]]:
    """Items matching an FTS5 query, best first, with a snippet whose matches are wrapped in
    `marks`, and the item's councils, flagged factors and sentiment."""
    sql = """
        select items.id, items.title, items.url, items.published, items.origin, items.kind,
               snippet(items_fts, 1, :open, :close, ' … ', 20) as snippet,
               bm25(items_fts, 5.0, 1.0) as rank,
               tags.sentiment as sentiment,
               (select group_concat(factor, ',') from flags
                where flags.item_id = items.id) as factors
        from items_fts
        join items on items.rowid = items_fts.rowid
        left join tags on tags.item_id = items.id
        where items_fts match :query
        order by rank
        limit :limit
    """
    try:
        rows = list(
            db.query(sql, {"query": query, "limit": limit, "open": marks[0], "close": marks[1]})
        )
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
