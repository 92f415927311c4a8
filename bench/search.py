"""Benchmark: search and radar latency on a store of 1,000,000 synthetic items.

Builds (or reuses, with --store) a real store through the same schema as the product: items
with FTS5, council links, tags and flags (about 4% of items flagged, as in the demo's
routine-heavy mix), spread over two years and all 317 English councils. Then prints p50/p95
latency of `radar search` queries (plain, phrase, with filters) and the time to compute one
week's radar for every council. A query matching more than store.search.RANK_WINDOW items is
marked `newest` (only that many of its newest matches ranked).

`--compare` also times the search as it was before issue #19 (one query ranking every
match with its snippet, item columns and flags), alternating runs with today's so both see
the same machine load, and checks the two return the same rows.

Run with `.venv/bin/python bench/search.py [--items N] [--store PATH] [--compare]`;
asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUTINE = (
    "bin collections change over the bank holiday weekend",
    "roadworks on the high street will close one lane",
    "residents are invited to comment on the draft local plan",
    "the library will host a summer reading challenge",
    "councillors approved new play equipment for the park",
    "a consultation on parking charges opens next month",
    "the leisure centre pool reopens after refurbishment",
    "planning committee considered applications for extensions",
)
ADVERSE = {
    "finance": "the finance officer warned of a budget gap and reserves below a prudent level",
    "leadership": "the chief executive was suspended after a dispute with the leader",
    "risky_change": "the council will borrow to buy commercial property outside the borough",
    "disengagement": "the council refused a peer challenge and left the regional partnership",
}
QUERIES = (
    ("word", "budget", {}),
    ("phrase", '"section 114"', {}),
    ("two words", "chief executive", {}),
    ("prefix", "consult*", {}),
    ("council filter", "budget", {"council": "Croydon"}),
    ("region + factor", "budget", {"region": "North West", "factor": "finance"}),
    ("date range", "reserves", {"since": "2026-06-01", "until": "2026-08-31"}),
    ("every item", "council", {}),
    ("prefix + council", "consult*", {"council": "Croydon"}),
)

# `radar search` before issue #19: one query ranking every match, computing its snippet,
# item columns and flags before sorting (for --compare).
BEFORE = """
    select items.id, items.title, items.url, items.published, items.date_source,
           items.radar_at, json_extract(items.meta, '$.date_note') as date_note,
           items.origin, items.kind,
           snippet(items_fts, 1, :open, :close, ' … ', 20) as snippet,
           bm25(items_fts, 5.0, 1.0) as rank,
           tags.sentiment as sentiment,
           (select group_concat(factor, ',') from flags
            where flags.item_id = items.id) as factors
    from items_fts
    join items on items.rowid = items_fts.rowid
    left join tags on tags.item_id = items.id
    where items_fts match :query {extra}
    order by rank
    limit :limit
"""


def search_before(db: Any, query: str, limit: int, filters: Any) -> list[dict[str, Any]]:
    """The search as it was before issue #19 (for --compare)."""
    from store.items import councils_for_items

    extra, params = filters.sql()
    params.update(query=query, limit=limit, open="[", close="]")
    rows = list(db.query(BEFORE.format(extra=extra), params))
    councils = councils_for_items(db, [row["id"] for row in rows])
    for row in rows:
        row["councils"] = councils[row["id"]]
        row["factors"] = row["factors"].split(",") if row["factors"] else []
    return rows


def build(path: Path, count: int, seed: int = 7) -> None:
    from domain.config import FACTORS, WatchList
    from store import open_db
    from store.audit import analyse, insert_synthetic
    from store.councils import sync_councils

    rng = random.Random(seed)
    db = open_db(path)
    councils = list(WatchList().council_register().values())
    sync_councils(db, councils)
    start = datetime(2025, 1, 6, tzinfo=UTC)
    span = 2 * 365 * 24 * 3600
    batch = 20_000
    made = time.perf_counter()
    for first in range(0, count, batch):
        items, links, tags, flags = [], [], [], []
        for n in range(first, min(first + batch, count)):
            council = councils[rng.randrange(len(councils))]
            when = (start + timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
            factor = rng.choice(FACTORS) if rng.random() < 0.04 else None
            words = [rng.choice(ROUTINE) for _ in range(6)]
            if factor:
                words.insert(rng.randrange(len(words)), ADVERSE[factor])
            if factor == "finance" and rng.random() < 0.05:
                words.append("a section 114 notice was issued")
            item_id = f"i{n:08d}"
            items.append(
                (item_id, f"https://example.org/{item_id}", f"https://example.org/{item_id}",
                 "bench", "council", "news", f"{council.name} council news {n}",
                 f"{council.name} Council: " + ". ".join(words) + ".", when, when, when, when)
            )  # fmt: skip
            links.append((item_id, council.gss_code, "source"))
            tags.append((item_id, "bench", "negative" if factor else "neutral", 0, "{}", when))
            if factor:
                flags.append((item_id, factor, round(rng.uniform(0.5, 1.0), 3), words[0], None))
        insert_synthetic(db, items, links, tags, flags)
        done = min(first + batch, count)
        rate = done / (time.perf_counter() - made)
        print(f"\r  built {done:,} of {count:,} items ({rate:,.0f}/s)", end="", flush=True)
    print()
    analyse(db)
    db.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, default=Path("/tmp/radar-bench-search.db"))
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query")
    parser.add_argument(
        "--compare", action="store_true", help="also time the search before issue #19"
    )
    parser.add_argument("--no-radar", action="store_true", help="skip the radar timings")
    args = parser.parse_args()

    from alerts.scoring import compute_radar
    from domain.config import RadarSettings
    from store import open_db
    from store.audit import count_rows
    from store.search import Filters, search

    if not args.store.exists():
        print(f"Building a store of {args.items:,} synthetic items at {args.store} …")
        started = time.perf_counter()
        build(args.store, args.items)
        size = args.store.stat().st_size / 2**30
        print(f"  built in {time.perf_counter() - started:.0f} s; {size:.2f} GiB on disk")
    db = open_db(args.store)
    total = count_rows(db, "items")
    print(f"Store: {total:,} items, {count_rows(db, 'flags'):,} flags")
    if args.compare:
        print(f"{'query':<18} {'hits':>5} {'p50 ms':>8} {'p95 ms':>8}  "
              f"{'before p50':>10} {'p95':>8}  same rows")  # fmt: skip
    else:
        print(f"{'query':<18} {'hits':>5} {'p50 ms':>8} {'p95 ms':>8}")
    for label, query, filters in QUERIES:
        timings, before, hits, capped = [], [], 0, False
        for _ in range(args.runs):
            started = time.perf_counter()
            found = search(db, query, 20, filters=Filters(**filters))
            timings.append((time.perf_counter() - started) * 1000)
            hits, capped = len(found), found.capped
            if args.compare:
                started = time.perf_counter()
                old = search_before(db, query, 20, Filters(**filters))
                before.append((time.perf_counter() - started) * 1000)
        line = (
            f"{label:<18} {hits:>5} {percentile(timings, 0.5):>8.1f} "
            f"{percentile(timings, 0.95):>8.1f}"
        )
        if args.compare:
            same = [r["id"] for r in found] == [r["id"] for r in old]
            line += (
                f"  {percentile(before, 0.5):>10.1f} {percentile(before, 0.95):>8.1f}  "
                f"{'yes' if same else 'no'}"
            )
        if capped:
            line += f"  (newest {found.window:,} matches ranked)"
        print(line)
    if args.no_radar:
        return
    settings = RadarSettings()
    for week in ("2026-W20", "2026-W48"):
        started = time.perf_counter()
        radar = compute_radar(db, settings, week)
        elapsed = time.perf_counter() - started
        print(
            f"radar for {week}, all councils, 12-week baseline: {elapsed:.2f} s "
            f"({len(radar.councils)} on the radar)"
        )


if __name__ == "__main__":
    main()
