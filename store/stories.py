"""Story sketches (MinHash bands) for grouping syndicated items; see pipelines/stories.py."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def find_story_candidates(db: Database, band_keys: list[str]) -> list[dict[str, Any]]:
    """Stored items sharing at least one band with a new item's sketch."""
    if not band_keys:
        return []
    marks = ",".join("?" for _ in band_keys)
    sql = f"""
        select distinct s.item_id, s.story_id, s.signature from story_bands b
        join story_sketches s on s.item_id = b.item_id where b.band in ({marks})
    """
    return list(db.query(sql, band_keys))


def save_sketch(db: Database, item_id: str, story_id: str, sketch: dict[str, Any]) -> None:
    db["story_sketches"].upsert(
        {"item_id": item_id, "story_id": story_id, "signature": json.dumps(sketch["signature"])},
        pk="item_id",
    )
    db["story_bands"].insert_all(
        ({"band": band, "item_id": item_id} for band in sketch["bands"]),
        pk=("band", "item_id"),
        ignore=True,
    )
