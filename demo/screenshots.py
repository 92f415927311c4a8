"""Remake every picture the README shows, in one go, with headless Chromium.

Why one script: the README's pictures (the council page with its chart, a region view and
the England view with their maps and sparklines, a digest at 1200 px and at 390 px) must be
the pages as the product serves and mails them, remade whenever a page changes, not drawn
by hand or left to go stale one by one. It records the store's weekly history (`radar radar
--rebuild`), starts `radar ui` once on a free loopback port, and for each picture first
measures the page in Chromium at the picture's width and refuses to write it if anything is
cut off on the right or a chart or map is missing, then takes the screenshot. The digest
pictures come from the newest week's digest of the adviser for the West Midlands and the
South West, which `make demo` writes.

Usage (after `make demo`; `make screenshots` runs exactly this):

    python -m demo.screenshots demo-output/watchlist.yaml demo/

Needs the `chromium` binary (see demo.screenshot).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alerts.sink import free_port
from demo.screenshot import ChromiumMissing, measure, measure_url, screenshot
from domain.config import ConfigError, load_watchlist

RADAR = [sys.executable, "-m", "radar.cli"]
DIGEST_OF = "adviser-westsouthwest-example-org.html"  # two regions, both with councils


@dataclass(frozen=True)
class Shot:
    """One README picture: a page of `radar ui` (a path) or a digest (`path` None)."""

    png: str
    path: str | None
    width: int
    height: int
    needs: str = ""  # the class of an SVG the page must draw at a real size


SHOTS = (
    Shot("council-page.png", "/council/Hollinsford", 1200, 1500, needs="radar-chart"),
    Shot("region-view.png", "/region/north-west", 1200, 1100, needs="council-map"),
    Shot("england-view.png", "/england", 1200, 1100, needs="council-map"),
    Shot("digest.png", None, 1200, 1000),
    Shot("digest-phone.png", None, 390, 1280),
)


class Unfit(RuntimeError):
    """A page that would make a misleading picture: cut off, or its chart missing."""


@contextmanager
def ui_server(watchlist: Path) -> Iterator[str]:
    """`radar ui` over the watch list's store on a free loopback port, until the block ends;
    yields its root URL."""
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
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def newest_digest(watchlist: Path) -> Path:
    """The newest week's digest of the adviser the README pictures."""
    output = load_watchlist(watchlist).output_dir / "digests"
    found = sorted(output.glob(f"*/{DIGEST_OF}"))
    if not found:
        raise RuntimeError(f"no digest {DIGEST_OF} under {output}: run `make demo` first")
    return found[-1]


def check_fits(layout: dict, shot: Shot) -> None:
    """Refuse a picture in which something is cut off on the right or the SVG it is taken
    for is missing or drawn at no size."""
    width = layout["clientWidth"]
    if layout["scrollWidth"] > width or layout["right"] > width + 1:
        raise Unfit(
            f"{shot.png}: the page is {max(layout['scrollWidth'], layout['right'])} px wide in a "
            f"{width} px window: something would be cut off"
        )
    if shot.needs:
        drawn = [s for s in layout["svgs"] if shot.needs in s["cls"]]
        if not drawn or drawn[0]["width"] < 100 or drawn[0]["height"] < 30:
            raise Unfit(f"{shot.png}: no {shot.needs} drawn on {shot.path}")


def remake(watchlist: Path, folder: Path, shots: tuple[Shot, ...] = SHOTS) -> list[Path]:
    """Every picture in `shots` into `folder`, checked before it is written; returns them."""
    digest = newest_digest(watchlist)
    subprocess.run(
        [*RADAR, "radar", "--rebuild", "-w", str(watchlist)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    written = []
    with ui_server(watchlist) as base:
        for shot in shots:
            page: str | Path = f"{base}{shot.path}" if shot.path else digest
            layout = (
                measure_url(str(page), shot.width, shot.height)
                if shot.path
                else measure(page, shot.width, shot.height)
            )
            check_fits(layout, shot)
            png = screenshot(page, folder / shot.png, width=shot.width, height=shot.height)
            print(f"{png}  ({shot.width} x {shot.height}: {shot.path or digest.name})")
            written.append(png)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo.screenshots",
        description="Remake the README's pictures with headless Chromium (after make demo).",
    )
    parser.add_argument("watchlist", type=Path, help="e.g. demo-output/watchlist.yaml")
    parser.add_argument("folder", type=Path, nargs="?", default=Path("demo"), help="default demo/")
    args = parser.parse_args(argv)
    try:
        remake(args.watchlist, args.folder)
    except (ConfigError, ChromiumMissing, RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
