"""The one timestamp format the store keeps (UTC, ISO 8601 with a Z), so stamps compare as
strings, and the helpers that write and read it."""

from __future__ import annotations

from datetime import UTC, datetime

DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


def now_iso() -> str:
    return datetime.now(UTC).strftime(DATE_FORMAT)


def parse_iso(value: str) -> datetime:
    """A stored stamp as an aware datetime (a stamp without a zone is taken as UTC)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
