"""The SQLite store (sqlite-utils): every SQL statement in the product lives in this package."""

from store.db import open_db

__all__ = ["open_db"]
