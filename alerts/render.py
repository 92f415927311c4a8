"""Render a digest to HTML and plain text with Jinja2 (autoescaped; links only http/https)."""

from __future__ import annotations

from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from alerts.digest import FACTOR_NAMES, Digest

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


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("alerts", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["factor_names"] = lambda keys: ", ".join(FACTOR_NAMES[k] for k in keys)
    env.globals.update(FACTOR_NAMES=FACTOR_NAMES, RADAR_CAVEAT=RADAR_CAVEAT)
    return env


def render_digest(digest: Digest) -> tuple[str, str]:
    """(html, text) for one digest."""
    env = environment()
    return (
        env.get_template("digest.html").render(d=digest),
        env.get_template("digest.txt").render(d=digest),
    )
