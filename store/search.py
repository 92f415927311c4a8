"""Full-text search over items (SQLite FTS5, ranked by bm25).

A search runs in steps, so that a store of a million items answers in tens of milliseconds
(issue #19): it ranks the matches from the FTS index alone (rowid and FTS5's `rank`, no
item columns, no snippet); it checks the other filters down that ranking, a growing batch at
a time, until enough rows pass; then it reads the columns, snippet, tags and flags of the
rows shown, and only those. The one query before computed the snippet, item columns and
flags of every match before sorting (a word matching 10,000 items: 10,000 snippets and
10,000 item lookups for 20 rows shown).

A council filter drives from the council's side instead: its items (an index on
item_councils' GSS code) are few next to a word's matches, so each match is checked against
that set, without a lookup in items.

A query matching more than `RANK_WINDOW` items (a prefix such as `consult*` matches half
the store) ranks the `RANK_WINDOW` newest of them (stored last) that pass the filters, not
every one: bm25 over half a million matches took two seconds, and said little, since bm25
gives a word found in half the items almost no weight. The results say so
(`Results.capped`), and `radar search --newest 0` ranks every match.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from store.items import councils_for_items
from store.times import date_range

# How many of a query's matches are ranked at most: the newest (last stored) ones. bm25
# costs about 2.5 µs a match on the bench machine (2 shared cores), so 20,000 take about
# 55 ms (bench/search.py's `every item`), while every query matching up to 2% of a million
# items is still ranked whole, exactly.
RANK_WINDOW = 20_000

# bm25 with titles weighing five times the text, as FTS5's `rank` (set per query with
# `rank MATCH`, so the store's FTS settings stay as they were and need no migration).
RANKING = "bm25(5.0, 1.0)"


class SearchError(ValueError):
    """A query FTS5 cannot parse; the message suggests how to fix it."""


class Results(list):  # type: ignore[type-arg]
    """A search's rows, best first, and how they were ranked: `capped` when the query
    matched more than `window` items and only the `window` newest were ranked."""

    def __init__(self, rows: list[dict[str, Any]], capped: bool = False, window: int = 0):
        super().__init__(rows)
        self.capped = capped
        self.window = window


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
        """The filters as `and …` conditions on `items` (joined with `tags`), for queries
        that read items row by row (saved searches)."""
        return self._sql(council=True, sentiment="tags.sentiment = :sentiment")

    def _sql(
        self, council: bool, sentiment: str, region: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The conditions, cheapest first (SQLite checks them in the order written): the
        columns of items, then one index lookup (flags, tags, sources), then the councils."""
        where, params = [], {}
        dated, dates = date_range(
            "coalesce(items.published, items.first_seen)", self.since, self.until
        )
        where += dated
        params.update(dates)
        if self.source_kind:
            where.append(
                "(:kind in (items.kind, items.origin) or exists (select 1 from sources s "
                "where s.id = items.source_id and s.kind = :kind))"
            )
            params["kind"] = self.source_kind
        if self.factor:
            where.append(
                "exists (select 1 from flags f where f.item_id = items.id and f.factor = :factor)"
            )
            params["factor"] = self.factor
        if self.sentiment:
            where.append(sentiment)
            params["sentiment"] = self.sentiment
        if self.council and council:
            where.append(_about("c.gss_code = :council or lower(c.name) = lower(:council)"))
            params["council"] = self.council
        if self.region:
            where.append(region or _about("lower(c.region) = lower(:region)"))
            params["region"] = self.region
        return "".join(f" and {clause}" for clause in where), params


def _about(condition: str) -> str:
    """Items linked to a council (`c`) meeting `condition`."""
    return (
        "exists (select 1 from item_councils ic join councils c on c.gss_code = ic.gss_code "
        f"where ic.item_id = items.id and ({condition}))"
    )


# The items of the councils a council filter names, as rowids (item_councils' index on GSS
# code, then items' index on id, which holds the rowid): `+` keeps SQLite from handing the
# list to FTS5 as one lookup per item, and makes it a set each match is checked against.
COUNCIL_ROWIDS = """
    and +items_fts.rowid in (
        select items.rowid from councils c
        join item_councils ic on ic.gss_code = c.gss_code
        join items on items.id = ic.item_id
        where c.gss_code = :council or lower(c.name) = lower(:council))"""


def _row_filters(filters: Filters) -> tuple[str, dict[str, Any]]:
    """The filters besides the council's, as `and …` conditions on `items` alone."""
    return filters._sql(
        council=False,
        sentiment="exists (select 1 from tags where tags.item_id = items.id "
        "and tags.sentiment = :sentiment)",
        # the region's councils found once, then each item's links checked against them
        # (`+` keeps the list from driving a lookup per council for every item)
        region="exists (select 1 from item_councils ic where ic.item_id = items.id and "
        "+ic.gss_code in (select gss_code from councils where lower(region) = lower(:region)))",
    )


def words_sql(filters: Filters) -> tuple[str, dict[str, Any]]:
    """The query ranking the matches from the FTS index alone (and the council filter's
    items): rowid, rank, and how many were ranked, best first (ties in rowid order), of the
    `:window` newest matches."""
    council, params = "", {}
    if filters.council:
        council, params = COUNCIL_ROWIDS, {"council": filters.council}
    sql = f"""
        select rowid, rank, count(*) over () as ranked from (
            select items_fts.rowid as rowid, items_fts.rank as rank
            from items_fts
            where items_fts match :query and items_fts.rank match '{RANKING}' {council}
            order by items_fts.rowid desc
            limit :window)
        order by rank, rowid
    """
    return sql, params


def rank_sql(filters: Filters) -> tuple[str, dict[str, Any]]:
    """The query ranking the `:window` newest matches that pass every filter, for a query
    matching more than `:window` items: rowid, rank and how many were ranked, best first.
    Each match, newest first, is looked up in items to check the filters."""
    extra, params = _row_filters(filters)
    if filters.council:
        extra = COUNCIL_ROWIDS + extra
        params["council"] = filters.council
    sql = f"""
        select rowid, rank, count(*) over () as ranked from (
            select items_fts.rowid as rowid, items_fts.rank as rank
            from items_fts join items on items.rowid = items_fts.rowid
            where items_fts match :query and items_fts.rank match '{RANKING}' {extra}
            order by items_fts.rowid desc
            limit :window)
        order by rank, rowid
        limit :limit
    """
    return sql, params


def search(
    db: Database,
    query: str,
    limit: int = 20,
    marks: tuple[str, str] = ("[", "]"),
    filters: Filters | None = None,
    window: int | None = RANK_WINDOW,
) -> Results:
    """Items matching an FTS5 query and `filters`, best first (bm25, titles weighing five
    times the text; ties oldest first), with a snippet whose matches are wrapped in
    `marks`, and the item's councils, flagged factors and sentiment. Of more than `window`
    matches, the `window` newest are ranked (`Results.capped`); None ranks every match."""
    filters = filters or Filters()
    try:
        ranked, capped = _ranked(db, query, limit, filters, window or -1)  # -1: no limit
        rows = _shown(db, query, [rowid for rowid, _ in ranked], marks)
    except sqlite3.OperationalError as exc:
        raise SearchError(
            f"cannot search for {query!r}: {exc}. Put phrases in double quotes, "
            "e.g. '\"section 114\"', and use AND / OR / NOT in capitals."
        ) from None
    by_rowid = {row.pop("rowid"): row for row in rows}
    found = []
    for rowid, rank in ranked:
        row = by_rowid.get(rowid)  # None only for an index row whose item is gone
        if row is not None:
            row["rank"] = rank
            found.append(row)
    councils = councils_for_items(db, [row["id"] for row in found])
    for row in found:
        row["councils"] = councils[row["id"]]
        row["factors"] = row["factors"].split(",") if row["factors"] else []
    return Results(found, capped=capped, window=window or 0)


def _ranked(
    db: Database, query: str, limit: int, filters: Filters, window: int
) -> tuple[list[tuple[int, float]], bool]:
    """The best `limit` matches as (rowid, rank), and whether more than `window` matched.

    The matches are ranked first, from the index alone; the other filters are then checked
    down the ranking, a growing batch at a time, until `limit` rows pass: a filter letting
    one match in eight through (a region, three months) checks about 8 × `limit` items, not
    every match. A query matching more than `window` items is ranked with its filters
    instead (`rank_sql`), so that the window is of matches that pass them: else a filter for
    last year could find nothing among the newest matches of a common word."""
    sql, params = words_sql(filters)
    params.update(query=query, window=window)
    extra, extra_params = _row_filters(filters)
    cursor = db.execute(sql, params)
    batch = cursor.fetchmany(limit if not extra else max(4 * limit, 100))
    capped = bool(batch) and 0 <= window <= batch[0][2]
    if not extra:
        return [(rowid, rank) for rowid, rank, _ in batch[:limit]], capped
    if capped:
        cursor.close()
        sql, params = rank_sql(filters)
        params.update(query=query, window=window, limit=limit)
        rows = list(db.execute(sql, params))
        return [(rowid, rank) for rowid, rank, _ in rows], bool(rows) and rows[0][2] >= window
    found: list[tuple[int, float]] = []
    while batch and len(found) < limit:
        listed = ",".join(str(int(row[0])) for row in batch)
        passing = {
            rowid
            for (rowid,) in db.execute(
                f"select items.rowid from items where items.rowid in ({listed}) {extra}",
                extra_params,
            )
        }
        found += [(rowid, rank) for rowid, rank, _ in batch if rowid in passing]
        batch = cursor.fetchmany(4 * len(batch))
    cursor.close()
    return found[:limit], False


def _shown(
    db: Database, query: str, rowids: list[int], marks: tuple[str, str]
) -> list[dict[str, Any]]:
    """The columns, snippet, sentiment and flagged factors of the rows a search shows.

    One pass of the FTS index over the shown rows' rowid range, not one lookup per row:
    FTS5 starts each lookup by reading the query's doclists afresh, which for a prefix
    (`consult*`, every term beginning so) took 40 ms each at a million items."""
    if not rowids:
        return []
    listed = ",".join(str(int(rowid)) for rowid in rowids)
    first, last = min(rowids), max(rowids)
    sql = f"""
        select items_fts.rowid as rowid, items.id, items.title, items.url, items.published,
               items.date_source, items.radar_at,
               json_extract(items.meta, '$.date_note') as date_note,
               items.origin, items.kind,
               snippet(items_fts, 1, :open, :close, ' … ', 20) as snippet,
               tags.sentiment as sentiment,
               (select group_concat(factor, ',') from flags
                where flags.item_id = items.id) as factors
        from items_fts
        join items on items.rowid = items_fts.rowid
        left join tags on tags.item_id = items.id
        where items_fts match :query and items_fts.rowid between :first and :last
          and +items_fts.rowid in ({listed})
    """
    params = {"query": query, "open": marks[0], "close": marks[1], "first": first, "last": last}
    return list(db.query(sql, params))


def recent_items(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    """The newest items with the names of their councils (for `radar source test`)."""
    sql = """
        select items.*, (select group_concat(c.name, ', ') from item_councils ic
                         join councils c on c.gss_code = ic.gss_code
                         where ic.item_id = items.id) as councils
        from items order by coalesce(published, fetched) desc limit ?
    """
    return list(db.query(sql, [limit]))
