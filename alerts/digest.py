"""Build a region's weekly digest: the councils on its radar this ISO week, with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from sqlite_utils import Database

from alerts.acute import LABELS
from alerts.scoring import ARROWS, CouncilWeek, compute_radar, week_bounds, week_of
from domain.config import FACTORS, RadarSettings
from pipelines.normalise import now_iso
from store.concerns import concerns
from store.digests import source_problems

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
    found: str = ""  # the day it was first found
    date_note: str | None = None  # its date was suspect: it counts in the week it was found
    item_id: str = ""
    feedback_url: str = ""  # the UI's page to say "not right" (with `ui.base_url` set)


@dataclass
class CouncilOnRadar:
    gss_code: str
    name: str
    factors: list[str] = field(default_factory=list)
    score: float = 0.0
    items: int = 0  # distinct stories, not URLs
    evidence: list[Evidence] = field(default_factory=list)
    trend: str = "new"  # new, rising, steady, falling (see alerts.scoring)
    baseline: float = 0.0
    new_factors: list[str] = field(default_factory=list)
    acute: list[str] = field(default_factory=list)  # labels of acute signals this week
    concern: str | None = None  # the status of an open concern, if the adviser has one

    @property
    def arrow(self) -> str:
        return ARROWS[self.trend]


@dataclass
class AcuteLine:
    council: str
    label: str
    raised_at: str
    headline: str
    url: str
    sentence: str


@dataclass
class Digest:
    region: str
    week: str
    start: date
    end: date
    councils: list[CouncilOnRadar]
    source_problems: list[dict[str, Any]]
    generated_at: str
    alerts: list[AcuteLine] = field(default_factory=list)
    leaving: list[CouncilOnRadar] = field(default_factory=list)
    baseline_weeks: int = 12

    @property
    def subject(self) -> str:
        count = len(self.councils)
        noun = "council" if count == 1 else "councils"
        return f"Council Radar — {self.region} — week {self.week}: {count} {noun} on the radar"


def current_week(now: datetime | None = None) -> str:
    return week_of(now or datetime.now(UTC))


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
            found=(best.get("first_seen") or "")[:10],
            date_note=best.get("date_note"),
            item_id=item_id,
        )
    return list(chosen.values())


def _on_radar(council: CouncilWeek, trend: str) -> CouncilOnRadar:
    return CouncilOnRadar(
        gss_code=council.gss_code,
        name=council.name,
        factors=sorted(council.factors, key=FACTORS.index),
        score=council.score,
        items=council.stories,
        evidence=_choose_evidence(council.rows) if council.rows else [],
        trend=trend,
        baseline=council.baseline,
        new_factors=sorted(council.new_factors, key=FACTORS.index),
        acute=list(dict.fromkeys(LABELS.get(a["signal"], a["signal"]) for a in council.acute)),
    )


def build_digest(
    db: Database, settings: RadarSettings, region: str, week: str, ui_base_url: str | None = None
) -> Digest:
    """The digest of `region` for ISO `week`: the radar (see alerts.scoring), ranked. With
    `ui_base_url`, each piece of evidence links to its feedback page in `radar ui`."""
    radar = compute_radar(db, settings, week, region)
    start, end = week_bounds(week)
    open_concerns = {
        c["gss_code"]: f"concern #{c['id']}: {c['status_label']} since {c['updated_at'][:10]}"
        for c in concerns(db, region)
    }
    on_radar = [_on_radar(c, radar.trend(c)) for c in radar.councils]
    for council in on_radar:
        council.concern = open_concerns.get(council.gss_code)
        for evidence in council.evidence if ui_base_url else ():
            query = urlencode({"not_factor": ",".join(evidence.factors)})
            evidence.feedback_url = f"{ui_base_url}/-/feedback/{quote(evidence.item_id)}?{query}"
    return Digest(
        region=region,
        week=week,
        start=start,
        end=end - timedelta(days=1),
        councils=on_radar,
        source_problems=source_problems(db, region),
        generated_at=now_iso(),
        alerts=[
            AcuteLine(
                council=a["council_name"],
                label=LABELS.get(a["signal"], a["signal"]),
                raised_at=a["raised_at"][:10],
                headline=a["title"] or "",
                url=a["url"] or "",
                sentence=a["evidence"] or "",
            )
            for a in radar.alerts
        ],
        leaving=[_on_radar(c, radar.trend(c)) for c in radar.leaving],
        baseline_weeks=settings.baseline_weeks,
    )
