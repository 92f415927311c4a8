"""`radar ui`'s Atom feeds, so an adviser's feed reader can subscribe to the radar:

- `/-/feeds/radar/<region-slug>.atom`: this week's radar for a region, one entry per
  council on it (score, trend, factors, acute signals, top headline), linked to the
  council's page (alerts.digest.council_page_url, the one place that address is built);
- `/-/feeds/council/<gss>.atom`: a council's flagged items, newest first, with each flag's
  evidence, linked to the item's page.

"This week" is the newest week either radar table holds: the weekly history `radar run`
records after every crawl, or the snapshot `radar ui` computed when it started (a UI left
running for weeks still follows the scheduler's history).

A Datasette plugin (`radar ui` registers it with the guards): the feeds are behind the same
login as every page. With a password set, datasette-auth-passwords answers 401 to any
request without HTTP Basic credentials before it reaches a route (a feed reader sends them),
and a route checks `view-instance` as well, so an `allow` block without Basic auth still
keeps them in. The SQL is store.feeds', run on Datasette's connections, which carry the
concerns guard's authorizer (alerts.ui_guard): no feed can carry concern data.

Written with feedgen (lxml underneath): escaping, RFC 3339 dates and the required elements
come from a library, and text the XML cannot carry (control characters in an older store's
rows) is dropped here first rather than failing the feed.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from datasette import Response, hookimpl
from feedgen.feed import FeedGenerator
from markupsafe import escape

from alerts.acute import LABELS
from alerts.deliver import region_slug
from alerts.digest import FACTOR_NAMES, council_page_url
from alerts.render import RADAR_CAVEAT, safe_url
from domain.config import REGIONS
from store.feeds import COUNCIL, COUNCIL_ITEMS, LATEST_WEEKS, REGION_HISTORY, REGION_SNAPSHOT
from store.times import parse_iso

PLUGIN = "council-radar"  # the plugin configuration `radar ui` writes: store and database
ATOM = "application/atom+xml; charset=utf-8"
TAG = "tag:council-radar.example.org,2026:"  # entries' and feeds' ids (RFC 4151 tag URIs)
ARROWS = {"new": "▲", "rising": "▲", "steady": "▬", "falling": "▼"}
ITEMS = 50  # a council feed's entries: a reader keeps what it has already seen
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # `updated` of a feed with nothing in it yet
# Characters XML 1.0 cannot hold at all (lxml refuses them).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/feeds/radar/(?P<region>[a-z0-9-]+)\.atom$", region_feed),
        (r"^/-/feeds/council/(?P<gss>[A-Za-z0-9]+)\.atom$", council_feed),
    ]


def _clean(text: Any) -> str:
    return NOT_XML.sub("", str(text or ""))


def _when(value: str | None) -> datetime:
    return parse_iso(value) if value else EPOCH


async def _refused(datasette: Any, request: Any) -> Response | None:
    """403 unless the actor may see the UI: the same `allow` block as every page."""
    if await datasette.permission_allowed(request.actor, "view-instance", default=True):
        return None
    return Response.text("403 Forbidden: sign in to read this feed", status=403)


def _base(datasette: Any, request: Any) -> str:
    """This UI's address as the reader reached it (a reverse proxy's name and scheme too)."""
    return datasette.absolute_url(request, "/").rstrip("/")


def _database(datasette: Any) -> Any | None:
    name = (datasette.plugin_config(PLUGIN) or {}).get("database", "")
    return datasette.get_database(name) if name in datasette.databases else None


def _feed(feed_id: str, title: str, subtitle: str, self_url: str, page_url: str) -> Any:
    feed = FeedGenerator()
    feed.id(TAG + feed_id)
    feed.title(_clean(title))
    feed.subtitle(_clean(subtitle))
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.author({"name": "Council Radar"})
    return feed


def _atom(feed: Any, updated: datetime) -> Response:
    feed.updated(updated)
    return Response(feed.atom_str(pretty=True), content_type=ATOM)


async def region_feed(datasette: Any, request: Any) -> Response:
    refused = await _refused(datasette, request)
    if refused:
        return refused
    slug = request.url_vars["region"]
    region = next((r for r in REGIONS if region_slug(r) == slug), None)
    db = _database(datasette)
    if region is None or db is None:
        return Response.text(f"No region {slug!r}: one of {', '.join(map(region_slug, REGIONS))}",
                             status=404)  # fmt: skip
    latest = (await db.execute(LATEST_WEEKS)).first()
    history, snapshot = latest["history"], latest["snapshot"]
    week = max(w for w in (history, snapshot, "") if w is not None)
    rows: list[dict[str, Any]] = []
    if week and week == history:  # the scheduler's record, when it is as new as the UI's
        rows = [dict(r) for r in await db.execute(REGION_HISTORY, {"week": week, "region": region})]
        updated = _when(latest["recorded_at"])
    elif week:
        rows = [
            dict(r) for r in await db.execute(REGION_SNAPSHOT, {"week": week, "region": region})
        ]
        updated = _week_start(week)
    else:
        updated = EPOCH
    base = _base(datasette, request)
    feed = _feed(
        f"radar/{slug}",
        f"Council Radar — {region}: on the radar this week",
        f"{week or 'No week recorded yet'}: {len(rows)} councils on the radar. {RADAR_CAVEAT}",
        f"{base}/-/feeds/radar/{slug}.atom",
        f"{base}/{db.name}/radar_this_week",
    )
    for row in rows:
        _radar_entry(feed, row, week, updated, council_page_url(base, row["gss_code"]))
    return _atom(feed, updated)


def _week_start(week: str) -> datetime:
    year, number = week.split("-W")
    return datetime.fromisocalendar(int(year), int(number), 1).replace(tzinfo=UTC)


def _acute(value: str | None) -> list[str]:
    """Acute signals as either table keeps them: a JSON list, or a comma-separated string."""
    if not value:
        return []
    if value.startswith("["):
        return [str(v) for v in json.loads(value)]
    return [v.strip() for v in value.split(",") if v.strip()]


def _radar_entry(feed: Any, row: dict[str, Any], week: str, updated: datetime, page: str) -> None:
    acute = [LABELS.get(a, a) for a in _acute(row["acute"])]
    factors = json.loads(row["factors"] or "{}")
    trend = row["trend"] or ""
    title = f"{row['council']}: score {row['score']:.2f} {ARROWS.get(trend, '')} {trend}"
    if acute:
        title += " — ACUTE: " + ", ".join(acute)
    parts = [
        f"<p><b>{escape(row['council'])}</b> ({escape(row['region'])}), {escape(week)}: "
        f"score {row['score']:.2f} against a baseline of {row['baseline'] or 0:.2f}, "
        f"{escape(trend)}; {row['stories'] or 0} stories.</p>"
    ]
    if acute:
        parts.append(f"<p><b>Acute signals:</b> {escape(', '.join(acute))}</p>")
    if factors:
        chips = ", ".join(f"{FACTOR_NAMES.get(f, f)} {s:.2f}" for f, s in factors.items())
        parts.append(f"<p>Factors: {escape(chips)}</p>")
    if row["top_headline"]:
        href = safe_url(row["top_url"])
        headline = escape(_clean(row["top_headline"]))
        link = f'<a href="{escape(href)}">{headline}</a>' if href else headline
        parts.append(f"<p>Top headline: {link}</p>")
    parts.append(f"<p><i>{escape(RADAR_CAVEAT)}</i></p>")
    entry = feed.add_entry(order="append")
    entry.id(f"{TAG}radar/{week}/{row['gss_code']}")
    entry.title(_clean(title))
    entry.link(href=page)
    entry.updated(updated)
    entry.content(_clean("".join(parts)), type="html")
    for factor in factors:
        entry.category(term=factor, label=FACTOR_NAMES.get(factor, factor))


async def council_feed(datasette: Any, request: Any) -> Response:
    refused = await _refused(datasette, request)
    if refused:
        return refused
    gss = request.url_vars["gss"].upper()
    db = _database(datasette)
    council = (await db.execute(COUNCIL, {"gss": gss})).first() if db is not None else None
    if council is None:
        return Response.text(f"No council with GSS code {gss}", status=404)
    items = [dict(r) for r in await db.execute(COUNCIL_ITEMS, {"gss": gss, "limit": ITEMS})]
    base = _base(datasette, request)
    feed = _feed(
        f"council/{gss}",
        f"Council Radar — {council['name']}: flagged items",
        f"Items flagged for a failure factor about {council['name']} ({council['region']}), "
        f"newest first. {RADAR_CAVEAT}",
        f"{base}/-/feeds/council/{gss}.atom",
        council_page_url(base, gss),
    )
    for item in items:
        _item_entry(feed, item)
    newest = max((_when(i["first_seen"]) for i in items), default=EPOCH)
    return _atom(feed, newest)


def _item_entry(feed: Any, item: dict[str, Any]) -> None:
    flags = json.loads(item["flags"] or "[]")
    parts = []
    for flag in flags:
        page = f" (page {flag['page']})" if flag.get("page") else ""
        name = FACTOR_NAMES.get(flag["factor"], flag["factor"])
        parts.append(
            f"<p><b>{escape(name)}</b>: “{escape(_clean(flag.get('evidence')))}”{escape(page)}</p>"
        )
    entry = feed.add_entry(order="append")
    entry.id(f"{TAG}item/{item['id']}")
    entry.title(_clean(item["title"] or item["url"]))
    href = safe_url(item["url"])
    if href:
        entry.link(href=href)
    entry.published(_when(item["published"]))
    entry.updated(_when(item["first_seen"]))
    entry.content("".join(parts) or "<p>Flagged.</p>", type="html")
    for flag in flags:
        entry.category(term=flag["factor"], label=FACTOR_NAMES.get(flag["factor"], flag["factor"]))
