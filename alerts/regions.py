"""The region and England views: this week's radar as a ranked table with a sparkline per
council, and a map of the councils coloured by this week's score (alerts.maps).

One API for `radar ui`'s `/region/<slug>` and `/england` (alerts.ui_regions) and the PSP
report's England map (alerts.psp), so the two colour councils the same way.

"This week" is the newest week the radar history holds (store.history), as on a council's
page: the view is a function of the store alone, and shows what the radar recorded rather
than a recomputation. Each sparkline covers the `SPARK_WEEKS` weeks up to it, a week the
council did not score in at zero, all on one scale so the rows compare.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlite_utils import Database

from alerts.acute import LABELS
from alerts.charts import sparkline_svg, sparkline_text
from alerts.deliver import region_slug
from alerts.maps import MapCouncil, council_map_svg
from alerts.scoring import shift_week
from domain.config import REGIONS, england_positions
from store.councils import current_councils
from store.history import recorded_weeks, weeks_rows

SPARK_WEEKS = 12


def region_of_slug(slug: str) -> str | None:
    """The region a URL names (`north-west`, as the Atom feeds spell it), or None."""
    return next((r for r in REGIONS if region_slug(r) == slug), None)


@dataclass
class RegionView:
    """A region's (or, with `region` None, England's) radar for its newest recorded week."""

    region: str | None
    week: str | None  # None: no week recorded yet
    threshold: float | None
    rows: list[dict[str, Any]]  # on the radar, ranked; each with `spark` (SPARK_WEEKS scores)
    councils: list[MapCouncil]  # every current council of the region (or England)
    spark_weeks: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.region or "England"

    @property
    def spark_top(self) -> float:
        """One scale for every sparkline in the table (at least 1)."""
        return max([v for row in self.rows for v in row["spark"]] + [1.0])

    def sparkline(self, row: dict[str, Any]) -> Markup:
        return sparkline_svg(
            row["spark"], top=self.spark_top, label=f"{row['council']}: weekly score"
        )

    def sparkline_text(self, row: dict[str, Any]) -> str:
        return sparkline_text(row["spark"], top=self.spark_top)

    def map_svg(self, width: int = 560) -> Markup:
        return council_map_svg(
            self.councils,
            england_positions(),
            title=f"{self.title}: councils coloured by radar score, week {self.week or 'none'}",
            width=width,
            radius=4.5 if self.region is None else 7.0,
        )

    @property
    def scored(self) -> int:
        return sum(1 for c in self.councils if c.score is not None)


def map_councils(
    db: Database,
    rows: Iterable[dict[str, Any]],
    region: str | None = None,
    link: Callable[[str], str] | None = None,
) -> list[MapCouncil]:
    """Every current council of `region` (None: England) as a map's dot, scored from `rows`
    (a week's radar rows, `Radar.history_rows` or store.history's, every council that
    scored); `link(gss_code)` gives the dot's link."""
    by_code = {row["gss_code"]: row for row in rows}
    councils = []
    for council in current_councils(db):
        if region is not None and council["region"] != region:
            continue
        row = by_code.get(council["gss_code"])
        councils.append(
            MapCouncil(
                gss_code=council["gss_code"],
                name=council["name"],
                region=council["region"],
                score=float(row["score"]) if row else None,
                on_radar=bool(row and row.get("on_radar", True)),
                trend=(row.get("trend") or "") if row else "",
                acute=[LABELS.get(a, a) for a in row.get("acute") or []] if row else [],
                href=link(council["gss_code"]) if link else "",
            )  # fmt: skip
        )
    return councils


def region_view(
    db: Database, region: str | None = None, link: Callable[[str], str] | None = None
) -> RegionView:
    """The view of `region` (None: England) for the newest recorded week."""
    recorded = recorded_weeks(db)
    if not recorded:
        return RegionView(region, None, None, [], map_councils(db, [], region, link))
    week = max(recorded)
    span = [shift_week(week, -k) for k in range(SPARK_WEEKS - 1, -1, -1)]
    history = weeks_rows(db, span)
    scores: dict[str, dict[str, float]] = {}
    for row in history:
        scores.setdefault(row["gss_code"], {})[row["week"]] = float(row["score"] or 0.0)
    this_week = [row for row in history if row["week"] == week and region in (None, row["region"])]
    ranked = []
    for row in this_week:
        if not row["on_radar"]:
            continue
        spark = [scores.get(row["gss_code"], {}).get(w, 0.0) for w in span]
        ranked.append({**row, "spark": spark,
                       "acute_labels": [LABELS.get(a, a) for a in row["acute"]]})  # fmt: skip
    return RegionView(
        region=region,
        week=week,
        threshold=recorded[week].get("threshold"),
        rows=ranked,
        councils=map_councils(db, this_week, region, link),
        spark_weeks=span,
    )
