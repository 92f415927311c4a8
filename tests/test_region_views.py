"""The region and England views (#18 item 3): `radar ui`'s /england and /region/<slug> over
real HTTP and in headless Chromium, and the PSP report's England map, on the tagged demo
store with its weekly history back-filled (`radar radar --rebuild`)."""

from __future__ import annotations

import csv
import re
import shutil
from itertools import product
from pathlib import Path

import pytest
import yaml
from conftest import rows, run_radar
from test_digest_browser import WEEK, chromium  # noqa: F401 (a fixture)
from test_ui import raw, serve  # noqa: F401 (a fixture)

from demo.screenshot import measure_url

# End to end (`radar ui` servers, Chromium, SMTP): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

SALLOWMERE, KELDERBY = "X06000001", "X08000001"
REGISTER = Path(__file__).parent.parent / "domain" / "data" / "england_councils.csv"
OWNER, NOTE = "Pat Adviser", "Confided: the s151 officer rang us about the reserves"


@pytest.fixture()
def ui(serve, tmp_path):  # noqa: F811
    """`radar ui` over a copy of the tagged store, history back-filled and a confidential
    concern recorded about Sallowmere; yields (root URL, the store's path)."""
    watchlist = tmp_path / "watchlist.yaml"  # the store `serve` serves
    run_radar("alerts", "-w", str(watchlist))
    run_radar("radar", "--rebuild", "-w", str(watchlist))
    run_radar("concern", "open", "Sallowmere", "-f", "finance", "--owner", OWNER,
              "--note", NOTE, "-w", str(watchlist))  # fmt: skip
    database = yaml.safe_load(watchlist.read_text(encoding="utf-8"))["database"]
    return serve().removesuffix("/radar"), database


def register_codes() -> set[str]:
    with REGISTER.open(encoding="utf-8") as handle:
        return {row["gss_code"] for row in csv.DictReader(handle)}


def council_map(page: str) -> str:
    found = re.search(r'<svg[^>]*class="council-map".*?</svg>', page, re.DOTALL)
    assert found, "no map on the page"
    return found.group(0)


def dots(svg: str) -> dict[str, str]:
    """gss_code -> data-score ("" for a grey dot) of every council on the map."""
    return dict(re.findall(r'<circle class="council" data-gss="([^"]+)" data-score="([^"]*)"', svg))


def newest_week(database: str) -> tuple[str, list[dict]]:
    week = rows(database, "select max(week) as w from radar_history_weeks")[0]["w"]
    return week, rows(database, "select * from radar_history where week = ? order by rank", [week])


def test_england_maps_every_council_coloured_by_this_weeks_radar(ui):
    root, database = ui
    status, page = raw(f"{root}/england")
    assert status == 200
    svg = council_map(page)
    placed = svg[svg.index('<g class="councils">') : svg.index("</g>")]
    on_map = dots(placed)
    assert len(on_map) == 317 and set(on_map) == register_codes()
    everyone = dots(svg)  # the demo's invented councils are listed beneath, unplaced
    assert {SALLOWMERE, KELDERBY} <= set(everyone) - set(on_map)
    week, history = newest_week(database)
    assert history, "the rebuild recorded nothing"
    coloured = {code: float(score) for code, score in everyone.items() if score}
    assert coloured == pytest.approx({r["gss_code"]: r["score"] for r in history}, abs=1e-3)
    grey = re.findall(r'data-score="" [^>]*fill="([^"]+)"', svg)
    assert grey and set(grey) == {"#c4c4c4"}
    assert f"week {week}" in page and "<desc" in svg and 'class="legend"' in svg
    assert re.search(rf'<a href="/council/{KELDERBY}"><circle class="council"', svg)
    assert re.search(r"<title>Kelderby \(North West\): score \d\.\d\d", svg)
    assert NOTE not in page and OWNER not in page and "Confided" not in page


def test_a_region_ranks_its_radar_with_sparklines_and_maps_only_its_councils(ui):
    root, database = ui
    status, page = raw(f"{root}/region/north-west")
    assert status == 200 and "North West: the radar" in page
    table = page[page.index('<table class="radar stack">') : page.index("</table>")]
    first = re.search(r'<td class="num">1</td>\s*<td[^>]*><a href="([^"]+)">([^<]+)</a>', table)
    assert first and first.groups() == (f"/council/{KELDERBY}", "Kelderby")
    assert 'class="sparkline"' in table.split("</tr>")[1]  # the first row's sparkline
    points = re.search(r'<polyline[^>]*points="([^"]+)"', table).group(1).split()
    assert len(points) == 12  # the last 12 recorded weeks
    svg = council_map(page)
    north_west = {
        r["gss_code"] for r in rows(database, "select gss_code from councils where region = "
                                    "'North West' and ended is null")
    }  # fmt: skip
    assert set(dots(svg)) == north_west and KELDERBY in north_west
    assert NOTE not in page and OWNER not in page


def test_unknown_regions_are_404_and_the_home_page_leads_to_the_views(ui):
    root, _ = ui
    status, page = raw(f"{root}/region/atlantis")
    assert status == 404 and "north-west" in page
    status, home = raw(f"{root}/")
    assert status == 200
    assert 'href="/england"' in home and 'href="/region/north-west"' in home


def test_the_maps_and_sparklines_render_in_chromium_and_nothing_is_cut_off(chromium, ui):  # noqa: F811
    root, _ = ui
    for path, width in product(("/england", "/region/north-west"), (1200, 390)):
        layout = measure_url(f"{root}{path}", width, height=1400)
        maps = [s for s in layout["svgs"] if "council-map" in s["cls"]]
        assert maps and maps[0]["width"] > 200 and maps[0]["height"] > 200, layout
        sparklines = [s for s in layout["svgs"] if "sparkline" in s["cls"]]
        assert sparklines and all(s["width"] > 20 and s["height"] > 5 for s in sparklines)
        assert layout["scrollWidth"] <= layout["clientWidth"], (path, width, layout)
        assert layout["right"] <= layout["clientWidth"] + 1, (path, width, layout)
        assert maps[0]["right"] <= layout["clientWidth"] + 1, (path, width, layout)
        # the ranked table's councils and the map's dots link to the council pages, drawn
        assert layout["links"].count(f"/council/{KELDERBY}") >= 2, (path, width, layout)


def test_psp_report_writes_the_england_map_and_links_it(tagged, tmp_path):
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(database=str(tmp_path / "radar.db"), output_dir=str(tmp_path / "out"))
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    week = WEEK  # the demo web dates its news in the current week
    run_radar("report", "psp", "--week", week, "-o", str(tmp_path / "psp"), "-w", str(watchlist))
    svg_path = Path(tmp_path / "psp" / f"psp-{week}-map.svg")
    assert svg_path.exists()
    svg = svg_path.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert len(dots(svg[svg.index('<g class="councils">') : svg.index("</g>")])) == 317
    html = (tmp_path / "psp" / f"psp-{week}.html").read_text(encoding="utf-8")
    assert f'src="psp-{week}-map.svg"' in html and f'href="psp-{week}-map.svg"' in html
