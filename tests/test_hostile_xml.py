"""Hostile XML: feeds, sitemaps and the ModernGov web service that try to read our files, reach
into our network through entities, or blow up memory with entity expansion.

One crawl reads every attack beside a good feed, with a "canary" server standing for the
private network: external entities (a local file, a URL on the canary, a parameter entity, an
external DTD) must never be resolved, billion-laughs expansion must be refused without the
crawl's memory growing, and the crawl must finish with the good items stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import crawl_measured, rows
from faultweb import FaultWeb, bomb, rss_links

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

SECRET = "TOP-SECRET-LOCAL-FILE"  # in a file on the crawler's machine; must never be stored
LOCAL_FEED = "LOCAL-FEED-ON-DISK"  # a feed file on the crawler's machine; likewise
LEAKED = "LEAKED-BY-PARAMETER-ENTITY"  # defined by a local DTD a document tries to load
LAUGHS = "".join(
    f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "lol") * 10}">' for i in range(1, 10)
)  # &lol9; is 10^9 "lol": 3 GB if expanded
PAGE = "library will reopen"


def doctype(root: str, canary: str, files: dict[str, Path], laughs: bool = False) -> str:
    """An internal subset declaring every kind of external entity, and billion laughs."""
    return (
        f"<!DOCTYPE {root} ["
        f'<!ENTITY passwd SYSTEM "file:///etc/passwd">'
        f'<!ENTITY secret SYSTEM "{files["secret"].as_uri()}">'
        f'<!ENTITY canary SYSTEM "{canary}/entity">'
        f'<!ENTITY % remote SYSTEM "{canary}/parameter-entity"> %remote;'
        f'<!ENTITY % local SYSTEM "{files["dtd"].as_uri()}"> %local;'
        f"{LAUGHS if laughs else ''}]>"
    )


ENTITIES = "&passwd; &secret; &canary; &leak;"


def feed_body(base: str, canary: str, files: dict[str, Path], n: int, laughs: bool) -> bytes:
    entry = f"{base}/pages/xml-{n}.html"
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{doctype("rss", canary, files, laughs)}'
        f'<rss version="2.0"><channel><title>Feed {ENTITIES}</title><link>{base}/</link>'
        f"<description>d</description><item><title>Budget {ENTITIES}"
        f"{'&lol9;' if laughs else ''}</title><link>{entry}</link>"
        f"<description>Summary {ENTITIES}{'&lol9;' if laughs else ''}</description></item>"
        "</channel></rss>"
    ).encode()


def sitemap_body(base: str, canary: str, files: dict[str, Path], laughs: bool) -> bytes:
    return (
        f'<?xml version="1.0"?>{doctype("urlset", canary, files, laughs)}'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}/pages/s-&passwd;&secret;&canary;{'&lol9;' if laughs else ''}</loc>"
        f"</url><url><loc>&canary;</loc></url>"
        f"<url><loc>{base}/pages/sitemap-{'laughs-' if laughs else ''}good</loc></url>"
        "</urlset>"
    ).encode()


def moderngov_site(
    web: FaultWeb, at: str, canary: str, files: dict[str, Path], laughs: bool
) -> None:
    """Just enough ModernGov at `at` for the web service: its committees and meetings answers
    declare the entities (and, with `laughs`, billion laughs); the meeting page it leads to
    has its minutes inline."""
    html = "text/html"
    web.documents[f"{at}mgListCommittees.aspx"] = (b"<html><body>Committees</body></html>", html)
    web.documents[f"{at}mgCalendarMonthView.aspx"] = (b"<html><body></body></html>", html)
    title = f"Cabinet {ENTITIES}{'&lol9;' if laughs else ''}"
    committees = (
        f'<?xml version="1.0"?>{doctype("committees", canary, files, laughs)}<committees>'
        f"<committee><committeeid>7</committeeid><committeetitle>{title}</committeetitle>"
        "</committee></committees>"
    )
    web.documents[f"{at}mgWebService.asmx/GetCommittees"] = (committees.encode(), "text/xml")
    meetings = (
        f'<?xml version="1.0"?>{doctype("getmeetings", canary, files)}'
        "<getmeetings><committee><committeeid>7</committeeid><committeetitle>Cabinet "
        f"{ENTITIES}</committeetitle><committeemeetings><meeting><meetingid>70</meetingid>"
        "<meetingdate>2026-11-25T19:00:00</meetingdate></meeting></committeemeetings>"
        "</committee></getmeetings>"
    )
    query = "lCommitteeId=7&sFromDate=2000-01-01&sToDate=2099-12-31"
    web.documents[f"{at}mgWebService.asmx/GetMeetings?{query}"] = (meetings.encode(), "text/xml")
    minutes = (
        "<html><body><h2>Cabinet, 25 Nov 2026</h2><ul><li>"
        '<p class="mgAiTitleTxt">1. Budget</p><p class="mgSubItemTitleTxt">Minutes:</p>'
        '<div class="mgWordPara"><p>The cabinet agreed the budget for consultation after '
        "members asked about the reserves.</p></div></li></ul></body></html>"
    )
    web.documents[f"{at}ieListDocuments.aspx?CId=7&MId=70&Ver=4"] = (minutes.encode(), html)


@pytest.fixture(scope="module")
def canary():
    with FaultWeb() as web:
        yield web


@pytest.fixture(scope="module")
def xml_crawl(tmp_path_factory, canary) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("hostile-xml")
    files = {"secret": folder / "secret.txt", "dtd": folder / "local.dtd"}
    files["secret"].write_text(SECRET, encoding="utf-8")
    files["dtd"].write_text(f'<!ENTITY leak "{LEAKED}">', encoding="utf-8")
    local_feed = folder / "local-feed.xml"  # a feed on disk; a hostile body names its path
    with FaultWeb() as web:
        base, xml = web.base_url, "application/rss+xml"
        local_feed.write_bytes(rss_links((LOCAL_FEED, f"{base}/pages/local")))
        target = canary.base_url
        web.documents["/feeds/good.xml"] = (rss_links(("Good", f"{base}/pages/good.html")), xml)
        web.documents["/feeds/xxe.xml"] = (feed_body(base, target, files, 1, False), xml)
        web.documents["/feeds/laughs.xml"] = (feed_body(base, target, files, 2, True), xml)
        broken = feed_body(base, target, files, 3, False).replace(b"</title>", b" & </title>")
        web.documents["/feeds/broken.xml"] = (broken, xml)  # ill-formed: the lenient parser
        web.documents["/feeds/local-path.xml"] = (str(local_feed).encode(), xml)
        web.documents["/sitemap-xxe.xml"] = (sitemap_body(base, target, files, False), "text/xml")
        laughs = sitemap_body(base, target, files, True)
        web.documents["/sitemap-laughs.xml"] = (laughs, "text/xml")
        web.documents["/sitemap-bomb.xml.gz"] = (bomb("gzip"), "application/x-gzip")
        moderngov_site(web, "/mg/", target, files, laughs=False)
        moderngov_site(web, "/mg-laughs/", target, files, laughs=True)

        def feed(name: str) -> dict[str, Any]:
            return {"kind": "feed", "origin": "media", "name": name, "url": f"{base}/feeds/{name}"}

        def sitemap(path: str) -> dict[str, Any]:
            return {"kind": "sitemap", "name": path, "url": f"{base}/{path}", "pattern": "."}

        sources = [
            feed("good.xml"),
            *(feed(f"{name}.xml") for name in ("xxe", "laughs", "broken", "local-path")),
            *(sitemap(path) for path in ("sitemap-xxe.xml", "sitemap-laughs.xml")),
            sitemap("sitemap-bomb.xml.gz"),
            {"kind": "moderngov", "name": "mg", "url": f"{base}/mg/", "web_service": True},
            {"kind": "moderngov", "name": "mg-laughs", "url": f"{base}/mg-laughs/"}
            | {"web_service": True},
        ]

        def watchlist(at: Path, chosen: list[dict[str, Any]]) -> Path:
            data = {
                "database": str(at / "radar.db"),
                "output_dir": str(at),
                "crawl": {
                    "allow_private": [web.crawl_allowance],  # not the canary
                    "autothrottle": False,
                    "retries": 0,
                    "max_bytes": 1 << 20,
                },
                "sources": chosen,
            }
            path = at / "watchlist.yaml"
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            return path

        crawl = crawl_measured(watchlist(folder, sources))
        (folder / "baseline").mkdir()
        baseline = crawl_measured(watchlist(folder / "baseline", sources[:1]))
    return {
        **crawl,
        "baseline_rss_mib": baseline["rss_mib"],
        "db": folder / "radar.db",
        "hits": dict(web.hits),
    }


def source(crawl: dict[str, Any], name: str) -> dict[str, Any]:
    [row] = rows(crawl["db"], "select * from sources where name = ?", [name])
    return row


def test_the_crawl_finishes_and_the_good_feed_is_read(xml_crawl):
    assert xml_crawl["returncode"] == 0, xml_crawl["stderr"][-3000:]
    [good] = rows(xml_crawl["db"], "select * from items where url like '%/pages/good.html'")
    assert PAGE in good["text"]


def test_no_external_entity_reaches_the_network(xml_crawl, canary):
    """Entities, parameter entities and DTDs on the canary: never fetched."""
    assert dict(canary.hits) == {}


def test_no_external_entity_reads_a_local_file(xml_crawl):
    stored = json.dumps(rows(xml_crawl["db"], "select * from items"))
    stored += json.dumps(rows(xml_crawl["db"], "select * from sources"))
    assert "root:" not in stored and SECRET not in stored and LEAKED not in stored
    requested = " ".join(xml_crawl["hits"])
    assert "root:" not in requested and SECRET not in requested, "nor turns up in a URL"


def test_entries_with_entities_in_them_are_still_read(xml_crawl):
    """The feed is not lost for declaring entities: each entry's page is read as usual."""
    for n, name in ((1, "xxe.xml"), (3, "broken.xml")):
        assert source(xml_crawl, name)["last_error"] is None
        [item] = rows(xml_crawl["db"], "select * from items where url like ?", [f"%/xml-{n}.html"])
        assert PAGE in item["text"] and item["title"].startswith("Budget")


def test_billion_laughs_is_not_expanded(xml_crawl):
    stored = json.dumps(rows(xml_crawl["db"], "select * from items"))
    assert "lollollol" not in stored
    # feedparser: expat refuses the expansion, the lenient parser reads the entry unexpanded
    assert source(xml_crawl, "laughs.xml")["last_error"] is None


def test_a_billion_laughs_sitemap_is_refused_whole_in_words(xml_crawl):
    """libxml2 stops reading at the limit: what it read so far is not passed off as the
    sitemap."""
    error = source(xml_crawl, "sitemap-laughs.xml")["last_error"]
    assert "sitemap-laughs.xml: refused: its entities would expand without limit" in error
    assert "/pages/sitemap-laughs-good" not in " ".join(xml_crawl["hits"])


def test_hostile_xml_does_not_blow_up_the_crawlers_memory(xml_crawl):
    """Billion laughs three times (3 GB each if expanded) and a 256 MiB gzipped sitemap."""
    grown = xml_crawl["rss_mib"] - xml_crawl["baseline_rss_mib"]
    print(
        f"peak RSS: hostile XML crawl {xml_crawl['rss_mib']:.0f} MiB, "
        f"one good feed {xml_crawl['baseline_rss_mib']:.0f} MiB"
    )
    assert grown < 64


def test_sitemaps_with_entities_yield_only_their_plain_links(xml_crawl):
    assert source(xml_crawl, "sitemap-xxe.xml")["last_error"] is None
    [good] = rows(xml_crawl["db"], "select * from items where url like '%/pages/sitemap-good'")
    assert PAGE in good["text"]


def test_a_gzipped_sitemap_bomb_is_refused_at_the_size_limit(xml_crawl):
    error = source(xml_crawl, "sitemap-bomb.xml.gz")["last_error"]
    assert "sitemap-bomb.xml.gz: gzipped sitemap inflates past the size limit" in error


def test_the_moderngov_web_service_is_read_without_its_entities(xml_crawl):
    row = source(xml_crawl, "mg")
    assert row["last_error"] is None and row["last_item_error"] is None
    [minutes] = rows(xml_crawl["db"], "select * from items where url like '%/mg/ieList%'")
    assert minutes["title"].startswith("Cabinet") and "agreed the budget" in minutes["text"]


def test_a_billion_laughs_web_service_answer_is_an_item_error(xml_crawl):
    row = source(xml_crawl, "mg-laughs")
    assert row["last_error"] is None, "the site itself is fine"
    assert "GetCommittees: refused: its entities would expand" in row["last_item_error"]


def test_a_feed_whose_body_is_a_local_path_does_not_read_that_file(xml_crawl):
    stored = rows(xml_crawl["db"], "select title from items where title = ?", [LOCAL_FEED])
    assert stored == []
    assert source(xml_crawl, "local-path.xml")["last_error"], "not a feed: an error in words"
