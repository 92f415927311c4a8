"""`radar watch list` and `radar watch check`: the watch list for all of England."""

from __future__ import annotations

import yaml
from conftest import run_radar

from radar.config import WatchList, load_england_register


def test_all_english_councils_load_with_their_facts():
    register = WatchList().council_register()
    assert len(register) == 317
    types = {
        t: sum(1 for c in register.values() if c.type == t)
        for t in ("CTY", "NMD", "MD", "LBO", "CC", "UA")
    }
    assert types == {"CTY": 21, "NMD": 164, "MD": 36, "LBO": 32, "CC": 1, "UA": 63}
    assert register["E06000053"].name == "Isles of Scilly"
    assert register["E10000007"].region == "East Midlands"  # Derbyshire, corrected
    districts = [c for c in load_england_register() if c.type == "NMD"]
    assert all(c.county for c in districts)


def test_watch_check_reports_duplicates_and_regions_without_advisers(tmp_path):
    path = tmp_path / "watchlist.yaml"
    source = {"kind": "feed", "url": "https://example.org/news/rss"}
    path.write_text(
        yaml.safe_dump(
            {
                "councils": [
                    {"gss_code": "E09000008", "sources": [source]},
                    {"gss_code": "E06000023", "sources": [source]},
                    {"gss_code": "E08000025"},
                ],
                "regions": {"London": {"advisers": [{"name": "A", "email": "a@example.org"}]}},
            }
        )
    )
    result = run_radar("watch", "check", "-w", str(path), check=False)
    assert result.returncode == 1
    assert "https://example.org/news/rss is listed 2 times" in result.stderr
    assert "South West has watched councils but no advisers" in result.stderr
    assert "Birmingham (E08000025) is watched but has no enabled source" in result.stderr
    listed = run_radar("watch", "list", "-w", str(path)).stdout
    assert "Croydon" in listed and "Bristol" in listed and "3 councils" in listed
    everything = run_radar("watch", "list", "--all", "-r", "london", "-w", str(path)).stdout
    assert "33 councils" in everything  # 32 boroughs and the City


def test_watch_check_names_file_line_and_field(tmp_path):
    path = tmp_path / "watchlist.yaml"
    adviser = "[{name: A, email: a@example.org}]"
    path.write_text(f"database: x.db\nregions:\n  Wessex:\n    advisers: {adviser}\n")
    result = run_radar("watch", "check", "-w", str(path), check=False)
    assert result.returncode == 2
    message = " ".join(result.stderr.split())  # the console wraps long lines
    assert f"{path}:2" in message and "unknown region 'Wessex'" in message
    path.write_text("regions: [unclosed\n", encoding="utf-8")
    result = run_radar("watch", "check", "-w", str(path), check=False)
    assert result.returncode == 2 and "not valid YAML" in result.stderr
