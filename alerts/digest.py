"""Build a region's weekly digest: councils with flagged items this ISO week, with evidence."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from pipelines.normalise import now_iso
from radar.config import FACTORS
from store.digests import flagged_items, source_problems

FACTOR_NAMES = {
    "leadership": "Leadership breakdown",
    "risky_change": "High-risk change",
    "disengagement": "Disengagement",
    "finance": "Financial difficulty",
}
EVIDENCE_PER_COUNCIL = 3


@dataclass
class Evidence:
    factors: list[str]
    headline: str
    url: str
    source: str
    published: str
    sentence: str
    page: int | None
    kind: str


@dataclass
class CouncilOnRadar:
    gss_code: str
    name: str
    factors: list[str] = field(default_factory=list)
    score: float = 0.0
    items: int = 0  # distinct stories, not URLs
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Digest:
    region: str
    week: str
    start: date
    end: date
    councils: list[CouncilOnRadar]
    source_problems: list[dict[str, Any]]
    generated_at: str

    @property
    def subject(self) -> str:
        count = len(self.councils)
        noun = "council" if count == 1 else "councils"
        return f"Council Radar — {self.region} — week {self.week}: {count} {noun} on the radar"


def current_week(now: datetime | None = None) -> str:
    year, week, _ = (now or datetime.now(UTC)).isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and the following Monday of an ISO week written YYYY-Www."""
    try:
        year, number = week.upper().split("-W")
        start = date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise ValueError(f"{week!r} is not an ISO week; write it like 2026-W48") from None
    return start, start + timedelta(days=7)


def _choose_evidence(rows: list[dict[str, Any]]) -> list[Evidence]:
    """Up to three items: the strongest item for each factor first, so every factor on the
    radar shows why; an item that shows several factors is listed once, with all of them,
    and a story syndicated to several outlets is shown once."""
    best_per_factor: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: -r["score"]):
        best_per_factor.setdefault(row["factor"], row)
    ordered = sorted(best_per_factor.values(), key=lambda r: -r["score"])
    ordered += sorted(rows, key=lambda r: -r["score"])
    chosen: dict[str, Evidence] = {}
    stories: set[str] = set()
    for candidate in ordered:
        item_id = candidate["item_id"]
        if candidate["story_id"] in stories or len(chosen) >= EVIDENCE_PER_COUNCIL:
            continue
        stories.add(candidate["story_id"])
        item_rows = [r for r in rows if r["item_id"] == item_id]
        best = max(item_rows, key=lambda r: r["score"])  # quote its most confident sentence
        chosen[item_id] = Evidence(
            factors=sorted({r["factor"] for r in item_rows}, key=FACTORS.index),
            headline=best["title"],
            url=best["url"],
            source=best["source_name"] or "",
            published=(best["published"] or "")[:10],
            sentence=best["evidence"] or "",
            page=best["page"],
            kind=best["kind"],
        )
    return list(chosen.values())


def build_digest(db: Database, region: str, week: str) -> Digest:
    """The digest of `region` for ISO `week`: councils ranked by how many factors, then score."""
    start, end = week_bounds(week)
    rows = flagged_items(db, region, f"{start}T00:00:00Z", f"{end}T00:00:00Z")
    councils: OrderedDict[str, CouncilOnRadar] = OrderedDict()
    seen_items: dict[str, set[str]] = {}
    for row in rows:
        council = councils.setdefault(
            row["gss_code"], CouncilOnRadar(row["gss_code"], row["council_name"])
        )
        seen_items.setdefault(row["gss_code"], set()).add(row["story_id"])  # a story counts once
        if row["factor"] not in council.factors:
            council.factors.append(row["factor"])
        council.score = max(council.score, row["score"])
    for code, council in councils.items():
        council.items = len(seen_items[code])
        council.factors.sort(key=FACTORS.index)
        council.evidence = _choose_evidence([r for r in rows if r["gss_code"] == code])
    ranked = sorted(councils.values(), key=lambda c: (-len(c.factors), -c.score, c.name))
    return Digest(
        region=region,
        week=week,
        start=start,
        end=end - timedelta(days=1),
        councils=ranked,
        source_problems=source_problems(db, region),
        generated_at=now_iso(),
    )
