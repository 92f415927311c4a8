"""The scheduler's slots on a clock the test moves (time-machine), in-process: the digest runs
once when the clock reaches its slot, a slot missed while stopped is caught up once at the
next start, a slot refused while stopping is caught up, one past its grace is not sent.

The same `start_scheduler` that `radar run` calls, with its APScheduler thread, SQLite job
store, the real digest job and a real SMTP server on loopback; only the time is the test's.
The clock stands still (`tick=False`) and moves only when the test moves it, so nothing here
waits for a moment to pass or races one: the scheduler is woken after each move, and the test
waits only for work it started to finish (test_schedule.py has the end-to-end `radar run`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import time_machine
import yaml
from apscheduler.schedulers.background import BackgroundScheduler
from scheduling import (
    LONDON,
    assert_one_digest_per_adviser,
    digest_finished,
    digest_runs,
    digest_subjects,
    schedule_at,
    scheduled_copy,
    started_at,
    stored_jobs,
    wait_for,
)

from alerts.deliver import due_week
from alerts.schedule import next_runs, start_scheduler
from alerts.sink import SmtpSink
from domain.config import load_watchlist


@pytest.fixture()
def sink(tmp_path):
    with SmtpSink(tmp_path / "mail") as sink:
        yield sink


@pytest.fixture()
def setup(tagged, tmp_path, sink):
    """A watch list whose digest slot is an hour from the real now (so the tagged store's
    items are as recent at the slot as they are today), and that slot."""
    slot = (datetime.now(LONDON) + timedelta(hours=1)).replace(microsecond=0)
    smtp = {"host": "127.0.0.1", "port": sink.port, "timeout": 10}
    watchlist = scheduled_copy(tagged, tmp_path, smtp, schedule_at(slot))
    return watchlist, slot, tmp_path / "radar.db"


@contextmanager
def running(watchlist) -> Iterator[BackgroundScheduler]:
    """`radar run`'s scheduler, started now (on the test's clock) and stopped after, waiting
    for the job it is running as `radar run` does on SIGTERM."""
    scheduler = start_scheduler(load_watchlist(watchlist), str(watchlist))
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=True)


def nothing_due(scheduler: BackgroundScheduler, now: datetime) -> bool:
    """No job's next run is at or before `now`: on a clock that stands still, the scheduler
    has nothing it could start."""
    return all(job.next_run_time > now for job in scheduler.get_jobs())


def test_the_digest_runs_once_when_the_clock_reaches_its_slot(setup, sink):
    watchlist, slot, db_path = setup
    with time_machine.travel(slot - timedelta(minutes=1), tick=False) as clock:
        with running(watchlist) as scheduler:
            assert scheduler.get_job("digest").next_run_time == slot
            assert nothing_due(scheduler, slot - timedelta(minutes=1))

            clock.move_to(slot + timedelta(seconds=1))
            scheduler.wakeup()
            wait_for(lambda: digest_finished(db_path), 120, "the digest run at the slot")
            assert scheduler.get_job("digest").next_run_time == slot + timedelta(days=7)

            clock.move_to(slot + timedelta(hours=1))
            scheduler.wakeup()
            assert nothing_due(scheduler, slot + timedelta(hours=1))
    assert_one_digest_per_adviser(sink)
    runs = digest_runs(db_path)
    assert [run["outcome"] for run in runs] == ["ok"], runs
    assert started_at(runs[0]) == slot + timedelta(seconds=1)  # at the slot, not before
    week = due_week(load_watchlist(watchlist).schedule, slot)
    assert all(week in subject for subject in digest_subjects(sink))


def test_a_slot_passed_while_stopped_is_sent_once_at_the_next_start(setup, sink):
    watchlist, slot, db_path = setup
    with time_machine.travel(slot - timedelta(minutes=1), tick=False) as clock:
        with running(watchlist):
            pass  # stopped (or the machine off) before the slot
        clock.move_to(slot + timedelta(hours=2))
        assert sink.messages() == [] and digest_runs(db_path) == []

        with running(watchlist):
            wait_for(lambda: digest_finished(db_path), 120, "the missed run at start-up")
        assert_one_digest_per_adviser(sink)
        sent = len(sink.messages())

        clock.move_to(slot + timedelta(hours=3))
        with running(watchlist) as third:
            assert nothing_due(third, slot + timedelta(hours=3))
            assert third.get_job("digest").next_run_time == slot + timedelta(days=7)
    assert len(sink.messages()) == sent
    runs = digest_runs(db_path)
    assert [run["outcome"] for run in runs] == ["ok"], runs  # coalesced: one run, not two
    assert started_at(runs[0]) == slot + timedelta(hours=2)


def test_a_slot_refused_while_stopping_is_caught_up_at_the_next_start(setup, sink):
    """The slot comes while `radar run` is stopping (waiting for a long crawl): APScheduler
    refuses the run ("cannot schedule new futures after shutdown") and still moves the job to
    next week. The store's record (no digest run since the slot) brings the digest back."""
    watchlist, slot, db_path = setup
    with time_machine.travel(slot - timedelta(minutes=1), tick=False) as clock:
        with running(watchlist):
            pass
        clock.move_to(slot + timedelta(seconds=2))
        refused = stored_jobs(watchlist)
        refused.modify_job("digest", next_run_time=slot + timedelta(days=7))
        refused.shutdown(wait=False)

        with running(watchlist):
            wait_for(lambda: digest_finished(db_path), 120, "the refused run at start-up")
    assert_one_digest_per_adviser(sink)
    assert [run["outcome"] for run in digest_runs(db_path)] == ["ok"]


def test_a_slot_missed_by_more_than_its_grace_is_not_sent(setup, sink):
    """`digest_grace_days` (6): a digest a week late would be about the wrong week."""
    watchlist, slot, db_path = setup
    grace = timedelta(days=load_watchlist(watchlist).schedule.digest_grace_days)
    with time_machine.travel(slot - timedelta(minutes=1), tick=False) as clock:
        with running(watchlist):
            pass
        late = slot + grace + timedelta(hours=1)
        crawls = stored_jobs(watchlist)  # the crawls ran meanwhile: not this test's business
        for job in ("feeds", "sites"):
            crawls.modify_job(job, next_run_time=late + timedelta(hours=2))
        crawls.shutdown(wait=False)
        clock.move_to(late)
        with running(watchlist) as scheduler:
            # The scheduler's thread finds the run too late and moves the job to next week
            # (APScheduler submits a run before it moves the job, so none was submitted).
            wait_for(lambda: nothing_due(scheduler, late), 60, "the late run to be skipped")
            assert scheduler.get_job("digest").next_run_time == slot + timedelta(days=7)
    assert sink.messages() == [] and digest_runs(db_path) == []
    assert next_runs(load_watchlist(watchlist))["digest"] == slot + timedelta(days=7)


def test_a_feeds_run_due_during_a_long_sites_run_runs_when_it_ends(tmp_path, monkeypatch):
    """Jobs run one at a time: a feeds run falling due while the nightly sites crawl works
    waits for it, and still runs when it ends, even 90 minutes late (issue #17, item 8: it
    was dropped as missed after one feeds interval's grace, so feeds went unread for an
    extra interval after every long sites crawl). The crawls themselves are stood in for by
    jobs the test holds and releases: what is under test is the scheduler's grace."""
    import threading

    import alerts.jobs

    sites_started, release_sites = threading.Event(), threading.Event()
    feeds_ran: list[datetime] = []

    def sites_job(watchlist_path: str) -> None:
        sites_started.set()
        release_sites.wait(60)

    def feeds_job(watchlist_path: str) -> None:
        feeds_ran.append(datetime.now(LONDON))

    monkeypatch.setattr(alerts.jobs, "sites_job", sites_job)
    monkeypatch.setattr(alerts.jobs, "feeds_job", feeds_job)
    watchlist = tmp_path / "watchlist.yaml"
    schedule = {"feeds_every_minutes": 60, "sites_daily_at": "03:00", "digest_day": "sun"}
    watchlist.write_text(
        yaml.safe_dump({"database": str(tmp_path / "radar.db"), "schedule": schedule}),
        encoding="utf-8",
    )
    start = (datetime.now(LONDON) + timedelta(days=1)).replace(hour=2, minute=59, second=0)
    if start.weekday() == 6:  # keep clear of the Sunday digest
        start += timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        with running(watchlist) as scheduler:
            clock.move_to(start + timedelta(minutes=1, seconds=1))
            scheduler.wakeup()
            wait_for(sites_started.is_set, 30, "the sites run at 03:00")
            clock.move_to(start + timedelta(minutes=61))  # the feeds run falls due
            scheduler.wakeup()
            wait_for(lambda: scheduler.get_job("feeds").next_run_time > clock_now(), 30,
                     "the feeds run handed to the (busy) executor")  # fmt: skip
            clock.move_to(start + timedelta(minutes=151))  # the sites run ends 90 min later
            release_sites.set()
            wait_for(lambda: feeds_ran, 30, "the feeds run that waited")
    assert feeds_ran == [start + timedelta(minutes=151)]


def clock_now() -> datetime:
    return datetime.now(LONDON)
