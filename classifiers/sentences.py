"""Split items into sentences (with their character offsets) for sentence-level scoring."""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_CHARS = 12
MAX_CHARS = 600
# A sentence ends at . ! ? followed by space and a capital/digit/quote, or at a line break.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(£])|\n+")
_ABBREVIATIONS = re.compile(
    r"\b(?:Cllr|Mr|Mrs|Ms|Dr|No|St|Rev|Prof|para|cf|e\.g|i\.e|etc)\.$", re.I
)


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int


_WRAPPED_LINE = re.compile(r"(?<=[^\n]{59}[^.!?:;\n])\n(?=\S)|(?<=[^.!?:;\n])\n(?=[a-z])")


def unwrap_lines(text: str) -> str:
    """Join lines a PDF wrapped mid-sentence; keep short lines (headings) on their own.

    Replaces a newline by a space, so character offsets (for page numbers) do not move.
    """
    return _WRAPPED_LINE.sub(" ", text)


def split_sentences(text: str) -> list[Sentence]:
    text = unwrap_lines(text)
    sentences: list[Sentence] = []
    start = 0
    pending_start = None
    for match in _BOUNDARY.finditer(text + "\n"):
        piece = text[start : match.start()]
        if _ABBREVIATIONS.search(piece.rstrip()) and "\n" not in match.group(0):
            pending_start = start if pending_start is None else pending_start
            start = match.end()
            continue
        begin = pending_start if pending_start is not None else start
        chunk = text[begin : match.start()].strip()
        pending_start = None
        if len(chunk) >= MIN_CHARS:
            for offset in range(0, len(chunk), MAX_CHARS):
                sentences.append(Sentence(chunk[offset : offset + MAX_CHARS], begin + offset))
        start = match.end()
    return sentences
