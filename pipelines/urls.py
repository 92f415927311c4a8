"""URL helpers shared by spiders and pipelines: canonical form and alert-link unwrapping."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from w3lib.url import canonicalize_url, url_query_cleaner

TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "at_medium", "at_campaign",
)  # fmt: skip
# Query parameters that e-alert services use to carry the real target of a redirect wrapper.
WRAPPER_PARAMS = ("url", "q", "u", "target")


def is_web_url(url: str) -> bool:
    """Only http(s) links are followed: never file:, ftp:, data:, javascript: and the like."""
    try:
        return urlsplit(url).scheme in ("http", "https")
    except ValueError:
        return False


def canonical_url(url: str) -> str:
    """One spelling per page: sorted query, no fragment, no tracking parameters."""
    cleaned = url_query_cleaner(url, TRACKING_PARAMS, remove=True, keep_fragments=False)
    return canonicalize_url(cleaned, keep_fragments=False)


def unwrap_alert_link(url: str) -> str:
    """Return the real article URL inside an e-alert redirect wrapper (…/url?…&url=<real>).

    Alert feeds (Google Alerts and similar) link through their own redirector; fetching the
    wrapper wastes a request and storing it would defeat de-duplication against the media feed.
    """
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for name in WRAPPER_PARAMS:
        for candidate in query.get(name, []):
            if urlsplit(candidate).scheme in ("http", "https"):
                return candidate
    return url
