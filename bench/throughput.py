"""Benchmark: crawl time on the demo web, first crawl and incremental second crawl.

Classification speed is measured by `bench/classify.py`.

Run with `.venv/bin/python bench/throughput.py`; prints figures, asserts nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bench_crawl() -> None:
    from demo.server import WATCHLIST, DemoWeb

    with DemoWeb() as web, tempfile.TemporaryDirectory() as folder:
        import yaml

        data = yaml.safe_load(WATCHLIST.read_text())
        data.update(base_url=web.base_url, database=f"{folder}/radar.db", output_dir=folder)
        data["crawl"]["allow_private"] = [web.crawl_allowance]
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
    bench_crawl()
    print(json.dumps({"python": sys.version.split()[0]}))
