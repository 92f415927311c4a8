"""Benchmark: tagging throughput and peak memory, crawl time on the demo web.

Run with `.venv/bin/python bench/throughput.py`; prints figures, asserts nothing.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.tagger import Tagger  # noqa: E402
from radar.config import WatchList  # noqa: E402

PARAGRAPH = (
    "The cabinet noted the quarterly performance report. Bin collections were completed on "
    "time in 99.2 per cent of cases. The chief finance officer reported a small underspend. "
)


def bench_tagging(count: int = 1000) -> None:
    tagger = Tagger(WatchList())
    items = [
        {"id": str(i), "title": f"Council news {i}", "text": PARAGRAPH * (1 + i % 4)}
        for i in range(count)
    ]
    started = time.perf_counter()
    results = list(tagger.tag_many(items))
    elapsed = time.perf_counter() - started
    sentences = sum(1 + 3 * (1 + i % 4) for i in range(count))
    print(f"tagging: {len(results)} items ({sentences} passages) in {elapsed:.1f}s")
    print(f"         {len(results) / elapsed:.0f} items/s, {sentences / elapsed:.0f} passages/s")


def bench_crawl() -> None:
    from demo.server import WATCHLIST, DemoWeb

    with DemoWeb() as web, tempfile.TemporaryDirectory() as folder:
        import yaml

        data = yaml.safe_load(WATCHLIST.read_text())
        data.update(base_url=web.base_url, database=f"{folder}/radar.db", output_dir=folder)
        path = Path(folder) / "watchlist.yaml"
        path.write_text(yaml.safe_dump(data))
        for label in ("first crawl", "second crawl"):
            web.clear_log()
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "radar.cli", "crawl", "-w", str(path)],
                check=True,
                capture_output=True,
            )
            elapsed = time.perf_counter() - started
            print(f"{label}: {len(web.requests)} requests in {elapsed:.1f}s (incl. start-up)")


if __name__ == "__main__":
    bench_tagging()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS while tagging: {peak:.0f} MiB")
    bench_crawl()
    print(json.dumps({"python": sys.version.split()[0]}))
