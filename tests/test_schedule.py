"""`radar run`'s schedule: missed and repeated digest slots send once, failures retry, hung
children are killed. Real `radar run` processes, a real SMTP sink on loopback, no mocks."""

from __future__ import annotations

import asyncio
import email
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiosmtpd.controller import Controller
from conftest import RADAR, rows, run_radar

from alerts.deliver import deliver_pending, due_week
from alerts.jobs import digest_job, run_child
from alerts.schedule import next_runs
from alerts.sink import SmtpSink, _SaveToFolder, free_port
from domain.config import DAYS, load_watchlist
from store import open_db

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

LONDON = ZoneInfo("Europe/London")
REGIONS_WITH_ADVISERS = 9
SLOT_AHEAD = 8  # seconds from writing the watch list to the digest slot; covers start-up


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
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


def slot_soon(ahead: float = SLOT_AHEAD) -> tuple[datetime, dict[str, Any]]:
    """A `schedule:` whose digest slot is `ahead` seconds from now in London, today there, and
    whose feed and site crawls are far off (so no crawl runs during the test)."""
    now = datetime.now(LONDON)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), LONDON)
    if (midnight - now).total_seconds() < ahead + 120:  # keep slot and run on the same day
        time.sleep((midnight - now).total_seconds() + 1)
        now = datetime.now(LONDON)
    slot = (now + timedelta(seconds=ahead)).replace(microsecond=0)
    schedule = {
        "timezone": "Europe/London",
        "feeds_every_minutes": 1440,
        "sites_daily_at": (now + timedelta(hours=12)).strftime("%H:%M"),
        "digest_day": DAYS[slot.weekday()],
        "digest_at": slot.strftime("%H:%M:%S"),
    }
    return slot, schedule


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


def digest_runs(db_path: Path) -> list[dict[str, Any]]:
    return rows(db_path, "select * from job_runs where job = 'digest' order by id")


def digest_finished(db_path: Path) -> bool:
    runs = digest_runs(db_path)
    return bool(runs and runs[-1]["outcome"])


def started_at(run: dict[str, Any]) -> datetime:
    return datetime.strptime(run["started"], "%Y-%m-%dT%H:%M:%S%z")


def restart_until_digests_sent(
    watchlist: Path, log: Path, sink: Any, db_path: Path, what: str
) -> None:
    """Start `radar run`, wait for every region's digest and the job's end, stop it."""
    with RadarRun(watchlist, log) as run:
        run.wait_started()
        wait_for(
            lambda: len(digest_subjects(sink)) >= REGIONS_WITH_ADVISERS,
            45,
            f"{what} at start-up",
        )
        wait_for(lambda: digest_finished(db_path), 15, "the digest job to finish")
        assert run.stop() == 0, run.text()
    assert_one_digest_per_region(sink)


@pytest.fixture()
def sink(tmp_path):
    with SmtpSink(tmp_path / "mail") as sink:
        yield sink


def test_a_scheduler_restarted_across_the_digest_slot_sends_exactly_once(tagged, tmp_path, sink):
    slot, schedule = slot_soon()
    smtp = {"host": "127.0.0.1", "port": sink.port, "timeout": 10}
    watchlist = scheduled_copy(tagged, tmp_path, smtp, schedule)
    db_path = tmp_path / "radar.db"

    with RadarRun(watchlist, tmp_path / "run1.log") as first:
        first.wait_started()
        assert datetime.now(LONDON) < slot - timedelta(seconds=1), "started too late for the test"
        first.kill()  # the machine dies before the slot
    assert digest_runs(db_path) == [] and sink.messages() == []

    time.sleep(max(0.0, (slot - datetime.now(LONDON)).total_seconds()) + 2)
    assert sink.messages() == []  # nothing ran while it was down

    restart_until_digests_sent(watchlist, tmp_path / "run2.log", sink, db_path, "the missed run")
    sent = len(sink.messages())  # the digests and any acute alert waiting to be sent

    with RadarRun(watchlist, tmp_path / "run3.log") as third:
        third.wait_started()
        time.sleep(4)
        assert third.stop() == 0, third.text()
    assert len(sink.messages()) == sent
    assert_one_digest_per_region(sink)
    runs = digest_runs(db_path)
    assert [run["outcome"] for run in runs] == ["ok"], runs  # coalesced: one run, not two
    assert started_at(runs[0]) >= slot  # the missed run, at the second start-up

    week = due_week(load_watchlist(watchlist).schedule)
    assert all(week in subject for subject in digest_subjects(sink))
    recorded = rows(db_path, "select * from digests where week = ? and sent_at is not null", [week])
    assert len(recorded) == REGIONS_WITH_ADVISERS

    again = run_radar("digest", "--all-regions", "--send", "-w", str(watchlist), check=False)
    assert again.returncode == 1 and "already sent" in again.stderr, again.stderr
    assert len(sink.messages()) == sent

    status = run_radar("status", "-w", str(watchlist)).stdout
    digest_row = next(line for line in status.splitlines() if "│ digest" in line)
    assert "ok" in digest_row and "not scheduled" not in digest_row, status
    next_slot = slot + timedelta(days=7)
    assert next_slot.strftime("%Y-%m-%d %H:%M:%S") in digest_row, status


def test_a_slot_refused_while_the_scheduler_stopped_is_caught_up_at_start(tagged, tmp_path, sink):
    """A slot that comes while `radar run` is stopping (waiting for a long crawl): APScheduler
    refuses the run ("cannot schedule new futures after shutdown") and still moves the job to
    next week. Its job store is left in exactly that state here; the store's record (no
    digest run since the slot) must bring the digest back at the next start."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from alerts.schedule import schedule_path

    slot, schedule = slot_soon()
    smtp = {"host": "127.0.0.1", "port": sink.port, "timeout": 10}
    watchlist = scheduled_copy(tagged, tmp_path, smtp, schedule)
    db_path = tmp_path / "radar.db"
    with RadarRun(watchlist, tmp_path / "run1.log") as first:
        first.wait_started()
        assert first.stop() == 0, first.text()
    time.sleep(max(0.0, (slot - datetime.now(LONDON)).total_seconds()) + 2)
    jobs = SQLAlchemyJobStore(url=f"sqlite:///{schedule_path(load_watchlist(watchlist))}")
    refused = BackgroundScheduler(jobstores={"default": jobs}, timezone=LONDON)
    refused.start(paused=True)
    refused.modify_job("digest", next_run_time=slot + timedelta(days=7))
    refused.shutdown(wait=False)
    assert sink.messages() == [] and digest_runs(db_path) == []

    restart_until_digests_sent(watchlist, tmp_path / "run2.log", sink, db_path, "the refused run")
    assert [run["outcome"] for run in digest_runs(db_path)] == ["ok"]


def test_a_scheduler_running_across_the_slot_sends_once(tagged, tmp_path, sink):
    slot, schedule = slot_soon()
    smtp = {"host": "127.0.0.1", "port": sink.port, "timeout": 10}
    watchlist = scheduled_copy(tagged, tmp_path, smtp, schedule)
    db_path = tmp_path / "radar.db"

    with RadarRun(watchlist, tmp_path / "run.log") as running:
        running.wait_started()
        assert datetime.now(LONDON) < slot, "started too late for the test"
        assert sink.messages() == []
        wait_for(
            lambda: len(digest_subjects(sink)) >= REGIONS_WITH_ADVISERS,
            SLOT_AHEAD + 45,
            "the digest run at the slot",
        )
        wait_for(lambda: digest_finished(db_path), 15, "the digest job to finish")
        sent = len(sink.messages())
        time.sleep(4)
        assert len(sink.messages()) == sent
        assert running.stop() == 0, running.text()
    assert_one_digest_per_region(sink)
    runs = digest_runs(db_path)
    assert [run["outcome"] for run in runs] == ["ok"], runs
    assert slot <= started_at(runs[0]) < slot + timedelta(seconds=5)  # at the slot, not before


class _SlowRecipients(_SaveToFolder):
    """Accepts each recipient only after `delay` seconds: a slow relay, so a process can be
    killed between two messages (while the next waits at RCPT, before any DATA is sent)."""

    delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"


class SlowSink(SmtpSink):
    def __init__(self, folder: Path):
        super().__init__(folder)
        self.handler = _SlowRecipients(self.folder)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)


def test_a_digest_run_killed_half_way_is_finished_at_start_up(tagged, tmp_path):
    slot, schedule = slot_soon()
    with SlowSink(tmp_path / "mail") as sink:
        smtp = {"host": "127.0.0.1", "port": sink.port, "timeout": 10}
        watchlist = scheduled_copy(tagged, tmp_path, smtp, schedule)
        db_path = tmp_path / "radar.db"
        week = due_week(load_watchlist(watchlist).schedule, slot + timedelta(seconds=1))
        sink.handler.delay = 0.7

        with RadarRun(watchlist, tmp_path / "run1.log") as first:
            first.wait_started()
            wait_for(lambda: len(digest_subjects(sink)) >= 3, SLOT_AHEAD + 30, "3 digests")
            time.sleep(0.3)  # the third is recorded as sent; the fourth waits at RCPT
            first.kill()  # the machine dies in the middle of the digest run
        before = len(digest_subjects(sink))
        assert 3 <= before < REGIONS_WITH_ADVISERS
        sent = "select * from digests where week = ? and sent_at is not null"
        assert len(rows(db_path, sent, [week])) == before
        assert [run["outcome"] for run in digest_runs(db_path)] == [None]  # killed
        assert "running or killed" in run_radar("status", "-w", str(watchlist)).stdout

        sink.handler.delay = 0.0
        restart_until_digests_sent(
            watchlist, tmp_path / "run2.log", sink, db_path, "the rest of the interrupted run"
        )
    assert len(rows(db_path, sent, [week])) == REGIONS_WITH_ADVISERS
    assert [run["outcome"] for run in digest_runs(db_path)] == [None, "ok"]
    assert next_runs(load_watchlist(watchlist))["digest"] == slot + timedelta(days=7)


def test_smtp_down_then_back_sends_exactly_once(tagged, tmp_path):
    port = free_port()  # nothing listens here yet
    watchlist = scheduled_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": port, "timeout": 5})
    db_path = tmp_path / "radar.db"
    config = load_watchlist(watchlist)
    week = due_week(config.schedule)

    digest_job(str(watchlist))
    waiting = rows(db_path, "select * from digests where week = ?", [week])
    assert len(waiting) == REGIONS_WITH_ADVISERS
    assert all(row["sent_at"] is None and row["last_error"] for row in waiting), waiting
    assert all(f"SMTP 127.0.0.1:{port}" in row["last_error"] for row in waiting)
    assert all(row["attempted_at"] for row in waiting)
    last = digest_runs(db_path)[-1]
    assert last["outcome"] == "failed" and f"127.0.0.1:{port}" in last["detail"]

    with SmtpSink(tmp_path / "mail", port=port) as sink:
        assert sink.messages() == []
        db = open_db(db_path)
        try:
            delivery = deliver_pending(db, config, retry_only=True)  # what the hourly job does
        finally:
            db.close()
        assert delivery.failed == [] and delivery.week == week
        assert_one_digest_per_region(sink)
        sent = len(sink.messages())
        assert len(delivery.sent) == sent

        digest_job(str(watchlist))  # the next slot's run (same week) sends nothing again
        assert len(sink.messages()) == sent
        assert_one_digest_per_region(sink)
    assert digest_runs(db_path)[-1]["outcome"] == "ok"
    recorded = rows(db_path, "select * from digests where week = ?", [week])
    assert all(row["sent_at"] and row["last_error"] is None for row in recorded), recorded


def _gone(pid: int) -> bool:
    """The process no longer exists (or is a zombie waiting for its new parent to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_run_child_kills_a_hung_child_and_its_group():
    code = (
        "import subprocess, sys, time\n"
        "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(grandchild.pid, flush=True, file=sys.stderr)\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    result = run_child([sys.executable, "-c", code], timeout=2)
    assert result.outcome == "timeout" and result.returncode is None
    assert time.monotonic() - started < 10
    grandchild = int(result.tail.split()[-1])
    wait_for(lambda: _gone(grandchild), 5, "the grandchild to be killed")
    assert "timeout" in result.describe("crawl")


def test_run_child_times_out_a_sleeping_child_quickly():
    started = time.monotonic()
    result = run_child([sys.executable, "-c", "import time; time.sleep(60)"], timeout=1)
    assert result.outcome == "timeout"
    assert time.monotonic() - started < 5 and result.seconds < 5


def test_run_child_reports_a_crash_and_a_failure():
    crash = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    result = run_child([sys.executable, "-c", crash], timeout=30)
    assert result.outcome == "crashed" and result.returncode == -signal.SIGKILL

    fail = "import sys; print('first', file=sys.stderr); print('the reason', file=sys.stderr); "
    result = run_child([sys.executable, "-c", fail + "sys.exit(3)"], timeout=30)
    assert result.outcome == "failed" and result.returncode == 3
    assert result.tail == "first | the reason"
    described = result.describe("tag")
    assert described.startswith("tag failed in ") and described.endswith(" s: first | the reason")

    ok = run_child([sys.executable, "-c", "pass"], timeout=30)
    assert ok.outcome == "ok" and ok.returncode == 0
    assert ok.describe("crawl").startswith("crawl ok in ") and ":" not in ok.describe("crawl")


def test_a_second_scheduler_on_the_same_store_is_refused(tagged, tmp_path):
    far = {"feeds_every_minutes": 1440, "sites_daily_at": "03:00", "digest_day": "sun"}
    path = scheduled_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": 9}, far)
    with RadarRun(path, tmp_path / "first.log") as first:
        first.wait_started()
        second = run_radar("run", "-w", str(path), check=False)
        assert second.returncode == 1 and "already running" in second.stderr
        assert first.stop() == 0


def test_the_feeds_job_crawls_tags_and_alerts_at_once(demo_web, tmp_path, sink):
    """The hourly job end to end: a child crawl of the feeds only, a child tagging run, then
    the acute alert for the section 114 story goes out without waiting for Monday."""
    from conftest import write_watchlist

    from alerts.jobs import feeds_job

    path = write_watchlist(
        tmp_path, demo_web.base_url, smtp={"host": "127.0.0.1", "port": sink.port}
    )
    feeds_job(str(path))
    db_path = tmp_path / "radar.db"
    (run,) = rows(db_path, "select * from job_runs where job = 'feeds'")
    assert run["outcome"] == "ok", run["detail"]
    assert "crawl ok" in run["detail"] and "tag ok" in run["detail"]
    kinds = {
        r["kind"]
        for r in rows(
            db_path, "select distinct s.kind from items i join sources s on s.id = i.source_id"
        )
    }
    assert kinds == {"feed"}  # democracy sites, sitemaps and listings wait for the daily job
    assert rows(db_path, "select count(*) as n from tags")[0]["n"] > 0
    alerts = [s for s in subjects(sink) if " — ACUTE — " in s]
    assert "Council Radar — ACUTE — Sallowmere: Section 114 notice" in alerts
    assert digest_subjects(sink) == []  # the digest waits for its slot


def test_the_workers_name_a_bad_watch_list_in_one_line(tmp_path, capsys):
    """The scheduler's workers (`python -m alerts.worker`) over the Python API: a watch list
    that does not parse is one line naming the file, and exit code 2, for the job record."""
    from alerts.worker import main

    bad = tmp_path / "broken.yaml"
    bad.write_text("councils: [\n", encoding="utf-8")
    for job in (["tag", str(bad)], ["crawl", str(bad), "--kind", "feed"]):
        assert main(job) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "broken.yaml" in lines[0], lines


def test_the_tag_worker_with_nothing_pending_loads_no_model(tmp_path, capsys):
    from alerts.worker import main

    path = tmp_path / "watchlist.yaml"
    path.write_text(f"database: {tmp_path / 'radar.db'}\n", encoding="utf-8")
    assert main(["tag", str(path)]) == 0
    assert "0 of 0 pending items tagged" in capsys.readouterr().err
