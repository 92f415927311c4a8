"""A cache of passage embeddings, keyed by the encoder and the passage's content hash.

The transformer is nearly all of tagging's cost, and most passages it reads were read
before: `radar retag` after a rule or threshold change, an item re-fetched with one
paragraph changed, the same boilerplate paragraph on every page of a site, a syndicated
story. Keyed by (encoder, SHA-256 of the passage text), a passage is embedded once per
encoder; a new adapter from `radar train --encoder` is a new encoder and starts afresh.

Kept in its own SQLite file beside the store (`radar.db` → `radar.embeddings.db`): it is
derived data, safe to delete at any time, and would otherwise double the store's backups.
Vectors are stored as float32 bytes, exactly what the model gave, so a cached result is the
same result: 1.7 KB a passage with its key and index (measured), 1.7 GB per million.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from store.db import BUSY_TIMEOUT_MS


def cache_path(database: Path) -> Path:
    return database.with_name(database.stem + ".embeddings.db")


class EmbeddingCache:
    def __init__(self, path: Path, encoder: str, dimensions: int):
        self.path = Path(path)
        self.encoder = encoder.encode()
        self.dimensions = dimensions
        self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        # 8 KB pages hold five 1.5 KB vectors (95% full); 4 KB pages hold two (75%).
        self.conn.execute("PRAGMA page_size=8192")  # takes effect on a new file only
        self.conn.execute("PRAGMA journal_mode=WAL")
        # A rowid table, not WITHOUT ROWID: there a 1.5 KB row overflows its index page and
        # costs a whole page of its own (4.6 KB a passage measured, against 1.7 KB).
        self.conn.execute(
            "create table if not exists vectors (key blob primary key, vector blob not null)"
        )
        self.hits = self.misses = 0

    def key(self, text: str) -> bytes:
        data = self.encoder + b"\0" + text.encode("utf-8", "surrogatepass")
        return hashlib.sha256(data).digest()[:16]

    def get_many(self, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """Cached vectors by position in `texts`."""
        keys = [self.key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self.conn.execute(
                f"select key, vector from vectors where key in ({marks})", chunk
            ):
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self.dimensions,):
                    found[key] = vector
        hits = {i: found[k] for i, k in enumerate(keys) if k in found}
        self.hits += len(hits)
        self.misses += len(texts) - len(hits)
        return hits

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [
            (self.key(t), np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self.conn:
            self.conn.executemany("insert or replace into vectors values (?, ?)", rows)

    def close(self) -> None:
        self.conn.close()
