"""Link each item to the councils it is about."""

from __future__ import annotations

from typing import Any

from classifiers.attribution import CouncilMatcher
from radar.config import WatchList


def attribute(
    matcher: CouncilMatcher, title: str, text: str, own_council: str | None
) -> list[tuple[str, str]]:
    """(gss_code, method) pairs for an item.

    A council's own news and minutes belong to that council (they mention neighbours in
    passing); media, alert and government items are attributed by the councils they name.
    """
    if own_council:
        return [(own_council, "source")]
    return [(m.gss_code, "name") for m in matcher.find(f"{title}\n{text}")]


class AttributePipeline:
    def __init__(self, watchlist: WatchList):
        self.matcher = CouncilMatcher(watchlist.council_register().values())

    @classmethod
    def from_crawler(cls, crawler: Any) -> AttributePipeline:
        return cls(crawler.settings["RADAR_WATCHLIST"])

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        own = item.get("council") if item.get("origin") == "council" else None
        item["councils"] = attribute(self.matcher, item["title"], item["text"], own)
        return item
