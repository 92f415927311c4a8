"""What a council web address is, from its shape: the one place that knows URL shapes.

English councils' democracy sites run on a few systems whose addresses are recognisable:

- ModernGov (most councils): pages named `mg*.aspx` / `ie*.aspx` (mgListCommittees.aspx,
  ieListMeetings.aspx?CId=…, mgMemberIndex.aspx, mgCalendarMonthView.aspx), the web service
  `mgWebService.asmx`, documents under `documents/`, often on a host called `democracy.*`,
  `moderngov.*` or `<council>.moderngov.co.uk`, or in a `/moderngov` folder. The site to crawl
  is the folder that holds those pages (the spider asks for mgListCommittees.aspx there).
- CMIS (Civica, on DotNetNuke): an application folder (`/cmis5/`, `/ccc_live/`, `/dms/`, or the
  host root on `*.cmis.uk.com`) under which DotNetNuke puts page folders and friendly URLs
  (`Councillors/tabid/62/ScreenMode/Alphabetical/Default.aspx`, `…/ctl/ViewMeetingPublic/…`,
  `Document.ashx?…`). The site to crawl is the application folder. A CMIS folder's name starts
  with "cmis" or ends with "cmis" and a version (`cmis`, `CMIS5`, `cmis5public`, `EssexCmis5`,
  `CmisWebPublic`); "cmis" inside a word (`/news/community-cmis-launch`) is not one.

The CLI (`radar watch add`, `radar source test`, `radar discover`) and the crawlers share these
functions, so a page an admin pastes and a link discovery finds come out as the same source.
Pure functions of the URL: nothing here fetches anything.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from urllib.parse import SplitResult, urlsplit, urlunsplit

# ModernGov's page and service names: mgListCommittees.aspx, ieListDocuments.aspx, …
_MODERNGOV_PAGE = re.compile(r"^(mg|ie)[a-z0-9_]+\.(aspx|asmx)$", re.IGNORECASE)
_MODERNGOV_FOLDER = re.compile(r"^moderngov", re.IGNORECASE)  # /moderngov, /ModernGov/
_MODERNGOV_HOST_LABELS = ("democracy", "moderngov", "modgov")
_MODERNGOV_HOSTED = ".moderngov.co.uk"  # Civica's hosted ModernGov sites
_CMIS_HOSTED = ".cmis.uk.com"  # Civica's hosted CMIS sites
# cmis, cmis5, CMIS5, cmis5public, CmisWebPublic, EssexCmis5 (not community-cmis-launch)
_CMIS_FOLDER = re.compile(r"^cmis|cmis\d*$", re.IGNORECASE)
# DotNetNuke's friendly-URL markers: what follows them is a page, never the application.
_DNN_MARKERS = ("tabid", "ctl", "portals", "desktopmodules")
_CMIS_PAGE_MARKS = ("viewmeetingpublic", "viewcmis", "screenmode")
_FILE = re.compile(r"\.[a-z0-9]{2,5}$", re.IGNORECASE)  # Councillors.aspx, Document.ashx


def _parts(url: str) -> tuple[str, list[str]]:
    """(lower-cased host, path segments without empty ones)."""
    split = urlsplit(url.strip())
    return (split.hostname or "").lower(), [s for s in split.path.split("/") if s]


def is_moderngov(url: str) -> bool:
    """A ModernGov page, folder or host (see the module's docstring for the shapes)."""
    host, segments = _parts(url)
    if any(_MODERNGOV_PAGE.match(s) for s in segments):
        return True
    if any(_MODERNGOV_FOLDER.match(s) for s in segments):
        return True
    return host.endswith(_MODERNGOV_HOSTED) or host.split(".")[0] in _MODERNGOV_HOST_LABELS


def is_cmis(url: str) -> bool:
    """A CMIS page, folder or host: `*.cmis.uk.com`, `cmis.*`, a CMIS folder (`/cmis5/`),
    `Document.ashx`, or DotNetNuke's `/tabid/` with a CMIS module (ViewMeetingPublic…)."""
    host, segments = _parts(url)
    lowered = [s.lower() for s in segments]
    if host.endswith(_CMIS_HOSTED) or host.split(".")[0].startswith("cmis"):
        return True
    if any(_CMIS_FOLDER.search(s) for s in lowered):  # cmis5/, EssexCmis5/
        return True
    if "document.ashx" in lowered:
        return True
    query = urlsplit(url).query.lower()
    return "tabid" in lowered and any(m in "/".join(lowered) + query for m in _CMIS_PAGE_MARKS)


def democracy_kind(url: str) -> str | None:
    """The kind ("moderngov" or "cmis") of a democracy site's page, folder or host, else None.

    A ModernGov page name wins over everything (it is unmistakable); then CMIS marks, which
    win over a `democracy.*` host (Derby and Luton run CMIS on democracy.<council>.gov.uk).
    """
    host, segments = _parts(url)
    if any(_MODERNGOV_PAGE.match(s) for s in segments):
        return "moderngov"
    if is_cmis(url):
        return "cmis"
    if is_moderngov(url):
        return "moderngov"
    return None


def democracy_root(url: str, kind: str | None = None) -> str:
    """The site ROOT a democracy spider starts from, always ending in "/": for ModernGov the
    folder holding mgListCommittees.aspx, for CMIS the DotNetNuke application folder.

    `kind` defaults to `democracy_kind(url)`; query and fragment are dropped, the host is
    lower-cased, the path's case kept (IIS ignores it, but the admin's spelling stays).
    """
    kind = kind or democracy_kind(url) or "moderngov"
    split = urlsplit(url.strip())
    segments = [s for s in split.path.split("/") if s]
    folders = _cmis_folders(segments) if kind == "cmis" else _moderngov_folders(segments)
    path = "/" + "".join(f"{s}/" for s in folders)
    netloc = split.netloc.lower() if "@" not in split.netloc else split.netloc
    return urlunsplit((split.scheme.lower(), netloc, path, "", ""))


def _moderngov_folders(segments: list[str]) -> list[str]:
    """The folders above the first ModernGov page, service or documents folder."""
    for index, segment in enumerate(segments):
        lowered = segment.lower()
        if _MODERNGOV_PAGE.match(segment) or lowered == "documents":
            return segments[:index]
        if _MODERNGOV_FOLDER.match(segment):
            return segments[: index + 1]
    return segments[:-1] if segments and _FILE.search(segments[-1]) else segments


def _cmis_folders(segments: list[str]) -> list[str]:
    """The DotNetNuke application folders: drop the file, anything from a friendly-URL
    marker on (and the page name before `tabid`), then keep up to the first CMIS folder
    (`essexcmis5/CmisWebPublic/…` → `essexcmis5/`), or drop a page folder repeated as its
    file (`Name/Name.aspx`)."""
    stem = ""
    if segments and _FILE.search(segments[-1]):
        stem = segments[-1].rsplit(".", 1)[0].lower()
        segments = segments[:-1]
    for index, segment in enumerate(segments):
        if segment.lower() in _DNN_MARKERS:
            page_named = segment.lower() == "tabid" and index > 0
            segments = segments[:index]
            if page_named and not _CMIS_FOLDER.search(segments[-1]):
                segments = segments[:-1]  # Councillors/tabid/62 → the page "Councillors"
            break
    cmis = [i for i, s in enumerate(segments) if _CMIS_FOLDER.search(s)]
    if cmis:
        return segments[: cmis[0] + 1]
    if stem and segments and segments[-1].lower() == stem:
        return segments[:-1]
    return segments


def guess_kind(url: str) -> str:
    """A source kind from the shape of its URL: a democracy system, else sitemap, feed or
    (by default) a news listing page. An admin's `--kind` always overrides this guess."""
    kind = democracy_kind(url)
    if kind:
        return kind
    lowered = url.lower()
    path = urlsplit(lowered).path
    if path.endswith(("sitemap.xml", "robots.txt", ".xml.gz")) or "sitemap" in path:
        return "sitemap"
    if any(mark in lowered for mark in ("rss", "atom", "feed", ".xml")):
        return "feed"
    return "listing"


def site_url(url: str, kind: str) -> str:
    """The URL a source of this kind should have: a democracy site's root, else as given."""
    return democracy_root(url, kind) if kind in ("moderngov", "cmis") else url


# Hosts shared by many councils: their registrable domain is the host's, not a council's.
SHARED_DOMAINS = ("moderngov.co.uk", "cmis.uk.com", "www.gov.uk")


@cache
def _extractor():  # type: ignore[no-untyped-def]
    import tldextract

    # The bundled public-suffix snapshot only: no download, no cache file.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(url: str) -> str | None:
    """The domain a council registered (`adur-worthing.gov.uk` for
    democracy.adur-worthing.gov.uk), or None for an IP address, a single-label host, or a
    host shared by many councils (`*.moderngov.co.uk`, `*.cmis.uk.com`)."""
    host = (urlsplit(url.strip()).hostname or "").lower()
    if not host or any(host == d or host.endswith("." + d) for d in SHARED_DOMAINS):
        return None
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    parts = _extractor()(host)
    if not parts.suffix or not parts.domain:
        return None
    return f"{parts.domain}.{parts.suffix}"


def same_site(url: str, homepage: str) -> bool:
    """Whether `url` is on the homepage's own site: the same registrable domain
    (news.X.gov.uk and www.X.gov.uk are one council's), or for a homepage without one (an IP
    address, a single-label host) the same host and port. A shared host is nobody's own."""
    domain = registrable_domain(homepage)
    if domain is not None:
        return registrable_domain(url) == domain
    here, there = urlsplit(homepage.strip()), urlsplit(url.strip())
    return bool(here.hostname) and (here.hostname, _port(here)) == (there.hostname, _port(there))


def _port(split: SplitResult) -> int | None:
    try:
        return split.port or {"http": 80, "https": 443}.get(split.scheme.lower())
    except ValueError:  # a port out of range: no site
        return None


def homepage_candidates(url: str) -> list[str]:
    """Where a council's homepage probably is, given an address on its own domain (its
    democracy site, a councillors page): https://www.<domain>/ then https://<domain>/.

    A bare IP address or single-label host (an intranet mirror, a test server) can only
    mean its own root, kept with its scheme and port. Shared hosts (`*.moderngov.co.uk`,
    `*.cmis.uk.com`) and domains outside gov.uk (a meetings site on its own .info domain)
    say nothing about the homepage: [].
    """
    split = urlsplit(url.strip())
    host = (split.hostname or "").lower()
    domain = registrable_domain(url)
    if domain and domain.endswith(".gov.uk"):  # every English council's own site is on gov.uk
        return [f"https://www.{domain}/", f"https://{domain}/"]
    if host and "." not in host or _is_ip(host):
        return [urlunsplit((split.scheme, split.netloc, "/", "", ""))]
    return []


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
