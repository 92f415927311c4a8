"""The jobs `radar run` schedules: crawl, tag, check acute signals, deliver.

Crawling and tagging run as child processes (`alerts.worker`, over the same Python API as
the `radar` commands) with a timeout, killed with their whole process group when it passes:
a crash, a hang or a memory blow-up there never takes the scheduler down. Checking acute
signals and delivering mail are quick store reads and SMTP conversations, done in the
scheduler's process. Every run is recorded in the store's `job_runs` table (what `radar
status` shows) and logged.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from alerts.acute import check_acute
from alerts.deliver import deliver_pending
from alerts.history import record_recent
from alerts.saved import check_saved_searches
from alerts.worker import STOPPED_AT_TIME_LIMIT
from domain.config import SOURCE_KINDS, WatchList, load_watchlist
from store import open_db
from store.councils import record_unread, suspended_sources
from store.jobs import finish_run, start_run
from store.times import now_iso

log = logging.getLogger("radar.schedule")
FEED_KINDS = ["feed"]
SITE_KINDS = [kind for kind in SOURCE_KINDS.__args__ if kind != "feed"]


@dataclass
class ChildResult:
    outcome: str  # ok, failed, crashed (killed by a signal), timeout
    returncode: int | None
    seconds: float
    tail: str  # the end of its stderr, for the record

    def describe(self, what: str) -> str:
        text = f"{what} {self.outcome} in {self.seconds:.0f} s"
        return f"{text}: {self.tail}" if self.outcome != "ok" and self.tail else text


def worker_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "alerts.worker", *args]


def run_child(command: list[str], timeout: float) -> ChildResult:
    """Run `command` in its own process group; after `timeout` seconds kill the group."""
    started = time.monotonic()
    env = {**os.environ, "NO_COLOR": "1"}
    child = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
        env=env,
    )
    try:
        _, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        _, stderr = child.communicate()
        return ChildResult("timeout", None, time.monotonic() - started, _tail(stderr))
    code = child.returncode
    outcome = "ok" if code == 0 else "crashed" if code < 0 else "failed"
    return ChildResult(outcome, code, time.monotonic() - started, _tail(stderr))


def _tail(text: str | None, lines: int = 3) -> str:
    return " | ".join((text or "").strip().splitlines()[-lines:])[-500:]


def _record(job: str, config: WatchList, outcome: str, detail: str, run_id: int) -> None:
    db = open_db(config.database)
    finish_run(db, run_id, outcome, detail)
    db.close()
    (log.info if outcome == "ok" else log.warning)("%s: %s: %s", job, outcome, detail)


def crawl_job(watchlist_path: str, job: str, kinds: list[str]) -> None:
    """Crawl sources of `kinds`, tag what is new, raise acute alerts, deliver what is due,
    mail saved searches' new matches, record the week's radar in its history."""
    config = load_watchlist(watchlist_path)
    db = open_db(config.database)
    run_id = start_run(db, job)
    db.close()
    schedule = config.schedule
    steps = []
    began, timeout = now_iso(), schedule.crawl_timeout_minutes * 60
    crawl = run_child(
        worker_command(
            "crawl",
            watchlist_path,
            *[f"--kind={k}" for k in kinds],
            f"--stop-at={time.time() + timeout - stop_margin(config, timeout):.0f}",
        ),
        timeout,
    )
    if crawl.returncode == STOPPED_AT_TIME_LIMIT:
        crawl.outcome = "timeout"  # stopped itself in time: every source's health recorded
    elif crawl.outcome == "timeout":
        # Killed (hung past its own stop): what it never recorded failed this crawl.
        unread = record_unread_sources(config, kinds, began)
        steps.append(f"{unread} sources not read before the kill counted as failing")
    steps.append(crawl.describe("crawl"))
    # Tag even after a failed crawl: whatever it stored before failing is worth reading.
    tag = run_child(worker_command("tag", watchlist_path), schedule.tag_timeout_minutes * 60)
    steps.append(tag.describe("tag"))
    outcome = "ok" if crawl.outcome == tag.outcome == "ok" else "failed"
    if "timeout" in (crawl.outcome, tag.outcome):
        outcome = "timeout"
    try:
        db = open_db(config.database)
        raised = check_acute(db, config)
        steps.append(f"{len(raised)} acute alerts raised")
        delivery = deliver_pending(db, config, retry_only=True)
        steps.append(f"delivery: {delivery.summary()}")
        db.close()
        if delivery.failed:
            outcome = "failed" if outcome == "ok" else outcome
    except Exception as exc:  # noqa: BLE001 - recorded and logged; the scheduler goes on
        outcome = "failed"
        steps.append(f"alerts: {type(exc).__name__}: {exc}")
    checked, line = check_saved(config)
    steps.append(line)
    if not checked and outcome == "ok":
        outcome = "failed"
    recorded, line = record_history(config)
    steps.append(line)
    if not recorded and outcome == "ok":
        outcome = "failed"
    _record(job, config, outcome, "; ".join(steps), run_id)


def check_saved(config: WatchList, now: datetime | None = None) -> tuple[bool, str]:
    """The crawl job's step after the acute check: mail each saved search's new matches
    (alerts.saved), now that tagging has flagged them. Whether every search was checked and
    its mail accepted, and a line for the job's detail; a failure (SMTP down, a full disk)
    is recorded for `radar status` and retried by the next run, and never stops the steps
    after it."""
    if not config.saved_searches:
        return True, "saved searches: none"

    def check(db: Database) -> tuple[bool, str]:
        done = check_saved_searches(db, config, now)
        return not done.failed, done.summary()

    return _store_step(config, "saved searches", check)


def record_history(config: WatchList, now: datetime | None = None) -> tuple[bool, str]:
    """The crawl job's last step: record this week's radar (and any recent week not yet
    final) in the weekly history, after tagging and the acute check, so the week holds what
    this crawl found. Whether it worked, and a line for the job's detail: a failure here
    (a full disk) is recorded for `radar status`, and never stops the alerts before it."""
    return _store_step(
        config,
        "radar history",
        lambda db: (True, ", ".join(w.describe() for w in record_recent(db, config, now))),
    )


def _store_step(
    config: WatchList, label: str, work: Callable[[Database], tuple[bool, str]]
) -> tuple[bool, str]:
    """One of the crawl job's closing steps on its own store connection: (ok, "label: what
    happened"); any failure becomes that line instead of an exception, so the steps around
    it still run and `radar status` shows why."""
    try:
        db = open_db(config.database)
        try:
            ok, said = work(db)
        finally:
            db.close()
    except Exception as exc:  # noqa: BLE001 - recorded and logged; the scheduler goes on
        return False, f"{label}: {type(exc).__name__}: {exc}"
    return ok, f"{label}: {said}"


def stop_margin(config: WatchList, timeout: float) -> float:
    """How long before its timeout a crawl stops itself: time for the downloads in flight to
    end (each within `crawl.download_timeout`) and for the health of every source to be
    written, so the kill at the timeout is only for a crawl that hangs."""
    margin = config.crawl.download_timeout + max(10.0, timeout / 10)
    return margin if margin < timeout else timeout / 2


def record_unread_sources(config: WatchList, kinds: list[str], began: str) -> int:
    """After a crawl killed at its timeout: each of its sources it never recorded failed."""
    db = open_db(config.database)
    try:
        skipped = suspended_sources(db, config.crawl.max_failures)
        ids = [s.id for s in config.all_sources() if s.kind in kinds and s.id not in skipped]
        return record_unread(
            db, ids, began, "not read: the crawl was killed at its time limit (schedule."
            "crawl_timeout_minutes)"
        )
    finally:
        db.close()


def digest_job(watchlist_path: str) -> None:
    """Send the due week's digests (and any alert still unsent); failures wait for a retry."""
    config = load_watchlist(watchlist_path)
    db = open_db(config.database)
    run_id = start_run(db, "digest")
    try:
        check_acute(db, config)
        delivery = deliver_pending(db, config)
        outcome = "failed" if delivery.failed else "ok"
        detail = f"week {delivery.week}: {delivery.summary()}"
    except Exception as exc:  # noqa: BLE001 - recorded and logged; the scheduler goes on
        outcome, detail = "failed", f"{type(exc).__name__}: {exc}"
    db.close()
    _record("digest", config, outcome, detail, run_id)


def feeds_job(watchlist_path: str) -> None:
    crawl_job(watchlist_path, "feeds", FEED_KINDS)


def sites_job(watchlist_path: str) -> None:
    crawl_job(watchlist_path, "sites", SITE_KINDS)


def resolve(path: str | Path) -> str:
    """Jobs outlive the shell they were scheduled from: keep absolute paths."""
    return str(Path(path).resolve())
