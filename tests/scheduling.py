"""What the scheduler's tests share: a watch list whose digest slot the test chooses, over
its own copy of the tagged store, and readers of what the slot sent and recorded."""

from __future__ import annotations

import email
import shutil
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
from conftest import rows

from alerts.schedule import schedule_path
from alerts.sink import SmtpSink
from domain.config import DAYS, load_watchlist

LONDON = ZoneInfo("Europe/London")
REGIONS_WITH_ADVISERS = 9


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


def subjects(sink: SmtpSink) -> list[str]:
    return [
        str(email.message_from_bytes(path.read_bytes(), policy=policy.default)["Subject"])
        for path in sink.messages()
    ]


def digest_subjects(sink: SmtpSink) -> list[str]:
    return [s for s in subjects(sink) if "on the radar" in s and "ACUTE" not in s]


def assert_one_digest_per_region(sink: SmtpSink) -> None:
    found = digest_subjects(sink)
    regions = Counter(subject.split(" — ")[1] for subject in found)
    assert len(found) == REGIONS_WITH_ADVISERS, found
    assert all(count == 1 for count in regions.values()), regions


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


def stored_jobs(watchlist: Path) -> BackgroundScheduler:
    """The job store as `radar run` left it, opened without running anything: the caller
    changes what it needs (as a stop, a refusal or the machine being off would have left it)
    and shuts it down."""
    stored = BackgroundScheduler(timezone=LONDON)
    stored.add_jobstore("sqlalchemy", url=f"sqlite:///{schedule_path(load_watchlist(watchlist))}")
    stored.start(paused=True)
    return stored
