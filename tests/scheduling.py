"""What the scheduler's tests share: a watch list whose digest slot the test chooses, over
its own copy of the tagged store, and readers of what the slot sent and recorded."""

from __future__ import annotations

import email
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from apscheduler.schedulers.background import BackgroundScheduler
from conftest import RADAR, rows

from alerts.schedule import schedule_path
from alerts.sink import SmtpSink
from domain.config import DAYS, load_watchlist

LONDON = ZoneInfo("Europe/London")
# demo/watchlist.yaml's five advisers cover England's nine regions: one digest email each
ADVISERS_WITH_DIGESTS = 5


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll until `check` holds: for work to finish, never for a moment to pass. The timeout
    only bounds a hang; a slower machine waits longer and still passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _messages(sink: SmtpSink) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sink.messages()
    ]


def subjects(sink: SmtpSink) -> list[str]:
    return [str(message["Subject"]) for message in _messages(sink)]


def _is_digest(subject: str) -> bool:
    return "on the radar" in subject and "ACUTE" not in subject


def digest_subjects(sink: SmtpSink) -> list[str]:
    return [s for s in subjects(sink) if _is_digest(s)]


def assert_one_digest_per_adviser(sink: SmtpSink) -> None:
    """Each adviser got exactly one digest email, covering all of their regions (issue #18)."""
    found = [m for m in _messages(sink) if _is_digest(str(m["Subject"]))]
    advisers = Counter(str(message["To"]) for message in found)
    assert len(found) == ADVISERS_WITH_DIGESTS, [m["Subject"] for m in found]
    assert all(count == 1 for count in advisers.values()), advisers


def schedule_at(slot: datetime) -> dict[str, Any]:
    """A `schedule:` whose weekly digest slot is `slot` (London time, to the second) and
    whose feed and site crawls are half a day or more away from it."""
    slot = slot.astimezone(LONDON)
    return {
        "timezone": "Europe/London",
        "feeds_every_minutes": 1440,
        "sites_daily_at": (slot + timedelta(hours=12)).strftime("%H:%M"),
        "digest_day": DAYS[slot.weekday()],
        "digest_at": slot.strftime("%H:%M:%S"),
    }


def scheduled_copy(tagged, tmp_path: Path, smtp: dict, schedule: dict | None = None) -> Path:
    """A watch list over this test's own copy of the tagged store."""
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(smtp=smtp, database=str(tmp_path / "radar.db"), output_dir=str(tmp_path / "out"))
    if schedule is not None:
        data["schedule"] = schedule
    path = tmp_path / "watchlist.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def digest_runs(db_path: Path) -> list[dict[str, Any]]:
    return rows(db_path, "select * from job_runs where job = 'digest' order by id")


def digest_finished(db_path: Path) -> bool:
    runs = digest_runs(db_path)
    return bool(runs and runs[-1]["outcome"])


def started_at(run: dict[str, Any]) -> datetime:
    return datetime.strptime(run["started"], "%Y-%m-%dT%H:%M:%S%z")


class _JobStoreOnly(BackgroundScheduler):
    """A scheduler opened only to change its job store: it never runs or submits a job.
    (A paused BackgroundScheduler still processes due jobs once as it shuts down; a job made
    due here would then fail to submit and be moved on to its next slot.)"""

    def _process_jobs(self) -> None:
        return None


def stored_jobs(watchlist: Path) -> BackgroundScheduler:
    """The job store as `radar run` left it, opened without running anything: the caller
    changes what it needs (as a stop, a refusal or the machine being off would have left it)
    and shuts it down."""
    stored = _JobStoreOnly(timezone=LONDON)
    stored.add_jobstore("sqlalchemy", url=f"sqlite:///{schedule_path(load_watchlist(watchlist))}")
    stored.start(paused=True)
    return stored


class RadarRun:
    """A `radar run` process; its log (stderr and stdout) goes to a file we can poll."""

    def __init__(self, watchlist: Path, log: Path):
        self.log = log
        self.handle = log.open("wb")
        env = {**os.environ, "NO_COLOR": "1", "HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen(
            [*RADAR, "run", "-w", str(watchlist)],
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_started(self, timeout: float = 30) -> None:
        def started() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"radar run exited {self.process.returncode}:\n{self.text()}")
            return "scheduler started" in self.text()

        wait_for(started, timeout, "'scheduler started'", every=0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.handle.close()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.handle.close()
        return code

    def __enter__(self) -> RadarRun:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.kill()
        self.handle.close()


def stopped_before(watchlist: Path, slot: datetime, log: Path, job: str = "digest") -> None:
    """`radar run` started and stopped once, its `job` then stored as due at `slot`: the
    job store a scheduler leaves when it was stopped (or the machine went off) before the
    slot. The scheduler is started for real first, so the stored jobs are its own."""
    with RadarRun(watchlist, log) as first:
        first.wait_started()
        assert first.stop() == 0, first.text()
    stored = stored_jobs(watchlist)
    stored.modify_job(job, next_run_time=slot)
    stored.shutdown(wait=False)
