"""The weekly HTML digest displays properly in a real browser (headless Chromium).

Chromium is optional on a developer's machine (the test skips), but on CI (`CI` set) a missing
browser is a failure: `make setup` installs it there.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
import yaml
from conftest import run_radar
from PIL import Image

from alerts.digest import current_week
from demo.screenshot import ChromiumMissing, dump_dom, find_chromium, screenshot

WEEK = current_week()  # the demo web dates its news in the current ISO week
HEADER_BLUE = (0x1D, 0x35, 0x57)  # #1d3557, the digest header's background
TOLERANCE = 6  # per channel: anti-aliasing and colour management may shift it slightly


@pytest.fixture(scope="session")  # session scope: checked before the (slow) session crawl
def chromium() -> str:
    try:
        return find_chromium()
    except ChromiumMissing as exc:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"CI is set but the browser test cannot run: {exc}", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def north_west_html(chromium, tagged, tmp_path_factory):
    """The North West digest for this week, written by `radar digest --preview` from a copy of
    the tagged store."""
    folder = tmp_path_factory.mktemp("browser")
    shutil.copy(tagged["db_path"], folder / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(database=str(folder / "radar.db"), output_dir=str(folder / "out"))
    watchlist = folder / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    html = folder / "nw.html"
    run_radar(
        "digest",
        "--region",
        "North West",
        "--week",
        WEEK,
        "--preview",
        str(html),
        "--watchlist",
        str(watchlist),
    )
    assert html.is_file(), "radar digest --preview wrote no file"
    return html


def test_the_digest_dom_in_chromium_shows_the_radar(chromium, north_west_html):
    dom = dump_dom(north_west_html)
    assert "<body" in dom, f"chromium produced no document:\n{dom[:500]}"
    assert "Kelderby" in dom
    assert "not in itself an indication of failure" in dom
    assert re.search(r'<a href="http', dom), "no evidence link in the rendered digest"
    assert not re.search(r"<script\b", dom, re.IGNORECASE)


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= TOLERANCE for a, b in zip(pixel[:3], colour, strict=True))


def test_the_digest_screenshot_is_not_blank_and_has_the_header(chromium, north_west_html, tmp_path):
    png = screenshot(north_west_html, tmp_path / "nw.png", width=800, height=1400)
    with Image.open(png) as image:
        image = image.convert("RGB")
    assert image.size == (800, 1400)
    total = image.width * image.height
    colours = image.getcolors(maxcolors=total)  # [(count, (r, g, b)), ...]
    # "Ink": darker than the light grey page (#f4f4f4) and the white card, i.e. the header,
    # text, tags and rules. A blank or unstyled page has next to none.
    ink = sum(n for n, colour in colours if min(colour) < 240)
    header = sum(n for n, colour in colours if _near(colour, HEADER_BLUE))
    assert ink / total > 0.05, f"only {ink / total:.1%} of the screenshot is not white/grey"
    assert header > 20_000, f"the header's dark blue #1d3557 covers only {header} pixels"
    assert (ink - header) / total > 0.015, "the header is there but hardly any text below it"
