"""The record of scheduled job runs, for `radar status`."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from store.db import write_transaction
from store.times import now_iso


def scheduled_jobs(path: Path) -> list[tuple[str, float | None]]:
    """(job id, next run as a Unix time) from APScheduler's job store, read without
    starting a scheduler; none if the store has no job table yet."""
    with closing(sqlite3.connect(path)) as conn:
        try:
            return conn.execute("select id, next_run_time from apscheduler_jobs").fetchall()
        except sqlite3.OperationalError:
            return []


def start_run(db: Database, job: str) -> int:
    with write_transaction(db):
        return int(db["job_runs"].insert({"job": job, "started": now_iso()}).last_pk)


def finish_run(db: Database, run_id: int, outcome: str, detail: str) -> None:
    with write_transaction(db):
        db["job_runs"].update(run_id, {"finished": now_iso(), "outcome": outcome, "detail": detail})


def last_runs(db: Database) -> dict[str, dict[str, Any]]:
    """Each job's latest run (a run with no `finished` is running, or was killed)."""
    sql = """
        select * from job_runs where id in (select max(id) from job_runs group by job)
        order by job
    """
    return {row["job"]: row for row in db.query(sql)}


def interrupted(db: Database, job: str) -> bool:
    """Whether `job`'s latest run never finished: its process was killed while it ran."""
    last = last_runs(db).get(job)
    return last is not None and last["finished"] is None


def ran_since(db: Database, job: str, since: str) -> bool:
    """Whether a run of `job` began at or after `since` (a stored stamp)."""
    return bool(
        db.execute(
            "select 1 from job_runs where job = ? and started >= ? limit 1", [job, since]
        ).fetchone()
    )
