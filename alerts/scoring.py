"""The radar: each council's weekly score per factor, against its own 12-week baseline.

How a week's score is made (all weights are watch-list settings, `radar:`):

- each flagged item about a council weighs `flag score x source weight x sentiment weight`:
  the council's own minutes and government notices count more than a media story or an
  alert, and a flag on upbeat news counts less than one on bad news;
- a story syndicated to several outlets counts once, at its heaviest copy;
- a factor's score is `1 - prod(1 - weight)` over its stories: one strong story is nearly
  enough, more stories push it towards 1, never past it;
- the council's score is the sum over the four factors (0 to 4): trouble on several fronts
  at once is what the papers single out.

A council is on the radar in a week when its score reaches `radar.on_radar`, or an acute
signal was raised about it. Its baseline is its mean score over the previous
`radar.baseline_weeks` weeks; the trend says whether this week's concerns are new (no flag
at all in the baseline), rising, steady or falling. Councils are ranked acute first, then by
score plus any rise above the baseline, so new and rising concerns come above chronic noise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from domain.config import FACTORS, RadarSettings
from store.councils import council_names, successors_of
from store.radar import alerts_between, flag_rows
from store.times import parse_iso

ARROWS = {"new": "▲ new", "rising": "▲", "steady": "▬", "falling": "▼"}


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and the following Monday of an ISO week written YYYY-Www."""
    try:
        year, number = week.upper().split("-W")
        start = date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise ValueError(f"{week!r} is not an ISO week; write it like 2026-W48") from None
    return start, start + timedelta(days=7)


def week_of(moment: date | datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def shift_week(week: str, weeks: int) -> str:
    return week_of(week_bounds(week)[0] + timedelta(weeks=weeks))


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def source_weight(settings: RadarSettings, origin: str | None, kind: str | None) -> float:
    """The council's own minutes and reports count as 'minutes', its other items as 'news'."""
    weights = settings.source_weights
    if origin == "council":
        key = "minutes" if kind in ("minutes", "report", "agenda", "document") else "news"
    else:
        key = origin or "media"
    return weights.get(key, weights.get("media", 0.7))


def item_weight(settings: RadarSettings, row: dict[str, Any]) -> float:
    sentiment = settings.sentiment_weights.get(row.get("sentiment") or "negative", 1.0)
    return float(row["score"]) * source_weight(settings, row["origin"], row["kind"]) * sentiment


def factor_scores(settings: RadarSettings, rows: list[dict[str, Any]]) -> dict[str, float]:
    """factor -> noisy-OR of its stories' weights (each story at its heaviest copy)."""
    best: dict[tuple[str, str], float] = {}
    for row in rows:
        key = (row["factor"], row["story_id"])
        best[key] = max(best.get(key, 0.0), item_weight(settings, row))
    remaining: dict[str, float] = defaultdict(lambda: 1.0)
    for (factor, _), weight in best.items():
        remaining[factor] *= 1.0 - min(weight, 1.0)
    return {f: round(1.0 - remaining[f], 4) for f in FACTORS if f in remaining}


@dataclass
class CouncilWeek:
    """One council in one week: its score, baseline, trend, acute signals and flag rows."""

    gss_code: str
    name: str
    region: str
    factors: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    baseline: float = 0.0
    baseline_factors: set[str] = field(default_factory=set)
    acute: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    on_radar: bool = False

    @property
    def stories(self) -> int:
        return len({r["story_id"] for r in self.rows})

    @property
    def new_factors(self) -> list[str]:
        return [f for f in self.factors if f not in self.baseline_factors]

    def trend(self, rising: float) -> str:
        if self.score > 0 and not self.baseline_factors:
            return "new"
        if self.score - self.baseline >= rising:
            return "rising"
        if self.baseline - self.score >= rising:
            return "falling"
        return "steady"

    def priority(self) -> tuple[int, float]:
        return (len(self.acute), self.score + max(0.0, self.score - self.baseline))


@dataclass
class Radar:
    """The radar for one week (optionally one region): who is on it, and who just left."""

    week: str
    region: str | None
    settings: RadarSettings
    councils: list[CouncilWeek]  # on the radar, ranked
    leaving: list[CouncilWeek]  # on the radar last week, not this week (as they are this week)
    alerts: list[dict[str, Any]]  # acute signals raised this week
    # every council with a score or an acute signal this week, on the radar or below it,
    # ranked the same way: the weekly history keeps them all, so a chart of a council's
    # score does not drop to nothing in the weeks it stayed under `radar.on_radar`
    scored: list[CouncilWeek] = field(default_factory=list)

    def trend(self, council: CouncilWeek) -> str:
        return council.trend(self.settings.rising)

    def rows(self) -> list[dict[str, Any]]:
        """The councils on the radar as plain rows (`radar radar --json`, the UI, reports)."""
        return [self.row(council) for council in self.councils]

    def history_rows(self) -> list[dict[str, Any]]:
        """Every scored council as a row, with `on_radar`: what the weekly history keeps.
        The councils on the radar come out exactly as `rows()` gives them."""
        return [{**self.row(c), "on_radar": c.on_radar} for c in self.scored]

    def row(self, council: CouncilWeek) -> dict[str, Any]:
        top = max(council.rows, key=lambda r: r["score"]) if council.rows else None
        return {
            "week": self.week,
            "council": council.name,
            "gss_code": council.gss_code,
            "region": council.region,
            "score": council.score,
            "baseline": council.baseline,
            "trend": self.trend(council),
            "factors": {f: council.factors[f] for f in FACTORS if f in council.factors},
            "stories": council.stories,
            "acute": sorted({a["signal"] for a in council.acute}),
            "priority": round(council.priority()[1], 4),
            "top_headline": top["title"] if top else None,
            "top_url": top["url"] if top else None,
        }


def compute_radar(
    db: Database, settings: RadarSettings, week: str, region: str | None = None
) -> Radar:
    """Score every council with flagged items in `week` and the `baseline_weeks` before it."""
    start, end = week_bounds(week)
    week = week_of(start)  # '2026-w48' as '2026-W48'
    first = start - timedelta(weeks=settings.baseline_weeks)
    successors = successors_of(db)
    if successors:  # a successor may be in the region while its predecessor's rows are not
        rows = _follow_successors(db, successors, flag_rows(db, _stamp(first), _stamp(end)), region)
    else:
        rows = flag_rows(db, _stamp(first), _stamp(end), region)
    alerts = alerts_between(db, _stamp(start - timedelta(weeks=1)), _stamp(end), region)
    last_week = shift_week(week, -1)
    by_council_week: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    names: dict[str, tuple[str, str]] = {}
    for row in rows:
        by_council_week[(row["gss_code"], week_of(parse_iso(row["radar_at"])))].append(row)
        names[row["gss_code"]] = (row["council_name"], row["region"])
    for alert in alerts:
        names.setdefault(alert["gss_code"], (alert["council_name"], alert["region"]))

    # Each council-week's factor scores and acute signals, worked out once: the baselines of
    # all councils and last week's radar read the same weeks again and again.
    scores = {key: factor_scores(settings, found) for key, found in by_council_week.items()}
    acute: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for alert in alerts:
        acute[(alert["gss_code"], week_of_stamp(alert))].append(alert)

    def on_radar_in(code: str, which: str) -> bool:
        total = sum(scores.get((code, which), {}).values())
        return total >= settings.on_radar or bool(acute.get((code, which)))

    history = [shift_week(week, -k) for k in range(1, settings.baseline_weeks + 1)]
    this_week = {}
    for code, (name, region_name) in names.items():
        found = CouncilWeek(code, name, region_name, rows=by_council_week.get((code, week), []))
        found.factors = scores.get((code, week), {})
        found.score = round(sum(found.factors.values()), 4)
        found.acute = acute.get((code, week), [])
        past = [scores.get((code, w), {}) for w in history]
        found.baseline = round(sum(sum(p.values()) for p in past) / len(history), 4)
        found.baseline_factors = {f for p in past for f in p}
        found.on_radar = on_radar_in(code, week)
        this_week[code] = found
    scored = sorted(
        (c for c in this_week.values() if c.on_radar or c.score > 0 or c.acute),
        key=lambda c: (-c.priority()[0], -c.priority()[1], c.name),
    )
    on_radar = [c for c in scored if c.on_radar]
    leaving = sorted(
        (c for c in this_week.values() if not c.on_radar and on_radar_in(c.gss_code, last_week)),
        key=lambda c: c.name,
    )
    return Radar(
        week=week,
        region=region,
        settings=settings,
        councils=on_radar,
        leaving=leaving,
        alerts=[a for a in alerts if week_of_stamp(a) == week],
        scored=scored,
    )


def _follow_successors(
    db: Database,
    successors: dict[str, tuple[list[str], str]],
    rows: list[dict[str, Any]],
    region: str | None,
) -> list[dict[str, Any]]:
    """A reorganised council's items count for its successor(s) on the radar (its own items
    stay attributed to it in the store), so the successor's baseline carries its history."""
    if successors:
        names = {code: (c["name"], c["region"]) for code, c in council_names(db).items()}
        followed = []
        for row in rows:
            if row["gss_code"] not in successors:
                followed.append(row)
                continue
            for code in successors[row["gss_code"]][0]:
                name, region_name = names[code]
                followed.append(
                    {**row, "gss_code": code, "council_name": name, "region": region_name}
                )
        rows = followed
    return [r for r in rows if region is None or r["region"] == region]


def week_of_stamp(alert: dict[str, Any]) -> str:
    return week_of(parse_iso(alert["raised_at"]))
