"""The democracy-site directory: which system each English council runs its meetings on, and
where (Democracy Club's LGSF data, `crawlers/data/democracy_sites.csv`; see README, "Data").

`democracy_site(row)` turns a directory row into what a watch list needs: a `moderngov` or
`cmis` source at the site root, or the reason an admin has to find the meetings by hand
(a council's own custom pages, a JSON service no spider reads, no row at all).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from crawlers.sites import democracy_kind, democracy_root
from domain.watchfile import DemocracySite

DIRECTORY_FILE = "democracy_sites.csv"
# The directory's cms_type → the spider that reads it; other types need an admin.
_KINDS = {"ModernGov": "moderngov", "CMIS": "cmis"}


@dataclass(frozen=True)
class DirectoryRow:
    """One council's row, as Democracy Club recorded it."""

    gss_code: str
    name: str
    register_code: str
    cms_type: str  # ModernGov, CMIS, Custom HTML, JSON API
    councillors_url: str


@cache
def load_directory() -> dict[str, DirectoryRow]:
    """The packaged directory, by GSS code (read once per process)."""
    path = resources.files("crawlers") / "data" / DIRECTORY_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["gss_code"]: DirectoryRow(**row) for row in csv.DictReader(handle)}


def democracy_site(row: DirectoryRow) -> DemocracySite:
    """The source a directory row gives: ModernGov and CMIS sites at their root; "Custom
    HTML" rows whose URL is ModernGov-shaped (mgMemberIndex.aspx, a /moderngov folder) as
    ModernGov; anything else as needing an admin, with the URL to look at."""
    kind = _KINDS.get(row.cms_type)
    if kind is None and row.cms_type == "Custom HTML" and democracy_kind(row.councillors_url):
        kind = democracy_kind(row.councillors_url)
    if kind is None:
        if row.cms_type == "JSON API":
            reason = f"a JSON service no spider reads: {row.councillors_url}"
        else:
            reason = f"custom site: look at {row.councillors_url}"
        return DemocracySite(row.gss_code, row.name, reason=reason)
    return DemocracySite(
        row.gss_code, row.name, kind=kind, url=democracy_root(row.councillors_url, kind)
    )


def site_for(gss_code: str, name: str) -> DemocracySite:
    """The council's democracy site from the directory, or why there is none."""
    row = load_directory().get(gss_code)
    if row is None:
        return DemocracySite(gss_code, name, reason="not in Democracy Club's directory")
    return democracy_site(row)
