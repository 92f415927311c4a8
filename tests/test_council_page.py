"""A council's page (#18 item 2): `radar ui`'s /council/<gss> over real HTTP and in headless
Chromium, and `radar council NAME` in the terminal, on the demo store with its weekly
history back-filled (`radar radar --rebuild`)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import urllib.request
from html import unescape
from pathlib import Path

import pytest
import yaml
from conftest import run_radar
from test_digest_browser import chromium  # noqa: F401 (a fixture)
from test_ui import raw, serve  # noqa: F401 (a fixture)

from alerts.charts import ChartWeek, factor_chart_svg, sparkline_svg, sparkline_text
from demo.screenshot import measure_url

# End to end (`radar ui` servers, Chromium, SMTP): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

SALLOWMERE, KELDERBY = "X06000001", "X08000001"
OWNER, NOTE = "Pat Adviser", "Confided: the s151 officer rang us about the reserves"


@pytest.fixture()
def ui(serve, tmp_path):  # noqa: F811
    """`radar ui` over a copy of the tagged store whose history is back-filled, with a
    confidential concern recorded about Sallowmere; yields the server's root URL."""
    watchlist = str(tmp_path / "watchlist.yaml")  # the store `serve` serves
    run_radar("alerts", "-w", watchlist)  # raise (not send) the acute alerts
    run_radar("radar", "--rebuild", "-w", watchlist)
    run_radar("concern", "open", "Sallowmere", "-f", "finance", "--owner", OWNER,
              "--note", NOTE, "-w", watchlist)  # fmt: skip
    return serve().removesuffix("/radar")


def chart_of(page: str) -> str:
    found = re.search(r'<svg[^>]*class="radar-chart".*?</svg>', page, re.DOTALL)
    assert found, "no chart on the page"
    return found.group(0)


def test_the_council_page_shows_chart_items_and_sources_and_no_concern(ui):
    status, page = raw(f"{ui}/council/{SALLOWMERE}")
    assert status == 200
    assert "<h1>Sallowmere</h1>" in page and "South West" in page
    chart = chart_of(page)
    assert re.search(r"<title[^>]*>Sallowmere: weekly radar score by factor", chart)
    assert "<desc" in chart
    series = re.findall(r'<g class="series" data-factor="([a-z_]+)"', chart)
    assert series == ["finance"]  # one series per factor it scored in
    assert re.search(r'<path class="acute" data-week="[^"]+"[^>]*><title>[^<]*Section 114', chart)
    assert '<g class="threshold">' in chart  # the on-radar line
    assert '<table class="weeks stack">' in page  # the text fallback
    flagged = page[page.index('id="flagged"') : page.index('id="sources"')]
    links = re.findall(r'<li>\s*<a href="(https?://[^"]+)">([^<]+)</a>', flagged)
    assert any("section 114" in unescape(title).lower() for _, title in links), links
    assert 'class="evidence"' in flagged
    sources = page[page.index('id="sources"') :]
    assert '<table class="sources stack">' in sources and "Sallowmere Council news" in sources
    assert NOTE not in page and OWNER not in page and "Confided" not in page
    assert "Concern status is not shown here" in page


def test_concern_status_only_to_the_regions_signed_in_advisers(ui, serve, tmp_path):  # noqa: F811
    """A council's open concerns show on its page to a signed-in user the watch list names
    (`login:`) as an adviser of its region, and to no one else; never a note; not cached."""
    watchlist = tmp_path / "watchlist.yaml"  # the store `serve` serves (Sallowmere's concern)
    run_radar("concern", "open", "Kelderby", "-f", "leadership", "--owner", "Nat Adviser",
              "--note", "Confided: the leader phoned", "-w", str(watchlist))  # fmt: skip
    data = yaml.safe_load(watchlist.read_text(encoding="utf-8"))
    data["regions"]["South West"]["advisers"][0]["login"] = "wsw"  # Sallowmere's region
    data["regions"]["North West"]["advisers"][0]["login"] = "nw"  # Kelderby's
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    users = {"RADAR_UI_USERS": "wsw nw eve", "RADAR_UI_PASSWORD_WSW": "w-pw",
             "RADAR_UI_PASSWORD_NW": "n-pw", "RADAR_UI_PASSWORD_EVE": "e-pw"}  # fmt: skip
    root = serve(env=users).removesuffix("/radar")

    def page(code: str, auth: str) -> tuple[str, str]:
        request = urllib.request.Request(f"{root}/council/{code}")
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.headers.get("Cache-Control", ""), response.read().decode()

    cache, shown = page(SALLOWMERE, "wsw:w-pw")
    assert 'id="concerns"' in shown and "Concern #1</strong>: Under review" in shown, shown
    assert OWNER in shown and "Finance" in shown
    assert "no-store" in cache  # Datasette's, for any signed-in page: no cache keeps it
    assert NOTE not in shown and "Confided" not in shown  # the status, never the notes
    for code, auth in ((KELDERBY, "wsw:w-pw"), (SALLOWMERE, "nw:n-pw"), (SALLOWMERE, "eve:e-pw"),
                       (KELDERBY, "eve:e-pw")):  # fmt: skip
        cache, hidden = page(code, auth)
        assert "Concern #" not in hidden and OWNER not in hidden, (code, auth)
        assert "Nat Adviser" not in hidden and "Confided" not in hidden, (code, auth)
        assert "Concern status is not shown here" in hidden
    cache, theirs = page(KELDERBY, "nw:n-pw")
    assert "Concern #2</strong>: Under review" in theirs and "Nat Adviser" in theirs
    assert "Concern #1" not in theirs and OWNER not in theirs
    status, anonymous = raw(f"{ui}/council/{SALLOWMERE}")  # the UI without a login
    assert status == 200 and "Concern #" not in anonymous and OWNER not in anonymous


def test_unknown_councils_are_404_and_names_lead_to_the_code(ui):
    assert raw(f"{ui}/council/E99999999")[0] == 404
    assert raw(f"{ui}/council/Nowhere%20Council")[0] == 404
    status, page = raw(f"{ui}/council/Kelderby%20MBC")  # follows the redirect
    assert status == 200 and "<h1>Kelderby</h1>" in page
    status, page = raw(f"{ui}/council?council=kelderby")  # the home page's box
    assert status == 200 and "<h1>Kelderby</h1>" in page


def test_council_names_in_the_ui_link_to_the_council_page(ui):
    status, home = raw(f"{ui}/")
    assert status == 200
    assert f'href="/council/{KELDERBY}">Kelderby</a>' in home
    assert 'action="/council"' in home
    status, radar = raw(f"{ui}/radar/radar_this_week")
    assert f'<a href="/council/{SALLOWMERE}">Sallowmere</a>' in radar
    status, items = raw(f"{ui}/radar/item_browser?_search=%22section+114%22")
    assert 'href="/council/Sallowmere"' in items and "council_timeline" not in items


def test_the_council_page_renders_in_chromium_and_fits_a_phone(chromium, ui):  # noqa: F811
    url = f"{ui}/council/{SALLOWMERE}"
    for width in (1200, 390):
        layout = measure_url(url, width, height=1400)
        charts = [s for s in layout["svgs"] if "radar-chart" in s["cls"]]
        assert charts and charts[0]["width"] > 100 and charts[0]["height"] > 30, layout
        assert layout["scrollWidth"] <= layout["clientWidth"], (width, layout)
        assert layout["right"] <= layout["clientWidth"] + 1, (width, layout)
        assert charts[0]["right"] <= layout["clientWidth"] + 1, (width, layout)
        # the items behind the flagged weeks and the council's timeline, as links drawn
        assert sum(link.startswith("http") for link in layout["links"]) >= 3, layout["links"]
        assert any("council_timeline" in link for link in layout["links"]), layout["links"]


def test_radar_council_prints_the_weeks_and_json(tagged, tmp_path):
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(database=str(tmp_path / "radar.db"), output_dir=str(tmp_path / "out"))
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    run_radar("alerts", "-w", str(watchlist))
    run_radar("radar", "--rebuild", "-w", str(watchlist))
    shown = run_radar("council", "Kelderby MBC", "-w", str(watchlist)).stdout
    assert "Kelderby Metropolitan Borough Council" in shown and "North West" in shown
    assert "Recent weeks" in shown and re.search(r"\d{4}-W\d\d\W+\d\.\d\d", shown)
    assert "Flagged weeks" in shown and "Sources and their health" in shown
    assert re.search(r"[▁▂▃▄▅▆▇█]", shown)  # the sparkline
    page = json.loads(run_radar("council", "Kelderby MBC", "--json", "-w", str(watchlist)).stdout)
    assert page["council"]["gss_code"] == KELDERBY and len(page["weeks"]) == 52
    assert page["flagged_weeks"][0]["items"] and page["threshold"] == 0.5
    assert page["sources"] and "concern" not in json.dumps(page["flagged_weeks"])
    missing = run_radar("council", "Nowhere", "-w", str(watchlist), check=False)
    assert missing.returncode == 2


def test_the_chart_and_sparklines_are_svg_that_says_what_it_shows():
    weeks = [ChartWeek(f"2026-W{n:02d}") for n in range(1, 11)]
    weeks[4] = ChartWeek("2026-W05", {"finance": 0.9, "leadership": 0.6}, ["Section 114 notice"])
    weeks[9] = ChartWeek("2026-W10", {"finance": 0.4})
    svg = factor_chart_svg(weeks, threshold=0.5, title="X <b>", factor_names={})
    assert svg.count('<g class="series"') == 2 and svg.count('class="acute"') == 1
    assert "X &lt;b&gt;" in svg and "<b>" not in svg  # scraped text escaped
    assert "acute signals in 1 week (2026-W05)" in svg
    line = sparkline_svg([w.score for w in weeks])
    assert line.startswith("<svg") and "highest 1.50" in line
    assert sparkline_text([0, 1.5, 0.4], top=1.5) == " █▃"


def test_psp_report_links_council_names_with_a_base_url(tagged, tmp_path):
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(database=str(tmp_path / "radar.db"), output_dir=str(tmp_path / "out"))
    data["ui"] = {"base_url": "https://radar.example.org/"}
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    run_radar("concern", "open", "Sallowmere", "-f", "finance", "--owner", OWNER,
              "--note", NOTE, "-w", str(watchlist))  # fmt: skip
    run_radar("report", "psp", "-o", str(tmp_path / "psp"), "-w", str(watchlist))
    html = next(Path(tmp_path / "psp").glob("*.html")).read_text(encoding="utf-8")
    md = next(Path(tmp_path / "psp").glob("*.md")).read_text(encoding="utf-8")
    url = f"https://radar.example.org/council/{SALLOWMERE}"
    assert f'<a href="{url}">Sallowmere</a>' in html
    assert f'<a href="https://radar.example.org/council/{KELDERBY}">Kelderby</a>' in html
    assert f"[Sallowmere]({url})" in md
