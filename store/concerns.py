"""Advisers' concerns about councils and their history (append-only events). Confidential:
they appear only in that region's digest, the PSP report and, to that region's advisers
signed in to `radar ui`, the council's page; in exports only when asked for by name
(`radar export --concerns`)."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from store.db import write_transaction
from store.times import date_range, now_iso

# The tables holding concerns and their notes: never served by `radar ui` (store.ui).
CONFIDENTIAL_TABLES = ("concerns", "concern_events")

STATUSES = {
    "under_review": "Under review (aware and acting)",
    "satisfactory": "Satisfactory explanation",
    "light_touch": "Light-touch support",
    "support_package": "Support package",
    "not_accepted": "Council does not accept",
    "closed": "Closed",
}


def open_concern(
    db: Database,
    gss_code: str,
    factors: list[str],
    owner: str,
    note: str,
    status: str = "under_review",
    items: list[str] | None = None,
) -> int:
    with write_transaction(db):
        concern_id = int(
            db["concerns"]
            .insert(
                {
                    "gss_code": gss_code,
                    "factors": json.dumps(factors),
                    "opened_at": now_iso(),
                    "owner": owner,
                }
            )
            .last_pk
        )
        _event(db, concern_id, status, note, owner, items)
    return concern_id


def update_concern(
    db: Database,
    concern_id: int,
    status: str | None,
    note: str,
    owner: str | None = None,
    items: list[str] | None = None,
) -> None:
    """Add an event: a new status and/or a dated note. Earlier events are never changed."""
    current = concern(db, concern_id)
    if current is None:
        raise KeyError(f"no concern {concern_id}")
    with write_transaction(db):
        _event(db, concern_id, status or current["status"], note, owner or current["owner"], items)


def _event(
    db: Database, concern_id: int, status: str, note: str, owner: str, items: list[str] | None
) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; use one of: {', '.join(STATUSES)}")
    db["concern_events"].insert(
        {
            "concern_id": concern_id,
            "at": now_iso(),
            "status": status,
            "note": note,
            "owner": owner,
            "items": json.dumps(items or []),
        }
    )


CONCERN_SQL = """
    select cn.id, cn.gss_code, c.name as council, c.region, cn.factors, cn.opened_at,
           e.status, e.at as updated_at, e.note as latest_note, e.owner,
           (select count(*) from concern_events where concern_id = cn.id) as events
    from concerns cn
    join councils c on c.gss_code = cn.gss_code
    join concern_events e on e.id = (
        select max(id) from concern_events where concern_id = cn.id)
"""


def _rows(db: Database, where: str, params: list[Any]) -> list[dict[str, Any]]:
    rows = list(db.query(CONCERN_SQL + where + " order by c.region, c.name, cn.id", params))
    for row in rows:
        row["factors"] = json.loads(row["factors"] or "[]")
        row["status_label"] = STATUSES[row["status"]]
    return rows


def concern(db: Database, concern_id: int) -> dict[str, Any] | None:
    found = _rows(db, " where cn.id = ?", [concern_id])
    return found[0] if found else None


def concerns(
    db: Database,
    region: str | None = None,
    include_closed: bool = False,
    gss_code: str | None = None,
):
    """Concerns, with their current status (the latest event), open ones unless asked;
    of one region or one council when given."""
    where, params = [], []
    if region:
        where.append("c.region = ?")
        params.append(region)
    if gss_code:
        where.append("cn.gss_code = ?")
        params.append(gss_code)
    if not include_closed:
        where.append("e.status != 'closed'")
    return _rows(db, (" where " + " and ".join(where)) if where else "", params)


def history(db: Database, concern_id: int) -> list[dict[str, Any]]:
    rows = list(
        db.query("select * from concern_events where concern_id = ? order by id", [concern_id])
    )
    for row in rows:
        row["items"] = json.loads(row["items"] or "[]")
    return rows


CONCERN_COLUMNS = (
    "concern_id", "gss_code", "council", "region", "factors", "opened_at", "at", "status",
    "owner", "note", "items",
)  # fmt: skip


def concern_events(
    db: Database, since: str | None = None, until: str | None = None
) -> list[dict[str, Any]]:
    """Every concern's full history, one row per event dated in [since, until], oldest first
    (for `radar export --concerns`, the explicit and only way concern notes leave the store)."""
    where, params = date_range("e.at", since, until)
    rows = list(
        db.query(
            """select e.concern_id, cn.gss_code, c.name as council, c.region, cn.factors,
                      cn.opened_at, e.at, e.status, e.owner, e.note, e.items
               from concern_events e
               join concerns cn on cn.id = e.concern_id
               join councils c on c.gss_code = cn.gss_code """
            + ("where " + " and ".join(where) if where else "")
            + " order by e.id",
            params,
        )
    )
    for row in rows:
        row["factors"] = json.loads(row["factors"] or "[]")
        row["items"] = json.loads(row["items"] or "[]")
    return rows
