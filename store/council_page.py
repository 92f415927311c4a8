"""What a council's page reads from the store: the council itself (with the councils it
replaced and those that replaced it), its flagged items over a span of weeks, and its
sources' health. The weekly scores come from store.history.

Read-only, and plain SQL over a sqlite-utils `Database`, so `radar council` and `radar ui`
(which wraps a Datasette connection, carrying the concerns guard's authorizer) run the same
queries. Nothing here reads the advisers' concerns: a council's page in the UI is served to
anyone who may open the UI, and concerns are not.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

# Flagged items per (item, factor), joined as the radar joins them (store.radar.flag_rows:
# an item with no tags row does not count), so the items behind a week are the ones its
# score was computed from.
FLAGGED = """
    select items.id as item_id, items.title, items.url, items.radar_at,
           coalesce(items.published, items.first_seen) as published,
           json_extract(items.meta, '$.date_note') as date_note,
           coalesce(nullif(sources.name, ''), items.source_id) as source_name,
           flags.factor, flags.score, flags.evidence, flags.page, ic.gss_code
    from items
    join flags on flags.item_id = items.id
    join tags on tags.item_id = items.id
    join item_councils ic on ic.item_id = items.id
    left join sources on sources.id = items.source_id
    where ic.gss_code in ({codes}) and items.radar_at >= ? and items.radar_at < ?
    order by items.radar_at desc, flags.score desc
    limit ?
"""
MAX_FLAG_ROWS = 5000  # a year of one council's flags is hundreds; this only bounds a runaway


def _json_list(value: Any) -> list[Any]:
    try:
        found = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return []
    return found if isinstance(found, list) else []


def find_councils(db: Database, text: str) -> list[str]:
    """The GSS codes whose code, name, official name or alias is `text` (any case): one for
    a known council, none or several otherwise. The UI's council page takes a name as well
    as a code, as `radar council` does."""
    wanted = text.strip().lower()
    found = []
    for row in db.query("select gss_code, name, official_name, aliases from councils"):
        names = {row["gss_code"].lower(), (row["name"] or "").lower(),
                 (row["official_name"] or "").lower()}  # fmt: skip
        names.update(str(a).lower() for a in _json_list(row["aliases"]))
        if wanted in names:
            found.append(row["gss_code"])
    return found


def council_record(db: Database, gss_code: str) -> dict[str, Any] | None:
    """The council's row (aliases and successors decoded), with `successors` and
    `predecessors` as [{gss_code, name}]: the councils that replaced it at a reorganisation
    (`ended`) and those whose items now count for it on the radar. None if unknown."""
    row = next(iter(db.query("select * from councils where gss_code = ?", [gss_code])), None)
    if row is None:
        return None
    names = {r["gss_code"]: r["name"] for r in db.query("select gss_code, name from councils")}
    row["aliases"] = _json_list(row["aliases"])
    row["successors"] = [
        {"gss_code": code, "name": names.get(code, code)} for code in _json_list(row["successors"])
    ]
    row["predecessors"] = [
        {"gss_code": r["gss_code"], "name": r["name"]}
        for r in db.query(
            "select gss_code, name, successors from councils where successors is not null "
            "order by name"
        )
        if gss_code in _json_list(r["successors"])
    ]
    return row


def flagged_items(db: Database, gss_codes: list[str], start: str, end: str) -> list[dict[str, Any]]:
    """One row per flag of the items about any of `gss_codes` that count on the radar in
    [start, end) (UTC stamps), newest first: title, URL, dates, source, factor, score,
    evidence and PDF page."""
    if not gss_codes:
        return []
    sql = FLAGGED.format(codes=", ".join("?" for _ in gss_codes))
    return list(db.query(sql, [*gss_codes, start, end, MAX_FLAG_ROWS]))


def council_sources(db: Database, gss_code: str) -> list[dict[str, Any]]:
    """The council's own sources and their health, troubled first (failures in a row, then
    an error), as `radar sources` and the UI's source_health order them."""
    return list(
        db.query(
            """select id, name, kind, url, last_attempt, last_success, last_status,
                      consecutive_failures, last_error, items_found, items_new
               from sources where council = ?
               order by coalesce(consecutive_failures, 0) desc,
                        coalesce(last_error, '') = '', name""",
            [gss_code],
        )
    )
