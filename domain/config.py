"""The watch list: the one validated configuration object everything else receives.

This is the only module that reads configuration files or environment variables. Every other
module is handed a `WatchList` (or a part of it), so a test or a script can build one in code.
"""

from __future__ import annotations

import csv
import ipaddress
import os
import re
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urljoin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

FACTORS: tuple[str, ...] = ("leadership", "risky_change", "disengagement", "finance")
# The council's situation as an item describes it (README, "`radar tag` contract").
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
REGIONS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)
COUNCIL_TYPES = Literal["CTY", "NMD", "MD", "LBO", "CC", "UA"]
SOURCE_KINDS = Literal["feed", "moderngov", "cmis", "sitemap", "listing"]
# Where a source's items come from: a council's own site, the media, an alert service, government.
ORIGINS = Literal["council", "media", "alert", "government"]
ENV_WATCHLIST = "RADAR_WATCHLIST"
ENV_SMTP_USERNAME = "RADAR_SMTP_USERNAME"
ENV_SMTP_PASSWORD = "RADAR_SMTP_PASSWORD"
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
# A `radar ui` sign-in name ($RADAR_UI_USERS): what an adviser's `login:` names.
UI_USER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _known_region(value: str) -> str:
    if value not in REGIONS:
        raise ValueError(f"unknown region {value!r}; expected one of: {', '.join(REGIONS)}")
    return value


# A region's name, checked where it is written (so an error names that line of the file).
RegionName = Annotated[str, AfterValidator(_known_region)]


class ConfigError(Exception):
    """A watch list that cannot be used; the message names the file, line and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Adviser(_Strict):
    name: str
    email: str
    # Their `radar ui` sign-in name (one of $RADAR_UI_USERS), if they use the UI: signed in
    # as it, they see their regions' concern status on council pages, and no one else does.
    login: str | None = None

    @field_validator("login")
    @classmethod
    def _ui_user_name(cls, value: str | None) -> str | None:
        if value is not None and not UI_USER_NAME.match(value):
            raise ValueError(
                f"login: {value!r} is not a radar ui user name (lower-case letters, digits "
                "and _, as in RADAR_UI_USERS)"
            )
        return value

    @field_validator("email")
    @classmethod
    def _looks_like_email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value


class Region(_Strict):
    advisers: list[Adviser] = Field(min_length=1)


class Source(_Strict):
    """One place we read: a feed or a democracy site, optionally owned by one council."""

    kind: SOURCE_KINDS
    url: str
    name: str = ""
    origin: ORIGINS = "council"
    council: str | None = None  # GSS code of the council whose own source this is
    enabled: bool = True
    # sitemap and listing sources: which URLs are articles (regex), where their links are
    # (CSS), and how to reach older listing pages (CSS for the link's href)
    pattern: str | None = None
    selector: str | None = None
    next_selector: str | None = None
    web_service: bool = False  # moderngov: also ask mgWebService.asmx for committees/meetings

    @property
    def id(self) -> str:
        """Stable key for the store: the URL is what identifies a source."""
        return self.url

    @field_validator("pattern")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} is not a regular expression: {exc}") from None
        return value


class Council(_Strict):
    gss_code: str
    name: str
    official_name: str
    type: COUNCIL_TYPES
    region: RegionName
    county: str | None = None
    aliases: list[str] = Field(default_factory=list)
    watched: bool = True
    sources: list[Source] = Field(default_factory=list)
    # Reorganisation: a council that no longer exists keeps the items it published; the
    # radar counts them for its successor(s) (GSS codes).
    ended: date | None = None
    successors: list[str] = Field(default_factory=list)


# A council as written in the watch list: `Council` with only its GSS code required (a
# register council needs nothing else; the rest overrides the register or describes a
# council the register lacks). Made from `Council`, so the two never drift apart.
def _optional(field: Any) -> Any:
    """A required field's type made optional, its validators kept ("unknown region")."""
    kind = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    return (kind | None, None)


CouncilEntry = create_model(
    "CouncilEntry",
    __base__=_Strict,
    **{  # type: ignore[call-overload]
        name: (field.annotation, field)
        if name == "gss_code" or not field.is_required()
        else _optional(field)
        for name, field in Council.model_fields.items()
    },
)


class SmtpSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "Council Radar <radar@example.org>"
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0
    # A CA bundle to trust besides the system's (a relay with a private CA); never a secret.
    cafile: Path | None = None
    # Mail to a relay other than loopback must be encrypted unless this says the relay is
    # trusted: digests are confidential.
    allow_unencrypted: bool = False

    @model_validator(mode="after")
    def _one_tls_mode(self) -> SmtpSettings:
        if self.starttls and self.ssl:
            raise ValueError("choose starttls (port 587) or ssl (port 465), not both")
        return self

    @property
    def username(self) -> str | None:
        return os.environ.get(ENV_SMTP_USERNAME) or None

    @property
    def password(self) -> str | None:
        return os.environ.get(ENV_SMTP_PASSWORD) or None


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# A host name after IDNA: letters, digits, hyphens (underscores occur in the wild), dots.
HOST_NAME = re.compile(r"^(?=.{1,253}\.?$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_-]{1,63})*\.?$")


def parse_allow_entry(entry: str) -> IPNetwork | tuple[str, int]:
    """One `crawl.allow_private` entry: an IP or network (any port), or "host:port".

    Raises ValueError naming the entry; `CrawlSettings` calls it as a field validator, so a
    typo is reported at load time with its file and line; the crawler's guard reads the
    entries with it again.
    """
    text = entry.strip()
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    host, sep, port = text.rpartition(":")
    host = host.strip("[]").lower()
    if sep and host and port.isdigit() and 0 < int(port) < 65536:
        try:
            host = ipaddress.ip_address(host).compressed
        except ValueError:
            if not HOST_NAME.match(host):
                raise ValueError(f"{entry!r}: not a host name") from None
        return host, int(port)
    raise ValueError(f"{entry!r} is not an IP address, a network (10.1.0.0/16) or host:port")


class CrawlSettings(_Strict):
    contact: str = "radar-admin@example.org"
    concurrency: int = Field(default=16, ge=1, le=64)  # across all domains at once
    concurrency_per_domain: int = Field(default=2, ge=1, le=8)
    download_timeout: int = Field(default=30, ge=1)
    max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    autothrottle: bool = True
    retries: int = Field(default=2, ge=0)
    backoff_seconds: float = Field(default=1.0, ge=0)  # first retry's delay; doubles each time
    max_failures: int = Field(default=5, ge=1)  # crawls in a row before a source is suspended
    # One slow host or source never holds up the rest (issue #17): after this many timeouts
    # in a row from one host, the rest of its pages in this crawl are put off to the next
    # one (each timeout would hold a connection for download_timeout x tries); and a source
    # still asking for pages this many seconds after it started has the rest put off too.
    # Put-off pages are kept (a feed's summary, a placeholder), counted, and fetched again.
    slow_host_timeouts: int = Field(default=3, ge=1)
    source_budget: int = Field(default=1800, ge=1)
    # A page or document stored without its text after a failure a later fetch may mend (a
    # server error, a timeout, a damaged download) is fetched again by later crawls: first
    # this many seconds after the failure, then four times longer each time, at most
    # `refetch_limit` fetches in all. 404s, robots.txt, scans and encrypted PDFs are final.
    refetch_after: int = Field(default=3600, ge=0)
    refetch_limit: int = Field(default=5, ge=1)
    # Private, loopback or link-local addresses the crawler may fetch from (the demo or a test
    # server): an IP, a network ("10.1.0.0/16") or "host:port". Everything else that is not a
    # public address is refused, however its name resolves (SSRF).
    allow_private: list[str] = Field(default_factory=list)

    @field_validator("allow_private")
    @classmethod
    def _allow_entries(cls, value: list[str]) -> list[str]:
        for entry in value:  # a typo would silently open nothing: refuse it where it is written
            parse_allow_entry(entry)
        return value

    @property
    def user_agent(self) -> str:
        from domain import __version__

        return f"CouncilRadar/{__version__} (+mailto:{self.contact})"


class Thresholds(_Strict):
    """Score at which a factor is flagged; long items (minutes, reports) need a higher one,
    because the best of a hundred routine sentences scores high by chance. `flag` chosen by
    5-fold cross-validation on the training files (never the test sets): 0.6 cut false
    alarms from 11.8% to 9.9% for 0.016 of macro-F1 (README, "Classifier quality")."""

    flag: float = Field(default=0.6, gt=0, lt=1)
    long_item: float = Field(default=0.9, gt=0, lt=1)


class UiSettings(_Strict):
    """Where advisers reach `radar ui`: digests link each piece of evidence to its feedback
    page there (`{base_url}/-/feedback/ITEM`), so a false alarm is dismissed in two clicks."""

    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) address")
        return value.rstrip("/") if value else value


class RadarSettings(_Strict):
    """How flagged items become a council's weekly radar score (see README, "The radar").

    An item's weight is its flag score x its source's weight x its sentiment's weight; a
    factor's weekly score is 1 - prod(1 - weight) over its distinct stories (so it lies in
    0..1 and a syndicated story counts once); a council's score is the sum over factors (0..4).
    """

    on_radar: float = Field(default=0.5, gt=0)  # a council's weekly score that puts it on
    rising: float = Field(default=0.25, gt=0)  # score above the baseline that counts as rising
    baseline_weeks: int = Field(default=12, ge=1, le=104)
    source_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "government": 1.0,  # intervention letters, best value notices
            "minutes": 1.0,  # the council's own minutes and reports
            "news": 0.9,  # the council's own news
            "media": 0.7,
            "alert": 0.6,  # alert services: often second-hand
        }
    )
    sentiment_weights: dict[str, float] = Field(
        default_factory=lambda: {"negative": 1.0, "neutral": 0.7, "positive": 0.4}
    )
    acute_window_days: int = Field(default=14, ge=1)  # only items this fresh raise alerts
    acute_repeat_days: int = Field(default=90, ge=1)  # one alert per council and signal per ...


_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleSettings(_Strict):
    """What `radar run` does when (times in `timezone`)."""

    timezone: str = "Europe/London"
    feeds_every_minutes: int = Field(default=60, ge=1)
    sites_daily_at: str = "02:30"
    digest_day: str = "mon"
    digest_at: str = "07:00"
    digest_grace_days: int = Field(default=6, ge=0)  # a missed Monday run still runs this late
    # A crawl stops itself (and records every source's health) a little before this, and
    # is killed at it if hung; minutes, fractions allowed.
    crawl_timeout_minutes: float = Field(default=50, gt=0)
    tag_timeout_minutes: int = Field(default=50, ge=1)
    # An adviser with nothing on the radar in any of their regions still gets a short
    # "nothing on the radar this week" (send), so silence never means "the digest broke";
    # `skip` sends them nothing that week (recorded as skipped, never retried).
    empty_digest: Literal["send", "skip"] = "send"

    @field_validator("sites_daily_at", "digest_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError(f"{value!r} is not a time of day like 07:00")
        return value

    @field_validator("digest_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        if value.lower()[:3] not in DAYS:
            raise ValueError(f"{value!r} is not a day of the week (mon, tue, ...)")
        return value.lower()[:3]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


def fts_query_problem(query: str) -> str | None:
    """Why SQLite's FTS5 cannot parse `query` (as `radar search` and the store's index read
    it), or None. Asked of an empty in-memory index, so a saved search with a query the
    store would refuse every hour is refused where it is written, with its line."""
    import sqlite3

    with sqlite3.connect(":memory:") as conn:
        conn.execute("create virtual table t using fts5(title, text, tokenize='porter')")
        try:
            conn.execute("select 1 from t where t match ?", [query]).fetchall()
        except sqlite3.OperationalError as exc:
            return str(exc)
    return None


class SavedSearch(_Strict):
    """A saved search, Google-Alerts style (`saved_searches:` in the watch list): new items
    matching an FTS query and optional filters are mailed to `to` after each crawl.

    `to` names advisers of the watch list's regions, by email or name: mail goes only to
    configured advisers, never to an address typed anywhere else (README, "Delivery").
    """

    name: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1)
    to: list[str] = Field(min_length=1)
    region: RegionName | None = None
    council: str | None = None  # a GSS code, name, official name or alias
    factor: Literal[FACTORS] | None = None  # type: ignore[valid-type]
    origin: ORIGINS | None = None

    @field_validator("query")
    @classmethod
    def _parses(cls, value: str) -> str:
        problem = fts_query_problem(value)
        if problem:
            raise ValueError(
                f"{value!r} is not a search FTS5 can read ({problem}): put phrases in double "
                "quotes, e.g. '\"section 114\"', and use AND / OR / NOT in capitals"
            )
        return value


def _saved_search_parts(search: SavedSearch, info: ValidationInfo) -> SavedSearch:
    """Check a saved search against the rest of the watch list, where it is written (the
    error names its entry's line): each recipient an adviser of a region, the council one
    the register or the watch list knows (kept as its GSS code, as the store links items)."""
    advisers = [a for r in (info.data.get("regions") or {}).values() for a in r.advisers]
    known = {a.email.lower() for a in advisers} | {a.name.lower() for a in advisers}
    for who in search.to:
        if who.strip().lower() not in known:
            raise ValueError(
                f"to: {who!r} is not an adviser of any region in this watch list (give an "
                "adviser's email or name from regions:)"
            )
    if search.council:
        code = _council_code(search.council, info.data)
        if code is None:
            raise ValueError(f"council: {search.council!r} is not a council we know")
        search.council = code
    return search


def _council_code(text: str, data: dict[str, Any]) -> str | None:
    """The GSS code of a council named by its code, name, official name or alias, among
    the watch list's entries (already validated) and, unless left out, England's register."""
    wanted = text.strip().lower()
    entries = [
        (e.gss_code, [e.name, e.official_name, *(e.aliases or [])])
        for e in data.get("councils") or []
    ]
    if data.get("include_england", True):
        entries += [(c.gss_code, [c.name, c.official_name, *c.aliases]) for c in _england()]
    for code, names in entries:
        if wanted == code.lower() or wanted in {str(n).lower() for n in names if n}:
            return code
    return None


class WatchList(_Strict):
    base_url: str | None = None
    database: Path = Path("radar.db")
    output_dir: Path = Path("radar-output")
    include_england: bool = True
    councils: list[CouncilEntry] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    regions: dict[RegionName, Region] = Field(default_factory=dict)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    radar: RadarSettings = Field(default_factory=RadarSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    terms: dict[str, list[str]] = Field(default_factory=dict)
    ui: UiSettings = Field(default_factory=UiSettings)
    # After `regions` and `councils`: each is checked against them (_saved_search_parts).
    saved_searches: list[Annotated[SavedSearch, AfterValidator(_saved_search_parts)]] = Field(
        default_factory=list
    )
    _councils: dict[str, Council] | None = PrivateAttr(default=None)

    @field_validator("terms")
    @classmethod
    def _known_factors(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key in value:
            if key not in FACTORS:
                raise ValueError(f"unknown factor {key!r}; expected one of: {', '.join(FACTORS)}")
        return value

    @field_validator("saved_searches")
    @classmethod
    def _unique_names(cls, value: list[SavedSearch]) -> list[SavedSearch]:
        names = [s.name.strip().lower() for s in value]
        twice = sorted({s.name for s in value if names.count(s.name.strip().lower()) > 1})
        if twice:  # the store keeps each search's mark and mail by its name
            raise ValueError(f"saved search names must differ: {', '.join(twice)} twice")
        return value

    @model_validator(mode="after")
    def _resolve(self) -> WatchList:
        # Resolve relative source URLs (the demo web is written relative to its server).
        for source in self.all_sources_raw():
            if "://" not in source.url:
                if not self.base_url:
                    raise ValueError(
                        f"source url {source.url!r} is relative but base_url is not set"
                    )
                source.url = urljoin(self.base_url.rstrip("/") + "/", source.url.lstrip("/"))
        register = self.council_register()  # validates entries now, not at first use
        for index, entry in enumerate(self.councils):
            unknown = [code for code in entry.successors if code not in register]
            if unknown:
                raise ValueError(
                    f"councils[{index}] ({entry.gss_code}): successor {', '.join(unknown)} is "
                    "not a known council"
                )
            if entry.successors and not entry.ended:
                raise ValueError(
                    f"councils[{index}] ({entry.gss_code}) has successors but no ended date"
                )
        return self

    def successor_map(self) -> dict[str, list[str]]:
        """Ended council -> the councils the radar counts its items for."""
        return {c.gss_code: c.successors for c in self.council_register().values() if c.successors}

    def all_sources_raw(self) -> list[Source]:
        return [s for c in self.councils for s in c.sources] + list(self.sources)

    def _build_register(self) -> dict[str, Council]:
        councils: dict[str, Council] = {}
        if self.include_england:
            for council in load_england_register():
                councils[council.gss_code] = council
        for index, entry in enumerate(self.councils):
            base = councils.get(entry.gss_code)
            data: dict[str, Any] = base.model_dump() if base else {}
            for key, value in entry.model_dump(exclude_unset=True).items():
                if key == "aliases":
                    data["aliases"] = sorted(set(data.get("aliases", [])) | set(value))
                elif key != "sources":
                    data[key] = value
            data["sources"] = [
                s.model_copy(update={"council": entry.gss_code}) for s in entry.sources
            ]
            data["watched"] = entry.watched  # listing a council watches it unless it says not
            missing = [f for f in ("name", "official_name", "type", "region") if not data.get(f)]
            if missing:
                raise ValueError(
                    f"councils[{index}] ({entry.gss_code}) is not in the register of English "
                    f"councils, so it needs: {', '.join(missing)}"
                )
            councils[entry.gss_code] = Council.model_validate(data)
        return councils

    def council_register(self) -> dict[str, Council]:
        """Every council known, by GSS code: the packaged register plus the watch list's own."""
        if self._councils is None:
            self._councils = self._build_register()
        return self._councils

    def watched_councils(self) -> list[Council]:
        return [c for c in self.council_register().values() if c.watched]

    def all_sources(self) -> list[Source]:
        """Enabled sources of watched councils, plus the non-council sources."""
        found = [s for c in self.watched_councils() for s in c.sources if s.enabled]
        return found + [s for s in self.sources if s.enabled]

    def advisers_for(self, region: str) -> list[Adviser]:
        region_config = self.regions.get(region)
        return list(region_config.advisers) if region_config else []

    def adviser_regions(self) -> list[tuple[Adviser, list[str]]]:
        """Each adviser (by email address, case aside) with the regions they cover, in
        England's order: the unit of a weekly digest, one email per adviser however many
        regions they cover."""
        found: dict[str, tuple[Adviser, list[str]]] = {}
        for region in REGIONS:
            for adviser in self.advisers_for(region):
                _, regions = found.setdefault(adviser.email.lower(), (adviser, []))
                if region not in regions:
                    regions.append(region)
        return list(found.values())

    def ui_adviser_regions(self) -> dict[str, list[str]]:
        """Each `radar ui` sign-in name an adviser's `login:` gives, with the regions that
        adviser covers (England's order): whose concern status a signed-in user may see."""
        found: dict[str, list[str]] = {}
        for region in REGIONS:
            for adviser in self.advisers_for(region):
                if adviser.login and region not in found.setdefault(adviser.login, []):
                    found[adviser.login].append(region)
        return found

    def saved_search(self, name: str) -> SavedSearch | None:
        wanted = name.strip().lower()
        return next((s for s in self.saved_searches if s.name.strip().lower() == wanted), None)

    def recipients_of(self, search: SavedSearch) -> list[str]:
        """The email addresses of a saved search's advisers (named by email or name), each
        once, in the order written."""
        advisers = [a for r in self.regions.values() for a in r.advisers]
        found: list[str] = []
        for who in search.to:
            wanted = who.strip().lower()
            for adviser in advisers:
                if wanted in (adviser.email.lower(), adviser.name.lower()):
                    if adviser.email not in found:
                        found.append(adviser.email)
                    break
        return found


@cache
def _england() -> tuple[Council, ...]:
    """The register, read once per process (saved searches' councils are checked against it)."""
    return tuple(load_england_register())


def load_england_register() -> list[Council]:
    """All current English principal councils (mySociety data, CC-BY-4.0; see README)."""
    path = resources.files("domain") / "data" / "england_councils.csv"
    councils = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            councils.append(
                Council(
                    gss_code=row["gss_code"],
                    name=row["name"],
                    official_name=row["official_name"],
                    type=row["type"],  # type: ignore[arg-type]
                    region=_REGION_SPELLING.get(row["region"], row["region"]),
                    county=row["county"] or None,
                    aliases=_clean_aliases(row["alt_names"]),
                    watched=False,
                )
            )
    return councils


@cache
def england_positions() -> dict[str, tuple[float, float]]:
    """gss_code -> (latitude, longitude) of each register council (its offices, as mySociety
    gives them): where the region and England maps place it. Kept apart from `Council`,
    which a watch list may write, because a position is the register's fact, not a
    setting; a council the register lacks has none and the maps list it beside them."""
    path = resources.files("domain") / "data" / "england_councils.csv"
    with path.open(encoding="utf-8") as handle:
        return {
            row["gss_code"]: (float(row["lat"]), float(row["long"]))
            for row in csv.DictReader(handle)
            if row["lat"] and row["long"]
        }


_REGION_SPELLING = {
    "Yorkshire and The Humber": "Yorkshire and the Humber",
    "Eastern": "East of England",
}
_ALIAS_SUFFIX = re.compile(r"\s+(UA|CC|DC|BC|MBC|LBO|NMD|CTY|MD)$", re.IGNORECASE)


def _clean_aliases(raw: str) -> list[str]:
    """mySociety's variants are noisy ("Hartlepool UA", lower case): keep usable names only."""
    aliases = set()
    for alias in filter(None, (a.strip() for a in raw.split(";"))):
        alias = _ALIAS_SUFFIX.sub("", alias).strip()
        if alias and alias[0].isupper() and len(alias) > 3:
            aliases.add(alias)
    return sorted(aliases)


def default_watchlist_path() -> Path:
    return Path(os.environ.get(ENV_WATCHLIST, "watchlist.yaml"))


# Paths a watch list gives relative to its own folder (not to wherever a command is run from).
FILE_RELATIVE = ("database", "output_dir")


def load_watchlist(
    path: Path | str | None = None, required: bool = True, **overrides: Any
) -> WatchList:
    """Read and validate a watch list YAML file; errors name the file, line and field.

    With `required=False` and no file at the default path, the defaults are used: every
    English council known, none watched (enough for `radar tag` to attribute items).
    """
    if path is None and not required and not default_watchlist_path().exists():
        return WatchList.model_validate(overrides)
    path = Path(path) if path else default_watchlist_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: watch list not found (pass --watchlist PATH or set {ENV_WATCHLIST})"
        ) from None
    except OSError as exc:  # a folder, no permission
        raise ConfigError(f"{path}: cannot read the watch list ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start:,})") from None
    try:
        data = yaml.load(text, Loader=WatchListLoader) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: a watch list is a mapping of settings, not {type(data).__name__}"
        )
    secrets = find_secrets(text)
    if secrets:
        raise ConfigError("\n".join(f"{path}:{line}: {problem}" for line, problem in secrets))
    for key in FILE_RELATIVE:  # as written in the file: beside the watch list, wherever run
        if isinstance(data.get(key), str) and not Path(data[key]).expanduser().is_absolute():
            data[key] = str(path.parent / data[key])
    data.update(overrides)
    try:
        return WatchList.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(path, text, exc)) from None


class WatchListLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml's parser where installed: 4-6x faster on England's 317
    councils), less YAML 1.1's base-60 numbers: `digest_at: 10:30` is the time the admin wrote,
    not the integer 630 that would then be refused as "not a valid string"."""


WatchListLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":int", ":float"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
WatchListLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$", re.X
    ),
    list("-+0123456789"),
)
WatchListLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
        |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=WatchListLoader)


# Keys that name a secret, wherever they appear; secrets come only from the environment.
_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|credentials?|private[_-]?key|auth)$",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@", re.IGNORECASE)
_SECRET_HELP = (
    f"secrets are never kept in the watch list: set {ENV_SMTP_USERNAME}/{ENV_SMTP_PASSWORD} "
    "or RADAR_UI_PASSWORD in the environment"
)


def find_secrets(text: str) -> list[tuple[int, str]]:
    """(line, problem) for each secret written into a watch list: a key such as `password`
    or `token` with a value, or a URL carrying a password (`https://user:pass@host/`).

    Watch lists are shared, committed and printed; a password in one leaks. The value is
    never repeated in the message, so the refusal itself cannot leak it.
    """
    try:
        root = _compose(text)
    except yaml.YAMLError:
        return []  # the YAML error is reported by the loader
    found: list[tuple[int, str]] = []
    stack = [(root, "")]
    seen: set[int] = set()  # an alias is the anchored node again: walk each node once, or
    while stack:  # nine levels of nine aliases would be 9**9 paths (an "alias bomb")
        node, where = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = f"{where}.{key.value}" if where else str(key.value)
                has_value = not (isinstance(value, yaml.ScalarNode) and value.value in ("", "~"))
                if _SECRET_KEY.search(str(key.value)) and has_value:
                    found.append((key.start_mark.line + 1, f"{name}: {_SECRET_HELP}"))
                else:
                    stack.append((value, name))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, f"{where}.{i}") for i, child in enumerate(node.value))
        elif isinstance(node, yaml.ScalarNode) and _URL_PASSWORD.match(str(node.value).strip()):
            found.append(
                (node.start_mark.line + 1, f"{where}: a URL with a password in it; {_SECRET_HELP}")
            )
    return sorted(found)


def _describe(path: Path, text: str, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = [p for p in error["loc"] if not str(p).startswith("function-") and p != "[key]"]
        where = ".".join(str(part) for part in loc) or "(top level)"
        line = _line_of(text, loc)
        position = f"{path}:{line}" if line else str(path)
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{position}: {where}: {message}")
    return "\n".join(lines)


def _line_of(text: str, loc: list[Any]) -> int | None:
    """Find the 1-based line of a field in the YAML source, for error messages."""
    try:
        node = _compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(part)]
            if not match:
                break
            key, node = match[0]
            line = key.start_mark.line + 1
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
