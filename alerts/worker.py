"""The scheduler's workers: one crawl or one tagging run in a process of its own.

`radar run` starts these as child processes with a timeout (see `alerts.jobs`), so a crash,
a hang or a memory blow-up in Scrapy, PDFium or the model never takes the scheduler down,
and the whole process group can be killed when the timeout passes. They call the same
Python API the `radar` commands call (`crawlers.run.run_crawl`,
`classifiers.pending.tag_pending`), not the command line:

    python -m alerts.worker crawl WATCHLIST [--kind feed ...] [--stop-at UNIX_TIME]
    python -m alerts.worker tag WATCHLIST

What a source or the store says went wrong is written to stderr, one line each (the job
record keeps the last lines); the exit code is 0 when the work is done, 1 on a failure,
2 on a bad watch list, 124 when a crawl stopped at its `--stop-at` time (its sources'
health recorded), 130 when it was interrupted.
"""

from __future__ import annotations

import argparse
import sys

from domain.config import SOURCE_KINDS, ConfigError, load_watchlist

STOPPED_AT_TIME_LIMIT = 124  # as GNU timeout(1) says it: `alerts.jobs` reads it so


def crawl(watchlist_path: str, kinds: list[str] | None, stop_at: float | None = None) -> int:
    from crawlers.run import run_crawl

    summary = run_crawl(load_watchlist(watchlist_path), kinds=kinds, stop_at=stop_at)
    for source in summary.sources:
        if source["last_error"]:
            print(f"{source['name'] or source['url']}: {source['last_error']}", file=sys.stderr)
    print(f"{summary.new_items} new items", file=sys.stderr)
    if summary.timed_out:
        print("stopped at its time limit; every source's health recorded", file=sys.stderr)
        return STOPPED_AT_TIME_LIMIT
    return 130 if summary.interrupted else 0


def tag(watchlist_path: str) -> int:
    from classifiers.pending import tag_pending
    from store import open_db

    config = load_watchlist(watchlist_path)
    db = open_db(config.database)
    try:
        run = tag_pending(config, db)
    finally:
        db.close()
    print(f"{run.tagged} of {run.pending} pending items tagged with {run.version}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    from store.db import describe_store_error

    parser = argparse.ArgumentParser(prog="python -m alerts.worker")
    jobs = parser.add_subparsers(dest="job", required=True)
    crawling = jobs.add_parser("crawl")
    crawling.add_argument("watchlist")
    crawling.add_argument("--kind", action="append", choices=SOURCE_KINDS.__args__)
    crawling.add_argument("--stop-at", type=float, help="Unix time to stop crawling at")
    tagging = jobs.add_parser("tag")
    tagging.add_argument("watchlist")
    args = parser.parse_args(argv)
    try:
        if args.job == "crawl":
            return crawl(args.watchlist, args.kind, args.stop_at)
        return tag(args.watchlist)
    except ConfigError as exc:  # one line for the job record (a YAML error runs to five)
        lines = [line.strip() for line in str(exc).splitlines() if line.strip(" ^")]
        print(" ".join(lines), file=sys.stderr)
        return 2
    except Exception as exc:
        error = describe_store_error(exc)
        if error is None:
            raise
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
