"""One slow host stops nothing (issue #17, item 3).

A host that drips its pages (a byte a second: only a download timeout ends each) used to
hold each of its connection slots for `download_timeout` x tries per page, so the rest of
that host waited, a feeds run hit the job's timeout, was killed with its whole process
group, and wrote no source health: 0 items, no failure counted, nothing ever suspended.

Here the dripping host sits beside a healthy one (127.0.0.2: another host to the crawler,
with its own politeness slot). No test waits for a moment to pass: a dripping page never
finishes, so a timeout always ends it, however loaded the machine; the time limit in the
second test is reached while forty dripping pages are still queued, which takes a minute
and more at any speed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from conftest import rows
from faultweb import FaultWeb, rss
from scheduling import RadarRun, stopped_before, wait_for

from alerts.sink import SmtpSink

pytestmark = pytest.mark.slow  # real crawls, `radar run` and its child processes

HEALTHY = [("Library reopens", "/pages/a.html"), ("Parks open late", "/pages/b.html"),
           ("New bus route", "/pages/c.html")]  # fmt: skip


def watchlist(folder, slow: FaultWeb, healthy: FaultWeb, dripping: int, **crawl) -> dict:
    """Three feeds: one on the healthy host; one on the slow host whose `dripping` entries
    all drip, with an ETag; and one on the slow host that drips its feed document itself."""
    entries = [(f"Dripping story {n}", f"/drip/{n}.html") for n in range(dripping)]
    slow.documents["/feeds/dripping.xml"] = (rss(slow.base_url, *entries), "application/rss+xml")
    slow.headers["/feeds/dripping.xml"] = {"ETag": '"d1"'}
    healthy.documents["/feeds/healthy.xml"] = (
        rss(healthy.base_url, *HEALTHY),
        "application/rss+xml",
    )
    feeds = {
        "healthy": f"{healthy.base_url}/feeds/healthy.xml",
        "dripping": f"{slow.base_url}/feeds/dripping.xml",
        "drip-feed": f"{slow.base_url}/drip.xml",
    }
    return {
        "database": str(folder / "radar.db"),
        "crawl": {
            "allow_private": [slow.crawl_allowance, healthy.crawl_allowance],
            "autothrottle": False,
            "download_timeout": 2,
            "backoff_seconds": 0.1,
            **crawl,
        },
        "sources": [
            {"kind": "feed", "origin": "media", "name": name, "url": url}
            for name, url in feeds.items()
        ],
    }


def source(db, name: str) -> dict:
    [row] = rows(db, "select * from sources where name = ?", [name])
    return row


def assert_healthy_host_read(db) -> None:
    healthy = source(db, "healthy")
    assert healthy["last_error"] is None and healthy["consecutive_failures"] == 0
    read = rows(db, "select title, summary_only from items where url like '%127.0.0.2%'")
    assert sorted(r["title"] for r in read) == sorted(title for title, _ in HEALTHY)
    assert all(r["summary_only"] == 0 for r in read), "each healthy page read in full"


def test_a_dripping_host_beside_a_healthy_one_under_radar_run(tmp_path):
    """Two timeouts in a row from the slow host and the rest of its pages are put off: the
    feeds run ends by itself, the healthy host's pages are all read, every dripping entry is
    kept (its summary, to be fetched again) and counted, and the feed whose own document
    drips fails, counted towards its suspension."""
    with FaultWeb() as slow, FaultWeb(host="127.0.0.2") as healthy, SmtpSink(tmp_path) as sink:
        data = watchlist(tmp_path, slow, healthy, dripping=8, retries=2, slow_host_timeouts=2)
        data["smtp"] = {"host": "127.0.0.1", "port": sink.port}
        far = {"feeds_every_minutes": 1440, "sites_daily_at": "03:00", "digest_day": "sun"}
        data["schedule"] = {**far, "crawl_timeout_minutes": 20}
        path = tmp_path / "watchlist.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        # The feeds job due now: as a scheduler stopped before its slot leaves it.
        stopped_before(path, datetime.now(UTC) - timedelta(minutes=5), tmp_path / "0.log", "feeds")
        db = tmp_path / "radar.db"
        with RadarRun(path, tmp_path / "run.log") as run:
            run.wait_started()
            [job] = wait_for(
                lambda: rows(db, "select * from job_runs where job = 'feeds' and finished "
                             "is not null"),
                timeout=600,
                what="the feeds run",
            )  # fmt: skip
            assert run.stop() == 0, run.text()
        assert "crawl ok" in job["detail"], job["detail"]
        assert_healthy_host_read(db)
        dripping = source(db, "dripping")
        assert dripping["last_error"] is None, "its feed answered: the source works"
        assert dripping["items_failed"] == 8, "each dripping entry counted"
        assert "timed out" in dripping["last_item_error"] or "TimeoutError" in (
            dripping["last_item_error"]
        )
        kept = rows(db, "select * from items where title like 'Dripping story%'")
        assert len(kept) == 8, "every entry kept"
        assert all(k["summary_only"] == 1 and k["fetch_failures"] == 1 for k in kept), (
            "kept by its summary, to be fetched again by a later crawl"
        )
        drip_feed = source(db, "drip-feed")
        assert drip_feed["consecutive_failures"] == 1 and drip_feed["last_error"]
        # Each dripping page asked for at most once and retried not at all once the host
        # was found slow: 8 entries, 2 tries for the first ones at most.
        assert sum(n for path, n in slow.hits.items() if path.startswith("/drip/")) <= 4


def test_a_crawl_at_its_time_limit_records_every_source(tmp_path):
    """The feeds job's crawl stops itself before the job's timeout: what finished is
    recorded, the source still reading is counted as failing (so it can be suspended), its
    validators are not saved, and the job says it timed out."""
    from alerts.jobs import feeds_job

    with FaultWeb() as slow, FaultWeb(host="127.0.0.2") as healthy, SmtpSink(tmp_path) as sink:
        # No slow-host cut-off here: forty pages of 2 s each, one at a time, outlast the
        # 30-second job (which stops its crawl 12 s early).
        data = watchlist(
            tmp_path, slow, healthy, dripping=40, retries=0, slow_host_timeouts=1000,
            concurrency_per_domain=1,
        )  # fmt: skip
        data["smtp"] = {"host": "127.0.0.1", "port": sink.port}
        data["schedule"] = {"crawl_timeout_minutes": 0.5}
        path = tmp_path / "watchlist.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        feeds_job(str(path))
    db = tmp_path / "radar.db"
    [job] = rows(db, "select * from job_runs where job = 'feeds'")
    assert job["outcome"] == "timeout" and "crawl timeout" in job["detail"], job["detail"]
    assert "stopped at its time limit" in job["detail"]
    assert_healthy_host_read(db)
    dripping = source(db, "dripping")
    assert dripping["consecutive_failures"] == 1, "a source that never finishes fails"
    assert "pages still to read at the time limit" in dripping["last_error"]
    assert dripping["etag"] is None, "entries unread: the next crawl must not get a 304"
    assert dripping["items_failed"] >= 1
