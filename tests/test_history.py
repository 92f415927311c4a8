"""The weekly radar history: back-filled for every week the store covers, equal to what
`radar radar --week W` computes, kept across restarts, recorded by the crawl jobs (the week in
progress recomputed, a past week final), recomputed by `radar radar --rebuild`.

Real SQLite stores: a copy of the session's crawled and tagged demo store (its items spread
over four weeks, so past weeks have something on the radar), or a few stored items in named
weeks. Every clock is injected; only `radar radar --rebuild` reads the real one, on a store
crawled this session."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import jsonl, rows, run_radar
from test_digest import own_copy
from test_radar import add, at

from alerts.acute import check_acute
from alerts.history import backfill, record_week, weeks_covered
from alerts.jobs import record_history
from alerts.scoring import compute_radar, shift_week, week_of
from domain.config import load_watchlist
from store import open_db
from store.history import council_history, recorded_weeks, week_rows
from store.times import parse_iso


def spread_over_four_weeks(db) -> datetime:
    """Move three in four of the demo's items (all dated this week) back one to three weeks,
    so the baselines and past weeks have flags; return when the crawl ended, as `now`."""
    db.execute(
        "update items set radar_at = strftime('%Y-%m-%dT%H:%M:%SZ', radar_at,"
        " '-' || ((rowid % 4) * 7) || ' days')"
    )
    db.conn.commit()
    (last,) = db.execute("select max(fetched) from items").fetchone()
    return parse_iso(last) + timedelta(minutes=1)


@pytest.fixture()
def demo_history(tagged, tmp_path):
    """A copy of the tagged demo store spread over four weeks, acute alerts raised, every
    week back-filled: (watch list path, config, db, now, progress calls)."""
    path = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": 9})
    config = load_watchlist(path)
    db = open_db(config.database)
    now = spread_over_four_weeks(db)
    assert check_acute(db, config, now)  # the section 114 story and others: acute weeks
    progress: list[tuple[int, int, str]] = []
    backfill(db, config, now=now, on_progress=lambda *call: progress.append(call))
    yield path, config, db, now, progress
    db.close()


def test_backfill_records_every_week_as_radar_radar_computes_it(demo_history):
    path, config, db, now, progress = demo_history
    (first,) = db.execute("select min(radar_at) from items").fetchone()
    expected, week = [], week_of(parse_iso(first))
    while week <= week_of(now):
        expected.append(week)
        week = shift_week(week, 1)
    assert weeks_covered(db, now) == expected and len(expected) >= 4
    assert list(recorded_weeks(db)) == expected  # one row set per week, the quiet ones too
    assert progress == [(i, len(expected), w) for i, w in enumerate(expected, 1)]
    flagged = []
    for week in expected:
        radar = compute_radar(db, config.radar, week)
        stored = week_rows(db, week, on_radar_only=True)
        assert stored == radar.rows(), week
        assert week_rows(db, week) == radar.history_rows(), week  # below the radar too
        assert recorded_weeks(db)[week]["on_radar"] == len(stored)
        if stored:
            flagged.append(week)
    # Past weeks with councils on the radar, trends against real baselines, acute signals.
    assert len(flagged) >= 3 and flagged[-1] == week_of(now)
    stored = [row for week in flagged for row in week_rows(db, week, on_radar_only=True)]
    assert {"new", "rising"} <= {row["trend"] for row in stored}
    assert any(row["acute"] for row in stored)
    # The command prints the same rows (its JSON) for each past week.
    for week in flagged[:-1]:
        assert recorded_weeks(db)[week]["final"]
        printed = jsonl(run_radar("radar", "--week", week, "--json", "-w", path).stdout)
        assert printed == week_rows(db, week, on_radar_only=True), week


def test_history_survives_a_restart_and_an_older_store_gains_it(tmp_path):
    path = tmp_path / "radar.db"
    db = open_db(path)
    db["councils"].insert_all(
        [
            {"gss_code": "X1", "name": "Kelderby", "region": "North West", "aliases": "[]"},
            {"gss_code": "X2", "name": "Brackenfold", "region": "East Midlands", "aliases": "[]"},
        ]
    )
    add(db, "a1", "X1", {"finance": 0.9}, at("2026-W47"), title='"Section 114" <b>now</b>')
    add(db, "a2", "X1", {"leadership": 0.8}, at("2026-W48"))
    add(db, "a3", "X2", {"finance": 0.3}, at("2026-W48"))  # below the radar
    (tmp_path / "w.yaml").write_text(f"database: {path}\n", encoding="utf-8")
    config = load_watchlist(tmp_path / "w.yaml")
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)  # Wednesday of W49
    for week in ("2026-W47", "2026-W48", "2026-W49"):
        record_week(db, config, week, now=now)
    before = (
        recorded_weeks(db),
        [week_rows(db, w) for w in ("2026-W47", "2026-W48", "2026-W49")],
        council_history(db, "X1"),
        council_history(db, "X2"),
    )
    db.close()
    db = open_db(path)
    after = (
        recorded_weeks(db),
        [week_rows(db, w) for w in ("2026-W47", "2026-W48", "2026-W49")],
        council_history(db, "X1"),
        council_history(db, "X2"),
    )
    assert after == before
    assert [w["final"] for w in after[0].values()] == [True, True, False]
    assert [r["week"] for r in after[2]] == ["2026-W47", "2026-W48"]
    assert after[2][0]["top_headline"] == '"Section 114" <b>now</b>'
    (brackenfold,) = after[3]
    assert brackenfold["on_radar"] is False and brackenfold["factors"] == {"finance": 0.21}
    assert after[1][1] == compute_radar(db, config.radar, "2026-W48").history_rows()
    # A store from before the history gets its tables when opened, and keeps its items.
    db.execute("drop table radar_history")
    db.execute("drop table radar_history_weeks")
    db.close()
    db = open_db(path)
    assert recorded_weeks(db) == {} and db["items"].count == 3
    assert record_week(db, config, "2026-W48", now=now).on_radar == 1
    db.close()


def test_the_crawl_jobs_record_the_week_in_progress_and_finalise_the_last(tmp_path):
    """`alerts.jobs.record_history`, the crawl job's last step: the current week is recorded
    as in progress and recomputed each time; a week becomes final once its digest slot
    (Monday 07:00 London) has passed, and is then never recomputed by the schedule."""
    path = tmp_path / "radar.db"
    db = open_db(path)
    db["councils"].insert({"gss_code": "X1", "name": "Kelderby", "region": "North West"})
    add(db, "a1", "X1", {"finance": 0.9}, at("2026-W47"))
    add(db, "a2", "X1", {"leadership": 0.8}, at("2026-W48"))
    db.close()
    (tmp_path / "w.yaml").write_text(f"database: {path}\n", encoding="utf-8")
    config = load_watchlist(tmp_path / "w.yaml")

    def stored(week: str) -> list[float]:
        sql = "select score from radar_history where week = ?"
        return [r["score"] for r in rows(path, sql, [week])]

    def weeks() -> dict[str, bool]:
        db = open_db(path)
        try:
            return {w: done["final"] for w, done in recorded_weeks(db).items()}
        finally:
            db.close()

    wednesday = datetime(2026, 11, 25, 12, tzinfo=UTC)  # W48; W47's digest went on Monday
    ok, line = record_history(config, wednesday)
    assert ok and line == (
        "radar history: 2026-W47 final (1 on the radar), 2026-W48 in progress (1 on the radar)"
    )
    assert weeks() == {"2026-W47": True, "2026-W48": False}
    assert stored("2026-W47") == [0.63] and stored("2026-W48") == [0.56]  # x 0.7: media

    # Hours later: the week in progress is recomputed, the final one left as recorded.
    db = open_db(path)
    db.execute("update radar_history set score = 9 where gss_code = 'X1'")
    db.conn.commit()
    add(db, "a3", "X1", {"finance": 0.5}, at("2026-W48", 3))
    db.close()
    ok, line = record_history(config, wednesday + timedelta(hours=5))
    assert ok and line == "radar history: 2026-W48 in progress (1 on the radar)"
    assert stored("2026-W47") == [9] and stored("2026-W48") == [0.91]

    # Monday 03:00: W48 may still gain late arrivals until its digest goes at 07:00.
    ok, line = record_history(config, datetime(2026, 11, 30, 3, tzinfo=UTC))
    assert ok and "2026-W48 in progress" in line and "2026-W49 in progress" in line
    assert weeks() == {"2026-W47": True, "2026-W48": False, "2026-W49": False}
    ok, line = record_history(config, datetime(2026, 11, 30, 8, tzinfo=UTC))
    assert ok and "2026-W48 final" in line
    assert weeks() == {"2026-W47": True, "2026-W48": True, "2026-W49": False}

    # A scheduler stopped for a fortnight leaves no gap behind it.
    ok, line = record_history(config, datetime(2026, 12, 16, 12, tzinfo=UTC))  # W51
    assert ok and list(weeks()) == [shift_week("2026-W47", k) for k in range(5)]

    # A store that cannot be opened is one line in the job's detail, not an exception.
    broken = config.model_copy(update={"database": tmp_path})
    ok, line = record_history(broken, wednesday)
    assert not ok and line.startswith("radar history: ")


def test_rebuild_recomputes_an_altered_week_and_history_shows_a_council(demo_history):
    path, config, db, now, _ = demo_history
    flagged = [w for w, done in recorded_weeks(db).items() if done["on_radar"] and done["final"]]
    week = flagged[0]
    expected = week_rows(db, week)
    db.execute("update radar_history set score = 99, trend = 'falling' where week = ?", [week])
    db.execute("delete from radar_history where week = ? and rank = 1", [week])
    db.conn.commit()
    backfill(db, config, now=now)  # without --rebuild a final week stays as recorded
    assert week_rows(db, week) != expected and {r["score"] for r in week_rows(db, week)} == {99}
    db.close()

    result = run_radar("radar", "--rebuild", "-w", path)
    db = open_db(config.database)
    weeks = recorded_weeks(db)
    assert f"{len(weeks)} weeks recorded in the radar history" in result.stdout
    assert week_rows(db, week) == expected == compute_radar(db, config.radar, week).history_rows()

    kelderby = council_history(db, "X08000001")
    assert len(kelderby) >= 2
    table = run_radar("radar", "--history", "Kelderby MBC", "-w", path).stdout  # an alias
    assert "Kelderby: the radar week by week" in table
    for row in kelderby:
        assert row["week"] in table and f"{row['score']:.2f}" in table
    printed = jsonl(run_radar("radar", "--history", "X08000001", "--json", "-w", path).stdout)
    assert printed == json.loads(json.dumps(kelderby))
    unknown = run_radar("radar", "--history", "Nowhere", "-w", path, check=False)
    assert unknown.returncode == 2 and "not a council we know" in unknown.stderr
