"""Benchmark: publication dates on real web pages, ours beside metadata-only and htmldate.

Run with `.venv/bin/python bench/dates.py [CHECKOUT]`; prints figures, asserts nothing.

The set is htmldate's evaluation set (adbar/htmldate, Apache-2.0): real pages with hand-checked
publication dates, `tests/eval_default.json` (800 pages) and `tests/eval_mediacloud_2020.json`
(200), the pages in `tests/test_set/`, `tests/cache/` and `tests/eval/`. CHECKOUT is a
checkout of that repository, or a bare mirror read at COMMIT (default: the workplace's mirror).
Nothing in the test suite needs it.

Each page is given only its HTML and URL (no feed, sitemap or listing date) to:

* ours: `pipelines.dates.choose_date` on what the page offers (the date near its headline,
  then its URL, then its metadata, then a "last updated" date), as the crawl does for a page
  reached by a link without a date;
* metadata-only: trafilatura's `extract_metadata().date`, which is what the crawl stored
  before issue #14;
* htmldate: `find_date(original_date=True)` with its extensive search, and the URL.

A page counts as right when the day is exactly the hand-checked one. The pages are split in
two halves by a hash of their URL (`half`), fixed before any tuning: the "near the headline"
heuristics were tuned on `dev` only, and `test` is reported as it came out. The UK subset is
the pages on `.uk` hosts. `--half dev` runs one half; `--misses` lists ours' wrong answers
on the dev half (the test half's are not shown: they are not for tuning on).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from htmldate import find_date  # noqa: E402
from trafilatura.utils import decode_file  # noqa: E402

from pipelines.dates import choose_date  # noqa: E402
from pipelines.extract import read_page_dates, readable_html  # noqa: E402

MIRROR = Path("/work/.mirror/adbar+htmldate/repo")
COMMIT = "b8952828329abaeeb3be21387b526f2be614ce67"
SETS = ("tests/eval_default.json", "tests/eval_mediacloud_2020.json")
FOLDERS = ("tests/test_set", "tests/cache", "tests/eval")  # where htmldate's own eval looks
TODAY = date(2026, 12, 31)  # the latest day a page may show: after every page in the set


def half(url: str) -> str:
    """'dev' or 'test', fixed by the URL alone (written before any tuning)."""
    return "dev" if hashlib.sha256(url.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def is_uk(url: str) -> bool:
    return (urlsplit(url).hostname or "").endswith(".uk")


class Checkout:
    """Files of the htmldate repository: a working tree, or a bare mirror read at COMMIT."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = (path / SETS[0]).is_file()
        self.names: set[str] = set()
        if not self.tree:
            listing = subprocess.run(
                ["git", "-C", str(path), "ls-tree", "-r", "-z", "--name-only", COMMIT, "tests/"],
                capture_output=True,
                check=True,
            )
            self.names = set(listing.stdout.decode("utf-8").split("\0"))

    def exists(self, name: str) -> bool:
        return (self.path / name).is_file() if self.tree else name in self.names

    def read(self, name: str) -> bytes:
        if self.tree:
            return (self.path / name).read_bytes()
        shown = subprocess.run(
            ["git", "-C", str(self.path), "show", f"{COMMIT}:{name}"],
            capture_output=True,
            check=True,
        )
        return shown.stdout


@dataclass
class Result:
    url: str
    truth: str
    ours: str | None
    source: str
    metadata: str | None
    htmldate: str | None
    shown: str | None  # the date near the headline, whether chosen or not


def evaluate(checkout: Checkout, only: str | None) -> list[Result]:
    pages: dict[str, dict[str, str]] = {}
    for name in SETS:
        pages.update(json.loads(checkout.read(name)))
    results = []
    for url, page in pages.items():
        if only and half(url) != only:
            continue
        path = next(
            (f"{f}/{page['file']}" for f in FOLDERS if checkout.exists(f"{f}/{page['file']}")),
            None,
        )
        if path is None:
            continue
        html = readable_html(decode_file(checkout.read(path)))
        dates, metadata = read_page_dates(html, url, TODAY)
        choice = choose_date(None, None, dates)
        results.append(
            Result(
                url=url,
                truth=page["date"],
                ours=choice.published[:10] if choice.published else None,
                source=choice.source,
                metadata=metadata.date[:10] if metadata and metadata.date else None,
                htmldate=find_date(html, original_date=True, url=url),
                shown=dates.shown.day.isoformat() if dates.shown else None,
            )
        )
    return results


def share(results: list[Result], field: str) -> str:
    if not results:
        return "-"
    right = sum(getattr(r, field) == r.truth for r in results)
    return f"{right / len(results):.1%} ({right})"


def report(results: list[Result], misses: bool) -> None:
    groups = {
        "all": results,
        "dev": [r for r in results if half(r.url) == "dev"],
        "test": [r for r in results if half(r.url) == "test"],
        "UK (.uk hosts)": [r for r in results if is_uk(r.url)],
    }
    print(f"{'pages':<16}{'n':>5}  {'ours':>14}  {'metadata-only':>14}  {'htmldate':>14}")
    for name, group in groups.items():
        if group:
            print(
                f"{name:<16}{len(group):>5}  {share(group, 'ours'):>14}  "
                f"{share(group, 'metadata'):>14}  {share(group, 'htmldate'):>14}"
            )
    print("\ndate_source chosen (ours): how often, and how often it was the right day")
    counts = Counter(r.source for r in results)
    for source, count in counts.most_common():
        chosen = [r for r in results if r.source == source]
        right = sum(r.ours == r.truth for r in chosen)
        print(f"  {source:<10}{count:>5}  right {right:>4} ({right / count:.0%})")
    split = [r for r in results if r.shown and r.metadata and r.shown != r.metadata]
    print(
        f"  the date near the headline and the metadata disagree on {len(split)} pages: "
        f"headline right {sum(r.shown == r.truth for r in split)}, "
        f"metadata right {sum(r.metadata == r.truth for r in split)}"
    )
    uk = Counter(r.source for r in groups["UK (.uk hosts)"])
    print("  UK pages: " + ", ".join(f"{source} {count}" for source, count in uk.most_common()))
    if misses:  # the dev half only: the test half's misses are not for tuning on
        print("\nours wrong (dev half):")
        for r in groups["dev"]:
            if r.ours != r.truth:
                print(f"  {half(r.url)} {r.truth} ours {r.ours} ({r.source}) "
                      f"metadata {r.metadata} htmldate {r.htmldate}  {r.url}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkout", nargs="?", type=Path, default=MIRROR)
    parser.add_argument("--half", choices=("dev", "test"))
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    if not args.checkout.exists():
        sys.exit(f"{args.checkout}: no such checkout of adbar/htmldate")
    started = time.perf_counter()
    try:
        results = evaluate(Checkout(args.checkout), args.half)
    except subprocess.CalledProcessError as exc:
        sys.exit(f"{args.checkout}: cannot read commit {COMMIT[:10]} ({exc.stderr.decode()})")
    report(results, args.misses)
    print(f"\n{len(results)} pages in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
