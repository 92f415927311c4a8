"""Render a digest to HTML and plain text with Jinja2 (autoescaped; links only http/https)."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from alerts.digest import (
    DISPLAY_TIMEZONE,
    FACTOR_NAMES,
    Digest,
    DigestMail,
    digest_mail,
    local_time,
)
from pipelines.normalise import visible_text

TREND_COLOURS = {"new": "#c1121f", "rising": "#c1121f", "steady": "#777777", "falling": "#2a7d2e"}
RADAR_CAVEAT = "Presence on the radar is not in itself an indication of failure."


def safe_url(url: str | None) -> str:
    """Scraped links go into hrefs only if they are http(s): autoescape does not stop
    `javascript:` or `data:` URLs, so anything else becomes an empty link."""
    if not url:
        return ""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""
    return url.strip() if scheme in ("http", "https") else ""


def printable(value: Any) -> Any:
    """Every value a template prints, before it is escaped: no bidi override, control or
    zero-width character and no lone surrogate. Escaping stops markup but not these: an
    unclosed right-to-left override in a headline or a source's error would reverse the
    rest of the adviser's line, and a lone surrogate cannot be encoded into the email at all.
    New items are stored clean; this covers older rows, errors and names as well."""
    if isinstance(value, Markup):
        return Markup(visible_text(str(value)))
    if isinstance(value, str):
        return visible_text(value)
    return value


@cache
def environment() -> Environment:
    """One environment per process: its templates are compiled once, not per digest."""
    env = Environment(
        loader=PackageLoader("alerts", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=printable,
    )
    env.filters["safe_url"] = safe_url
    env.filters["factor_names"] = lambda keys: ", ".join(FACTOR_NAMES[k] for k in keys)
    env.filters["md"] = markdown_cell
    env.filters["clock"] = clock
    env.globals.update(
        FACTOR_NAMES=FACTOR_NAMES, RADAR_CAVEAT=RADAR_CAVEAT, TREND_COLOURS=TREND_COLOURS
    )
    return env


def clock(value: str | None, zone: str = DISPLAY_TIMEZONE) -> str:
    """A stored UTC stamp as advisers read it: '28 Nov 2026, 04:14 GMT' (BST in summer), the
    zone's abbreviation always shown so nobody takes it for UTC. A date alone stays a date."""
    if not value:
        return ""
    if len(value) <= 10:
        return value
    moment = local_time(value, zone)
    return f"{moment.day} {moment:%b %Y, %H:%M %Z}"


def markdown_cell(value: object) -> str:
    """Scraped or typed text inside a Markdown table cell: no pipes, markup or line breaks."""
    text = " ".join(str(value or "").split())
    for char in "\\|*_`[]<>#":
        text = text.replace(char, "\\" + char)
    return text


def render_digest(digest: Digest | DigestMail) -> tuple[str, str]:
    """(html, text) for an adviser's email, or one region's digest alone (a preview)."""
    mail = digest if isinstance(digest, DigestMail) else digest_mail([digest])
    env = environment()
    return (
        env.get_template("digest.html").render(m=mail),
        env.get_template("digest.txt").render(m=mail),
    )


def alert_subject(alert: dict[str, Any]) -> str:
    return f"Council Radar — ACUTE — {alert['council_name']}: {alert['label']}"


def render_alert(alert: dict[str, Any], timezone: str = DISPLAY_TIMEZONE) -> tuple[str, str]:
    """(html, text) for one acute-signal alert (a row of store.radar.unsent_alerts + label),
    its times in `timezone` (the schedule's)."""
    env = environment()
    context = {"a": alert, "subject": alert_subject(alert), "timezone": timezone}
    return (
        env.get_template("alert.html").render(**context),
        env.get_template("alert.txt").render(**context),
    )


def saved_subject(name: str, total: int) -> str:
    matches = "match" if total == 1 else "matches"
    return f"Council Radar — saved search “{name}”: {total} new {matches}"


def render_saved(search: dict[str, Any], timezone: str = DISPLAY_TIMEZONE) -> tuple[str, str]:
    """(html, text) for one saved search's message of new matches (alerts.saved)."""
    env = environment()
    context = {"s": search, "subject": saved_subject(search["name"], search["total"]),
               "timezone": timezone}  # fmt: skip
    return (
        env.get_template("saved.html").render(**context),
        env.get_template("saved.txt").render(**context),
    )
