"""Tag the store's pending items: the Python API under `radar retag` and the scheduler.

An item is pending when it has no tags from the committed classifier (`heads.version`), or
always with `everything`. Items are tagged in chunks of `CHUNK_ITEMS`, each saved in its own
transaction, so a run stopped half-way (a timeout, a kill) leaves every finished chunk saved
and the next run carries on from there. The embedding cache beside the store means a
passage read before is never embedded again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from domain.config import WatchList
from store.db import check_writable
from store.embeddings import EmbeddingCache, cache_path
from store.items import count_flagged, ids_to_tag, items_by_id, save_tags
from store.times import now_iso


@dataclass
class TagRun:
    """What one run did, for the command line and the job record."""

    version: str  # the classifier's
    pending: int  # items that needed tags
    tagged: int = 0
    flagged: int = 0  # items flagged in the whole store afterwards
    embedded: int = 0  # passages embedded now
    cached: int = 0  # passages read from the embedding cache


def tag_pending(
    config: WatchList,
    db: Database,
    everything: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> TagRun:
    """Tag what is pending and save it; `progress(done, total)` after loading the model and
    after each chunk. With nothing pending the model is not loaded at all (the hourly job's
    usual case). A read-only store fails before the model loads, not after the work."""
    from classifiers.heads import load_heads
    from classifiers.tagger import CHUNK_ITEMS, Tagger

    heads = load_heads()
    pending = ids_to_tag(db, heads.version, everything)
    run = TagRun(heads.version, len(pending))
    if not pending:
        return run
    check_writable(db, config.database)
    tagger = Tagger(config, heads=heads)
    embedder = tagger.embedder
    cache = EmbeddingCache(cache_path(config.database), embedder.encoder, embedder.dimensions)
    embedder.cache = cache
    known = set(config.council_register())
    try:
        if progress:
            progress(0, len(pending))
        for start in range(0, len(pending), CHUNK_ITEMS):
            items = items_by_id(db, pending[start : start + CHUNK_ITEMS])
            for item in items:
                offsets = item["page_offsets"]
                item["page_offsets"] = json.loads(offsets) if offsets else None
            rows = [
                {
                    "item_id": item["id"],
                    "classifier_version": tagger.version,
                    "sentiment": result["sentiment"],
                    "service": result["service"],
                    "scores": result["factors"],
                    "flags": result["flags"],  # with the rule that fired, if one did
                    "councils": [  # the publisher is the item's own council already
                        c["gss_code"]
                        for c in result["councils"]
                        if c["gss_code"] != item["council"]
                    ],
                    "tagged_at": now_iso(),
                }
                for item, result in zip(items, tagger.tag_many(items), strict=True)
            ]
            run.tagged += save_tags(db, rows, known)
            if progress:
                progress(min(start + CHUNK_ITEMS, len(pending)), len(pending))
    finally:
        embedder.cache = None
        cache.close()
    run.flagged = count_flagged(db)
    run.embedded, run.cached = cache.misses, cache.hits
    return run
