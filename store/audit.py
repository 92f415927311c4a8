"""What a run left in a store, read back by the benchmarks that audit it (bench/soak.py,
bench/crawl.py, bench/search.py): kept here so that every SQL statement lives in store/.

Each function takes an open connection (sqlite3 with `sqlite3.Row` rows, or a sqlite-utils
`Database`) and only reads.
"""

from __future__ import annotations

import sqlite3
from typing import Any

# The tables a benchmark may count or read whole: names are checked, never interpolated free.
TABLES = frozenset({"items", "flags", "tags", "alerts", "digests", "job_runs", "url_aliases"})


def _conn(db: Any) -> sqlite3.Connection:
    return db.conn if hasattr(db, "conn") else db


def _table(name: str) -> str:
    if name not in TABLES:
        raise ValueError(f"not a table the benchmarks read: {name!r}")
    return name


def count_rows(db: Any, table: str) -> int:
    return _conn(db).execute(f"select count(*) from {_table(table)}").fetchone()[0]


def all_rows(db: Any, table: str) -> list[Any]:
    """Every row of `table` in insertion order."""
    return _conn(db).execute(f"select * from {_table(table)} order by rowid").fetchall()


def sources_attempted_since(db: Any, started: str) -> list[Any]:
    """Sources a crawl that started at `started` tried: their errors and failed items."""
    return (
        _conn(db)
        .execute(
            "select last_error, items_failed, last_item_error from sources "
            "where last_attempt >= ?",
            [started],
        )
        .fetchall()
    )


def items_with_tag_time(db: Any) -> list[Any]:
    """Every item, with when it was tagged (None if not yet)."""
    return (
        _conn(db)
        .execute("select i.*, t.tagged_at from items i left join tags t on t.item_id = i.id")
        .fetchall()
    )


def repeated_texts(db: Any) -> int:
    """Items whose text another item already has (the dedupe pipeline should leave none)."""
    return (
        _conn(db)
        .execute(
            "select coalesce(sum(n - 1), 0) from (select count(*) n from items "
            "where content_hash is not null group by content_hash having n > 1)"
        )
        .fetchone()[0]
    )


def insert_synthetic(
    db: Any, items: list[tuple], links: list[tuple], tags: list[tuple], flags: list[tuple]
) -> None:
    """Bulk rows for bench/search.py's million-item store, in one transaction (the same
    columns the pipelines write; tuples, as executemany is 3× faster than dicts here)."""
    conn = _conn(db)
    with conn:
        conn.executemany(
            "insert into items (id, url, canonical_url, source_id, origin, kind, title, "
            "text, published, fetched, first_seen, radar_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            items,
        )
        conn.executemany("insert into item_councils values (?, ?, ?)", links)
        conn.executemany(
            "insert into tags (item_id, classifier_version, sentiment, service, scores, "
            "tagged_at) values (?, ?, ?, ?, ?, ?)",
            tags,
        )
        conn.executemany(
            "insert into flags (item_id, factor, score, evidence, page) values (?, ?, ?, ?, ?)",
            flags,
        )


def analyse(db: Any) -> None:
    """Refresh the query planner's statistics after a bulk load."""
    _conn(db).execute("analyze")
