"""Saved searches in the store: each search's mark, the messages of new matches, and which
items each search has mailed.

Exactly once, as for digests and alerts (store.digests): a message is written down with its
matches before it is sent (`create_mail`, which also records its items against the search
in the same transaction, so no later check can put them in a second message), claimed
before sending (`claim_mail`), and marked sent only once the SMTP server accepted it. A
message whose send failed or whose sender died stays unsent, with the same matches and the
same id, so the next check sends that very message again (under the same Message-ID).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from sqlite_utils import Database

from store.db import write_transaction
from store.digests import claim
from store.items import councils_for_items
from store.search import Filters, SearchError


def start_search(db: Database, name: str, now: str, restart: bool = False) -> bool:
    """Note when the store first saw a saved search: only items stored after that are new
    to it (never the back catalogue). True if this is its first sight. `restart` (a search
    added again under the same name) moves its mark to `now`; what it mailed before stays
    recorded, and is never mailed again."""
    with write_transaction(db):
        cursor = db.execute(
            "insert or ignore into saved_searches (name, started_at) values (?, ?)", [name, now]
        )
        if cursor.rowcount == 0 and restart:
            db.execute("update saved_searches set started_at = ? where name = ?", [now, name])
    return cursor.rowcount == 1


def search_state(db: Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("select * from saved_searches where name = ?", [name]))
    return rows[0] if rows else None


def mark_checked(db: Database, name: str, now: str, error: str | None = None) -> None:
    with write_transaction(db):
        db.execute(
            "update saved_searches set checked_at = ?, last_error = ? where name = ?",
            [now, error, name],
        )


def new_matches(
    db: Database, search: str, query: str, filters: Filters, since: str, limit: int = 1000
) -> list[dict[str, Any]]:
    """Items matching `query` and `filters` stored after `since`, newest first, that this
    search has not yet put in a message. Items a source's first crawl found are its history
    (store.items.radar_time), not news: a newly watched council's back catalogue is not
    mailed. Each with its councils' names and a snippet of the words found."""
    extra, params = filters.sql()
    sql = f"""
        select items.id, items.title, items.url, items.kind, items.first_seen,
               coalesce(items.published, items.first_seen) as published,
               snippet(items_fts, 1, '', '', ' … ', 24) as snippet
        from items_fts
        join items on items.rowid = items_fts.rowid
        left join tags on tags.item_id = items.id
        where items_fts match :query and items.first_seen > :since
          and coalesce(items.first_crawl, 0) = 0
          and not exists (select 1 from saved_items s
                          where s.search = :search and s.item_id = items.id) {extra}
        order by published desc, items.id
        limit :limit
    """
    params.update(query=query, since=since, search=search, limit=limit)
    try:
        rows = list(db.query(sql, params))
    except sqlite3.OperationalError as exc:  # the watch list checks queries; a store may not
        raise SearchError(f"cannot search for {query!r}: {exc}") from None
    councils = councils_for_items(db, [row["id"] for row in rows])
    for row in rows:
        row["councils"] = councils[row["id"]]
    return rows


def create_mail(
    db: Database,
    search: str,
    recipients: list[str],
    matches: list[dict[str, Any]],
    now: str,
    listed: int = 50,
) -> dict[str, Any] | None:
    """Write down one message of new matches for `search` and record its items against the
    search, in one transaction; None if another check took every one of them first. The
    message lists the newest `listed` matches and counts the rest."""
    with write_transaction(db):
        taken = {
            row[0]
            for row in db.execute(
                "select item_id from saved_items where search = ?", [search]
            ).fetchall()
        }
        fresh = [m for m in matches if m["id"] not in taken]
        if not fresh:
            return None
        mail = {
            "id": uuid.uuid4().hex,  # the message's identity: its Message-ID derives from it
            "search": search,
            "created_at": now,
            "recipients": json.dumps(recipients),
            "matches": json.dumps({"listed": fresh[:listed], "total": len(fresh)}),
        }
        db["saved_mails"].insert(mail, pk="id")
        db["saved_items"].insert_all(
            ({"search": search, "item_id": m["id"], "mail_id": mail["id"]} for m in fresh),
            pk=("search", "item_id"),
        )
    return _decoded(mail)


def unsent_mails(db: Database, search: str | None = None) -> list[dict[str, Any]]:
    """Messages written down and not yet accepted by the SMTP server, oldest first."""
    where, params = ("and search = ?", [search]) if search else ("", [])
    sql = f"select * from saved_mails where sent_at is null {where} order by created_at, id"
    return [_decoded(row) for row in db.query(sql, params)]


def sent_mails(db: Database, search: str) -> list[dict[str, Any]]:
    sql = "select * from saved_mails where search = ? and sent_at is not null order by sent_at"
    return [_decoded(row) for row in db.query(sql, [search])]


def claim_mail(db: Database, mail_id: str, now: str) -> bool:
    """Mark an unsent message as being sent now; False if it was sent or another process
    is sending it (a claim older than store.digests.CLAIM_MINUTES died with its process)."""
    return claim(db, "saved_mails", "id = ?", [mail_id], now)


def mark_mail(db: Database, mail_id: str, **fields: Any) -> None:
    """Record a send's outcome: sent_at, message_id and accepted; or last_error."""
    with write_transaction(db):
        db["saved_mails"].update(mail_id, {"sending_at": None, **fields})


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    matches = json.loads(row["matches"] or "{}")
    return {
        **row,
        "recipients": json.loads(row["recipients"] or "[]"),
        "listed": matches.get("listed", []),
        "total": matches.get("total", 0),
    }


def saved_overview(db: Database) -> dict[str, dict[str, Any]]:
    """name -> when the store first saw it and last checked it, its last error, and how many
    messages were sent and are waiting (unsent): for `radar saved list`."""
    sql = """
        select s.name, s.started_at, s.checked_at, s.last_error,
               (select count(*) from saved_mails m
                where m.search = s.name and m.sent_at is not null) as sent,
               (select count(*) from saved_mails m
                where m.search = s.name and m.sent_at is null) as waiting
        from saved_searches s
    """
    return {row.pop("name"): row for row in db.query(sql)}
