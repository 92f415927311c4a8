"""Build a region's weekly digest: the councils on its radar this ISO week, with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from alerts.acute import LABELS
from alerts.charts import sparkline_text
from alerts.scoring import ARROWS, CouncilWeek, compute_radar, shift_week, week_bounds, week_of
from domain.config import FACTORS, RadarSettings
from store.concerns import concerns
from store.digests import source_problems
from store.history import council_history, recorded_weeks
from store.times import parse_iso, stamp

FACTOR_NAMES = {
    "leadership": "Leadership breakdown",
    "risky_change": "High-risk change",
    "disengagement": "Disengagement",
    "finance": "Financial difficulty",
}
EVIDENCE_PER_COUNCIL = 3
SPARK_WEEKS = 12  # the trend line: this week and the eleven before it, oldest first
SPARK_TOP = 4.0  # the score at the top of every sparkline (as on the council page)
DISPLAY_TIMEZONE = "Europe/London"  # the schedule's default zone: advisers read UK time


def local_time(value: str, zone: str = DISPLAY_TIMEZONE) -> datetime:
    """A stored UTC stamp in the zone advisers read it in: the store keeps UTC so stamps
    compare as strings, but "raised 23:30 UTC" is half past midnight in a British summer."""
    return parse_iso(value).astimezone(ZoneInfo(zone))


def page_link(url: str, page: int | None) -> str:
    """The evidence's link, opening the cited page of a PDF (`#page=N`, which the PDF viewers
    of Chromium, Firefox and Acrobat follow): evidence quoted from page 37 of a 90-page
    report is otherwise a hunt. Only PDFs carry a page; a link with its own fragment keeps it."""
    if not url or page is None or urlsplit(url).fragment:
        return url
    return f"{url}#page={page}"


def council_page_url(base_url: str, gss_code: str) -> str:
    """Where `radar ui` shows everything about one council: its page, `/council/<gss>`
    (alerts.ui_council). The one place a mail or report builds this address."""
    return f"{base_url}/council/{quote(gss_code, safe='')}"


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

    @property
    def link(self) -> str:
        return page_link(self.url, self.page)


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
    more_url: str = ""  # where the stories not shown are (with `ui.base_url` set)
    page_url: str = ""  # the council's page in `radar ui` (with `ui.base_url` set)
    # Its score in the last SPARK_WEEKS weeks, oldest first, from the weekly history (None:
    # a week not recorded); empty when the history holds none of the weeks before this one.
    history: list[float | None] = field(default_factory=list)

    @property
    def spark(self) -> str:
        """The trend as Unicode blocks, for both parts of the mail: Gmail and Outlook drop
        inline SVG and we ship no PNG renderer, while text reaches every client."""
        return sparkline_text(self.history, top=SPARK_TOP) if self.history else ""

    @property
    def arrow(self) -> str:
        return ARROWS[self.trend]

    @property
    def more(self) -> int:
        """Stories counted but not shown as evidence (both count distinct stories)."""
        return max(0, self.items - len(self.evidence))


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
    timezone: str = DISPLAY_TIMEZONE  # the zone its times are shown in (schedule.timezone)

    @property
    def subject(self) -> str:
        count = len(self.councils)
        noun = "council" if count == 1 else "councils"
        return f"Council Radar — {self.region} — week {self.week}: {count} {noun} on the radar"

    @property
    def quiet(self) -> bool:
        """Nothing to tell: no council on the radar, no acute signal, none leaving it. In an
        adviser's email such a region is one line."""
        return not (self.councils or self.alerts or self.leaving)


@dataclass
class DigestMail:
    """One adviser's weekly email: a section per region they cover (issue #18), so an
    adviser with three regions gets one email, not three with two saying "0 councils". A
    single region's preview (`radar digest --region R --preview`) is one with one section."""

    week: str
    start: date
    end: date
    sections: list[Digest]
    generated_at: str
    timezone: str = DISPLAY_TIMEZONE
    recipient: str = ""  # the adviser's address ("" for a region's preview)
    adviser: str = ""  # their name

    @property
    def regions(self) -> list[str]:
        return [section.region for section in self.sections]

    @property
    def councils(self) -> list[CouncilOnRadar]:
        return [c for section in self.sections for c in section.councils]

    @property
    def empty(self) -> bool:
        """Nothing anywhere: the short "nothing on the radar this week" (or, with
        `schedule.empty_digest: skip`, no email)."""
        return all(section.quiet for section in self.sections)

    @property
    def baseline_weeks(self) -> int:
        return self.sections[0].baseline_weeks if self.sections else 12

    @property
    def source_problems(self) -> list[dict[str, Any]]:
        """Every section's failing sources once: a source shared by all regions (a national
        feed) would otherwise be listed in each."""
        seen: dict[Any, dict[str, Any]] = {}
        for section in self.sections:
            for source in section.source_problems:
                seen.setdefault(source.get("id") or source.get("url"), source)
        return list(seen.values())

    @property
    def subject(self) -> str:
        where = ", ".join(self.regions)
        if self.empty:
            return f"Council Radar — {where} — week {self.week}: nothing on the radar this week"
        count = len(self.councils)
        noun = "council" if count == 1 else "councils"
        return f"Council Radar — {where} — week {self.week}: {count} {noun} on the radar"


def digest_mail(sections: list[Digest], recipient: str = "", adviser: str = "") -> DigestMail:
    """The email of `sections` (one region's digest each, all of the same week)."""
    first = sections[0]
    return DigestMail(
        week=first.week, start=first.start, end=first.end, sections=sections,
        generated_at=first.generated_at, timezone=first.timezone, recipient=recipient,
        adviser=adviser,
    )  # fmt: skip


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


def _linked(council: CouncilOnRadar, ui_base_url: str | None) -> CouncilOnRadar:
    if ui_base_url:
        council.page_url = council_page_url(ui_base_url, council.gss_code)
    return council


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


def _history(db: Database, council: CouncilOnRadar, week: str) -> list[float | None]:
    """The council's score in the SPARK_WEEKS weeks to `week`, from the weekly history
    (store.history), this week's as the digest computed it; a recorded week it did not
    score in is 0, one never recorded None. Empty if none of the earlier weeks is recorded:
    one block is no trend."""
    weeks = [shift_week(week, n) for n in range(1 - SPARK_WEEKS, 1)]
    recorded = recorded_weeks(db)
    if not any(w in recorded for w in weeks[:-1]):
        return []
    scores = {row["week"]: row["score"] for row in council_history(db, council.gss_code)}
    values: list[float | None] = [scores.get(w, 0.0) if w in recorded else None for w in weeks[:-1]]
    return [*values, council.score]


def build_digest(
    db: Database,
    settings: RadarSettings,
    region: str,
    week: str,
    ui_base_url: str | None = None,
    *,
    timezone: str = DISPLAY_TIMEZONE,
    now: datetime | None = None,
) -> Digest:
    """The digest of `region` for ISO `week`: the radar (see alerts.scoring), ranked. With
    `ui_base_url`, each piece of evidence links to its feedback page in `radar ui`, and each
    council's name (and the stories not shown) to its page there, `/council/<gss>`. Times
    are shown in `timezone`; `now` is when it was made."""
    radar = compute_radar(db, settings, week, region)
    start, end = week_bounds(week)
    open_concerns = {
        c["gss_code"]: f"concern #{c['id']}: {c['status_label']} since "
        f"{local_time(c['updated_at'], timezone).date().isoformat()}"
        for c in concerns(db, region)
    }
    on_radar = [_on_radar(c, radar.trend(c)) for c in radar.councils]
    for council in on_radar:
        council.history = _history(db, council, week)
        council.concern = open_concerns.get(council.gss_code)
        if ui_base_url:
            council.page_url = council.more_url = council_page_url(ui_base_url, council.gss_code)
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
        generated_at=stamp(now or datetime.now(UTC)),
        alerts=[
            AcuteLine(
                council=a["council_name"],
                label=LABELS.get(a["signal"], a["signal"]),
                raised_at=a["raised_at"],
                headline=a["title"] or "",
                url=a["url"] or "",
                sentence=a["evidence"] or "",
            )
            for a in radar.alerts
        ],
        leaving=[_linked(_on_radar(c, radar.trend(c)), ui_base_url) for c in radar.leaving],
        baseline_weeks=settings.baseline_weeks,
        timezone=timezone,
    )
