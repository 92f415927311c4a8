"""The radar's weekly history: record a week, the recent weeks, or every week the store covers.

Trends and charts then read what the radar said each week (`store.history`) rather than
recomputing the past from today's store, settings and classifier. The schedule records the
recent weeks after every crawl (`record_recent`); `radar radar --rebuild` back-fills or
recomputes them all (`backfill`).

A week is final once its digest slot has passed (Monday 07:00 Europe/London by default, the
week the digests report on): until then late arrivals still count in it, so it is recorded
as in progress and recomputed by the next recording; after that it is what the advisers
were told, and only a rebuild recomputes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from alerts.deliver import due_week
from alerts.scoring import compute_radar, shift_week, week_bounds, week_of
from domain.config import WatchList
from store.history import first_item_time, recorded_weeks, save_week
from store.times import parse_iso, stamp


@dataclass
class WeekRecord:
    """What recording one week did."""

    week: str
    final: bool
    councils: int  # scored that week (on the radar or below it)
    on_radar: int
    recorded: bool = True  # False: already recorded final, left as it was

    def describe(self) -> str:
        if not self.recorded:
            return f"{self.week} already final"
        state = "final" if self.final else "in progress"
        return f"{self.week} {state} ({self.on_radar} on the radar)"


def is_final(config: WatchList, week: str, now: datetime) -> bool:
    """Whether `week`'s digest slot has passed at `now` (ISO weeks compare as text)."""
    return week <= due_week(config.schedule, now)


def record_week(
    db: Database,
    config: WatchList,
    week: str,
    *,
    now: datetime | None = None,
    rebuild: bool = False,
) -> WeekRecord:
    """Compute `week`'s radar (every region) and store it as that week's history.

    A week recorded final is not computed again unless `rebuild`.
    """
    now = now or datetime.now(UTC)
    week = week_of(week_bounds(week)[0])  # '2026-w48' as '2026-W48'; a bad week raises
    if not rebuild and recorded_weeks(db).get(week, {}).get("final"):
        return WeekRecord(week, True, 0, 0, recorded=False)
    rows = compute_radar(db, config.radar, week).history_rows()
    final = is_final(config, week, now)
    saved = save_week(
        db, week, rows, final=final, recorded_at=stamp(now), replace_final=rebuild,
        threshold=config.radar.on_radar,
    )  # fmt: skip
    on_radar = sum(1 for row in rows if row["on_radar"])
    return WeekRecord(week, final, len(rows), on_radar, recorded=saved)


def weeks_covered(db: Database, now: datetime | None = None) -> list[str]:
    """Every week from the one the earliest stored item counts in to the current week."""
    now = now or datetime.now(UTC)
    first = first_item_time(db)
    if first is None:
        return []
    week, last = week_of(min(parse_iso(first), now)), week_of(now)
    weeks = [week]
    while weeks[-1] < last:
        weeks.append(shift_week(weeks[-1], 1))
    return weeks


def backfill(
    db: Database,
    config: WatchList,
    *,
    rebuild: bool = False,
    now: datetime | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> list[WeekRecord]:
    """Record every week the store covers that is not recorded final yet (with `rebuild`,
    every week), oldest first; `on_progress(done, total, week)` after each week, as a long
    store's hundreds of weeks take a while. Each week is its own write, so an interrupted
    back-fill keeps what it did and the next one carries on."""
    now = now or datetime.now(UTC)
    final = {w for w, done in recorded_weeks(db).items() if done["final"]}
    todo = [w for w in weeks_covered(db, now) if rebuild or w not in final]
    records = []
    for done, week in enumerate(todo, 1):
        records.append(record_week(db, config, week, now=now, rebuild=rebuild))
        if on_progress:
            on_progress(done, len(todo), week)
    return records


def record_recent(db: Database, config: WatchList, now: datetime | None = None) -> list[WeekRecord]:
    """What the schedule records after each crawl: the current week (in progress) and every
    week since the last one recorded final, at most `radar.baseline_weeks` back (a scheduler
    stopped for a fortnight leaves no gap; a store never recorded waits for `radar radar
    --rebuild` rather than making an hourly job back-fill years)."""
    now = now or datetime.now(UTC)
    current = week_of(now)
    final = [w for w, done in recorded_weeks(db).items() if done["final"] and w <= current]
    start = shift_week(current, -1)
    if final:
        oldest = shift_week(current, -config.radar.baseline_weeks)
        start = max(shift_week(final[-1], 1), oldest)
    weeks = [start]
    while weeks[-1] < current:
        weeks.append(shift_week(weeks[-1], 1))
    return [record_week(db, config, week, now=now) for week in weeks if week <= current]
