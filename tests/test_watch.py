"""`radar watch list` and `radar watch check`: the watch list for all of England."""

from __future__ import annotations

import yaml
from conftest import run_radar, write_watchlist

from domain.config import WatchList, load_england_register


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
    assert f"{path}:3: regions.Wessex" in message and "unknown region 'Wessex'" in message
    council = "councils:\n  - {gss_code: Z1, name: Z, official_name: Z C, type: UA}\n"
    path.write_text(council + "  - gss_code: Z2\n    region: Mercia\n", encoding="utf-8")
    result = run_radar("watch", "check", "-w", str(path), check=False)
    message = " ".join(result.stderr.split())
    assert f"{path}:4: councils.1.region: unknown region 'Mercia'" in message
    path.write_text('crawl:\n  allow_private: ["127.0.0.1", "intranet box"]\n', encoding="utf-8")
    result = run_radar("watch", "check", "-w", str(path), check=False)
    message = " ".join(result.stderr.split())
    assert f"{path}:2: crawl.allow_private: 'intranet box' is not an IP address" in message
    path.write_text("regions: [unclosed\n", encoding="utf-8")
    result = run_radar("watch", "check", "-w", str(path), check=False)
    assert result.returncode == 2 and "not valid YAML" in result.stderr


def test_watch_edits_keep_comments_and_refuse_what_would_not_load(tmp_path):
    from demo.server import WATCHLIST

    path = tmp_path / "watchlist.yaml"
    path.write_text(WATCHLIST.read_text(encoding="utf-8"), encoding="utf-8")
    watch = lambda *args, **kw: run_radar("watch", *args, "-w", str(path), **kw)  # noqa: E731

    watch("add", "croydon", "--no-directory")  # its democracy site: tests/test_watch_directory.py
    assert "E09000008" in run_radar("watch", "list", "-w", str(path)).stdout
    watch("add", "E09000008", "--source", "https://example.org/croydon/news.rss")
    council = next(
        c for c in yaml.safe_load(path.read_text())["councils"] if c["gss_code"] == "E09000008"
    )
    assert council["sources"] == [{"kind": "feed", "url": "https://example.org/croydon/news.rss"}]
    text = path.read_text()
    assert text.startswith("# The demo watch list: three invented councils")  # comments kept
    assert "# our own server on loopback" in text

    again = watch("add", "Croydon", "--source", "https://example.org/croydon/news.rss", check=False)
    assert again.returncode == 2 and "already in the watch list" in again.stderr
    bad = watch(
        "add", "Croydon", "--source", "https://example.org/x", "--kind", "gopher", check=False
    )
    assert bad.returncode == 2 and "would not load" in bad.stderr and "kind" in bad.stderr
    assert path.read_text() == text  # refused edits write nothing
    unknown = watch("add", "Wessex", check=False)
    assert unknown.returncode == 2 and "not a council we know" in unknown.stderr

    watch("disable", "--source", "https://example.org/croydon/news.rss")
    assert (
        WatchList.model_validate(yaml.safe_load(path.read_text()))
        .council_register()["E09000008"]
        .sources[0]
        .enabled
        is False
    )
    watch("enable", "--source", "https://example.org/croydon/news.rss")
    not_council = watch("disable", "/kelderby/news/rss.xml", check=False)
    assert not_council.returncode == 2  # a URL is not a council: --source says it is one
    watch("disable", "--source", "/kelderby/news/rss.xml")  # relative to base_url, as written
    watch("disable", "Croydon")
    config = WatchList.model_validate(yaml.safe_load(path.read_text()))
    register = config.council_register()
    assert not register["E09000008"].watched and register["E09000008"].sources
    assert not register["X08000001"].sources[0].enabled
    assert "/kelderby/news/rss.xml" not in {s.url for s in config.all_sources()}

    watch("add", "--source", "https://news.example.org/feed.xml", "--origin", "media")
    assert yaml.safe_load(path.read_text())["sources"][-1]["origin"] == "media"
    orphan = watch("add", "--source", "https://news.example.org/other.xml", check=False)
    assert orphan.returncode == 2 and "--origin" in orphan.stderr
    watch("remove", "--source", "https://news.example.org/feed.xml")
    watch("remove", "Croydon")
    config = WatchList.model_validate(yaml.safe_load(path.read_text()))
    assert "E09000008" not in {c.gss_code for c in config.councils}
    assert "https://news.example.org/feed.xml" not in {s.url for s in config.all_sources_raw()}
    assert path.read_text().startswith("# The demo watch list")


def test_watch_check_online_tries_each_source_once(tmp_path):
    from demo.server import DemoWeb

    with DemoWeb() as web:
        extra = {"kind": "feed", "origin": "media", "name": "Gone", "url": "/gone/rss.xml"}
        path = write_watchlist(tmp_path, web.base_url)
        data = yaml.safe_load(path.read_text())
        data["sources"].append(extra)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        web.clear_log()
        result = run_radar("watch", "check", "--online", "-w", str(path), check=False)
        requests = list(web.requests)
    assert result.returncode == 1
    table = " ".join(result.stdout.split())
    assert "Gone" in table and "HTTP 404" in table
    sources = WatchList.model_validate(data).all_sources()
    assert f"{len(sources) - 1} of {len(sources)} sources answered" in table
    assert "Kelderby Council news" in table and "ok" in table
    # first pages (and robots.txt) only: a full crawl of the demo web makes hundreds of requests
    pages = [r for r in requests if not r.endswith("robots.txt")]
    assert len(pages) <= 3 * len(sources), requests
    assert not (tmp_path / "radar.db").exists()  # nothing stored
