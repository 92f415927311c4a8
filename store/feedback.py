"""Advisers' judgements on items: dated, named, never changed; they override the classifier.

An adviser who reads a false alarm in a digest says so once (`radar feedback ITEM
--not-factor finance`, the UI's item page, or the link beside the evidence in a digest).
The judgement is kept as a row of its own (who, when, what) and applied to the item's tags
at once, so the radar and the next digest read the corrected item; it is applied again
whenever the item is re-tagged or re-linked, so a newer classifier never undoes it; and
`radar train` folds every judgement into the training data. For each question (is it about
factor F, is it about council C, what is its sentiment) the latest judgement wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from store.db import write_transaction
from store.times import now_iso

# verdict -> what its value names; "factor"/"not_factor" answer the same question
VERDICTS = {
    "factor": "factor",
    "not_factor": "factor",
    "council": "council",
    "not_council": "council",
    "sentiment": "sentiment",
}


class FeedbackError(ValueError):
    """A judgement that cannot be recorded (no such item), in words for the CLI."""


def find_item(db: Database, ref: str) -> dict[str, Any]:
    """An item by its id, or by its URL as a digest shows it."""
    row = db.execute(
        "select id, title, text from items where id = ? or url = ? or canonical_url = ? "
        "limit 1",
        [ref, ref, ref],
    ).fetchone()
    if not row:
        raise FeedbackError(f"No stored item {ref!r} (give its id, or its URL as shown).")
    return {"id": row[0], "title": row[1], "text": row[2]}


def record_feedback(
    db: Database,
    item_id: str,
    adviser: str,
    judgements: Iterable[tuple[str, str]],
    note: str = "",
    at: str | None = None,
) -> list[int]:
    """Record (verdict, value) judgements by `adviser` on one item and apply them at once.

    A `not_factor` judgement keeps the evidence the adviser dismissed: `radar train` learns
    from that sentence, since the flag itself is gone."""
    at = at or now_iso()
    adviser = adviser.strip()
    if not adviser:
        raise FeedbackError("Say who you are (--by NAME): each judgement is signed.")
    ids = []
    with write_transaction(db):
        if not db.execute("select 1 from items where id = ?", [item_id]).fetchone():
            raise FeedbackError(f"No stored item {item_id!r}.")
        for verdict, value in judgements:
            if verdict not in VERDICTS:
                raise FeedbackError(f"Unknown judgement {verdict!r}.")
            evidence = None
            if verdict == "not_factor":
                found = db.execute(
                    "select evidence from flags where item_id = ? and factor = ?",
                    [item_id, value],
                ).fetchone()
                evidence = found[0] if found else None
            row = {
                "item_id": item_id, "at": at, "adviser": adviser, "verdict": verdict,
                "value": value, "note": note, "evidence": evidence,
            }  # fmt: skip
            ids.append(int(db["feedback"].insert(row).last_pk))
        apply_feedback(db, [item_id])
    return ids


def latest_judgements(db: Database, item_ids: Iterable[str]) -> dict[str, dict[tuple, dict]]:
    """Per item, the latest judgement for each question: (kind, value) -> row."""
    ids = list(dict.fromkeys(item_ids))
    found: dict[str, dict[tuple, dict]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.query(
            f"select * from feedback where item_id in ({marks}) order by at, id", chunk
        )
        for row in rows:
            kind = VERDICTS.get(row["verdict"])
            key = (kind,) if kind == "sentiment" else (kind, row["value"])
            found.setdefault(row["item_id"], {})[key] = row
    return found


def apply_feedback(db: Database, item_ids: Iterable[str]) -> None:
    """Make the items' flags, council links and sentiment agree with the latest judgements.

    Called inside the caller's transaction (after tagging or re-linking), so the corrected
    state and the classifier's result are written together."""
    for item_id, judged in latest_judgements(db, item_ids).items():
        for row in judged.values():
            verdict, value = row["verdict"], row["value"]
            if verdict == "not_factor":
                db.execute(
                    "delete from flags where item_id = ? and factor = ?", [item_id, value]
                )
            elif verdict == "factor":
                if not db.execute(
                    "select 1 from flags where item_id = ? and factor = ?", [item_id, value]
                ).fetchone():
                    evidence = _first_sentence(db, item_id)
                    db["flags"].insert(
                        {"item_id": item_id, "factor": value, "score": 1.0,
                         "evidence": evidence, "page": None, "rule": "adviser"},
                        pk=("item_id", "factor"),
                    )  # fmt: skip
            elif verdict == "not_council":
                db.execute(
                    "delete from item_councils where item_id = ? and gss_code = ?",
                    [item_id, value],
                )
            elif verdict == "council":
                db["item_councils"].insert(
                    {"item_id": item_id, "gss_code": value, "method": "adviser"},
                    pk=("item_id", "gss_code"),
                    ignore=True,
                )
            elif verdict == "sentiment":
                db.execute("update tags set sentiment = ? where item_id = ?", [value, item_id])


def _first_sentence(db: Database, item_id: str) -> str:
    """What a missed factor shows as evidence until the adviser's note says more: the
    headline, or the text's opening."""
    title, text = db.execute(
        "select title, text from items where id = ?", [item_id]
    ).fetchone()
    return (title or "").strip() or " ".join((text or "").split()[:40])


def judgements(db: Database, item_id: str | None = None, limit: int = 100) -> list[dict]:
    """Recorded judgements, newest first, with each item's title."""
    where, params = ("where f.item_id = ?", [item_id]) if item_id else ("", [])
    sql = f"""
        select f.*, items.title, items.url from feedback f
        left join items on items.id = f.item_id {where}
        order by f.at desc, f.id desc limit ?
    """
    return list(db.query(sql, [*params, limit]))


def training_rows(db: Database) -> list[dict[str, Any]]:
    """Every judged item as the classifier should now read it: its text, the flags (factor
    and evidence) and sentiment it carries after the judgements, the service tag, and the
    judgements themselves (with the evidence dismissed, for `not_factor`)."""
    sql = """
        select items.id, items.title, items.text, tags.sentiment, tags.service,
               (select json_group_object(factor, evidence) from flags
                 where flags.item_id = items.id) as flags
        from items left join tags on tags.item_id = items.id
        where items.id in (select item_id from feedback)
        order by items.id
    """
    rows = []
    judged = {}
    for row in db.query(sql):
        judged[row["id"]] = row
    latest = latest_judgements(db, judged)
    for item_id, row in judged.items():
        rows.append(
            {
                "id": item_id,
                "title": row["title"] or "",
                "text": row["text"] or "",
                "flags": json.loads(row["flags"] or "{}"),  # factor -> evidence
                "sentiment": row["sentiment"],
                "service": bool(row["service"]),
                "judgements": list(latest.get(item_id, {}).values()),
            }
        )
    return rows


def item_for_review(db: Database, item_id: str) -> dict[str, Any] | None:
    """What an adviser judging an item needs to see: its headline, link, date, flags with
    their evidence, councils, sentiment, and the judgements so far (newest first)."""
    row = db.execute(
        "select id, title, url, coalesce(published, first_seen), kind from items where id = ?",
        [item_id],
    ).fetchone()
    if not row:
        return None
    flags = list(
        db.query(
            "select factor, score, evidence, page, rule from flags where item_id = ? "
            "order by score desc",
            [item_id],
        )
    )
    councils = list(
        db.query(
            "select c.gss_code, c.name, ic.method from item_councils ic "
            "join councils c on c.gss_code = ic.gss_code where ic.item_id = ? order by c.name",
            [item_id],
        )
    )
    tag = db.execute("select sentiment from tags where item_id = ?", [item_id]).fetchone()
    return {
        "id": row[0], "title": row[1] or "", "url": row[2] or "", "published": row[3] or "",
        "kind": row[4], "flags": flags, "councils": councils,
        "sentiment": tag[0] if tag else None, "judgements": judgements(db, item_id),
    }  # fmt: skip
