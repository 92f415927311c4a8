"""Normalise items: canonical URL and id, clean text, dates in one format, content hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from w3lib.html import remove_tags, replace_entities

from domain.items import Item
from pipelines.urls import canonical_url
from store.times import DATE_FORMAT, now_iso  # noqa: F401 - one format, re-exported

# C1 controls in scraped text are nearly always windows-1252 read as Latin-1 ("\x92" for a
# curly apostrophe): give them the character windows-1252 meant; its five holes go.
_C1_AS_CP1252 = {
    code: bytes([code]).decode("cp1252", errors="ignore") or None for code in range(0x80, 0xA0)
}
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029]")  # U+0085 is "…" in windows-1252
# Invisible characters that change what a reader sees or a search matches without being
# text: C0 controls but tab and newline, DEL, and every Unicode format character (bidi
# embeddings, overrides, isolates and marks, zero-width space, word joiner, byte-order mark,
# soft hyphen, interlinear annotations, tag characters), except the zero-width (non-)joiner,
# which Arabic and Indic scripts need to spell words. Noncharacters go too.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f"
    + "".join(
        chr(code)
        for code in range(0xA0, 0x10000)
        if unicodedata.category(chr(code)) == "Cf" and code not in (0x200C, 0x200D)
    )
    + "\ufdd0-\ufdef\ufffe\uffff\U000e0000-\U000e007f\U0001d173-\U0001d17a]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
TITLE_MAX = 500  # characters: a longer "title" is a body a feed put in the wrong element


def _without_lone_surrogates(text: str) -> str:
    """A feed can spell half a UTF-16 pair as a character reference (&#xD83D;), and SQLite
    cannot store such a string: rejoin halves that make a pair, replace the rest with U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def visible_text(text: str) -> str:
    """`text` without what a reader cannot see but a screen or a parser obeys: controls but
    tab and newline (C1 ones read as windows-1252), format characters (bidi overrides,
    zero-width space...) and lone surrogates. Layout and spacing are left as they are."""
    text = _without_lone_surrogates(text).translate(_C1_AS_CP1252)
    return _INVISIBLE.sub("", text)


def clean_text(text: str | None) -> str:
    """NFC, no control, format (bidi, zero-width) or lone-surrogate characters, single
    spaces, at most one blank line: what is stored is what a reader sees and search finds."""
    if not text:
        return ""
    text = visible_text(_LINE_BREAKS.sub("\n", text))
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def clean_title(title: str | None) -> str:
    """Titles from feeds may carry markup (alerts bold the match): keep the words only, on
    one line, and no more than TITLE_MAX characters (cut at a word, marked with "…")."""
    words = " ".join(clean_text(replace_entities(remove_tags(title or ""))).split())
    if len(words) <= TITLE_MAX:
        return words
    cut = words[:TITLE_MAX].rsplit(" ", 1)[0] or words[:TITLE_MAX]
    return cut.rstrip() + "…"


def content_hash(text: str) -> str | None:
    """Hash of the words of a text, so the same story syndicated elsewhere is stored once."""
    words = re.sub(r"\W+", " ", text.lower()).strip()
    if len(words) < 200:  # short snippets are too alike to call duplicates
        return None
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def item_id(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


class NormalisePipeline:
    def process_item(self, item: Item, spider: Any = None) -> Item:
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
