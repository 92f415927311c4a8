"""A council's page: who it is, its weekly radar over the last year, the items behind each
flagged week, and its sources' health. One API for `radar council` (terminal, JSON) and
`radar ui`'s `/council/<gss>` (alerts.ui_council), so both say the same thing.

The weeks come from the recorded weekly history (store.history), not recomputed: the chart
shows what the radar said each week. The year ends at the newest week recorded, not at
today's date, so the page is a function of the store alone.

Concern status is left out of this API on purpose: concerns are confidential to the
region's advisers. `radar ui` adds it to the page only for a signed-in user whom the watch
list names as an adviser of the council's region (alerts.ui_council); everyone else, and
the terminal, get `concern_note` instead, so the page says why rather than showing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from alerts.acute import LABELS
from alerts.charts import ChartWeek, factor_chart_svg, sparkline_svg, sparkline_text
from alerts.digest import FACTOR_NAMES
from alerts.scoring import shift_week, week_bounds
from domain.config import FACTORS
from store.council_page import council_record, council_sources, flagged_items
from store.history import council_history, recorded_weeks

CHART_WEEKS = 52
FLAGGED_WEEKS_SHOWN = 12  # the newest flagged weeks listed with their items
ITEMS_PER_WEEK = 10
CONCERN_NOTE = (
    "Concern status is not shown here: concerns are confidential to the region's advisers, "
    "who see it here signed in to radar ui (their login: in the watch list) or with "
    "radar concern list."
)


@dataclass
class FlaggedItem:
    """One item behind a flagged week, with each factor it was flagged for and why."""

    item_id: str
    title: str
    url: str
    published: str
    source: str
    factors: list[dict[str, Any]] = field(default_factory=list)  # factor, score, evidence, page
    date_note: str | None = None


@dataclass
class FlaggedWeek:
    week: str
    score: float
    factors: dict[str, float]
    acute: list[str]  # labels
    on_radar: bool
    items: list[FlaggedItem] = field(default_factory=list)
    more: int = 0  # items not listed (beyond ITEMS_PER_WEEK)


@dataclass
class CouncilPage:
    council: dict[str, Any]  # store.council_page.council_record
    weeks: list[ChartWeek]  # the chart's weeks, oldest first (empty: no history recorded)
    threshold: float | None  # radar.on_radar as recorded with the newest week
    flagged: list[FlaggedWeek]  # newest first, at most FLAGGED_WEEKS_SHOWN
    flagged_total: int  # flagged weeks in the chart's span
    sources: list[dict[str, Any]]
    concern_note: str = CONCERN_NOTE

    @property
    def name(self) -> str:
        return self.council["name"]

    @property
    def first_week(self) -> str | None:
        return self.weeks[0].week if self.weeks else None

    @property
    def last_week(self) -> str | None:
        return self.weeks[-1].week if self.weeks else None

    def chart(self) -> Any:
        """The chart as inline SVG markup (alerts.charts)."""
        return factor_chart_svg(
            self.weeks,
            threshold=self.threshold,
            title=f"{self.name}: weekly radar score by factor, {self.first_week} to "
            f"{self.last_week}",
            factor_names=FACTOR_NAMES,
        )

    def sparkline(self) -> Any:
        return sparkline_svg([w.score for w in self.weeks], top=4.0)

    def sparkline_text(self) -> str:
        return sparkline_text([w.score for w in self.weeks], top=4.0)

    def as_json(self) -> dict[str, Any]:
        """Everything on the page as plain data (`radar council --json`)."""
        return {
            "council": self.council,
            "threshold": self.threshold,
            "weeks": [
                {
                    "week": w.week,
                    "score": round(w.score, 4),
                    "factors": w.factors,
                    "acute": w.acute,
                    "on_radar": w.on_radar,
                }
                for w in self.weeks
            ],  # fmt: skip
            "flagged_weeks": [
                {
                    **{k: v for k, v in vars(f).items() if k != "items"},
                    "items": [vars(i) for i in f.items],
                }
                for f in self.flagged
            ],  # fmt: skip
            "flagged_weeks_total": self.flagged_total,
            "sources": self.sources,
            "concerns": self.concern_note,
        }


def _stamp(week: str, end: bool = False) -> str:
    return f"{week_bounds(week)[1 if end else 0].isoformat()}T00:00:00Z"


def council_page(db: Database, gss_code: str, weeks: int = CHART_WEEKS) -> CouncilPage | None:
    """The council's page, or None if the store has no such council. The chart covers the
    `weeks` weeks up to the newest recorded week (every week, a quiet one at zero)."""
    council = council_record(db, gss_code)
    if council is None:
        return None
    recorded = recorded_weeks(db)
    history = {row["week"]: row for row in council_history(db, gss_code)}
    span: list[str] = []
    if recorded:
        last = max(recorded)
        span = [shift_week(last, -k) for k in range(weeks - 1, -1, -1)]
    chart = []
    for week in span:
        row = history.get(week)
        chart.append(
            ChartWeek(
                week=week,
                factors={f: row["factors"][f] for f in FACTORS if row["factors"].get(f)}
                if row
                else {},
                acute=[LABELS.get(a, a) for a in row["acute"]] if row else [],
                on_radar=bool(row and row["on_radar"]),
            )  # fmt: skip
        )
    flagged_weeks = [w for w in reversed(chart) if w.score > 0 or w.acute]
    shown = flagged_weeks[:FLAGGED_WEEKS_SHOWN]
    flagged = []
    if shown:
        codes = [gss_code, *(p["gss_code"] for p in council["predecessors"])]
        rows = flagged_items(db, codes, _stamp(shown[-1].week), _stamp(shown[0].week, end=True))
        for week in shown:
            start, end = _stamp(week.week), _stamp(week.week, end=True)
            items: dict[str, FlaggedItem] = {}
            for row in rows:
                if not start <= row["radar_at"] < end:
                    continue
                item = items.setdefault(
                    row["item_id"],
                    FlaggedItem(
                        item_id=row["item_id"], title=row["title"] or "(no title)",
                        url=row["url"] or "", published=(row["published"] or "")[:10],
                        source=row["source_name"] or "", date_note=row["date_note"],
                    ),
                )  # fmt: skip
                if all(f["factor"] != row["factor"] for f in item.factors):
                    keys = ("factor", "score", "evidence", "page")
                    item.factors.append({k: row[k] for k in keys})
            ordered = sorted(items.values(), key=lambda i: -max(f["score"] for f in i.factors))
            flagged.append(
                FlaggedWeek(
                    week=week.week,
                    score=week.score,
                    factors=week.factors,
                    acute=week.acute,
                    on_radar=week.on_radar,
                    items=ordered[:ITEMS_PER_WEEK],
                    more=max(0, len(ordered) - ITEMS_PER_WEEK),
                )  # fmt: skip
            )
    threshold = recorded[max(recorded)].get("threshold") if recorded else None
    return CouncilPage(
        council=council,
        weeks=chart,
        threshold=threshold,
        flagged=flagged,
        flagged_total=len(flagged_weeks),
        sources=council_sources(db, gss_code),
    )
