"""The crawl's budgets, in-process on a clock the test moves (issue #17, item 3): a host
that keeps timing out, a source past its time budget and a crawl past its time limit get no
more requests; a host that answers again starts a new count. The end-to-end cases (a
dripping host beside a healthy one under `radar run`, a job at its time limit) are in
test_slow_host.py."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawlers.middlewares import CrawlBudget, PutOff, TimeLimitReached
from domain.config import Source
from domain.items import Item
from store import open_db
from store.councils import record_source_run, record_unread, sync_sources


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def budget(clock: Clock, **settings) -> CrawlBudget:
    crawler = get_crawler(settings_dict={"RADAR_SLOW_HOST_TIMEOUTS": 2, **settings})
    return CrawlBudget(crawler, clock=clock, wall_clock=clock)


def page(url: str, source: str = "feed-a") -> Request:
    return Request(url, cb_kwargs={"item": Item(source_id=source, url=url)})


def test_a_host_that_times_out_twice_in_a_row_gets_no_more_requests():
    middleware = budget(Clock())
    slow, other = "https://slow.example/a", "https://fine.example/a"
    for _ in range(2):
        middleware.process_request(page(slow))
        middleware.process_exception(page(slow), DownloadTimeoutError("took too long"))
    with pytest.raises(PutOff, match="slow.example timed out 2 times in a row"):
        middleware.process_request(page("https://slow.example/b"))
    middleware.process_request(page(other))  # another host is not held up


def test_a_host_that_answers_between_timeouts_starts_a_new_count():
    middleware = budget(Clock())
    url = "https://slow.example/a"
    middleware.process_exception(page(url), DownloadTimeoutError())
    middleware.process_response(page(url), HtmlResponse(url, body=b"<p>ok</p>"))
    middleware.process_exception(page(url), DownloadTimeoutError())
    middleware.process_request(page(url))  # one in a row, not two
    middleware.process_exception(page(url), ConnectionRefusedError())  # not a timeout
    middleware.process_request(page(url))


def test_a_source_past_its_budget_gets_no_more_requests_and_robots_txt_is_left_alone():
    clock = Clock()
    middleware = budget(clock, RADAR_SOURCE_BUDGET=60)
    middleware.process_request(page("https://a.example/1"))
    clock.now += 59
    middleware.process_request(page("https://a.example/2"))
    middleware.process_request(page("https://b.example/1", source="feed-b"))  # starts now
    clock.now += 2
    with pytest.raises(PutOff, match=r"time budget \(crawl.source_budget, 60 s\)"):
        middleware.process_request(page("https://a.example/3"))
    middleware.process_request(page("https://b.example/2", source="feed-b"))
    middleware.process_request(Request("https://a.example/robots.txt"))


def test_past_the_crawl_time_limit_no_page_starts():
    clock = Clock()
    middleware = budget(clock, RADAR_STOP_AT=clock.now + 30)
    middleware.process_request(page("https://a.example/1"))
    clock.now += 30
    with pytest.raises(TimeLimitReached):
        middleware.process_request(page("https://a.example/2"))


def test_after_a_crawl_killed_at_its_timeout_each_source_it_never_recorded_failed(tmp_path):
    """`radar run` kills a crawl that hangs past its own time limit: the sources it recorded
    keep what they said; each it never reached fails that crawl, towards its suspension."""
    db = open_db(tmp_path / "radar.db")
    sources = [
        Source(kind="feed", origin="media", name=name, url=f"https://{name}.example/feed")
        for name in ("read", "hung", "never")
    ]
    sync_sources(db, sources)
    began = "2026-12-06T10:00:00Z"
    record_source_run(db, sources[1].id, last_attempt="2026-12-05T10:00:00Z")  # yesterday's
    record_source_run(db, sources[0].id, last_attempt="2026-12-06T10:00:05Z", last_status=200)
    assert record_unread(db, [s.id for s in sources], began, "killed at its time limit") == 2
    found = {row["name"]: row for row in db.query("select * from sources")}
    assert found["read"]["consecutive_failures"] == 0 and found["read"]["last_error"] is None
    for name in ("hung", "never"):
        assert found[name]["consecutive_failures"] == 1
        assert found[name]["last_error"] == "killed at its time limit"
    db.close()
