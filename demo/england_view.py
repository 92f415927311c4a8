"""Screenshot `radar ui`'s England view (or a region's) with headless Chromium, for the README.

Why a script: as for the council page (demo.council_page, whose server handling this
reuses), the README's picture should be the page as the UI serves it, remade when it
changes. It records the weekly history, starts `radar ui`, screenshots `/england` (or
`/region/<slug>` with --region) and stops the server.

Usage (after `make demo`):

    python -m demo.england_view demo-output/watchlist.yaml demo/england-view.png

Needs the `chromium` binary (see demo.screenshot).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from demo.council_page import shoot_page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo.england_view",
        description="Screenshot radar ui's England (or a region's) view (for the README).",
    )
    parser.add_argument("watchlist", type=Path, help="e.g. demo-output/watchlist.yaml")
    parser.add_argument("png", type=Path, help="e.g. demo/england-view.png")
    parser.add_argument("--region", help="a region's slug, e.g. north-west (default England)")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1100)
    args = parser.parse_args(argv)
    path = f"/region/{args.region}" if args.region else "/england"
    try:
        print(shoot_page(args.watchlist, path, args.png, args.width, args.height))
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
