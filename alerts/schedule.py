"""`radar run`'s scheduler: APScheduler with a persistent SQLite job store.

Jobs have fixed ids and live in `<database>-schedule.db`, so a run missed while the machine
was off is still due when the scheduler starts again; `coalesce` turns several missed runs
into one, and the weekly digest keeps a grace of days (APScheduler's default of one second
would silently skip a Monday missed by more than that). A job whose settings are unchanged is
kept as stored, not replaced: `add_job(replace_existing=True)` would recompute its next run
from now and forget the missed one. The store's record of sent digests, not the scheduler,
is what stops a digest going out twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from domain.config import WatchList
from store import open_db
from store.digests import release_claims
from store.jobs import interrupted, ran_since, scheduled_jobs
from store.times import stamp

DAY = 24 * 3600


@dataclass
class JobSpec:
    id: str
    func: str  # "module:function", stored by reference in the job store
    trigger: BaseTrigger
    grace_seconds: int
    args: tuple[str, ...]
    what: str


def schedule_path(config: WatchList) -> Path:
    return config.database.with_name(config.database.stem + "-schedule.db")


def wanted_jobs(config: WatchList, watchlist_path: str) -> list[JobSpec]:
    """The jobs the watch list's `schedule:` asks for."""
    settings = config.schedule
    zone = settings.timezone
    site_hour, site_minute = settings.sites_daily_at.split(":")[:2]
    clock = settings.digest_at.split(":") + ["0"]
    every = settings.feeds_every_minutes
    args = (watchlist_path,)
    # Jobs run one at a time, so a feeds run falling due while the sites run works (up to
    # its crawl and tag timeouts) waits for it: its grace covers that wait, or APScheduler
    # would drop it as missed once it starts, and the feeds would go unread for a whole
    # extra interval after every long sites crawl.
    longest_job = int((settings.crawl_timeout_minutes + settings.tag_timeout_minutes) * 60)
    return [
        JobSpec(
            "feeds",
            "alerts.jobs:feeds_job",
            IntervalTrigger(minutes=every, timezone=zone),
            max(every * 60, longest_job + 600),
            args,
            f"crawl feeds every {every} min, then tag, alert, retry deliveries",
        ),
        JobSpec(
            "sites",
            "alerts.jobs:sites_job",
            CronTrigger(hour=site_hour, minute=site_minute, timezone=zone),
            DAY,
            args,
            f"crawl sites and democracy sites daily at {settings.sites_daily_at}, then tag",
        ),
        JobSpec(
            "digest",
            "alerts.jobs:digest_job",
            CronTrigger(
                day_of_week=settings.digest_day,
                hour=clock[0],
                minute=clock[1],
                second=clock[2],
                timezone=zone,
            ),
            settings.digest_grace_days * DAY,
            args,
            f"weekly digests {settings.digest_day} {settings.digest_at} {zone}",
        ),
    ]


def _same(job: Any, spec: JobSpec) -> bool:
    def key(trigger: Any) -> tuple[str, str, str]:
        return (type(trigger).__name__, str(trigger), str(trigger.timezone))

    return (
        job.func_ref == spec.func
        and tuple(job.args) == spec.args
        and key(job.trigger) == key(spec.trigger)
        and job.misfire_grace_time == spec.grace_seconds
    )


def start_scheduler(config: WatchList, watchlist_path: str) -> BackgroundScheduler:
    """Start the scheduler with the watch list's jobs; missed runs are due at once.

    Time is APScheduler's clock (`datetime.now` in the schedule's zone), read here the same
    way, so a test moves both with time-machine (tests/test_schedule_clock.py)."""
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{schedule_path(config)}")},
        # One job at a time: a crawl and a digest never race for the store or the mail.
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=config.schedule.timezone,
    )
    scheduler.start(paused=True)
    wanted = wanted_jobs(config, watchlist_path)
    digest_stored = scheduler.get_job("digest") is not None
    for spec in wanted:
        existing = scheduler.get_job(spec.id)
        if existing is not None and _same(existing, spec):
            continue  # keep its stored next run time, even one in the past
        scheduler.add_job(
            spec.func,
            spec.trigger,
            args=spec.args,
            id=spec.id,
            name=spec.what,
            misfire_grace_time=spec.grace_seconds,
            coalesce=True,
            replace_existing=True,
        )
    for job in scheduler.get_jobs():
        if job.id not in {spec.id for spec in wanted}:
            job.remove()
    _release_claims(config)
    now = datetime.now(UTC)
    if _digest_interrupted(config) or (digest_stored and _digest_missed(config, now)):
        # Killed half-way through sending (the machine went down), or the slot came while the
        # scheduler was stopping (APScheduler refuses the run and still moves it to next week):
        # the hourly retry only resends digests whose sending failed, so without this the
        # week's digest would never go out.
        scheduler.modify_job("digest", next_run_time=now)
    scheduler.resume()
    return scheduler


def _release_claims(config: WatchList) -> None:
    """Claims on digests and alerts "being sent" by a scheduler that was killed: this one
    holds the single-instance lock, so no other scheduler is sending them now."""
    db = open_db(config.database)
    try:
        release_claims(db)
    finally:
        db.close()


def _digest_missed(config: WatchList, now: datetime) -> bool:
    """The latest digest slot passed, within its grace, and no digest run began after it."""
    from alerts.deliver import last_slot

    slot = last_slot(config.schedule, now)
    if now - slot > timedelta(days=config.schedule.digest_grace_days):
        return False
    db = open_db(config.database)
    try:
        return not ran_since(db, "digest", stamp(slot))
    finally:
        db.close()


def _digest_interrupted(config: WatchList) -> bool:
    db = open_db(config.database)
    try:
        return interrupted(db, "digest")
    finally:
        db.close()


def next_runs(config: WatchList) -> dict[str, datetime | None]:
    """Each stored job's next run time, read from the job store without starting anything."""
    path = schedule_path(config)
    if not path.exists():
        return {}
    rows = scheduled_jobs(path)
    return {
        job_id: datetime.fromtimestamp(stamp, UTC) if stamp is not None else None
        for job_id, stamp in rows
    }
