"""Split items into sentences (with their character offsets) for sentence-level scoring."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MIN_CHARS = 12
MAX_CHARS = 600
# A sentence ends at . ! ? followed by space and a capital, digit, quote or ellipsis (a
# search alert's "...leader deposed... ...council pulls out..." are two), or at a line break.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(£]|\.\.\.|…)|\n+")
_ABBREVIATIONS = re.compile(
    r"\b(?:Cllr|Mr|Mrs|Ms|Dr|No|St|Rev|Prof|para|cf|e\.g|i\.e|etc|s|ss)\.$", re.I
)


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int


FULL_LINE = 0.85  # a line at least this share of the text's usual width was wrapped
MIN_WRAP_CHARS = 40


def unwrap_lines(text: str) -> str:
    """Join lines a PDF wrapped mid-sentence; keep headings and headlines on their own.

    A line was wrapped if the next one starts in lower case, or if it runs to the text's
    usual line width (the 90th percentile of its line lengths) without ending a sentence. A
    headline above a paragraph, or a heading in minutes, is shorter than the text's lines
    and stays a sentence of its own, not glued to the paragraph it heads. Replaces a newline
    by a space, so character offsets (for page numbers) do not move.
    """
    if "\n" not in text:
        return text
    lines = text.split("\n")
    lengths = sorted(len(line) for line in lines if len(line.strip()) >= 20)
    width = lengths[math.ceil(0.9 * (len(lengths) - 1))] if lengths else 0
    full = max(MIN_WRAP_CHARS, FULL_LINE * width)
    out = []
    for line, following in zip(lines, lines[1:] + [""], strict=True):
        out.append(line)
        stripped = line.rstrip()
        wrapped = (
            stripped
            and following[:1].strip()
            and stripped[-1] not in ".!?:;"
            and (len(line) >= full or following[:1].islower())
        )
        out.append(" " if wrapped else "\n")
    return "".join(out[:-1])


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
