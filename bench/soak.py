"""Soak: `radar run` for a bounded time against a faulty, growing synthetic web on loopback.

Serves bench/soakweb.py's web (every council's news feed and ModernGov-shaped site, over 16
loopback addresses; new feed entries each minute; seeded faults on every request: HTTP 500/503,
timeouts past the watch list's `crawl.download_timeout`, broken feeds, truncated PDFs, HTML
garbage), writes a watch list for it (feeds every minute; the daily sites crawl and the weekly
digest set to clock times inside the window; an SMTP sink on loopback for digests and acute
alerts) and runs the real scheduler, `radar run`, as a child process. While it runs, the
scheduler's RSS and its children's (each crawl and tag run, with their document workers) are
sampled from /proc every few seconds. At the end publication stops, the scheduler is sent
SIGTERM and allowed to finish its running job (`--drain-minutes`, then it is killed).

Prints: scheduled runs completed and how, items stored, duplicates (items, alerts, emails),
every article and minutes document the web published set against the store (stored, stored
without full text and why, never reached because every fetch or listing was faulted, not yet
crawled, and lost: offered intact to a crawl that finished, yet not in the store), publication
to store and to tags latency, peak RSS per minute (scheduler, crawl, tag, whole tree) with
first-vs-last and slope, and per fault kind what was injected and what the store recorded
(`sources` errors after each crawl, items without text, `job_runs`, the scheduler's log).

The schedule is the watch list's own, run by `radar run`: `sites_daily_at` is a clock time, so
the sites job runs once, about 1.5 minutes in (queued behind a feeds run if one is going: jobs
run one at a time), and the digest about 60% of the way through. Nothing is triggered from
outside. On 2 cores, the first feeds and sites runs of all 317 councils (3 entries a feed and
4 minutes PDFs a council to read and tag) fill most of a 10-minute window; `--councils 100`
reaches the steady state, a feeds run a minute, by minute 4.

A benchmark: it asserts nothing, but exits 1 with a message naming them when any item is lost
or duplicated.

Run: .venv/bin/python bench/soak.py [--minutes 10] [--councils 317] [--seed 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.sink import SmtpSink  # noqa: E402
from bench.crawl import HOSTS  # noqa: E402
from bench.soakweb import FAULT_KINDS, FaultRates, FaultyWeb, meeting_of  # noqa: E402
from domain.config import DAYS, REGIONS, load_england_register  # noqa: E402
from pipelines.urls import canonical_url  # noqa: E402
from store.audit import (  # noqa: E402
    all_rows,
    count_rows,
    items_with_tag_time,
    repeated_texts,
    sources_attempted_since,
)

MIB = 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SPARK = "▁▂▃▄▅▆▇█"


# -- the scheduler's process tree, from /proc --------------------------------------------------


def read_processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, resident bytes, command line) of every process we can read."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            resident = int(Path(entry.path, "statm").read_text().split()[1]) * PAGE_SIZE
            command = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue  # gone while we looked
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":  # an exited child not yet waited for has no memory to count
            found[int(entry.name)] = (int(parent), resident, command)
    return found


def role_of(command: str) -> str:
    words = command.split()
    return "crawl" if "crawl" in words else "tag" if {"retag", "tag"} & set(words) else "other"


@dataclass
class Sample:
    at: float  # seconds since the soak started
    scheduler: int  # bytes
    children: dict[int, tuple[str, int]]  # job child pid -> (role, bytes of its whole subtree)

    @property
    def total(self) -> int:
        return self.scheduler + sum(rss for _, rss in self.children.values())


def sample_tree(root: int, at: float) -> Sample | None:
    processes = read_processes()
    if root not in processes:
        return None
    kids: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _, _) in processes.items():
        kids[parent].append(pid)

    def subtree(pid: int) -> int:
        return processes[pid][1] + sum(subtree(child) for child in kids.get(pid, []))

    children = {pid: (role_of(processes[pid][2]), subtree(pid)) for pid in kids.get(root, [])}
    return Sample(at, processes[root][1], children)


def kill_tree(root: int) -> None:
    """SIGKILL a process and its descendants (crawl and tag runs have sessions of their own,
    so killing the scheduler alone would leave them running)."""
    processes = read_processes()
    found, stack = [root], [root]
    while stack:
        pid = stack.pop()
        children = [p for p, (parent, _, _) in processes.items() if parent == pid]
        found += children
        stack += children
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# -- what the store recorded as it went ---------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def fault_of(text: str) -> str:
    """The injected fault an error message in the store describes."""
    lowered = text.lower()
    for status in ("500", "503"):
        if f"http {status}" in lowered:
            return f"http {status}"
    if "took longer than" in lowered or "timeout" in lowered or "timed out" in lowered:
        return "timeout"
    if "not a readable feed" in lowered:
        return "broken feed"
    if "not a readable web page" in lowered:
        return "html garbage"
    if "pdf" in lowered or "eof" in lowered or "xref" in lowered:
        return "truncated pdf"
    return "other: " + re.sub(r"http://[^ ]+", "URL", text)[:70]


@dataclass
class StoreRecord:
    """Per fault kind, what the `sources` table showed after each crawl, summed over crawls
    (the table keeps only the last crawl's figures, so they are read after every one)."""

    seen_runs: set[int] = field(default_factory=set)
    source_errors: Counter[str] = field(default_factory=Counter)
    item_failures: int = 0  # sum of items_failed over crawls
    last_item_errors: Counter[str] = field(default_factory=Counter)  # one per source and crawl
    progress: str = ""

    def poll(self, database: Path) -> None:
        if not database.exists():
            return
        try:
            conn = connect(database)
            runs = all_rows(conn, "job_runs")
            new = [r for r in runs if r["finished"] and r["id"] not in self.seen_runs]
            for run in new:
                self.seen_runs.add(run["id"])
                if run["job"] not in ("feeds", "sites"):
                    continue
                rows = sources_attempted_since(conn, run["started"])
                for row in rows:
                    if row["last_error"]:
                        self.source_errors[fault_of(row["last_error"])] += 1
                    self.item_failures += row["items_failed"] or 0
                    if row["last_item_error"] and row["items_failed"]:
                        self.last_item_errors[fault_of(row["last_item_error"])] += 1
            items = count_rows(conn, "items")
            done = Counter(f"{r['job']} {r['outcome']}" for r in runs if r["finished"])
            running = [r["job"] for r in runs if not r["finished"]]
            conn.close()
        except sqlite3.Error as exc:
            self.progress = f"store not readable now ({exc})"
            return
        self.progress = (
            f"items {items:,}; runs: "
            f"{', '.join(f'{k} ×{v}' for k, v in sorted(done.items())) or 'none yet'}"
            + (f"; running: {', '.join(running)}" if running else "")
        )


class Monitor:
    """Samples the scheduler's process tree and reads the store's record as the soak runs."""

    def __init__(self, pid: int, began: float, database: Path) -> None:
        self.pid, self.began, self.database = pid, began, database
        self.samples: list[Sample] = []
        self.record = StoreRecord()

    def tick(self) -> None:
        sample = sample_tree(self.pid, time.monotonic() - self.began)
        if sample:
            self.samples.append(sample)
        self.record.poll(self.database)

    def progress(self, moment: float, note: str = "") -> None:
        minute = round((moment - self.began) / 60)
        peak = max((s.total for s in self.samples if s.at > minute * 60 - 60), default=0)
        print(
            f"  [{minute:>3} min] {note + '; ' if note else ''}{self.record.progress}; "
            f"tree peak {peak / MIB:,.0f} MiB",
            flush=True,
        )


# -- the soak ----------------------------------------------------------------------------------


def clock(moment: datetime) -> str:
    """The next whole minute at or after `moment`, as HH:MM (what the schedule takes)."""
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment.strftime("%H:%M")


def write_watchlist(
    folder: Path, web: FaultyWeb, smtp_port: int, args: argparse.Namespace, start: datetime
) -> tuple[Path, dict[str, str]]:
    sites_at = start + timedelta(seconds=90)
    digest_at = start + timedelta(minutes=max(2.5, args.minutes * 0.6))
    schedule = {
        "timezone": "UTC",
        "feeds_every_minutes": 1,
        "sites_daily_at": clock(sites_at),
        "digest_day": DAYS[digest_at.weekday()],
        "digest_at": clock(digest_at),
        "crawl_timeout_minutes": 20,
        "tag_timeout_minutes": 20,
    }
    councils = [
        {
            "gss_code": code,
            "sources": [
                {"kind": "feed", "url": f"{web.bases[code]}/c/{code}/news/rss.xml"},
                {"kind": "moderngov", "url": f"{web.bases[code]}/c/{code}/democracy/"},
            ],
        }
        for code in web.councils
    ]
    regions = {
        region: {
            "advisers": [
                {
                    "name": f"{region} Principal Adviser",
                    "email": f"adviser.{region.lower().replace(' ', '-')}@example.org",
                }
            ]
        }
        for region in REGIONS
    }
    watchlist = folder / "watchlist.yaml"
    watchlist.write_text(
        yaml.safe_dump(
            {
                "database": str(folder / "radar.db"),
                "output_dir": str(folder / "output"),
                "crawl": {
                    "allow_private": ["127.0.0.0/8"],
                    "autothrottle": False,
                    "download_timeout": args.download_timeout,
                    "refetch_after": args.refetch_after,
                    "contact": "soak@example.org",
                },
                "councils": councils,
                "regions": regions,
                "smtp": {"host": "127.0.0.1", "port": smtp_port},
                "schedule": schedule,
            },
            sort_keys=False,
        )
    )
    return watchlist, schedule


def run_soak(args: argparse.Namespace, folder: Path) -> int:
    councils = load_england_register()[: args.councils]
    rates = FaultRates(args.error_rate, args.timeout_rate, args.malformed_rate)
    web = FaultyWeb(councils, rates, args.seed, args.download_timeout, args.initial_entries)
    per_minute = args.new_per_minute or max(1, len(councils) // 5)
    web.start()
    log_path = folder / "scheduler.log"
    with SmtpSink(folder / "mail") as sink, log_path.open("w") as log:
        start = datetime.now(UTC)
        watchlist, schedule = write_watchlist(folder, web, sink.port, args, start)
        print(
            f"soak: {len(councils)} councils on {len(HOSTS)} loopback hosts, {args.minutes} min, "
            f"seed {args.seed}; faults per request: {rates.errors:.0%} HTTP 500/503, "
            f"{rates.timeouts:.0%} timeouts (> {args.download_timeout} s), "
            f"{rates.malformed:.0%} malformed"
        )
        print(
            f"schedule (UTC): feeds every minute, sites at {schedule['sites_daily_at']}, digest "
            f"{schedule['digest_day']} {schedule['digest_at']}; {args.initial_entries} entries "
            f"per feed at start, {per_minute} new a minute; files in {folder}",
            flush=True,
        )
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "radar.cli", "run", "-w", str(watchlist)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
        began = time.monotonic()
        monitor = Monitor(scheduler.pid, began, folder / "radar.db")
        try:
            next_minute, end = began + 60, began + args.minutes * 60
            while time.monotonic() < end and scheduler.poll() is None:
                monitor.tick()
                if time.monotonic() >= next_minute:
                    web.publish(per_minute)
                    monitor.progress(next_minute)
                    next_minute += 60
                time.sleep(args.sample_seconds)
            window = time.monotonic() - began
            web.freeze()
            crashed = scheduler.poll()
            print(f"  publication stopped; SIGTERM to the scheduler at {window / 60:.1f} min")
            scheduler.send_signal(signal.SIGTERM)
            drain_end = time.monotonic() + args.drain_minutes * 60
            while scheduler.poll() is None and time.monotonic() < drain_end:
                monitor.tick()
                if time.monotonic() >= next_minute:
                    monitor.progress(next_minute, "draining")
                    next_minute += 60
                time.sleep(args.sample_seconds)
            killed = scheduler.poll() is None
            drained = time.monotonic() - began - window
        finally:
            if scheduler.poll() is None:
                kill_tree(scheduler.pid)
            scheduler.wait()
        monitor.record.poll(monitor.database)
        web.stop()
        mail = [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sink.messages()
        ]
        recipients = sink.recipients()
    stop = (
        f"the scheduler exited with {crashed} during the window"
        if crashed is not None
        else f"killed after {args.drain_minutes} min of drain"
        if killed
        else f"stopped cleanly {drained:.0f} s after SIGTERM (its running job finished)"
    )
    print(f"\nscheduler: {stop}")
    report = Report(
        web, monitor.database, log_path, monitor.record, monitor.samples, start.timestamp()
    )
    problems = report.print_all(mail, recipients)
    if problems:
        print(f"\nFAILED: {'; '.join(problems)}")
        return 1
    return 0


# -- the report --------------------------------------------------------------------------------


def stamp_seconds(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def job_of(name: str) -> str:
    """A job's id from the name APScheduler logs ("crawl feeds every 1 min, …")."""
    return "digest" if "digests" in name else name.split()[1]


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return f"p50 {median(ordered):.0f} s, p95 {at(0.95):.0f} s, max {ordered[-1]:.0f} s"


def sparkline(values: list[float]) -> str:
    """Bars from 0 to the highest value: a flat line looks flat."""
    high = max(values, default=0) or 1
    return "".join(SPARK[round(v / high * (len(SPARK) - 1))] for v in values)


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per hour."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points) or 1
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread * 3600


class Report:
    def __init__(
        self,
        web: FaultyWeb,
        database: Path,
        log_path: Path,
        record: StoreRecord,
        samples: list[Sample],
        started: float,
    ) -> None:
        self.web, self.record, self.samples = web, record, samples
        self.started = started  # wall clock, as the web's stamps
        self.log = log_path.read_text(errors="replace")
        conn = connect(database)
        self.items = {
            row["canonical_url"]: dict(row)
            for row in items_with_tag_time(conn)
        }
        self.aliases = {r["canonical_url"] for r in all_rows(conn, "url_aliases")}
        self.runs = [dict(r) for r in all_rows(conn, "job_runs")]
        self.alerts = [dict(r) for r in all_rows(conn, "alerts")]
        self.digests = [dict(r) for r in all_rows(conn, "digests")]
        self.same_text = repeated_texts(conn)
        conn.close()
        self.crawl_windows = [
            (stamp_seconds(r["started"]) or 0, (stamp_seconds(r["finished"]) or 0) + 1)
            for r in self.runs
            if r["job"] in ("feeds", "sites") and r["finished"]
        ]

    def in_finished_crawl(self, moment: float) -> bool:
        return any(start - 1 <= moment <= end for start, end in self.crawl_windows)

    def print_all(self, mail: list[Any], recipients: list[list[str]]) -> list[str]:
        self.print_runs()
        duplicates = self.print_items(mail, recipients)
        lost = self.print_articles() + self.print_minutes()
        print(f"lost items (served intact to a crawl that finished, not in the store): {lost}")
        self.print_faults()
        self.print_memory()
        problems = []
        if duplicates:
            problems.append(f"{duplicates} duplicates")
        if lost:
            problems.append(f"{lost} items lost (served intact to a finished crawl, not stored)")
        return problems

    def print_runs(self) -> None:
        print("\nscheduled runs (job_runs):")
        for job in ("feeds", "sites", "digest"):
            runs = [r for r in self.runs if r["job"] == job]
            outcomes = Counter(r["outcome"] or "unfinished" for r in runs)
            took = [
                (stamp_seconds(r["finished"]) or 0) - (stamp_seconds(r["started"]) or 0)
                for r in runs
                if r["finished"]
            ]
            steps: Counter[str] = Counter()
            for r in runs:
                for what, outcome in re.findall(r"\b(crawl|tag) (\w+) in \d+ s", r["detail"] or ""):
                    steps[f"{what} {outcome}"] += 1
            print(
                f"  {job:<7} {len(runs)} runs: {', '.join(f'{n} {o}' for o, n in outcomes.items())}"
                + (f"; {sum(took) / len(took):.0f} s each on average" if took else "")
                + (f" ({', '.join(f'{n} {s}' for s, n in sorted(steps.items()))})" if steps else "")
            )
            if runs:
                starts = [(stamp_seconds(r["started"]) or 0) - self.started for r in runs]
                print(f"          started at minute {', '.join(f'{t / 60:.1f}' for t in starts)}")
        failed = [r for r in self.runs if r["outcome"] not in ("ok", None)]
        for r in failed[:5]:
            print(f"    {r['job']} {r['started']} {r['outcome']}: {(r['detail'] or '')[:300]}")
        skipped = self.log.count("maximum number of running instances reached")
        late = re.findall(r'Run time of job "(.+?) \(trigger.*was missed by ([\d:]+)', self.log)
        print(
            f"  runs not started because the same job was running or queued: {skipped}; "
            f"dropped after waiting in the queue past their grace: "
            f"{', '.join(f'{job_of(n)} (late {t})' for n, t in late) or 'none'}"
        )
        # A job coming due while shutdown() waits for the running one is refused by the
        # stopped executor, and APScheduler moves its next run on: that run is skipped.
        refused = Counter(
            job_of(name) for name in re.findall(r'Error submitting job "(.+?) \(trigger', self.log)
        )
        print(
            "  runs due while the scheduler was stopping, refused and moved to their next "
            f"slot: {', '.join(f'{j} ×{n}' for j, n in refused.items()) or 'none'}"
        )
        for needle in ("database is locked", "Traceback", " ERROR "):
            count = self.log.count(needle)
            details = sum(needle in (r["detail"] or "") for r in self.runs)
            print(f"  {needle.strip()!r}: {count} in the scheduler log, {details} in job_runs")

    def print_items(self, mail: list[Any], recipients: list[list[str]]) -> int:
        items = list(self.items.values())
        kinds = Counter(i["kind"] for i in items)
        summary_only = Counter(i["kind"] for i in items if i["summary_only"])
        untagged = sum(1 for i in items if not i["tagged_at"])
        print(
            f"\nitems stored: {len(items):,} ({', '.join(f'{n:,} {k}' for k, n in kinds.items())})"
        )
        print(
            f"  without full text (summary_only): "
            f"{', '.join(f'{n} {k}' for k, n in summary_only.items()) or '0'}; "
            f"untagged at the end: {untagged:,}"
        )
        known = {canonical_url(a.url) for a in self.web.all_articles()} | {
            canonical_url(self.web.bases[code] + path)
            for path, (code, _) in self.web.minutes().items()
        }
        strangers = [url for url in self.items if url not in known]
        pairs = Counter((r["gss_code"], r["signal"]) for r in self.alerts)
        alert_dupes = sum(n - 1 for n in pairs.values() if n > 1)
        letters = Counter((m["Subject"], tuple(r)) for m, r in zip(mail, recipients, strict=False))
        mail_dupes = sum(n - 1 for n in letters.values() if n > 1)
        digests = [m for m in mail if "ACUTE" not in (m["Subject"] or "")]
        sent = sum(1 for a in self.alerts if a["sent_at"])
        print(
            f"  acute alerts raised {len(self.alerts)}, sent {sent}; "
            f"digests recorded sent {sum(1 for d in self.digests if d['sent_at'])}; "
            f"emails received by the SMTP sink {len(mail)} ({len(digests)} digests)"
        )
        duplicates = self.same_text + len(strangers) + alert_dupes + mail_dupes
        print(
            f"duplicates: {duplicates} (items with the same text as another: {self.same_text}; "
            f"items at URLs the web never published: {len(strangers)}; alerts for the same "
            f"council and signal: {alert_dupes}; the same email twice: {mail_dupes})"
        )
        return duplicates

    def print_articles(self) -> int:
        outcome: Counter[str] = Counter()
        not_retried = 0
        stored_lag, tagged_lag = [], []
        lost_examples = []
        for article in self.web.all_articles():
            url = canonical_url(article.url)
            answers = self.web.answers.get(article.path, [])
            item = self.items.get(url)
            published = article.published.timestamp()
            if item:
                first_seen = stamp_seconds(item["first_seen"] or item["fetched"]) or 0
                if published >= self.started:  # published during the soak, not history
                    stored_lag.append(max(0.0, first_seen - published))
                    tagged = stamp_seconds(item["tagged_at"])
                    if tagged:
                        tagged_lag.append(max(0.0, tagged - published))
                intact = any(a.outcome == "ok" for a in answers)
                if not item["summary_only"]:
                    if not intact:
                        outcome["stored, text from a broken page"] += 1
                    elif answers[0].outcome != "ok":
                        outcome["stored with text, after a failed or garbled fetch"] += 1
                    else:
                        outcome["stored with text"] += 1
                    continue
                faults = {a.outcome for a in answers}
                why = (
                    "page was garbage"
                    if "html garbage" in faults and not intact
                    else "page fetch failed each try"
                    if not intact
                    else "page intact, no text"
                )
                outcome[f"summary only: {why}"] += 1
                not_retried += not any(a.at > first_seen + 2 for a in answers)
                continue
            if url in self.aliases:
                outcome["stored as a copy of another item"] += 1
                continue
            offered = self.web.offered.get(article.url)
            if offered is not None and self.in_finished_crawl(offered):
                outcome["LOST"] += 1
                lost_examples.append(article.url)
            elif offered is not None:
                outcome["offered only to a crawl cut short"] += 1
            else:
                feed = f"/c/{article.council.gss_code}/news/rss.xml"
                later = {a.outcome for a in self.web.answers.get(feed, []) if a.at >= published}
                hidden = self.web.hidden_304.get(article.council.gss_code)
                if "304" in later and hidden:
                    outcome["never reached: 304s to a broken feed's ETag"] += 1
                elif "broken feed" in later:
                    outcome["never reached: the feed was served broken"] += 1
                elif later:
                    outcome["never reached: every feed fetch since failed"] += 1
                else:
                    outcome["not yet crawled (published after the last feed read)"] += 1
        total = sum(outcome.values())
        print(f"\nnews articles the web published: {total:,}")
        for what, n in sorted(outcome.items(), key=lambda kv: -kv[1]):
            print(f"  {what:<60} {n:,}")
        summary_only = sum(n for w, n in outcome.items() if w.startswith("summary only"))
        if summary_only:
            print(
                f"  of the {summary_only} summary-only articles, {not_retried} were not "
                "requested again by a later crawl (a final failure, or not yet due)"
            )
        hidden = sum(self.web.hidden_304.values())
        print(
            f"  304s answered to an ETag the crawler had only from a broken feed: {hidden} "
            f"({len(self.web.hidden_304)} councils)"
        )
        print(f"  published during the soak → stored: {percentiles(stored_lag)}")
        print(f"  published during the soak → tagged: {percentiles(tagged_lag)}")
        for url in lost_examples[:5]:
            print(f"  lost: {url}")
        return outcome["LOST"]

    def print_minutes(self) -> int:
        pages: dict[tuple[str, str], list[str]] = defaultdict(list)  # (council, MId or list)
        for path, answers in self.web.answers.items():
            code = path.split("/")[2] if path.startswith("/c/") else ""
            key = meeting_of(path) or (
                "committees"
                if "mgListCommittees" in path
                else "c" + path.rsplit("=", 1)[-1]
                if "ieListMeetings" in path
                else None
            )
            if key:
                pages[(code, key)] += [a.outcome for a in answers]
        outcome: Counter[str] = Counter()
        for path, (code, mid) in self.web.minutes().items():
            url = canonical_url(self.web.bases[code] + path)
            item = self.items.get(url)
            answers = self.web.answers.get(path, [])
            if item:
                meta = json.loads(item["meta"] or "{}")
                if meta.get("extract_error"):
                    again = " (due another fetch)" if item["fetch_failures"] else ""
                    outcome["stored without text: " + fault_of(meta["extract_error"]) + again] += 1
                elif answers and answers[0].outcome != "ok":
                    outcome["stored with text, after a failed or garbled fetch"] += 1
                else:
                    outcome["stored with text"] += 1
                continue
            if url in self.aliases:
                outcome["stored as a copy of another item"] += 1
                continue
            intact = [a for a in answers if a.outcome == "ok"]
            if intact and any(self.in_finished_crawl(a.at) for a in intact):
                outcome["LOST"] += 1
            elif intact:
                outcome["fetched by a crawl cut short"] += 1
            elif answers:
                outcome["every fetch failed (counted in items_failed)"] += 1
            else:
                outcome[self.unreached(pages, code, mid)] += 1
        print(f"\nminutes documents the democracy sites list: {sum(outcome.values()):,}")
        for what, n in sorted(outcome.items(), key=lambda kv: -kv[1]):
            print(f"  {what:<60} {n:,}")
        return sum(n for what, n in outcome.items() if what.startswith("LOST"))

    @staticmethod
    def unreached(pages: dict[tuple[str, str], list[str]], code: str, mid: str) -> str:
        """Why a minutes PDF was never asked for: the first page on the way to it (committee
        list, the committee's meeting list, the meeting page) that never answered intact."""
        levels = (
            ("committee list", "committees"),
            ("meeting list", "c" + mid[0]),
            ("meeting page", mid),
        )
        for name, key in levels:
            answers = pages.get((code, key), [])
            if not answers:
                return f"not reached: its {name} was never requested"
            if "ok" in answers:
                continue
            if answers[-1] == "html garbage":
                return f"not reached: its {name} was garbage (an error is recorded)"
            return f"not reached: its {name} failed (an error is recorded)"
        return "LOST (on an intact meeting page, never fetched)"

    def print_faults(self) -> None:
        record = self.record
        print(
            "\nfaults: injected by the web / recorded in `sources` after each crawl "
            "(a source's last_error; last_item_error, one per source and crawl)"
        )
        print(f"  {'fault':<15} {'injected':>9} {'source errors':>14} {'item errors':>12}")
        for kind in FAULT_KINDS:
            print(
                f"  {kind:<15} {self.web.injected.get(kind, 0):>9,} "
                f"{record.source_errors.get(kind, 0):>14,} "
                f"{record.last_item_errors.get(kind, 0):>12,}"
            )
        for errors, where in ((record.source_errors, "source"), (record.last_item_errors, "item")):
            for kind, n in errors.items():
                if kind not in FAULT_KINDS:
                    print(f"  other {where} errors ×{n}: {kind}")
        cut, page = self.web.broken_feeds["cut off"], self.web.broken_feeds["html error page"]
        requests = sum(len(a) for a in self.web.answers.values())
        print(
            f"  broken feeds: {cut} cut off mid-document, {page} an HTML error page; requests "
            f"answered {requests:,}; items_failed summed over {len(record.seen_runs)} job runs: "
            f"{record.item_failures:,}"
        )

    def print_memory(self) -> None:
        if not self.samples:
            print("\nmemory: no samples")
            return
        minutes = int(self.samples[-1].at // 60) + 1
        print(
            f"\npeak RSS per minute, MiB ({len(self.samples)} samples; crawl and tag include "
            "their document workers):"
        )
        print(f"  {'minute':>6} {'scheduler':>10} {'crawl':>7} {'tag':>7} {'tree':>7}")
        rows = []
        for minute in range(minutes):
            inside = [s for s in self.samples if minute * 60 <= s.at < (minute + 1) * 60]
            if not inside:
                continue

            def peak(role: str, inside: list[Sample] = inside) -> float:
                return (
                    max(
                        (rss for s in inside for r, rss in s.children.values() if r == role),
                        default=0,
                    )
                    / MIB
                )

            row = (
                minute + 1,
                max(s.scheduler for s in inside) / MIB,
                peak("crawl"),
                peak("tag"),
                max(s.total for s in inside) / MIB,
            )
            rows.append(row)
            crawl, tag = (f"{v:.0f}" if v else "-" for v in row[2:4])
            print(f"  {row[0]:>6} {row[1]:>10.0f} {crawl:>7} {tag:>7} {row[4]:>7.0f}")
        print(
            f"  scheduler {sparkline([r[1] for r in rows])}  tree {sparkline([r[4] for r in rows])}"
        )
        finished = [t for r in self.runs if (t := stamp_seconds(r["finished"])) is not None]
        warm_from = min(finished) - self.started if finished else 60.0
        warm = [(s.at, s.scheduler / MIB) for s in self.samples if s.at >= warm_from]
        rise = (warm[-1][1] - warm[0][1]) if warm else 0.0
        print(
            f"  scheduler: first minute {rows[0][1]:.0f} MiB, last {rows[-1][1]:.0f} MiB; after "
            f"its first job ({warm_from / 60:.1f} min on) {rise:+.1f} MiB, slope "
            f"{slope_per_hour(warm):+.1f} MiB/hour over {len(warm)} samples"
        )
        runs: dict[int, tuple[str, float]] = {}
        for s in self.samples:
            for pid, (role, rss) in s.children.items():
                runs[pid] = (role, max(rss / MIB, runs.get(pid, (role, 0.0))[1]))
        for role in ("crawl", "tag"):
            peaks = [p for r, p in runs.values() if r == role]
            if peaks:
                print(
                    f"  {role} runs: {len(peaks)}, peak first {peaks[0]:.0f} MiB, "
                    f"last {peaks[-1]:.0f} MiB, highest {max(peaks):.0f} MiB"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="how long the web changes")
    parser.add_argument("--councils", type=int, default=317)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--new-per-minute", type=int, default=0, help="new feed entries a minute (councils/5)"
    )
    parser.add_argument("--initial-entries", type=int, default=3, help="per feed at start")
    parser.add_argument("--error-rate", type=float, default=0.05, help="HTTP 500/503")
    parser.add_argument("--timeout-rate", type=float, default=0.01)
    parser.add_argument("--malformed-rate", type=float, default=0.01)
    parser.add_argument("--download-timeout", type=int, default=5, help="crawl.download_timeout")
    parser.add_argument(
        "--refetch-after",
        type=int,
        default=60,
        help="crawl.refetch_after: seconds before a page stored without its text is tried again "
        "(an hour in production; the soak's clock runs faster)",
    )
    parser.add_argument("--sample-seconds", type=float, default=3.0, help="RSS sampling")
    parser.add_argument(
        "--drain-minutes", type=float, default=15, help="wait this long for the last job"
    )
    parser.add_argument("--keep", type=Path, help="keep the store, logs and mail in this folder")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        sys.exit(run_soak(args, args.keep.resolve()))
    with tempfile.TemporaryDirectory(prefix="radar-soak-") as folder:
        sys.exit(run_soak(args, Path(folder)))


if __name__ == "__main__":
    main()
