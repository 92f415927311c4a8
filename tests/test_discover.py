"""`radar discover` and `radar source test`: an admin adding a source."""

from __future__ import annotations

import pytest
from conftest import rows, run_radar
from test_discover_all import closed_port

from demo.server import LoopbackServer


def allow(demo_web) -> str:
    """Watch-list lines opening the demo web on loopback, which the crawler refuses otherwise."""
    return f"crawl:\n  allow_private: ['{demo_web.crawl_allowance}']\n"


def test_discover_proposes_feed_news_and_democracy_site(demo_web, tmp_path):
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(
        "# our councils\ncouncils:\n  - gss_code: E09000008  # Croydon\n" + allow(demo_web)
    )
    result = run_radar(
        "discover", f"{demo_web.base_url}/kelderby/index.html",
        "--council", "E09000008", "--write", "--watchlist", str(watchlist),
    )  # fmt: skip
    assert "/kelderby/news/rss.xml" in result.stdout
    assert "/kelderby/democracy/" in result.stdout
    text = watchlist.read_text()
    assert "# our councils" in text and "# Croydon" in text, "the admin's comments are kept"
    assert "kind: moderngov" in text and "kind: feed" in text
    again = run_radar(
        "discover", f"{demo_web.base_url}/kelderby/index.html",
        "--council", "E09000008", "--write", "--watchlist", str(watchlist),
    )  # fmt: skip
    assert "Added 0 sources" in again.stdout, "accepting twice adds nothing twice"


def test_discover_an_unreachable_homepage_says_why_in_one_line(tmp_path):
    server: LoopbackServer = closed_port()
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(f"crawl:\n  allow_private: ['{server.crawl_allowance}']\n  retries: 0\n")
    result = run_radar("discover", f"{server.base_url}/", "-w", str(watchlist), check=False)
    assert result.returncode == 1
    assert "Proposed sources" not in result.stdout, "no empty table"
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Could not read the homepage: {server.base_url}/: "), line
    assert "refused" in line.lower() and "Traceback" not in result.stderr


def test_source_test_shows_items_without_storing_them(demo_web, tmp_path):
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(f"database: {tmp_path / 'radar.db'}\n" + allow(demo_web))
    result = run_radar(
        "source", "test", f"{demo_web.base_url}/media/wire/rss.xml", "--watchlist", str(watchlist)
    )
    assert "feed source" in result.stdout and "13 items" in result.stdout
    assert "Brackenfold" in result.stdout
    assert not (tmp_path / "radar.db").exists()


def test_source_test_reports_a_dead_source(demo_web, tmp_path):
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(allow(demo_web))
    result = run_radar(
        "source", "test", f"{demo_web.base_url}/nowhere/rss.xml", "-w", str(watchlist), check=False
    )
    assert result.returncode == 1 and "HTTP 404" in result.stdout


def test_source_reset_puts_a_suspended_source_back(crawled, tmp_path):
    import shutil

    import yaml

    shutil.copy(crawled["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(crawled["watchlist"].read_text())
    data["database"] = str(tmp_path / "radar.db")
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump(data))
    [source] = rows(
        tmp_path / "radar.db", "select id from sources where name = 'Local Democracy Wire'"
    )
    run_radar("source", "reset", source["id"], "--watchlist", str(watchlist))
    missing = run_radar(
        "source", "reset", "http://nope/", "--watchlist", str(watchlist), check=False
    )
    assert missing.returncode == 2


def test_source_test_crawls_a_democracy_page_from_its_site_root(demo_web, tmp_path):
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(allow(demo_web))
    page = f"{demo_web.base_url}/kelderby/democracy/ieListMeetings.aspx?CommitteeId=1"
    result = run_radar("source", "test", page, "-w", str(watchlist), check=False)
    output = " ".join(result.stdout.split())
    root = f"{demo_web.base_url}/kelderby/democracy/"
    assert f"→ {root}: a moderngov site is read from its root" in output
    assert f"moderngov source {root}:" in output


@pytest.mark.parametrize(
    ("site", "why"),
    [
        ("http://10.0.0.7/democracy/", "10.0.0.7 is a private address"),
        ("http://169.254.169.254/", "169.254.169.254 is the cloud metadata address"),
        ("http://localhost:9/", "localhost resolves to 127.0.0.1, a loopback address"),
    ],
)
def test_discover_write_leaves_out_a_private_or_metadata_site_and_says_so(tmp_path, site, why):
    """A homepage's links are anyone's to write, and a democracy site may be on any host
    outside gov.uk: one at a private or the cloud metadata address is proposed but never
    written into the watch list (the crawl would refuse it, and a later `allow_private`
    entry must not quietly turn it on)."""
    from http.server import BaseHTTPRequestHandler

    from demo.server import reply

    page = (
        "<html><head><title>Croydon Council</title>"
        f'</head><body><main><a href="{site}mgListCommittees.aspx">Meetings</a></main>'
        "</body></html>"
    )

    class Home(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status = 200 if self.path == "/" else 404
            reply(self, status, page.encode(), "text/html; charset=utf-8")

        def log_message(self, *args: object) -> None:
            pass

    with LoopbackServer(Home) as server:
        watchlist = tmp_path / "watchlist.yaml"
        watchlist.write_text(
            "councils:\n  - gss_code: E09000008\n"
            f"crawl:\n  allow_private: ['{server.crawl_allowance}']\n",
            encoding="utf-8",
        )
        result = run_radar(
            "discover", f"{server.base_url}/", "--council", "E09000008", "--write",
            "-w", str(watchlist),
        )  # fmt: skip
    assert site in result.stdout, "proposed, so the admin sees it"
    written = watchlist.read_text(encoding="utf-8")
    assert "moderngov" not in written and "sources" not in written, "but not written"
    assert f"Not written: {site}: refused: {why}" in " ".join(result.stderr.split())
    assert "Added 0 sources" in result.stdout
