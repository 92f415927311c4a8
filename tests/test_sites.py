"""Council web addresses read by their shape (crawlers/sites.py), and the democracy-site
directory turned into watch-list sources (crawlers/directory.py): every row of the directory
gives a site root a spider can start from, or a reason an admin can act on."""

from __future__ import annotations

import csv
from collections import Counter
from importlib import resources

import pytest

from crawlers.directory import DirectoryRow, democracy_site, load_directory, site_for
from crawlers.sites import (
    democracy_kind,
    democracy_root,
    guess_kind,
    homepage_candidates,
    registrable_domain,
    same_site,
)

# Every distinct shape of democracy-site URL in the directory, and pages of those sites.
ROOTS = [
    # ModernGov: the host root, with or without a trailing slash, http or https
    (
        "https://democracy.adur-worthing.gov.uk",
        "moderngov",
        "https://democracy.adur-worthing.gov.uk/",
    ),
    ("http://democracy.arun.gov.uk", "moderngov", "http://democracy.arun.gov.uk/"),
    ("https://meetings.fdean.gov.uk/", "moderngov", "https://meetings.fdean.gov.uk/"),
    ("https://ashford.moderngov.co.uk", "moderngov", "https://ashford.moderngov.co.uk/"),
    # ModernGov in a folder
    (
        "https://www.southampton.gov.uk/moderngov",
        "moderngov",
        "https://www.southampton.gov.uk/moderngov/",
    ),
    ("https://www.rbkc.gov.uk/Committees", "moderngov", "https://www.rbkc.gov.uk/Committees/"),
    ("https://www.fenland.gov.uk/localgov/", "moderngov", "https://www.fenland.gov.uk/localgov/"),
    (
        "https://www.torbay.gov.uk/DemocraticServices/",
        "moderngov",
        "https://www.torbay.gov.uk/DemocraticServices/",
    ),
    # ModernGov pages: their folder
    (
        "https://cds.bromley.gov.uk/mgMemberIndex.aspx?FN=ALPHA&VW=LIST&PIC=0",
        "moderngov",
        "https://cds.bromley.gov.uk/",
    ),
    (
        "https://democracy.x.gov.uk/ieListMeetings.aspx?CommitteeId=5",
        "moderngov",
        "https://democracy.x.gov.uk/",
    ),
    (
        "https://democracy.x.gov.uk/ieListDocuments.aspx?CId=1&MId=2&Ver=4",
        "moderngov",
        "https://democracy.x.gov.uk/",
    ),
    (
        "https://x.moderngov.co.uk/mgCalendarMonthView.aspx?GL=1",
        "moderngov",
        "https://x.moderngov.co.uk/",
    ),
    (
        "https://www.southampton.gov.uk/moderngov/mgListCommittees.aspx",
        "moderngov",
        "https://www.southampton.gov.uk/moderngov/",
    ),
    (
        "https://democracy.x.gov.uk/mgWebService.asmx/GetCommittees",
        "moderngov",
        "https://democracy.x.gov.uk/",
    ),
    (
        "https://democracy.x.gov.uk/documents/s1234/Report.pdf",
        "moderngov",
        "https://democracy.x.gov.uk/",
    ),
    # CMIS: the DotNetNuke application folder, not the page
    (
        "https://cambridgeshire.cmis.uk.com/ccc_live/Councillors.aspx",
        "cmis",
        "https://cambridgeshire.cmis.uk.com/ccc_live/",
    ),
    (
        "https://democracy.derby.gov.uk/cmis5/Councillors/tabid/62/ScreenMode/Alphabetical/Default.aspx",
        "cmis",
        "https://democracy.derby.gov.uk/cmis5/",
    ),
    (
        "https://cmis.hullcc.gov.uk/cmis/CouncillorsandSeniorOfficers/CouncillorsandSeniorOfficers.aspx",
        "cmis",
        "https://cmis.hullcc.gov.uk/cmis/",
    ),
    (
        "https://www.nottinghamshire.gov.uk/dms/Councillors/tabid/63/ScreenMode/Alphabetical/Default.aspx",
        "cmis",
        "https://www.nottinghamshire.gov.uk/dms/",
    ),
    (
        "https://committees.sunderland.gov.uk/committees/cmis5/Members.aspx",
        "cmis",
        "https://committees.sunderland.gov.uk/committees/cmis5/",
    ),
    (
        "https://southstaffs.cmis.uk.com/Councillors.aspx",
        "cmis",
        "https://southstaffs.cmis.uk.com/",
    ),
    ("https://estates8.warwickdc.gov.uk/cmis/", "cmis", "https://estates8.warwickdc.gov.uk/cmis/"),
    (
        "http://cmis.essex.gov.uk/EssexCmis5/Councillors.aspx",
        "cmis",
        "http://cmis.essex.gov.uk/EssexCmis5/",
    ),
    (
        "http://democracy.luton.gov.uk/cmis5public/Councillors.aspx",
        "cmis",
        "http://democracy.luton.gov.uk/cmis5public/",
    ),
    (
        "https://cmis.norwich.gov.uk/live/Councillors.aspx",
        "cmis",
        "https://cmis.norwich.gov.uk/live/",
    ),
    (
        "https://great-yarmouth.cmis.uk.com/great-yarmouth/Councillors/tabid/63/ScreenMode/Alphabetical/Default.aspx",
        "cmis",
        "https://great-yarmouth.cmis.uk.com/great-yarmouth/",
    ),
    (
        "https://fylde.cmis.uk.com/fylde/CouncillorsandMP.aspx",
        "cmis",
        "https://fylde.cmis.uk.com/fylde/",
    ),
    (
        "https://democracy.derby.gov.uk/cmis5/Meetings/tabid/73/ctl/ViewMeetingPublic/mid/410/Meeting/7/Committee/2/Default.aspx",
        "cmis",
        "https://democracy.derby.gov.uk/cmis5/",
    ),
    (
        "https://cmis.dudley.gov.uk/cmis5/Document.ashx?czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=abc",
        "cmis",
        "https://cmis.dudley.gov.uk/cmis5/",
    ),
    # the first CMIS folder is the application; a CMIS-named folder under it is not
    (
        "http://cmis.essex.gov.uk/essexcmis5/CmisWebPublic/Binary.ashx?Document=27788",
        "cmis",
        "http://cmis.essex.gov.uk/essexcmis5/",
    ),
    (
        "https://www.x.gov.uk/CmisWebPublic/Meetings.aspx",
        "cmis",
        "https://www.x.gov.uk/CmisWebPublic/",
    ),
]


@pytest.mark.parametrize(("url", "kind", "root"), ROOTS)
def test_democracy_site_root_from_any_page_of_it(url, kind, root):
    assert democracy_root(url, kind) == root
    assert democracy_root(root, kind) == root, "a root is its own root"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://democracy.x.gov.uk/ieListMeetings.aspx?CommitteeId=5", "moderngov"),
        ("https://www.x.gov.uk/meetings/mgListCommittees.aspx", "moderngov"),
        ("https://democracy.x.gov.uk/ieListDocuments.aspx?CId=1&MId=2", "moderngov"),
        ("https://www.x.gov.uk/mgCalendarMonthView.aspx", "moderngov"),
        ("https://committees.exeter.gov.uk/mgMemberIndex.aspx?FN=ALPHA", "moderngov"),
        ("https://democracy.x.gov.uk/", "moderngov"),
        ("https://moderngov.x.gov.uk/", "moderngov"),
        ("https://x.moderngov.co.uk", "moderngov"),
        ("https://www.southampton.gov.uk/moderngov", "moderngov"),
        ("https://braintree.cmis.uk.com/braintree/Councillors.aspx", "cmis"),
        ("https://www.x.gov.uk/cmis/Committees.aspx", "cmis"),
        ("https://democracy.derby.gov.uk/CMIS5/Meetings.aspx", "cmis"),
        ("https://www.x.gov.uk/apps/Document.ashx?abc", "cmis"),
        (
            "https://www.x.gov.uk/dms/Meetings/tabid/70/ctl/ViewMeetingPublic/mid/397/Default.aspx",
            "cmis",
        ),
        ("https://www.x.gov.uk/news/rss", "feed"),
        ("https://www.x.gov.uk/news/feed.atom", "feed"),
        ("https://www.x.gov.uk/sitemap.xml", "sitemap"),
        ("https://www.x.gov.uk/robots.txt", "sitemap"),
        ("https://www.x.gov.uk/news/", "listing"),
        ("https://www.x.gov.uk/council-and-democracy/", "listing"),  # a CMS page, not ModernGov
        ("https://www.x.gov.uk/about/tabid/12/Default.aspx", "listing"),  # DotNetNuke, not CMIS
    ],
)
def test_guess_kind_reads_democracy_sites_first(url, kind):
    assert guess_kind(url) == kind


def directory_rows() -> list[dict[str, str]]:
    path = resources.files("crawlers") / "data" / "democracy_sites.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_directory_row_gives_a_root_or_a_reason():
    rows = directory_rows()
    assert len(rows) == 316 and len(load_directory()) == 316
    kinds: Counter[str | None] = Counter()
    for row in rows:
        site = democracy_site(DirectoryRow(**row))
        kinds[site.kind] += 1
        if site.url is None:
            assert row["cms_type"] in ("Custom HTML", "JSON API")
            assert row["councillors_url"] in (site.reason or ""), "the admin is shown the URL"
            continue
        assert site.url.endswith("/") and ".aspx" not in site.url.lower(), row
        assert "?" not in site.url and "#" not in site.url, row
        assert democracy_root(site.url, site.kind) == site.url, row
        assert site.source() == {
            "kind": site.kind,
            "name": f"{row['name']} meetings",
            "url": site.url,
        }
    # 271 ModernGov + 3 "Custom HTML" that are ModernGov (Bromley, Exeter, Southampton)
    assert kinds == {"moderngov": 274, "cmis": 21, None: 21}


def test_custom_sites_and_the_city_of_london_need_an_admin():
    birmingham = site_for("E08000025", "Birmingham")
    assert birmingham.url is None
    assert (
        birmingham.reason == "custom site: look at https://www.birmingham.gov.uk/councillors/name"
    )
    amber_valley = site_for("E07000032", "Amber Valley")
    assert amber_valley.url is None and "JSON" in (amber_valley.reason or "")
    city = site_for("E09000001", "City of London")
    assert city.url is None and city.reason == "not in Democracy Club's directory"
    southampton = site_for("E06000045", "Southampton")
    assert (southampton.kind, southampton.url) == (
        "moderngov",
        "https://www.southampton.gov.uk/moderngov/",
    )
    cambridgeshire = site_for("E10000003", "Cambridgeshire")
    assert cambridgeshire.source() == {
        "kind": "cmis",
        "name": "Cambridgeshire meetings",
        "url": "https://cambridgeshire.cmis.uk.com/ccc_live/",
    }


@pytest.mark.parametrize(
    ("url", "domain", "homepages"),
    [
        (
            "https://democracy.adur-worthing.gov.uk/",
            "adur-worthing.gov.uk",
            ["https://www.adur-worthing.gov.uk/", "https://adur-worthing.gov.uk/"],
        ),
        (
            "https://www.southampton.gov.uk/moderngov/",
            "southampton.gov.uk",
            ["https://www.southampton.gov.uk/", "https://southampton.gov.uk/"],
        ),
        (
            "https://cmis.hullcc.gov.uk/cmis/",
            "hullcc.gov.uk",
            ["https://www.hullcc.gov.uk/", "https://hullcc.gov.uk/"],
        ),
        ("https://cambridgeshire.cmis.uk.com/ccc_live/", None, []),  # a shared host
        ("https://ashford.moderngov.co.uk/", None, []),
        ("https://www.basildonmeetings.info/", "basildonmeetings.info", []),  # not gov.uk
        ("http://127.0.0.1:8080/democracy/", None, ["http://127.0.0.1:8080/"]),  # a test server
    ],
)
def test_homepage_from_the_councils_own_domain(url, domain, homepages):
    assert registrable_domain(url) == domain
    assert homepage_candidates(url) == homepages


def test_kind_of_a_url_is_none_when_it_is_no_democracy_site():
    assert democracy_kind("https://www.x.gov.uk/your-council/councillors/") is None


@pytest.mark.parametrize(
    "url",
    [
        "https://www.x.gov.uk/news/2024/community-cmis-launch",
        "https://www.x.gov.uk/news/2024/community-cmis-launch/",
        "https://www.x.gov.uk/services/dcmisc/",
    ],
)
def test_cmis_inside_a_word_is_not_a_cmis_site(url):
    assert democracy_kind(url) is None
    assert guess_kind(url) == "listing"


@pytest.mark.parametrize(
    ("url", "homepage", "same"),
    [
        ("https://news.x.gov.uk/feed/", "https://www.x.gov.uk/", True),  # one council
        ("https://x.gov.uk/rss", "https://www.x.gov.uk/home", True),
        ("https://www.neighbour.gov.uk/news/feed", "https://www.x.gov.uk/", False),
        ("https://www.bbc.co.uk/news", "https://www.x.gov.uk/", False),
        ("https://x.moderngov.co.uk/", "https://www.x.gov.uk/", False),  # a shared host
        ("http://127.0.0.1:8080/news/", "http://127.0.0.1:8080/", True),  # a test server
        ("http://127.0.0.1:8081/news/", "http://127.0.0.1:8080/", False),
    ],
)
def test_same_site_is_the_homepages_own_domain(url, homepage, same):
    assert same_site(url, homepage) is same
