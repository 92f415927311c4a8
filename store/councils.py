"""Councils and sources as the store keeps them (copied from the watch list on each run)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from radar.config import Council, Source


def sync_councils(db: Database, councils: Iterable[Council]) -> None:
    db["councils"].upsert_all(
        (
            {
                "gss_code": c.gss_code,
                "name": c.name,
                "official_name": c.official_name,
                "type": c.type,
                "region": c.region,
                "county": c.county,
                "aliases": json.dumps(c.aliases),
                "watched": int(c.watched),
            }
            for c in councils
        ),
        pk="gss_code",
    )


def sync_sources(db: Database, sources: Iterable[Source]) -> None:
    db["sources"].upsert_all(
        (
            {
                "id": s.id,
                "kind": s.kind,
                "origin": s.origin,
                "name": s.name,
                "url": s.url,
                "council": s.council,
            }
            for s in sources
        ),
        pk="id",
    )


def record_source_run(db: Database, source_id: str, **health: Any) -> None:
    """Record one crawl of a source: attempt time, success time, status, error, counts."""
    db["sources"].update(source_id, health)


def source_health(db: Database) -> list[dict[str, Any]]:
    return list(db.query("select * from sources order by origin, council, id"))

