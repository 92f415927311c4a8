"""`radar discover`: proposals an admin would accept (the news feed first, one democracy source
per site, the rest skipped with a reason), and `radar discover --all` across the watched
councils, politely."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from conftest import run_radar
from scrapy.exceptions import CannotResolveHostError, CloseSpider, DownloadTimeoutError
from scrapy.http import HtmlResponse, Request, TextResponse
from twisted.python.failure import Failure

from crawlers.discover import (
    OFFLINE_AFTER,
    DiscoverSpider,
    Discovery,
    discover_settings,
    is_news,
    skip_reason,
)
from crawlers.discovery_plan import nothing_answered, plan, unwritable
from crawlers.middlewares import PoliteRetryMiddleware
from crawlers.settings import crawl_settings
from demo.server import LoopbackServer, reply
from domain.config import WatchList

HOME = (Path(__file__).parent / "files" / "discover" / "testshire_home.html").read_bytes()
ROBOTS = b"User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\n"


class CouncilSite(LoopbackServer):
    """A council website on loopback: its homepage, robots.txt and sitemap, and a log of
    every path asked for."""

    def __init__(self, robots: bytes = ROBOTS) -> None:
        self.paths: list[str] = []
        lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with lock:
                    site.paths.append(self.path)
                if self.path == "/robots.txt":
                    body = robots.replace(b"Sitemap: /", f"Sitemap: {site.base_url}/".encode())
                    reply(self, 200, body, "text/plain")
                elif self.path == "/":
                    reply(self, 200, HOME, "text/html; charset=utf-8")
                else:
                    reply(self, 404, b"not here", "text/plain")

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


def robots_fetched(spider: DiscoverSpider, url: str, body: bytes) -> None:
    """What Scrapy's RobotsTxtMiddleware does before a host's first page: fetch its
    robots.txt (`dont_obey_robotstxt`), which the engine announces as response_received."""
    request = Request(url, meta={"dont_obey_robotstxt": True})
    spider.read_robots(response=TextResponse(url, body=body, request=request), request=request)


def read_home(
    url: str = "https://www.testshire.gov.uk/", home: bytes = HOME, robots: bytes = ROBOTS
) -> Discovery:
    """The spider's reading of the saved homepage and its robots.txt, in-process."""
    target = Discovery(key="X01", candidates=[])
    done: list[Discovery] = []
    spider = DiscoverSpider(targets=[target], on_done=done.append)
    robots = robots.replace(b"Sitemap: /", b"Sitemap: https://www.testshire.gov.uk/")
    robots_fetched(spider, "https://www.testshire.gov.uk/robots.txt", robots)
    assert list(spider.parse_home(HtmlResponse(url, body=home), target)) == [], (
        "robots.txt is not asked for again"
    )
    assert done == [target]
    return target


def test_news_feed_first_one_democracy_site_and_the_rest_skipped():
    found = read_home()
    proposals = [(p.kind, p.url) for p in found.proposals]
    assert proposals == [
        ("feed", "https://www.testshire.gov.uk/news/feed.atom"),
        ("feed", "https://www.testshire.gov.uk/feed/"),
        ("listing", "https://www.testshire.gov.uk/news/"),
        ("sitemap", "https://www.testshire.gov.uk/sitemap.xml"),
        ("moderngov", "https://democracy.testshire.gov.uk/"),  # member index, calendar, root
    ]
    skipped = {s.url: s.reason for s in found.skipped}
    assert skipped == {
        "https://www.testshire.gov.uk/comments/feed/": "comments feed",
        "https://www.testshire.gov.uk/jobs/vacancies.rss": "jobs and vacancies",
        "https://www.testshire.gov.uk/whats-on/feed/": "events",
        "https://www.youtube.com/feeds/videos.xml?channel_id=UCtestshire000000000000": (
            "social media"
        ),
        "https://www.testshire.gov.uk/podcast/feed/": "podcast",
    }
    assert [(p.kind, p.url) for p in found.recommended()] == [
        ("feed", "https://www.testshire.gov.uk/news/feed.atom"),
        ("moderngov", "https://democracy.testshire.gov.uk/"),
    ]


NEIGHBOURLY_HOME = b"""<html><head><title>Home | Testshire Council</title>
<link rel="alternate" type="application/rss+xml" title="Neighbour news"
      href="https://www.neighbour.gov.uk/news/feed">
<link rel="alternate" type="application/rss+xml" title="Testshire news" href="/news/rss">
</head><body>
<a href="https://www.bbc.co.uk/news">BBC News</a>
<a href="https://www.neighbour.gov.uk/news/feed">Neighbour news feed</a>
<a href="https://www.neighbour.gov.uk/news/">Neighbour news</a>
<a href="https://news.testshire.gov.uk/news/">Latest news</a>
<a href="https://democracy.neighbour.gov.uk/mgListCommittees.aspx">Joint committee</a>
<a href="https://testshire.moderngov.co.uk/mgCalendarMonthView.aspx">Meetings</a>
</body></html>"""


def test_other_sites_news_is_not_proposed_for_this_council():
    robots = b"Sitemap: /sitemap.xml\nSitemap: https://cdn.example.com/testshire/sitemap.xml\n"
    found = read_home(home=NEIGHBOURLY_HOME, robots=robots)
    assert [(p.kind, p.url) for p in found.proposals] == [
        ("feed", "https://www.testshire.gov.uk/news/rss"),
        ("listing", "https://news.testshire.gov.uk/news/"),  # another host, same council
        ("sitemap", "https://www.testshire.gov.uk/sitemap.xml"),
        ("moderngov", "https://testshire.moderngov.co.uk/"),  # a shared host may be ours
    ]
    assert {s.url: s.reason for s in found.skipped} == {
        "https://www.neighbour.gov.uk/news/feed": "another site's feed: www.neighbour.gov.uk",
        "https://democracy.neighbour.gov.uk/mgListCommittees.aspx": (
            "another council's democracy site: democracy.neighbour.gov.uk"
        ),
    }
    assert [p.url for p in found.recommended()] == [
        "https://www.testshire.gov.uk/news/rss",
        "https://testshire.moderngov.co.uk/",
    ]


@pytest.mark.parametrize(
    ("url", "title", "reason"),
    [
        ("https://x.gov.uk/news/feed/", "News", None),
        ("https://x.gov.uk/feed/", "News and events", None),  # news first
        ("https://x.gov.uk/events/feed/", "Events", "events"),
        ("https://x.gov.uk/2026/05/story/feed/", "Story » Comments Feed", "comments feed"),
        ("https://www.facebook.com/feeds/page.php?id=1", "Facebook", "social media"),
        ("https://twitter.com/x/rss", "", "social media"),
        ("https://x.gov.uk/careers.rss", "Careers", "jobs and vacancies"),
        ("https://x.gov.uk/planning-applications/rss", "", "planning applications"),
    ],
)
def test_feeds_an_admin_would_not_read_are_skipped(url, title, reason):
    assert skip_reason(url, title) == reason


def test_press_and_media_feeds_count_as_news():
    assert is_news("https://x.gov.uk/press-releases/rss", "")
    assert is_news("https://x.gov.uk/rss", "Media centre")
    assert not is_news("https://x.gov.uk/consultations/rss", "Consultations")


def test_a_shared_democracy_site_names_the_homepage_it_links_to():
    target = Discovery(key="E07000105", candidates=[], via="https://ashford.moderngov.co.uk/")
    spider = DiscoverSpider(targets=[target])
    page = (
        b"<html><body><a href='https://www.ashford.gov.uk/'>Ashford Borough Council</a>"
        b"<a href='https://www.ashford.gov.uk/contact-us/'>Contact</a>"
        b"<a href='https://www.gov.uk/'>GOV.UK</a><a href='mgListCommittees.aspx'>x</a>"
        b"</body></html>"
    )
    [request] = list(spider.parse_via(HtmlResponse(target.via or "", body=page), target))
    assert request.url == "https://www.ashford.gov.uk/"
    assert target.candidates == ["https://ashford.gov.uk/"]  # the next one to try


def test_discovery_is_slower_than_a_crawl_and_as_guarded():
    config = WatchList.model_validate({"crawl": {"allow_private": ["127.0.0.1:8080"]}})
    settings = discover_settings(config)
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getfloat("DOWNLOAD_DELAY") == 1.0
    assert not settings.getbool("RANDOMIZE_DOWNLOAD_DELAY")  # never under a second
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert "crawlers.guard.SsrfGuardMiddleware" in middlewares
    assert "crawlers.middlewares.HostConcurrencyLimit" in middlewares
    assert settings.get("TWISTED_DNS_RESOLVER") == "crawlers.guard.GuardedResolver"
    assert settings.getlist("RADAR_ALLOW_PRIVATE") == ["127.0.0.1:8080"]
    assert settings.get("USER_AGENT").startswith("CouncilRadar/")
    assert settings.getdict("ITEM_PIPELINES") == {}


def test_discovery_does_not_retry_a_name_that_does_not_resolve():
    config = WatchList.model_validate({})
    retried = PoliteRetryMiddleware(discover_settings(config)).exceptions_to_retry
    assert not isinstance(CannotResolveHostError("DNS lookup failed: www.x.gov.uk"), retried)
    assert isinstance(DownloadTimeoutError(), retried), "a slow site is still asked again"
    crawl = PoliteRetryMiddleware(crawl_settings(config)).exceptions_to_retry
    assert isinstance(CannotResolveHostError("x"), crawl), "a watched source's crawl retries"


def unresolved(target: Discovery, url: str) -> Failure:
    """The failure a homepage whose name does not resolve comes back with."""
    failure = Failure(CannotResolveHostError(f"DNS lookup failed: {url}"))
    failure.request = Request(url, cb_kwargs={"target": target})
    return failure


def test_discovery_stops_when_no_homepage_can_be_reached_at_all():
    targets = [Discovery(key=f"X{n:02}", candidates=[]) for n in range(OFFLINE_AFTER)]
    spider = DiscoverSpider(targets=targets)
    for target in targets[:-1]:
        assert list(spider.failed(unresolved(target, "https://www.x.gov.uk/"))) == []
    with pytest.raises(CloseSpider):
        list(spider.failed(unresolved(targets[-1], "https://www.x.gov.uk/")))
    assert nothing_answered(targets) == "https://www.x.gov.uk/: CannotResolveHostError: " + (
        "DNS lookup failed: https://www.x.gov.uk/"
    )


def test_discovery_goes_on_past_unresolved_names_once_a_site_has_answered():
    targets = [Discovery(key=f"X{n:02}", candidates=[]) for n in range(OFFLINE_AFTER + 5)]
    spider = DiscoverSpider(targets=targets)
    robots_fetched(spider, "https://www.testshire.gov.uk/robots.txt", ROBOTS)
    for target in targets:
        assert list(spider.failed(unresolved(target, "https://www.x.gov.uk/"))) == []
    assert not any(t.answered for t in targets), "www.x.gov.uk never answered"
    list(spider.failed(unresolved(targets[0], "https://www.testshire.gov.uk/")))
    assert targets[0].answered, "its robots.txt answered: the host is there"
    assert nothing_answered(targets) is None


def test_offline_is_told_from_sites_that_answered_with_an_error():
    offline = [
        Discovery(key="X01", candidates=[], errors=["https://www.x.gov.uk/: DNS lookup failed"]),
        Discovery(key="X02", candidates=[], errors=["https://www.y.gov.uk/: DNS lookup failed"]),
    ]
    assert nothing_answered(offline) == "https://www.x.gov.uk/: DNS lookup failed"
    forbidden = Discovery(key="X03", candidates=[], errors=["robots.txt forbids it"])
    forbidden.answered = True
    assert nothing_answered([*offline, forbidden]) is None
    assert nothing_answered([]) is None, "nothing to look for is not being offline"


def test_proposals_path_is_checked_before_the_crawl(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    assert unwritable(folder) == f"{folder} is a directory"
    assert unwritable(tmp_path / "typo" / "discovered.yaml") == f"no folder {tmp_path / 'typo'}"
    (tmp_path / "file").write_text("x")
    assert unwritable(tmp_path / "file" / "d.yaml") == f"{tmp_path / 'file'} is not a folder"
    new = folder / "discovered.yaml"
    assert unwritable(new) is None and not new.exists(), "the check leaves nothing behind"
    new.write_text("old proposals\n")
    assert unwritable(new) is None and new.read_text() == "old proposals\n"
    default = tmp_path / "radar-output" / "discovered.yaml"
    assert unwritable(default, create_folder=True) is None and default.parent.is_dir()


def test_a_read_only_folder_is_no_place_for_proposals():
    # sysfs refuses new files to everyone, root included (CI runs as root, for whom a
    # chmod 500 folder is still writable)
    assert unwritable(Path("/sys/discovered.yaml")) == (
        "cannot write /sys/discovered.yaml (Permission denied)"
    )


def council(gss_code: str, name: str, **extra: object) -> dict:
    """An invented council (not in the register or the directory, so nothing but its
    watch-list sources says where its sites are)."""
    return {
        "gss_code": gss_code,
        "name": name,
        "official_name": f"{name} Council",
        "type": "UA",
        "region": "South East",
        **extra,
    }


def test_plan_starts_from_each_councils_own_domain():
    config = WatchList.model_validate(
        {
            "councils": [
                {"gss_code": "E07000223"},  # Adur: democracy.adur-worthing.gov.uk
                {"gss_code": "E10000003"},  # Cambridgeshire: on cmis.uk.com, a shared host
                {"gss_code": "E09000001"},  # City of London: not in the directory
                {"gss_code": "E08000025"},  # Birmingham: a custom councillors page
                {"gss_code": "E09000008", "sources": [{"kind": "feed", "url": "https://x/rss"}]},
            ]
        }
    )
    todo = plan(config)
    targets = {t.key: t for t in todo.targets}
    assert targets["E07000223"].candidates == [
        "https://www.adur-worthing.gov.uk/",
        "https://adur-worthing.gov.uk/",
    ]
    assert targets["E10000003"].candidates == []
    assert targets["E10000003"].via == "https://cambridgeshire.cmis.uk.com/ccc_live/"
    assert targets["E08000025"].candidates[0] == "https://www.birmingham.gov.uk/"
    assert [(m.gss_code, m.reason) for m in todo.misses] == [
        ("E09000001", "no democracy site or councillors page to find its homepage from")
    ]
    assert todo.has_news == ["E09000008"]


def test_discover_one_homepage_on_loopback(tmp_path):
    with CouncilSite() as site:
        watchlist = tmp_path / "watchlist.yaml"
        watchlist.write_text(f"crawl:\n  allow_private: ['{site.crawl_allowance}']\n")
        result = run_radar("discover", f"{site.base_url}/", "-w", str(watchlist))
    table = result.stdout
    assert table.index("/news/feed.atom") < table.index(f"{site.base_url}/feed/")
    assert table.count("democracy.testshire.gov.uk") == 1
    assert (
        "skipped: https://www.youtube.com/feeds/videos.xml" in table and "(social media)" in table
    )
    assert "(comments feed)" in table and "(jobs and vacancies)" in table and "(events)" in table


def test_discover_all_proposes_writes_and_reports_what_it_could_not_find(tmp_path):
    with CouncilSite() as open_site, CouncilSite(robots=b"User-agent: *\nDisallow: /\n") as closed:
        watchlist = tmp_path / "watchlist.yaml"
        data = {
            "database": str(tmp_path / "radar.db"),
            "output_dir": str(tmp_path / "out"),
            "crawl": {"allow_private": [open_site.crawl_allowance, closed.crawl_allowance]},
            "councils": [
                council("X01", "Testshire", sources=[
                    {"kind": "moderngov", "url": f"{open_site.base_url}/democracy/"}]),
                council("X02", "Closedshire", sources=[
                    {"kind": "moderngov", "url": f"{closed.base_url}/democracy/"}]),
                council("X03", "Newsshire", sources=[
                    {"kind": "feed", "url": f"{open_site.base_url}/x/rss"}]),
                {"gss_code": "E09000001"},
            ],
        }  # fmt: skip
        watchlist.write_text("# our councils\n" + yaml.safe_dump(data, sort_keys=False))
        result = run_radar("discover", "--all", "--write", "-w", str(watchlist))
        closed_paths, open_paths = list(closed.paths), list(open_site.paths)
    out = " ".join(result.stdout.split())
    assert "Looking for the news of 2 watched councils (1 already have a news source" in out
    assert "Proposals for 1 councils written to" in out and "1 feed" in out
    assert "2 councils need an admin's hand" in out
    assert "robots.txt forbids it" in out and "Closedshire" in out
    assert "City of London" in out
    assert "Added 1 recommended sources" in out
    assert "/" not in closed_paths and closed_paths == ["/robots.txt"], closed_paths
    assert open_paths == ["/robots.txt", "/"], "robots.txt is read once, before the homepage"

    proposals = yaml.safe_load((tmp_path / "out" / "discovered.yaml").read_text())
    [testshire] = proposals["councils"]
    assert testshire["gss_code"] == "X01"
    assert testshire["sources"] == [
        {
            "kind": "feed",
            "name": "Testshire Council news and press releases",
            "url": f"{open_site.base_url}/news/feed.atom",
        }
    ]
    also = [p["kind"] for p in testshire["also"]]
    assert also == ["feed", "listing", "sitemap", "moderngov"]  # X01 has its meetings already
    assert {s["reason"] for s in testshire["skipped"]} >= {"comments feed", "social media"}
    assert {m["gss_code"] for m in proposals["not_found"]} == {"X02", "E09000001"}

    text = watchlist.read_text()
    assert text.startswith("# our councils")
    written = yaml.safe_load(text)["councils"][0]["sources"]
    assert [s["kind"] for s in written] == ["moderngov", "feed"]


def closed_port() -> LoopbackServer:
    """A loopback address nothing listens on any more: every connection is refused."""
    with LoopbackServer(BaseHTTPRequestHandler) as server:
        pass
    return server


def offline_watchlist(tmp_path: Path, server: LoopbackServer) -> Path:
    watchlist = tmp_path / "watchlist.yaml"
    data = {
        "output_dir": str(tmp_path / "out"),
        "crawl": {"allow_private": [server.crawl_allowance], "retries": 0},
        "councils": [
            council("X01", "Testshire", sources=[
                {"kind": "moderngov", "url": f"{server.base_url}/democracy/"}]),
            council("X02", "Otherwhere", sources=[
                {"kind": "moderngov", "url": f"{server.base_url}/meetings/"}]),
        ],
    }  # fmt: skip
    watchlist.write_text(yaml.safe_dump(data, sort_keys=False))
    return watchlist


def test_discover_all_with_no_site_answering_keeps_the_old_proposals(tmp_path):
    watchlist = offline_watchlist(tmp_path, closed_port())
    proposals = tmp_path / "out" / "discovered.yaml"
    proposals.parent.mkdir()
    proposals.write_text("# last week's proposals\n")
    result = run_radar("discover", "--all", "-w", str(watchlist), check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = [line for line in result.stderr.splitlines() if "homepage answered" in line]
    assert line.lower().startswith("no homepage answered (http://127.0.0.1:"), line
    assert line.endswith("): is this machine online?"), line
    assert proposals.read_text() == "# last week's proposals\n"


def test_discover_all_refuses_a_folder_as_its_output_before_crawling(tmp_path):
    with CouncilSite() as site:
        watchlist = offline_watchlist(tmp_path, site)
        result = run_radar(
            "discover", "--all", "-w", str(watchlist), "-o", str(tmp_path), check=False
        )
        asked = list(site.paths)
    assert result.returncode == 2
    assert result.stderr.strip() == f"Cannot write the proposals: {tmp_path} is a directory"
    assert "Traceback" not in result.stderr and asked == [], "nothing was crawled"
