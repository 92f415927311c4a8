"""Screenshot a council's page in `radar ui` with headless Chromium, for the README.

Why a script: the README's picture of the council page should come from the real page as
the UI serves it, remade whenever the page changes, not drawn by hand. It records the
store's weekly history (`radar radar --rebuild`), starts `radar ui` on a free loopback port,
screenshots `/council/<council>` and stops the server.

Usage (after `make demo`):

    python -m demo.council_page demo-output/watchlist.yaml Hollinsford demo/council-page.png

Needs the `chromium` binary (see demo.screenshot).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from alerts.sink import free_port
from demo.screenshot import screenshot

RADAR = [sys.executable, "-m", "radar.cli"]


def shoot(watchlist: Path, council: str, png: Path, width: int, height: int) -> Path:
    """Rebuild the history, serve the UI, screenshot the council's page, stop the UI."""
    return shoot_page(watchlist, f"/council/{quote(council)}", png, width, height)


def shoot_page(watchlist: Path, path: str, png: Path, width: int, height: int) -> Path:
    """Rebuild the history, serve the UI, screenshot its page at `path`, stop the UI (the
    council page here, the England view in demo.england_view)."""
    subprocess.run([*RADAR, "radar", "--rebuild", "-w", str(watchlist)], check=True)
    port = free_port()
    server = subprocess.Popen(
        [*RADAR, "ui", "-p", str(port), "-w", str(watchlist)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2)
                break
            except (urllib.error.URLError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("radar ui did not start") from None
                time.sleep(0.3)
        return screenshot(f"{base}{path}", png, width=width, height=height)
    finally:
        server.terminate()
        server.wait(timeout=20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo.council_page",
        description="Screenshot a council's page in radar ui (for the README).",
    )
    parser.add_argument("watchlist", type=Path, help="e.g. demo-output/watchlist.yaml")
    parser.add_argument("council", help="GSS code, name or alias, e.g. Hollinsford")
    parser.add_argument("png", type=Path, help="e.g. demo/council-page.png")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1500)
    args = parser.parse_args(argv)
    try:
        print(shoot(args.watchlist, args.council, args.png, args.width, args.height))
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
