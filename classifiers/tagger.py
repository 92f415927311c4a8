"""Tag items: factor scores from their best sentences, evidence, sentiment and councils.

An item's score for a factor is the highest score of any of its sentences (or its title), so
one alarming paragraph in forty pages of routine minutes is found, and that sentence is the
evidence an adviser sees.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from classifiers.attribution import CouncilMatcher
from classifiers.embed import Embedder, shared_embedder
from classifiers.heads import Heads, load_heads
from classifiers.rules import rule_scores
from classifiers.sentences import split_sentences
from radar.config import FACTORS, WatchList

MIN_MODEL_WORDS = 5  # headings and list fragments ("Apologies for absence") are not scored
LONG_ITEM_PASSAGES = 20  # above this, the stricter `thresholds.long_item` applies
MAX_MODEL_PASSAGES = 400  # about 40 pages of minutes; beyond that only the rules read on
LEAD_PASSAGES = 3  # title and first sentences: what the item is mainly about, for sentiment
CHUNK_ITEMS = 64  # items embedded together; bounds memory on long JSON Lines input


@dataclass
class Passage:
    text: str
    page: int | None


def passages_of(item: dict[str, Any]) -> list[Passage]:
    offsets = item.get("page_offsets") or []
    passages = []
    title = (item.get("title") or "").strip()
    if title:
        passages.append(Passage(title, None))
    for sentence in split_sentences(item.get("text") or ""):
        page = bisect.bisect_right(offsets, sentence.start) if offsets else None
        passages.append(Passage(sentence.text, page))
    return passages or [Passage("", None)]


class Tagger:
    """Load once, then tag any number of items in batches."""

    def __init__(
        self,
        watchlist: WatchList,
        heads: Heads | None = None,
        embedder: Embedder | None = None,
    ):
        self.heads = heads or load_heads()
        self.embedder = embedder or shared_embedder()
        self.threshold = watchlist.thresholds.flag
        self.long_threshold = watchlist.thresholds.long_item
        self.terms = watchlist.terms
        self.matcher = CouncilMatcher(watchlist.council_register().values())

    @property
    def version(self) -> str:
        return self.heads.version

    def tag_many(self, items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Yield one result per item, in order; embeds CHUNK_ITEMS items at a time."""
        chunk: list[dict[str, Any]] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= CHUNK_ITEMS:
                yield from self._tag_chunk(chunk)
                chunk = []
        if chunk:
            yield from self._tag_chunk(chunk)

    def _tag_chunk(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Embed up to MAX_MODEL_PASSAGES passages per item; the rules read every passage."""
        all_passages = [passages_of(item) for item in items]
        flat = [p.text for passages in all_passages for p in passages[:MAX_MODEL_PASSAGES]]
        embeddings = self.embedder.embed(flat)
        probs = self.heads.probabilities(embeddings)
        sentiment = self.heads.sentiment_probabilities(embeddings)
        results, start = [], 0
        for item, passages in zip(items, all_passages, strict=True):
            modelled = min(len(passages), MAX_MODEL_PASSAGES)
            window, unread = slice(start, start + modelled), len(passages) - modelled
            results.append(
                self._result(
                    item,
                    passages,
                    {name: np.pad(values[window], (0, unread)) for name, values in probs.items()},
                    sentiment[window],
                )
            )
            start += modelled
        return results

    def _result(
        self,
        item: dict[str, Any],
        passages: list[Passage],
        probs: dict[str, np.ndarray],
        sentiment: np.ndarray,
    ) -> dict[str, Any]:
        scores = {factor: probs[factor].astype(float).copy() for factor in FACTORS}
        for index, passage in enumerate(passages):
            if index and len(passage.text.split()) < MIN_MODEL_WORDS:
                for factor in FACTORS:
                    scores[factor][index] = 0.0
        # The best of many sentences is high by chance alone: long minutes need more to flag.
        threshold = self.long_threshold if len(passages) > LONG_ITEM_PASSAGES else self.threshold
        fired_by: dict[tuple[str, int], str] = {}
        for index, passage in enumerate(passages):
            for factor, (score, rule) in rule_scores(passage.text, self.terms).items():
                if score > scores[factor][index]:
                    scores[factor][index] = score
                    fired_by[(factor, index)] = rule
        factors, labels, evidence, flags = {}, [], {}, {}
        for factor in FACTORS:
            best = int(np.argmax(scores[factor]))
            factors[factor] = round(float(scores[factor][best]), 4)
            # A rule or an admin's term is evidence enough on its own, however long the item.
            needed = self.threshold if (factor, best) in fired_by else threshold
            if factors[factor] >= needed:
                labels.append(factor)
                evidence[factor] = passages[best].text
                flags[factor] = {
                    "score": factors[factor],
                    "evidence": passages[best].text,
                    "page": passages[best].page,
                    "rule": fired_by.get((factor, best)),
                }
        service = bool(float(probs["service"].max()) >= self.threshold)
        lead = sentiment[:LEAD_PASSAGES].mean(axis=0)
        mood = self.heads.sentiment[0][int(np.argmax(lead))]
        if labels or service:
            mood = "negative"  # sentiment is about the council's situation, not the prose
        own = item.get("council")
        mentions = self.matcher.find(f"{item.get('title') or ''}\n{item.get('text') or ''}")
        councils = [{"gss_code": m.gss_code, "name": m.name} for m in mentions]
        if own and own not in {c["gss_code"] for c in councils}:
            councils.insert(0, {"gss_code": own, "name": self.matcher.names.get(own, own)})
        return {
            "id": item.get("id"),
            "factors": factors,
            "labels": labels,
            "sentiment": mood,
            "service": service,
            "councils": councils,
            "evidence": evidence,
            "flags": flags,
            "classifier_version": self.version,
        }
