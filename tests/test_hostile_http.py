"""Hostile HTTP: what a malicious or hijacked site can make the crawler do, all on loopback.

Every fault is a source, or an entry of one, in a single crawl beside a good source. The crawl
must finish, record each fault in words on its source or item, and lose nothing else. The
"canary" server stands for everything private on the crawler's network (an admin port on
loopback, the office network, the cloud metadata service): it must never be reached, by a
link, a redirect, or a name that resolves to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import crawl_measured, rows, run_radar
from faultweb import BOMB_MIB, FaultWeb, rss_links, sitemap_links

from crawlers.guard import (
    GuardedResolver,
    PrivateAllowance,
    RequestRefused,
    parse_allow_entry,
    refusal,
    url_target,
    why_not_public,
)
from domain.config import WatchList

MAX_BYTES = 1 << 20  # crawl.max_bytes in these crawls: a bomb inflates 256 times past it
LONG_URL = "http://127.0.0.1:{canary}/{route}/" + "a" * 10_000

# name -> (URL a hostile site sends us to, words its refusal must contain). "{canary}" is
# the canary server's port: loopback, but not the port the watch list opens. "{route}" keeps
# each route's URL distinct: Scrapy drops a second request for a URL it has already tried.
TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "private": ("http://10.0.0.1/news/{route}.html", ("10.0.0.1 is a private address",)),
    "loopback": (
        "http://127.0.0.1:{canary}/news/{route}.html",
        ("127.0.0.1 is a loopback address",),
    ),
    "localhost": (
        "http://localhost:{canary}/news/{route}.html",
        ("localhost resolves to", "loopback"),
    ),
    "decimal-ip": ("http://2130706433:{canary}/{route}", ("resolves to 127.0.0.1", "loopback")),
    "metadata": (
        "http://169.254.169.254/latest/meta-data/{route}",
        ("169.254.169.254 is the cloud metadata address",),
    ),
    "ipv6-loopback": ("http://[::1]:{canary}/{route}", ("::1 is a loopback address",)),
    "file": ("file:///etc/passwd", ("not an http(s) URL",)),
    "ftp": ("ftp://127.0.0.1:{canary}/{route}", ("not an http(s) URL",)),
    "gopher": ("gopher://127.0.0.1:{canary}/_GET%20/{route}", ("not an http(s) URL",)),
    "javascript": ("javascript:alert(1)", ("not an http(s) URL",)),
    "data": ("data:text/html,<h1>news</h1>", ("not an http(s) URL",)),
    "unclosed-ipv6": ("http://[::1", ("malformed",)),
    "space-in-host": ("http://exa mple.org/{route}", ("malformed", "not a host name")),
    "long": (LONG_URL, ("longer than 2,083 characters",)),
}
NOT_HTTP = {"file", "ftp", "gopher", "javascript", "data"}
PAGE = "library will reopen"  # the text of every good page on the fault web


def feed(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "feed", "origin": "media", "name": name, "url": url, **extra}


def write(folder: Path, web: FaultWeb, sources: list[dict[str, Any]], **crawl: Any) -> Path:
    data = {
        "database": str(folder / "radar.db"),
        "output_dir": str(folder),
        "crawl": {
            "allow_private": [web.crawl_allowance],  # the fault web only, not the canary
            "autothrottle": False,
            "retries": 0,
            "max_bytes": MAX_BYTES,
            "download_timeout": 4,
            **crawl,
        },
        "sources": sources,
    }
    path = folder / "watchlist.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def canary():
    with FaultWeb() as web:
        yield web


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory, canary) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("hostile")
    port = canary.crawl_allowance.rsplit(":", 1)[1]
    with FaultWeb() as web:
        base, xml = web.base_url, "application/rss+xml"
        good = rss_links(("Library reopens", f"{base}/pages/good.html"))
        web.documents["/feeds/good.xml"] = (good, xml)
        sources = [feed("good", f"{base}/feeds/good.xml")]
        for name, (template, _) in TARGETS.items():
            target = template.format(canary=port, route="{route}").format
            web.redirects[name] = target(route="redirect")
            web.redirects[f"hop-{name}"] = target(route="hop")
            linked = rss_links(
                (f"Linked {name}", target(route="link")), (f"Beside {name}", f"/pages/{name}")
            )
            web.documents[f"/feeds/link-{name}.xml"] = (linked, xml)
            hop = rss_links((name, f"/go/hop-{name}"))
            web.documents[f"/feeds/hop-{name}.xml"] = (hop, xml)
            sources += [
                feed(f"redirect:{name}", f"{base}/go/{name}"),  # the feed itself redirects
                feed(f"link:{name}", f"{base}/feeds/link-{name}.xml"),  # an entry links there
                feed(f"hop:{name}", f"{base}/feeds/hop-{name}.xml"),  # an entry's page redirects
            ]
        web.redirects["two-hops"] = f"{base}/go/second-hop"  # allowed, then private
        web.redirects["second-hop"] = TARGETS["private"][0].format(route="second-hop")
        sources.append(feed("two-hops", f"{base}/go/two-hops"))
        locs = [
            TARGETS[name][0].format(canary=port, route="sitemap")
            for name in ("private", "localhost")
        ]
        web.documents["/sitemap.xml"] = (sitemap_links(*locs, f"{base}/pages/s"), "text/xml")
        bombs = [("bomb-page", f"{base}/bomb/gzip.html")]
        web.documents["/feeds/bomb-page.xml"] = (rss_links(*bombs), xml)
        sources += [
            {"kind": "sitemap", "name": "sitemap", "url": f"{base}/sitemap.xml", "pattern": "."},
            feed("endless", f"{base}/chain/1"),
            *(feed(f"bomb:{e}", f"{base}/bomb/{e}.xml") for e in ("gzip", "deflate", "br")),
            feed("bomb-page", f"{base}/feeds/bomb-page.xml"),
            feed("big:declared", f"{base}/big/declared.xml"),
            feed("big:undeclared", f"{base}/big/undeclared.xml"),
            feed("drip", f"{base}/drip.xml"),
        ]
        crawl = crawl_measured(write(folder, web, sources))
        baseline_folder = folder / "baseline"
        baseline_folder.mkdir()
        baseline = crawl_measured(write(baseline_folder, web, sources[:1]))
        listing = run_radar("sources", "-w", str(folder / "watchlist.yaml"))
    return {
        **crawl,
        "baseline_rss_mib": baseline["rss_mib"],
        "db": folder / "radar.db",
        "hits": dict(web.hits),
        "dripped": dict(web.dripped),
        "sources_listing": listing.stdout,
    }


def source(crawl: dict[str, Any], name: str) -> dict[str, Any]:
    [row] = rows(crawl["db"], "select * from sources where name = ?", [name])
    return row


def items(crawl: dict[str, Any], url_like: str) -> list[dict[str, Any]]:
    return rows(crawl["db"], "select * from items where url like ?", [url_like])


def test_the_crawl_finishes_and_the_good_source_beside_the_faults_is_read(hostile_crawl):
    assert hostile_crawl["returncode"] == 0, hostile_crawl["stderr"][-3000:]
    good = source(hostile_crawl, "good")
    assert good["last_error"] is None and good["last_item_error"] is None
    [page] = items(hostile_crawl, "%/pages/good.html")
    assert PAGE in page["text"]


def test_the_canary_is_never_reached(hostile_crawl, canary):
    """Not by a link, a redirect, a name resolving to it, or a robots.txt request."""
    assert dict(canary.hits) == {}


@pytest.mark.parametrize("name", TARGETS)
def test_a_feed_redirected_somewhere_private_fails_in_words(hostile_crawl, name):
    row = source(hostile_crawl, f"redirect:{name}")
    error = row["last_error"] or ""
    assert all(word in error for word in TARGETS[name][1]), error
    assert "refused" in error and f"/go/{name}" in error, "the error names where it came from"
    assert len(error) < 600, "a 10,000-character URL is shortened, not pasted whole"
    assert row["consecutive_failures"] == 1


@pytest.mark.parametrize("name", TARGETS)
def test_an_entry_whose_page_redirects_somewhere_private_is_an_item_error(hostile_crawl, name):
    row = source(hostile_crawl, f"hop:{name}")
    assert row["last_error"] is None, "the feed itself is fine"
    error = row["last_item_error"] or ""
    assert all(word in error for word in TARGETS[name][1]) and "refused" in error, error
    [kept] = items(hostile_crawl, f"%/go/hop-{name}")
    assert kept["summary_only"] == 1, "the feed's summary is kept in place of the page"


@pytest.mark.parametrize("name", TARGETS)
def test_an_entry_linking_somewhere_private_costs_only_that_entry(hostile_crawl, name):
    row = source(hostile_crawl, f"link:{name}")
    assert row["last_error"] is None
    [beside] = items(hostile_crawl, f"%/pages/{name}")
    assert PAGE in beside["text"], "the good entry next to it is read"
    error = row["last_item_error"]
    if name in NOT_HTTP:
        # crawlers/feeds.py skips links that are not http(s) without a word; never fetched
        assert error is None
        assert not rows(
            hostile_crawl["db"], "select 1 from items where title = ?", [f"Linked {name}"]
        )
    elif name == "unclosed-ipv6":
        assert "unusable entry link" in error
    else:
        assert all(word in error for word in TARGETS[name][1]) and "refused" in error, error


def test_every_redirect_hop_is_checked_not_only_the_first(hostile_crawl):
    error = source(hostile_crawl, "two-hops")["last_error"]
    assert error.startswith("http://10.0.0.1/news/second-hop.html: refused: 10.0.0.1 is a")
    assert "(redirected from http://127.0.0.1:" in error and error.endswith("/go/two-hops)")
    assert "/go/second-hop" in " ".join(hostile_crawl["hits"]), "the allowed hop was taken"


def test_sitemap_links_somewhere_private_are_item_errors(hostile_crawl):
    row = source(hostile_crawl, "sitemap")
    assert row["last_error"] is None and row["items_failed"] == 2
    assert "refused" in row["last_item_error"]
    [good] = items(hostile_crawl, "%/pages/s")
    assert PAGE in good["text"]


def table_rows(listing: str) -> dict[str, list[str]]:
    """`radar sources` as {source name: its cells}, each wrapped cell joined up again."""
    found: dict[str, list[str]] = {}
    cells: list[str] = []
    for line in listing.splitlines():
        parts = [part.strip() for part in line.split("│")[1:-1]]
        if not parts:
            continue
        if parts[0] and parts[1]:  # a row's first line: name and kind filled in
            cells = found.setdefault(parts[0], parts)
        elif cells:
            cells[:] = [f"{cell} {more}".strip() for cell, more in zip(cells, parts, strict=True)]
    return found


def test_radar_sources_shows_each_refusal_in_words(hostile_crawl):
    shown = table_rows(hostile_crawl["sources_listing"])
    assert shown["redirect:private"][-1].startswith("http://10.0.0.1/news/redirect.html: refused")
    assert (
        "10.0.0.1 is a private address, not in crawl.allow_private"
        in (shown["redirect:private"][-1])
    )
    assert "169.254.169.254 is the cloud metadata address" in shown["redirect:metadata"][-1]


def test_an_endless_redirect_chain_is_cut_off(hostile_crawl):
    row = source(hostile_crawl, "endless")
    assert "max redirections" in row["last_error"] and "/chain/" in row["last_error"]
    chain = [path for path in hostile_crawl["hits"] if path.startswith("/chain/")]
    assert len(chain) == 21, "the first request and 20 redirects (REDIRECT_MAX_TIMES)"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_compression_bomb_is_refused_at_the_size_limit(hostile_crawl, encoding):
    row = source(hostile_crawl, f"bomb:{encoding}")
    assert "exceeded DOWNLOAD_MAXSIZE" in row["last_error"], row["last_error"]
    assert f"/bomb/{encoding}.xml" in row["last_error"]


def test_a_compression_bomb_as_a_page_costs_only_that_page(hostile_crawl):
    row = source(hostile_crawl, "bomb-page")
    assert row["last_error"] is None and "DOWNLOAD_MAXSIZE" in row["last_item_error"]
    [kept] = items(hostile_crawl, "%/bomb/gzip.html")
    assert kept["summary_only"] == 1


def test_bombs_do_not_blow_up_the_crawlers_memory(hostile_crawl):
    """Three bombs of 256 MiB each: inflated, any one would add at least that to the peak."""
    grown = hostile_crawl["rss_mib"] - hostile_crawl["baseline_rss_mib"]
    print(
        f"peak RSS: hostile crawl {hostile_crawl['rss_mib']:.0f} MiB, "
        f"one good feed {hostile_crawl['baseline_rss_mib']:.0f} MiB"
    )
    assert grown < BOMB_MIB / 4


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("declared", "larger than download max size (1048576)"),  # Content-Length says so
        ("undeclared", "download stopped at the size limit (crawl.max_bytes)"),  # found reading
    ],
)
def test_a_body_over_the_size_limit_is_refused(hostile_crawl, name, words):
    error = source(hostile_crawl, f"big:{name}")["last_error"] or ""
    assert f"/big/{name}.xml" in error and words in error, error


def test_a_slow_drip_is_ended_by_the_download_timeout(hostile_crawl):
    """A byte a second for two minutes: the crawl finished long before, so the timeout did it."""
    row = source(hostile_crawl, "drip")
    assert "TimeoutError" in row["last_error"] and "/drip.xml" in row["last_error"]
    assert hostile_crawl["dripped"]["/drip.xml"] < 120


# The guard's rules, one by one: what counts as private and what allow_private opens.


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("172.16.0.1", "a private address"),
        ("100.64.0.1", "a non-public address"),  # carrier-grade NAT
        ("127.0.0.2", "a loopback address"),
        ("0.0.0.0", "an unspecified address"),
        ("169.254.10.1", "a link-local address"),
        ("169.254.169.254", "the cloud metadata address"),
        ("fd00:ec2::254", "the cloud metadata address"),
        ("224.0.0.1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("::ffff:10.0.0.1", "a private address"),  # IPv4-mapped: reaches 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "the cloud metadata address"),  # NAT64 of 169.254.169.254
        ("8.8.8.8", None),
        ("2a00:1450:4009:81f::200e", None),
    ],
)
def test_what_counts_as_not_public(address, kind):
    import ipaddress

    assert why_not_public(ipaddress.ip_address(address)) == kind


def test_allow_private_opens_networks_on_any_port_and_hosts_on_one():
    import ipaddress

    allowance = PrivateAllowance.from_entries(["10.1.0.0/16", "127.0.0.1:8765", "intranet:8080"])
    loopback, ten = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("10.1.2.3")
    assert refusal("10.1.2.3", 22, [ten], allowance) is None
    assert refusal("127.0.0.1", 8765, [loopback], allowance) is None
    assert refusal("localhost", 8765, [loopback], allowance) is None  # that address, that port
    assert "loopback" in refusal("127.0.0.1", 8766, [loopback], allowance)
    assert refusal("intranet", 8080, [ipaddress.ip_address("192.168.0.9")], allowance) is None
    assert "private" in refusal("intranet", 80, [ipaddress.ip_address("192.168.0.9")], allowance)
    public, private = ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.5")
    mixed = refusal("rebind.example", 80, [public, private], allowance)
    assert mixed == (
        "refused: rebind.example resolves to 10.0.0.5, a private address, "
        "not in crawl.allow_private"
    ), "one private address among public ones refuses the host"


def test_allow_private_never_opens_the_metadata_address_by_a_name_or_a_range():
    """An entry naming a host trusted whatever the host resolved to, the cloud metadata
    address (credentials) included; only an entry naming that address opens it now."""
    import ipaddress

    metadata = ipaddress.ip_address("169.254.169.254")
    mapped = ipaddress.ip_address("::ffff:169.254.169.254")
    by_name = PrivateAllowance.from_entries(["intranet:80", "169.254.0.0/16"])
    for address in (metadata, mapped):
        refused = refusal("intranet", 80, [address], by_name)
        assert refused and "the cloud metadata address" in refused, refused
    assert refusal("intranet", 80, [ipaddress.ip_address("169.254.1.1")], by_name) is None
    named = PrivateAllowance.from_entries(["169.254.169.254"])
    assert refusal("169.254.169.254", 80, [metadata], named) is None


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "localhost", "host:0", "host:http", "a b:80"])
def test_a_mistyped_allow_private_entry_is_an_error_naming_it(entry):
    with pytest.raises(ValueError, match="not an IP address|not a host name"):
        parse_allow_entry(entry)
    with pytest.raises(ValueError, match="crawl.allow_private"):  # refused at load, by name
        WatchList.model_validate({"crawl": {"allow_private": [entry]}})
    allowance = PrivateAllowance.from_entries([entry, "127.0.0.1:80"])
    assert allowance == PrivateAllowance((), frozenset({("127.0.0.1", 80)})), "fails closed"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://[::1", "malformed URL"),
        ("http://exa mple.org/", "not a host name"),
        ("http://example.org:99999/", "malformed URL"),
        ("http:///path-only", "no host"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("http://example.org/" + "a" * 3000, "longer than"),
    ],
)
def test_urls_the_guard_will_not_try(url, words):
    with pytest.raises(RequestRefused, match=words.replace("(", r"\(").replace(")", r"\)")):
        url_target(url)
    assert url_target("https://Example.ORG/news") == ("example.org", 443)


def test_the_resolver_refuses_private_addresses_at_connect_time():
    """DNS rebinding: the name answered the middleware with a public address, and answers the
    connection's lookup with a private one. A stand-in for DNS gives the second answer (no
    DNS server can be run here); the resolver is the one a crawl installs."""
    from scrapy.resolver import dnscache
    from twisted.internet.address import IPv4Address

    class Rebinding:  # the system resolver, answering what an attacker's DNS would
        def resolveHostName(self, receiver, host, port=0, *args):  # noqa: N802
            receiver.resolutionBegan(None)
            for address in ("93.184.215.14", "10.0.0.5"):
                receiver.addressResolved(IPv4Address("TCP", address, port))
            receiver.resolutionComplete()

    class Reactor:
        nameResolver = Rebinding()  # noqa: N815

    class Connection:  # what HostnameEndpoint passes: collects the addresses it may use
        def __init__(self) -> None:
            self.addresses: list[str] = []
            self.complete = False

        def resolutionBegan(self, resolution):  # noqa: N802
            pass

        def addressResolved(self, address):  # noqa: N802
            self.addresses.append(address.host)

        def resolutionComplete(self):  # noqa: N802
            self.complete = True

    limit = dnscache.limit
    dnscache.clear()
    resolver = GuardedResolver(Reactor(), 0, PrivateAllowance.from_entries([]))
    for _ in range(2):  # the second time from Scrapy's DNS cache: checked all the same
        connection = Connection()
        resolver.resolveHostName(connection, "rebind.example", 80)
        assert connection.complete and connection.addresses == ["93.184.215.14"]
    assert "10.0.0.5, a private address" in resolver.refusals[("rebind.example", 80)]
    dnscache.clear()
    dnscache.limit = limit


PROBE = textwrap.dedent(
    """
    import ipaddress, json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess
    import crawlers.guard
    from crawlers.settings import crawl_settings
    from domain.config import WatchList

    mode, urls = sys.argv[1], sys.argv[2:]
    watchlist = WatchList.model_validate({"crawl": {"retries": 0}})
    settings = crawl_settings(watchlist)
    settings["ROBOTSTXT_OBEY"] = False
    if mode == "no-middleware":
        # Only the resolver stands between the crawl and loopback.
        settings["DOWNLOADER_MIDDLEWARES"]["crawlers.guard.SsrfGuardMiddleware"] = None
    else:
        # Rebinding: DNS tells the middleware a public address, the connection loopback.
        public = [ipaddress.ip_address("93.184.215.14")]
        crawlers.guard._lookup = lambda host, port: public

    class Probe(scrapy.Spider):
        name = "probe"

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, errback=self.failed, dont_filter=True)

        def parse(self, response):
            print(json.dumps({"url": response.url, "status": response.status}))

        def failed(self, failure):
            print(json.dumps({"url": failure.request.url, "error": failure.getErrorMessage()}))

    process = CrawlerProcess(settings)
    process.crawl(Probe)
    process.start()
    """
)


def probe(mode: str, *urls: str, folder: Path) -> list[dict[str, Any]]:
    """A bare Scrapy crawl with the crawl's settings, in a child process (a fresh reactor)."""
    script = folder / "probe.py"
    script.write_text(PROBE, encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, str(script), mode, *urls],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_the_resolver_alone_keeps_a_crawl_off_loopback(canary, tmp_path):
    """The connect-time check in a real crawl, with the request-time check switched off."""
    port = canary.crawl_allowance.rsplit(":", 1)[1]
    urls = [f"http://127.0.0.1:{port}/x", f"http://localhost:{port}/y"]
    outcomes = probe("no-middleware", *urls, folder=tmp_path)
    assert dict(canary.hits) == {}
    assert len(outcomes) == 2, outcomes
    assert all("no results for hostname" in outcome.get("error", "") for outcome in outcomes)


def test_a_name_rebound_to_loopback_is_refused_when_connecting(canary, tmp_path):
    """DNS answers the request-time check with a public address and the connection with
    loopback: the connection is refused, and the error says why in words."""
    port = canary.crawl_allowance.rsplit(":", 1)[1]
    [outcome] = probe("rebind", f"http://localhost:{port}/z", folder=tmp_path)
    assert dict(canary.hits) == {}
    error = outcome["error"]  # 127.0.0.1 or ::1, whichever the system resolver gave last
    assert error.startswith("refused: localhost resolves to ") and "a loopback address" in error
    assert error.endswith("not in crawl.allow_private (when connecting)")
