"""Democracy sites' re-crawl state: what lets a daily crawl of a ModernGov or CMIS site ask
for a page only when it may have changed (crawlers.meetings).

Two tables (store.db.TABLES): `meeting_sites`, one row per source (when its committee lists
were last walked; what its change signal needs, as JSON: CMIS's list view address, the
calendar's validators), and `meeting_checks`, one row per meeting page (when it was last
read, its ETag and Last-Modified, and the documents it listed, so that a 304 still lets a
crawl ask for a document it has not stored). Whether a meeting's minutes are stored is not
kept here: the items table says so (store.items.meetings_with_minutes).

Written by the spider when its crawl ran to the end (`save_meeting_state`): a crawl stopped
early keeps the previous state, and its meetings are asked for again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from store.db import write_transaction


@dataclass
class MeetingCheck:
    """One meeting page as last read: `documents` are its wanted documents as
    [url, label, type] lists."""

    url: str
    source_id: str
    committee: str = ""
    meeting_date: str | None = None
    checked: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    documents: list[list[str]] = field(default_factory=list)


@dataclass
class SiteState:
    """One democracy source: when its committee lists were last walked, its signal's state,
    and its meetings' checks (canonical URL -> check)."""

    source_id: str
    walked: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    meetings: dict[str, MeetingCheck] = field(default_factory=dict)


def load_meeting_state(db: Database) -> dict[str, SiteState]:
    """Every democracy source's state, by source id."""
    sites: dict[str, SiteState] = {}
    for row in db["meeting_sites"].rows:
        sites[row["source_id"]] = SiteState(
            row["source_id"], row["walked"], json.loads(row["state"] or "{}")
        )
    for row in db["meeting_checks"].rows:
        site = sites.setdefault(row["source_id"], SiteState(row["source_id"]))
        site.meetings[row["canonical_url"]] = MeetingCheck(
            url=row["url"],
            source_id=row["source_id"],
            committee=row["committee"] or "",
            meeting_date=row["meeting_date"],
            checked=row["checked"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            documents=json.loads(row["documents"] or "[]"),
        )
    return sites


def save_meeting_state(
    db: Database, sites: list[SiteState], checks: dict[str, MeetingCheck]
) -> None:
    """Store the sources' state (their `meetings` are not read: `checks`, by canonical URL,
    are the meeting pages read in this crawl), in one transaction."""
    with write_transaction(db):
        if sites:
            db["meeting_sites"].upsert_all(
                [
                    {
                        "source_id": site.source_id,
                        "walked": site.walked,
                        "state": json.dumps(site.state, sort_keys=True),
                    }
                    for site in sites
                ],
                pk="source_id",
            )
        if checks:
            db["meeting_checks"].upsert_all(
                [
                    {
                        "canonical_url": key,
                        "url": check.url,
                        "source_id": check.source_id,
                        "committee": check.committee,
                        "meeting_date": check.meeting_date,
                        "checked": check.checked,
                        "etag": check.etag,
                        "last_modified": check.last_modified,
                        "documents": json.dumps(check.documents),
                    }
                    for key, check in checks.items()
                ],
                pk="canonical_url",
            )
