"""The radar's weekly history: each council's week as it was computed, kept for every week.

Its own tables, `radar_history` (one row per council and week) and `radar_history_weeks`
(which weeks are recorded, when, and whether final), rather than `radar_weeks`:

- `radar_weeks` is the UI's snapshot of the radar, councils *on* it only, for its canned
  queries ("the latest week" is its newest); the history keeps the councils below the radar
  too (`on_radar` 0), or a chart of a council's score would fall to nothing in every week it
  stayed under `radar.on_radar`, and the UI's "on the radar this week" would list them;
- a week with nothing on the radar is a fact as well: `radar_history_weeks` records it, so a
  quiet week is told apart from one never recorded;
- final or in progress: a week may change until its digest slot has passed (late arrivals
  still count in it, `store.items.radar_time`), so it is recorded as in progress until then
  and replaced by each recording; once recorded final it is only replaced when asked to
  (`radar radar --rebuild`).

Factors are kept as a JSON object and acute signals as a JSON list; `week_rows` and
`council_history` give them back as the radar's rows have them (`Radar.history_rows`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from store.db import write_transaction

COLUMNS = (
    "week", "gss_code", "council", "region", "on_radar", "rank", "score", "baseline", "trend",
    "factors", "stories", "acute", "priority", "top_headline", "top_url",
)  # fmt: skip


def save_week(
    db: Database,
    week: str,
    rows: list[dict[str, Any]],
    *,
    final: bool,
    recorded_at: str,
    replace_final: bool = False,
    threshold: float | None = None,
) -> bool:
    """Replace `week`'s history with `rows` (ranked, as `Radar.history_rows` gives them) in
    one write transaction: a reader sees the old week or the new one, never half of each.

    `threshold` is the `radar.on_radar` score the week was computed with: kept with the
    week, so a chart of the history draws the line that applied then, even after the
    setting is tuned (None: not known, as for weeks recorded before it was kept).

    A week already recorded final is left as it is unless `replace_final` (a rebuild), and
    False is returned: checked inside the transaction, so two recordings at once cannot
    both decide it was missing.
    """
    with write_transaction(db):
        done = db.execute("select final from radar_history_weeks where week = ?", [week]).fetchone()
        if done and done[0] and not replace_final:
            return False
        db.execute("delete from radar_history where week = ?", [week])
        db["radar_history"].insert_all(
            (
                {
                    **{k: row.get(k) for k in COLUMNS},
                    "week": week,
                    "rank": rank,
                    "on_radar": int(bool(row.get("on_radar"))),
                    "factors": json.dumps(row["factors"]),
                    "acute": json.dumps(row["acute"]),
                }
                for rank, row in enumerate(rows, 1)
            ),
            pk=("week", "gss_code"),
        )
        db["radar_history_weeks"].insert(
            {
                "week": week,
                "recorded_at": recorded_at,
                "final": int(final),
                "councils": len(rows),
                "on_radar": sum(1 for row in rows if row.get("on_radar")),
                "threshold": threshold,
            },
            pk="week",
            replace=True,
        )
    return True


def recorded_weeks(db: Database) -> dict[str, dict[str, Any]]:
    """week -> {recorded_at, final, councils, on_radar, threshold} for every week recorded,
    oldest first."""
    return {
        row.pop("week"): {**row, "final": bool(row["final"])}
        for row in db.query("select * from radar_history_weeks order by week")
    }


def week_rows(db: Database, week: str, on_radar_only: bool = False) -> list[dict[str, Any]]:
    """A recorded week's councils in their ranked order (only those on the radar: the same
    rows as `Radar.rows()` for that week)."""
    where = " and on_radar = 1" if on_radar_only else ""
    sql = f"select * from radar_history where week = ?{where} order by rank"
    return [_decoded(row, keep_on_radar=not on_radar_only) for row in db.query(sql, [week])]


def council_history(db: Database, gss_code: str) -> list[dict[str, Any]]:
    """One council's recorded weeks, oldest first (weeks it did not score in have no row)."""
    sql = "select * from radar_history where gss_code = ? order by week"
    return [_decoded(row) for row in db.query(sql, [gss_code])]


def first_item_time(db: Database) -> str | None:
    """When the earliest stored item counts on the radar: where the history can begin."""
    row = db.execute("select min(radar_at) from items").fetchone()
    return row[0] if row else None


def _decoded(row: dict[str, Any], keep_on_radar: bool = True) -> dict[str, Any]:
    row.pop("rank")
    on_radar = bool(row.pop("on_radar"))
    row["factors"] = json.loads(row["factors"] or "{}")
    row["acute"] = json.loads(row["acute"] or "[]")
    return {**row, "on_radar": on_radar} if keep_on_radar else row


def weeks_rows(db: Database, weeks: list[str]) -> list[dict[str, Any]]:
    """Every council's rows in `weeks` (decoded, with `on_radar`), by week then rank: the
    region and England views draw each council's sparkline from them in one query rather
    than one per council."""
    if not weeks:
        return []
    marks = ", ".join("?" for _ in weeks)
    sql = f"select * from radar_history where week in ({marks}) order by week, rank"
    return [_decoded(row) for row in db.query(sql, list(weeks))]
