"""The README's pictures are remade by one script (#18): `python -m demo.screenshots` (what
`make screenshots` runs) writes the council page, a region view, the England view and a
digest at 1200 and 390 px from a store and its digests, each checked in Chromium first, and
refuses a page in which something would be cut off."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_radar
from test_digest_browser import WEEK, chromium  # noqa: F401 (a fixture)

from demo.screenshot import measure
from demo.screenshots import SHOTS, Shot, Unfit, check_fits

pytestmark = pytest.mark.slow  # a `radar ui` server and ten Chromium runs


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def test_one_script_remakes_every_readme_picture(chromium, tagged, tmp_path):  # noqa: F811
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(database=str(tmp_path / "radar.db"), output_dir=str(tmp_path / "out"))
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    run_radar("digest", "--all-regions", "--week", WEEK, "--dry-run", "-w", str(watchlist))
    done = subprocess.run(
        [sys.executable, "-m", "demo.screenshots", str(watchlist), str(tmp_path / "pics")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for shot in SHOTS:
        png = tmp_path / "pics" / shot.png
        assert png.is_file() and png.stat().st_size > 10_000, shot  # not a blank page
        assert png_size(png) == (shot.width, shot.height), shot
    assert {s.png for s in SHOTS} >= {"council-page.png", "region-view.png", "england-view.png",
                                      "digest.png", "digest-phone.png"}  # fmt: skip
    assert {s.width for s in SHOTS if s.path is None} == {1200, 390}  # the digest, both widths
    assert "Traceback" not in done.stderr


def test_a_page_cut_off_or_without_its_chart_makes_no_picture(chromium, tmp_path):  # noqa: F811
    page = tmp_path / "wide.html"
    page.write_text('<!doctype html><meta name="viewport" content="width=device-width">'
                    '<div style="width:900px">a table too wide for a phone</div>')  # fmt: skip
    with pytest.raises(Unfit, match="cut off"):
        check_fits(measure(page, 390, 600), Shot("x.png", "/x", 390, 600))
    check_fits(measure(page, 1200, 600), Shot("x.png", "/x", 1200, 600))  # fits at 1200
    with pytest.raises(Unfit, match="no radar-chart"):
        check_fits(measure(page, 1200, 600), Shot("x.png", "/x", 1200, 600, needs="radar-chart"))
