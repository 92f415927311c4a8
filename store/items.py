"""Items (news, media, minutes, reports) and the councils they are about."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlite_utils import Database


def known_urls(db: Database) -> set[str]:
    """Canonical URLs already stored: the crawl does not fetch these again."""
    return {row["canonical_url"] for row in db.query("select canonical_url from items")}


def is_duplicate(db: Database, canonical_url: str, content_hash: str | None) -> bool:
    """True when the store already has this URL, or the same text under another URL."""
    if db.execute(
        "select 1 from items where canonical_url = ? limit 1", [canonical_url]
    ).fetchone():
        return True
    if (
        content_hash
        and db.execute(
            "select 1 from items where content_hash = ? limit 1", [content_hash]
        ).fetchone()
    ):
        return True
    return False


def insert_item(db: Database, item: dict[str, Any], councils: Iterable[tuple[str, str]]) -> bool:
    """Store one item and its council links in one transaction; False if it already exists."""
    with db.conn:
        if db.execute("select 1 from items where id = ?", [item["id"]]).fetchone():
            return False
        db["items"].insert(item)
        db["item_councils"].insert_all(
            (
                {"item_id": item["id"], "gss_code": code, "method": method}
                for code, method in councils
            ),
            pk=("item_id", "gss_code"),
            ignore=True,
        )
    return True


def count_items(db: Database) -> int:
    return db["items"].count


def items_to_tag(
    db: Database, classifier_version: str, retag: bool = False
) -> Iterator[dict[str, Any]]:
    """Items with no tags from this classifier version (all items with `retag`)."""
    sql = """
        select items.* from items left join tags on tags.item_id = items.id
        where ? or tags.item_id is null or tags.classifier_version != ?
        order by items.published
    """
    yield from db.query(sql, [int(retag), classifier_version])


def save_tags(db: Database, rows: Iterable[dict[str, Any]]) -> int:
    """Replace an item's tags and flags with a new classification result."""
    count = 0
    with db.conn:
        for row in rows:
            db.execute("delete from flags where item_id = ?", [row["item_id"]])
            db["tags"].upsert(
                {
                    "item_id": row["item_id"],
                    "classifier_version": row["classifier_version"],
                    "sentiment": row["sentiment"],
                    "service": int(row["service"]),
                    "scores": json.dumps(row["scores"]),
                    "tagged_at": row["tagged_at"],
                },
                pk="item_id",
            )
            db["flags"].insert_all(
                (
                    {"item_id": row["item_id"], "factor": factor, **flag}
                    for factor, flag in row["flags"].items()
                ),
                pk=("item_id", "factor"),
            )
            count += 1
    return count


def councils_for_items(db: Database, item_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {i: [] for i in item_ids}
    if not item_ids:
        return found
    marks = ",".join("?" for _ in item_ids)
    sql = f"""
        select ic.item_id, c.gss_code, c.name, c.region from item_councils ic
        join councils c on c.gss_code = ic.gss_code where ic.item_id in ({marks})
    """
    for row in db.query(sql, item_ids):
        found[row.pop("item_id")].append(row)
    return found
