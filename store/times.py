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


def date_range(
    column: str, since: str | None, until: str | None
) -> tuple[list[str], dict[str, str]]:
    """SQL conditions (with :since/:until parameters) keeping `column`'s stamps on the days
    since..until, both YYYY-MM-DD and inclusive: a stamp on the `until` day counts."""
    where, params = [], {}
    if since:
        where.append(f"{column} >= :since")
        params["since"] = since
    if until:
        where.append(f"substr({column}, 1, 10) <= :until")
        params["until"] = until
    return where, params
