"""Normalise items: canonical URL and id, clean text, dates in one format, content hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from w3lib.html import remove_tags, replace_entities

from pipelines.urls import canonical_url
from store.times import DATE_FORMAT, now_iso  # noqa: F401 - one format, re-exported

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str | None) -> str:
    """NFC, no control or bidi-override characters, single spaces, at most one blank line."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def clean_title(title: str | None) -> str:
    """Titles from feeds may carry markup (alerts bold the match): keep the words only."""
    return " ".join(clean_text(replace_entities(remove_tags(title or ""))).split())


def content_hash(text: str) -> str | None:
    """Hash of the words of a text, so the same story syndicated elsewhere is stored once."""
    words = re.sub(r"\W+", " ", text.lower()).strip()
    if len(words) < 200:  # short snippets are too alike to call duplicates
        return None
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def item_id(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


class NormalisePipeline:
    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        item["canonical_url"] = canonical_url(item["url"])
        item["id"] = item_id(item["canonical_url"])
        item["title"] = clean_title(item.get("title")) or item["canonical_url"]
        item["summary"] = clean_text(replace_entities(remove_tags(item.get("summary") or "")))
        item["text"] = clean_text(item.get("text")) or item["summary"]
        item["content_hash"] = content_hash(item["text"])
        item.setdefault("fetched", now_iso())
        if not item.get("published"):
            item["published"], item["date_source"] = None, "none"  # kept, and marked undated
        return item
