"""Group syndicated stories: the same article in several outlets is one story, counted once.

Exact copies are already dropped by de-duplication. Near-copies (an outlet's own intro, a
changed headline, trimmed paragraphs) are found with MinHash over 5-word shingles and
locality-sensitive hashing: the sketch is cut into bands, and items sharing a band are
compared. Every URL is kept as its own item; items of one story share a `story_id`.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import numpy as np

from domain.items import Item
from pipelines.database import StoreBackedPipeline
from store.stories import find_story_candidates

PERMUTATIONS = 32
BANDS = 8  # 8 bands of 4 rows: pairs above about 0.6 similarity share a band
SHINGLE = 5
SAME_STORY = 0.5  # estimated Jaccard similarity of shingle sets
MIN_WORDS = 40
# A syndicated story is recognised by its opening pages. Hashing every shingle of a 2 MB
# article would take seconds and a PERMUTATIONS x shingles matrix of ~90 MB (a 20 MB one,
# nearly a gigabyte) and find nothing the first 20,000 words had not.
MAX_WORDS = 20_000
STORY_KINDS = ("news", "media", "alert", "notice")  # minutes and reports are not syndicated
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20261127)  # fixed: sketches must be comparable across runs
_A = _rng.integers(1, (1 << 61) - 1, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, (1 << 61) - 1, PERMUTATIONS, dtype=np.uint64)


def minhash(text: str) -> np.ndarray | None:
    """PERMUTATIONS minimum hashes of the word shingles of the text's first MAX_WORDS
    words (None for short texts)."""
    words = re.findall(r"\w+", text[: MAX_WORDS * 20].lower())[:MAX_WORDS]
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    hashes = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") >> 3
            for s in shingles
        ),
        dtype=np.uint64,
        count=len(shingles),
    )
    # (a*h + b) mod p per permutation; uint64 wraps, which keeps the family good enough here
    mixed = (_A[:, None] * hashes[None, :] + _B[:, None]) % _PRIME
    return mixed.min(axis=1)


def band_keys(signature: np.ndarray) -> list[str]:
    rows = PERMUTATIONS // BANDS
    keys = []
    for band in range(BANDS):
        chunk = signature[band * rows : (band + 1) * rows].tobytes()
        keys.append(f"{band}:{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
    return keys


class StoryPipeline(StoreBackedPipeline):
    """Give each item a `story_id`: an earlier near-identical item's story, or its own id."""

    def process_item(self, item: Item, spider: Any = None) -> Item:
        item["story_id"] = item["id"]
        if item.get("kind") not in STORY_KINDS or item.get("summary_only"):
            return item
        signature = minhash(item.get("text") or "")
        if signature is None:
            return item
        keys = band_keys(signature)
        item["story_sketch"] = {"signature": signature.tolist(), "bands": keys}
        best_story = most_similar_story(signature, find_story_candidates(self.db, keys))
        if best_story:
            item["story_id"] = best_story
        return item


def most_similar_story(signature: np.ndarray, candidates: list[dict[str, Any]]) -> str | None:
    """The story of the candidate most similar to `signature`, if at least SAME_STORY (the
    last of equals, in the store's order), or None.

    One array comparison for all candidates: a story syndicated widely has as many stored
    copies as outlets, each one a candidate for the next copy, and comparing them one at a
    time (one JSON parse and one numpy call each) was a tenth of a crawl of England."""
    if not candidates:
        return None
    signatures = np.array(
        json.loads("[" + ",".join(c["signature"] for c in candidates) + "]"), dtype=np.uint64
    )
    scores = (signatures == signature[None, :]).mean(axis=1)
    best = float(scores.max())
    if best < SAME_STORY:
        return None
    last = len(scores) - 1 - int(np.argmax(scores[::-1] == best))
    return str(candidates[last]["story_id"])
