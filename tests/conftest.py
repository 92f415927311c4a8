"""Shared fixtures: the demo web on loopback, a watch list for it, and stores built by the CLI.

Crawls run as `radar crawl` subprocesses, the way a user runs them (Scrapy's Twisted reactor
cannot be restarted inside one pytest process); most other commands run in this process
through the same entry point (`run_radar`), which takes the suite from about 10 minutes to
about 7 on two cores. Session fixtures crawl and tag once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from demo.server import WATCHLIST, DemoWeb
from store import open_db

# The installed `radar` (what users run: pyproject's entry point, radar.cli:main), not
# `python -m radar.cli`, so the tests see its error handling; `-m` only where none is installed.
_INSTALLED = Path(sys.executable).with_name("radar")
RADAR = [str(_INSTALLED)] if _INSTALLED.exists() else [sys.executable, "-m", "radar.cli"]


# Commands a test may run inside its own process, through `radar.cli.main` exactly as the
# installed command runs it (its one-line store errors; any traceback printed to stderr):
# no 2 s start-up per call, and the model loads once per test session. Crawls, discovery,
# the scheduler, the demo and the UI keep a process of their own (Twisted's reactor cannot
# restart; servers and signal handlers); RADAR_TEST_SUBPROCESS=1 runs every one as a process.
IN_PROCESS = {
    "search", "export", "watch", "status", "radar", "digest", "concern", "feedback", "sources",
    "eval", "tag", "retag", "alerts", "report", "saved",
}  # fmt: skip


def _in_process(args: tuple[str, ...], input: str | None) -> subprocess.CompletedProcess:
    """`radar ARGS` through the installed entry point's function (`radar.cli.main`, which
    turns store failures into one line), with Click's test runner isolating stdin, stdout,
    stderr and the environment. Not `CliRunner.invoke(app)`: that would skip `main` and so
    never see what a user's terminal shows."""
    import gc
    import traceback
    from unittest import mock

    from typer.testing import CliRunner

    from radar.cli import main

    env = {"HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    code: Any = 0
    with (
        CliRunner().isolation(input=input or "", env=env) as (stdout, stderr, _),
        mock.patch.object(sys, "argv", ["radar", *args]),
    ):
        try:
            main()
        except SystemExit as done:
            code = done.code
        except Exception:  # what a user would see: the traceback on stderr, exit code 1
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        # What a process's exit does: the command's store connections close (the last one
        # checkpoints the WAL into the file a test may copy next).
        gc.collect()
        out, err = (s.getvalue().decode("utf-8", "replace") for s in (stdout, stderr))
    code = 0 if code is None else code if isinstance(code, int) else 1
    return subprocess.CompletedProcess(["radar", *args], code, out, err)


def run_radar(
    *args: str, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run the `radar` CLI as a user would: in a subprocess, or for the commands above in
    this process through the same entry point."""
    here = threading.current_thread() is threading.main_thread()  # stdout is process-wide
    if here and args and args[0] in IN_PROCESS and not os.environ.get("RADAR_TEST_SUBPROCESS"):
        result = _in_process(args, input)
    else:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
        result = subprocess.run(
            [*RADAR, *args], input=input, capture_output=True, text=True, env=env, timeout=600
        )
    if check and result.returncode != 0:
        raise AssertionError(
            f"radar {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def crawl_measured(watchlist: Path) -> dict[str, Any]:
    """`radar crawl` as a child process, with that child's own peak RSS (os.wait4: not the
    test process's, not other children's)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    out, err = watchlist.with_suffix(".out"), watchlist.with_suffix(".err")
    with out.open("w") as stdout, err.open("w") as stderr:
        child = subprocess.Popen(
            [*RADAR, "crawl", "--quiet", "-w", str(watchlist)],
            stdout=stdout,
            stderr=stderr,
            env=env,
        )
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    return {
        "returncode": child.returncode,
        "rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "stdout": out.read_text(),
        "stderr": err.read_text(),
    }


def write_watchlist(folder: Path, base_url: str, **overrides: Any) -> Path:
    """The demo watch list pointed at a running demo web and a store in `folder`."""
    data = yaml.safe_load(WATCHLIST.read_text(encoding="utf-8"))
    data.update(base_url=base_url, database=str(folder / "radar.db"), output_dir=str(folder))
    # The crawler refuses loopback (SSRF) unless allowed: open this server's host:port only.
    data["crawl"]["allow_private"] = [urlsplit(base_url).netloc]
    data.update(overrides)
    path = folder / "watchlist.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def demo_web():
    """The demo web, its clock held at the hour the session started: its dates (and so its
    pages' ETags) move on the hour, and a test that crawls twice must not see the web change
    between the crawls because the suite crossed an hour."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with DemoWeb(now=hour) as web:
        yield web


@pytest.fixture(scope="session")
def crawled(tmp_path_factory, demo_web) -> dict[str, Any]:
    """The demo web crawled once into a fresh store, and what the crawl requested."""
    folder = tmp_path_factory.mktemp("crawled")
    watchlist = write_watchlist(folder, demo_web.base_url)
    demo_web.clear_log()
    result = run_radar("crawl", "--watchlist", str(watchlist))
    return {
        "folder": folder,
        "watchlist": watchlist,
        "db_path": folder / "radar.db",
        "stdout": result.stdout,
        "requests": list(demo_web.requests),
    }


@pytest.fixture(scope="session")
def tagged(tmp_path_factory, crawled) -> dict[str, Any]:
    """A copy of the crawled store, tagged by `radar tag --store`."""
    folder = tmp_path_factory.mktemp("tagged")
    shutil.copy(crawled["db_path"], folder / "radar.db")
    data = yaml.safe_load(crawled["watchlist"].read_text(encoding="utf-8"))
    data.update(database=str(folder / "radar.db"), output_dir=str(folder))
    watchlist = folder / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run_radar("tag", "--store", "--watchlist", str(watchlist))
    return {
        "folder": folder,
        "watchlist": watchlist,
        "db_path": folder / "radar.db",
        "stderr": result.stderr,
    }


def rows(db_path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    db = open_db(db_path)
    try:
        return list(db.query(sql, params or []))
    finally:
        db.close()


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
