"""`radar run` end to end: a slot missed while it was down is sent once, a digest run killed
half-way is finished at start-up, a second scheduler is refused, hung children are killed.
Real `radar run` processes, a real SMTP sink on loopback, no mocks.

No test here waits for a slot: each slot is in the past, and the job store says the
scheduler was stopped before it (as the machine being off across it would leave it). The
clock-driven cases (the slot coming while it runs, a refused slot, the grace) are in
test_schedule_clock.py on a clock the test moves. A kill lands at a point the test holds:
the SMTP server keeps the next message waiting until the process is dead."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import rows, run_radar
from scheduling import (
    ADVISERS_WITH_DIGESTS,
    LONDON,
    RadarRun,
    assert_one_digest_per_adviser,
    digest_finished,
    digest_runs,
    digest_subjects,
    schedule_at,
    scheduled_copy,
    started_at,
    stopped_before,
    subjects,
    wait_for,
)

from alerts.deliver import deliver_pending, due_week
from alerts.jobs import digest_job, run_child
from alerts.schedule import next_runs
from alerts.scoring import week_of
from alerts.sink import SmtpSink, _SaveToFolder, free_port
from domain.config import load_watchlist
from store import open_db
from store.times import parse_iso

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow


def restart_until_digests_sent(
    watchlist: Path, log: Path, sink: Any, db_path: Path, what: str
) -> None:
    """Start `radar run`, wait for every adviser's digest and the job's end, stop it."""
    with RadarRun(watchlist, log) as run:
        run.wait_started()
        wait_for(
            lambda: len(digest_subjects(sink)) >= ADVISERS_WITH_DIGESTS,
            120,
            f"{what} at start-up",
        )
        wait_for(lambda: digest_finished(db_path), 60, "the digest job to finish")
        assert run.stop() == 0, run.text()
    assert_one_digest_per_adviser(sink)


def past_slot() -> datetime:
    """A digest slot two hours ago (well within the six days' grace)."""
    return (datetime.now(LONDON) - timedelta(hours=2)).replace(microsecond=0)


@pytest.fixture()
def sink(tmp_path):
    with SmtpSink(tmp_path / "mail") as sink:
        yield sink


def test_a_slot_passed_while_down_is_sent_exactly_once_by_radar_run(tagged, tmp_path, sink):
    slot = past_slot()
    smtp = {"host": "127.0.0.1", "port": sink.port, "timeout": 10}
    watchlist = scheduled_copy(tagged, tmp_path, smtp, schedule_at(slot))
    db_path = tmp_path / "radar.db"
    stopped_before(watchlist, slot, tmp_path / "run1.log")
    assert digest_runs(db_path) == [] and sink.messages() == []

    restart_until_digests_sent(watchlist, tmp_path / "run2.log", sink, db_path, "the missed run")
    sent = len(sink.messages())  # the digests and any acute alert waiting to be sent

    with RadarRun(watchlist, tmp_path / "run3.log") as third:
        third.wait_started()
        assert next_runs(load_watchlist(watchlist))["digest"] == slot + timedelta(days=7)
        assert third.stop() == 0, third.text()
    assert len(sink.messages()) == sent
    assert_one_digest_per_adviser(sink)
    runs = digest_runs(db_path)
    assert [run["outcome"] for run in runs] == ["ok"], runs  # coalesced: one run, not two
    assert started_at(runs[0]) >= slot  # the missed run, at the second start-up

    week = due_week(load_watchlist(watchlist).schedule)
    assert all(week in subject for subject in digest_subjects(sink))
    recorded = rows(db_path, "select * from digests where week = ? and sent_at is not null", [week])
    assert len(recorded) == ADVISERS_WITH_DIGESTS

    again = run_radar("digest", "--all-regions", "--send", "-w", str(watchlist), check=False)
    assert again.returncode == 1 and "already sent" in again.stderr, again.stderr
    assert len(sink.messages()) == sent

    status = run_radar("status", "-w", str(watchlist)).stdout
    digest_row = next(line for line in status.splitlines() if "│ digest" in line)
    assert "ok" in digest_row and "not scheduled" not in digest_row, status
    next_slot = slot + timedelta(days=7)
    assert next_slot.strftime("%Y-%m-%d %H:%M:%S") in digest_row, status


class _HeldRecipients(_SaveToFolder):
    """Saves messages until `hold_after` digests have been accepted, then keeps the next
    message waiting at RCPT (before any DATA) until `release` is set: a relay that stops
    answering, so a test can kill the sender between two messages at a point it controls."""

    hold_after = 10**9

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.held = threading.Event()  # set when a message is being held
        self.release = threading.Event()

    def digests(self) -> int:
        return len(digest_subjects(self))

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.digests() >= self.hold_after:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"


class HoldingSink(SmtpSink):
    def __init__(self, folder: Path):
        super().__init__(folder)
        self.handler = _HeldRecipients(self.folder)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)


def test_a_digest_run_killed_half_way_is_finished_at_start_up(tagged, tmp_path):
    slot = past_slot()
    with HoldingSink(tmp_path / "mail") as sink:
        smtp = {"host": "127.0.0.1", "port": sink.port, "timeout": 60}
        watchlist = scheduled_copy(tagged, tmp_path, smtp, schedule_at(slot))
        db_path = tmp_path / "radar.db"
        week = due_week(load_watchlist(watchlist).schedule)
        stopped_before(watchlist, slot, tmp_path / "run0.log")
        sink.handler.hold_after = 3

        with RadarRun(watchlist, tmp_path / "run1.log") as first:
            first.wait_started()
            assert sink.handler.held.wait(120), "the digest run never reached a fourth message"
            first.kill()  # the machine dies in the middle of the digest run
        sink.handler.release.set()
        before = len(digest_subjects(sink))
        assert before == 3, subjects(sink)
        sent = "select * from digests where week = ? and sent_at is not null"
        assert len(rows(db_path, sent, [week])) == before  # each recorded as it went
        assert [run["outcome"] for run in digest_runs(db_path)] == [None]  # killed
        assert "running or killed" in run_radar("status", "-w", str(watchlist)).stdout

        sink.handler.hold_after = 10**9
        restart_until_digests_sent(
            watchlist, tmp_path / "run2.log", sink, db_path, "the rest of the interrupted run"
        )
    assert len(rows(db_path, sent, [week])) == ADVISERS_WITH_DIGESTS
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
    assert len(waiting) == ADVISERS_WITH_DIGESTS
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
        assert_one_digest_per_adviser(sink)
        sent = len(sink.messages())
        assert len(delivery.sent) == sent

        digest_job(str(watchlist))  # the next slot's run (same week) sends nothing again
        assert len(sink.messages()) == sent
        assert_one_digest_per_adviser(sink)
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
    # Last, this week's radar goes into the weekly history, Sallowmere on it as acute.
    this_week = week_of(parse_iso(run["finished"]))  # the job's clock, a moment after
    assert "radar history: " in run["detail"] and this_week in run["detail"]
    sql = "select * from radar_history where week = ? and council = 'Sallowmere'"
    (sallowmere,) = rows(db_path, sql, [this_week])
    assert sallowmere["on_radar"] == 1 and "section_114" in sallowmere["acute"]


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
