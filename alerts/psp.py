"""The national Performance Support Panel report: councils with open concerns, by region,
with their status, the support under way and the latest evidence, then the radar's top
councils not yet under a concern. HTML and Markdown from the same data, and a map of
England's councils coloured by the week's score (alerts.maps), an SVG file written beside
them that the HTML shows and the Markdown links: an image the panel can also paste."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from alerts.digest import council_page_url
from alerts.regions import RegionView, map_councils
from alerts.render import environment
from alerts.scoring import compute_radar
from domain.config import REGIONS, RadarSettings
from store.concerns import concerns
from store.radar import latest_evidence

TOP_UNCONCERNED = 30


@dataclass
class PspReport:
    week: str
    generated_at: str
    by_region: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    not_under_concern: list[dict[str, Any]] = field(default_factory=list)
    map_svg: str = ""  # England's councils coloured by the week's score: a standalone SVG

    @property
    def map_file(self) -> str:
        """The map's file name, written beside the report (which refers to it by this)."""
        return f"psp-{self.week}-map.svg"

    @property
    def open_count(self) -> int:
        return sum(len(rows) for rows in self.by_region.values())


def build_psp(
    db: Database,
    settings: RadarSettings,
    week: str,
    generated_at: str,
    ui_base_url: str | None = None,
) -> PspReport:
    """The report for `week`. With `ui_base_url` (the watch list's `ui.base_url`) each
    council's name links to its page in `radar ui` (`page_url`), where the panel can see its
    weekly history and evidence; without it the names are plain text."""
    report = PspReport(week=week, generated_at=generated_at)
    under_concern = set()
    for row in concerns(db):
        row["evidence"] = latest_evidence(db, row["gss_code"])
        report.by_region.setdefault(row["region"], []).append(row)
        under_concern.add(row["gss_code"])
    report.by_region = {r: report.by_region[r] for r in REGIONS if r in report.by_region}
    radar = compute_radar(db, settings, week)
    report.not_under_concern = [
        row for row in radar.rows() if row["gss_code"] not in under_concern
    ][:TOP_UNCONCERNED]
    for row in [r for rows in report.by_region.values() for r in rows] + report.not_under_concern:
        row["page_url"] = council_page_url(ui_base_url, row["gss_code"]) if ui_base_url else ""
    # the map colours every council that scored, below the radar too, as `radar ui` does
    link = (lambda code: council_page_url(ui_base_url, code)) if ui_base_url else None
    england = RegionView(
        region=None,
        week=week,
        threshold=settings.on_radar,
        rows=[],
        councils=map_councils(db, radar.history_rows(), None, link),
    )
    report.map_svg = str(england.map_svg())
    return report


def render_psp(report: PspReport) -> tuple[str, str]:
    """(html, markdown)."""
    env = environment()
    return (
        env.get_template("psp.html").render(r=report),
        env.get_template("psp.md").render(r=report),
    )
