"""The weekly HTML digest displays properly in a real browser (headless Chromium).

Chromium is optional on a developer's machine (the test skips), but on CI (`CI` set) a missing
browser is a failure: `make setup` installs it there.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date

import pytest
import yaml
from conftest import run_radar
from PIL import Image

from alerts.digest import (
    AcuteLine,
    CouncilOnRadar,
    Digest,
    Evidence,
    current_week,
    digest_mail,
)
from alerts.render import render_alert, render_digest
from demo.screenshot import ChromiumMissing, dump_dom, find_chromium, measure, screenshot

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


@pytest.mark.parametrize("width", [390, 1200])
def test_the_digest_fits_a_phone_and_a_desktop(chromium, north_west_html, width):
    """Advisers read mail on phones: at 390 px (an iPhone's viewport) nothing is cut off on
    the right, and at 1200 px the digest is the same readable column."""
    layout = measure(north_west_html, width)
    assert layout["innerWidth"] == width, layout  # the page really had that viewport
    assert layout["viewport"] == "width=device-width, initial-scale=1", layout
    assert layout["scrollWidth"] <= layout["clientWidth"], f"cut off at {width} px: {layout}"
    assert layout["right"] <= layout["clientWidth"], f"cut off at {width} px: {layout}"
    evidence = [link for link in layout["links"] if link.startswith("http")]
    assert len(evidence) >= 3, f"evidence links not drawn at {width} px: {layout['links']}"


def test_long_words_and_links_do_not_widen_the_digest_or_alert_on_a_phone(chromium, tmp_path):
    """Scraped text decides its own length: an unbroken 150-character headline, a source
    known only by a long URL, a long acute label must wrap, not push the page wider."""
    long_word = "Councilfinancialsustainabilityreviewfollowup" * 4
    long_url = "https://news.example.org/" + "x" * 200
    evidence = Evidence(
        factors=["finance", "leadership"], headline=long_word, url=long_url, source=long_url,
        published="2026-06-30", sentence=long_word, page=12, kind="report",
    )  # fmt: skip
    digest = Digest(
        region="Yorkshire and the Humber", week="2026-W27",
        start=date(2026, 6, 29), end=date(2026, 7, 5),
        councils=[CouncilOnRadar("E08000001", long_word, ["finance", "leadership"], 3.99, 40,
                                 [evidence] * 3, acute=["Commissioners or statutory "
                                 "intervention", "Chief executive suspended or gone"],
                                 more_url=long_url)],
        source_problems=[{"name": None, "url": long_url, "last_error": long_word}],
        generated_at="2026-07-01T06:30:00Z",
        alerts=[AcuteLine(long_word, "Section 114 notice", "2026-06-30T10:00:00Z", long_word,
                          long_url, long_word)],
    )  # fmt: skip
    alert = {
        "council_name": long_word, "label": "Section 114 notice", "region": "London",
        "raised_at": "2026-06-30T10:00:00Z", "title": long_word, "url": long_url,
        "source_name": long_url, "published": "2026-06-30", "evidence": long_word,
    }  # fmt: skip
    digest.councils[0].history = [None, 0.0, 1.2, 2.5, 3.99] * 2 + [0.4, 3.99]
    quiet = Digest("North East", "2026-W27", date(2026, 6, 29), date(2026, 7, 5), [], [],
                   "2026-07-01T06:30:00Z")  # fmt: skip
    mail = digest_mail([quiet, digest], recipient="a@example.org", adviser=long_word)
    pages = (("digest", render_digest(digest)[0]), ("adviser", render_digest(mail)[0]),
             ("alert", render_alert(alert)[0]))  # fmt: skip
    for name, html in pages:
        page = tmp_path / f"{name}.html"
        page.write_text(html, encoding="utf-8")
        layout = measure(page, 390)
        assert layout["viewport"] == "width=device-width, initial-scale=1", (name, layout)
        assert layout["scrollWidth"] <= layout["clientWidth"], (name, layout)
        assert layout["right"] <= layout["clientWidth"], (name, layout)
