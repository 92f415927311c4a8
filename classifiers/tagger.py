"""Tag items: factor scores from their passages, evidence, sentiment and councils.

An item is read as passages: runs of consecutive sentences of up to `WINDOW_WORDS` words,
the headline leading the first, the shape of the headline-and-paragraph snippets the heads
were trained on. An item's score for a factor is the best score of any passage, so one
alarming paragraph in forty pages of routine minutes is found. Only in a passage that flags
a factor are its sentences scored one by one, to pick the sentence an adviser sees as
evidence (with its PDF page): most items flag nothing and pay for one pass only.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from classifiers.attribution import CouncilMatcher, attribute
from classifiers.embed import Embedder, shared_embedder
from classifiers.heads import Heads, load_heads
from classifiers.rules import rule_scores
from classifiers.sentences import Sentence, split_sentences
from domain.config import FACTORS, WatchList

WINDOW_WORDS = 80  # the longest training snippets; longer sentences are passages of their own
HEADING_WORDS = 8  # a shorter paragraph is a heading, and joins the paragraph it heads
MIN_MODEL_WORDS = 5  # headings and list fragments ("Apologies for absence") are not scored
LONG_ITEM_WORDS = 500  # above this the stricter `thresholds.long_item` applies in full
LONG_ITEM_PASSAGES = 16  # ... and at this many passages (short paragraphs)
MAX_MODEL_PASSAGES = 800  # about 100 pages of minutes; beyond that only the rules read on
CHUNK_ITEMS = 64  # items embedded together; bounds memory on long JSON Lines input
EVIDENCE_CONTRAST = 1.0  # how much a sentence's score for the other flagged factors counts
MIN_EVIDENCE_WORDS = 4  # "Apologies for absence" is a heading, not evidence
FURNITURE_WORDS = 8  # "Related party transactions were not disclosed" is not furniture
# Page furniture that pages and feeds carry around the article: never the evidence.
FURNITURE = re.compile(
    r"\W*(?:(?:first |last )?(?:published|posted|updated|modified)|date|share|print|tags?|"
    r"categor(?:y|ies)|filed under|read more|related|by [A-Z][a-z]+ [A-Z][a-z]+$)\b"
    r"|\W*(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,? )?\d{1,2}(?:st|nd|rd|th)? "
    r"[A-Za-z]+ \d{4}\W*$",
    re.I,
)


@dataclass
class Passage:
    text: str
    sentences: list[Sentence] = field(default_factory=list)  # offsets into the item's text
    title: str = ""  # the headline, leading the first passage only
    headline: str = ""  # the item's headline, for every passage: never its evidence

    def words(self) -> int:
        return len(self.text.split())

    def candidates(self) -> list[Sentence]:
        """Where a rule may fire: the headline (no offset) and each sentence."""
        return ([Sentence(self.title, -1)] if self.title else []) + self.sentences

    def evidence_candidates(self) -> list[Sentence]:
        """Where the evidence an adviser reads may come from: the body's sentences, not the
        headline (nor the headline repeated at the top of the text), nor page furniture
        ("Published: 3 December 2026", "Share this page"), nor headings of a word or two.
        The headline only when the passage has nothing else."""
        title = " ".join(self.headline.split()).lower()
        body = [
            s
            for s in self.sentences
            if len(s.text.split()) >= MIN_EVIDENCE_WORDS
            and not (FURNITURE.match(s.text) and len(s.text.split()) <= FURNITURE_WORDS)
            and not (title and " ".join(s.text.split()).lower() == title)
        ]
        return body or self.candidates()


def passages_of(item: dict[str, Any]) -> list[Passage]:
    """The item's passages, in order; the title leads the first one."""
    title = (item.get("title") or "").strip()
    passages: list[Passage] = []
    current: list[Sentence] = []
    budget = WINDOW_WORDS - len(title.split())

    def close() -> None:
        lead = title if not passages else ""
        text = " ".join(([lead] if lead else []) + [s.text for s in current])
        passages.append(Passage(text, list(current), lead, title))
        current.clear()

    text = item.get("text") or ""
    end = 0
    for sentence in split_sentences(text):
        words = len(sentence.text.split())
        held = sum(len(s.text.split()) for s in current)
        # A new paragraph starts a new passage (after a heading, which leads its paragraph),
        # so an alarming paragraph is scored on its own, not diluted by its neighbours.
        new_paragraph = "\n" in text[end : sentence.start] and held >= HEADING_WORDS
        if current and (new_paragraph or words + held > budget):
            close()
            budget = WINDOW_WORDS
        current.append(sentence)
        end = sentence.start + len(sentence.text)
    if current or not passages:
        close()
    return passages


@dataclass
class _Scored:
    item: dict[str, Any]
    passages: list[Passage]
    probs: dict[str, np.ndarray]  # per head, one score per passage (0 where not modelled)
    sentiment: np.ndarray  # the first passage's sentiment distribution


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
        all_passages = [passages_of(item) for item in items]
        modelled = [
            [
                i
                for i, p in enumerate(ps[:MAX_MODEL_PASSAGES])
                if i == 0 or p.words() >= MIN_MODEL_WORDS
            ]
            for ps in all_passages
        ]
        texts = [all_passages[k][i].text for k, index in enumerate(modelled) for i in index]
        embeddings = self.embedder.embed(texts)
        probs = self.heads.probabilities(embeddings, texts)
        firsts = np.cumsum([0] + [len(index) for index in modelled])[:-1]
        sentiment = self.heads.sentiment_probabilities(
            embeddings[firsts], [texts[i] for i in firsts]
        )
        scored, start = [], 0
        for k, (item, passages, index) in enumerate(
            zip(items, all_passages, modelled, strict=True)
        ):
            item_probs = {}
            for name, values in probs.items():
                full = np.zeros(len(passages), dtype=np.float64)
                full[index] = values[start : start + len(index)]
                item_probs[name] = full
            scored.append(_Scored(item, passages, item_probs, sentiment[k]))
            start += len(index)
        return self._results(scored)

    def _results(self, scored: list[_Scored]) -> list[dict[str, Any]]:
        """Decide flags per item, then find evidence sentences for all of them in one batch."""
        decisions = [self._decide(s) for s in scored]
        wanted: list[tuple[int, str, Sentence]] = []
        for k, decision in enumerate(decisions):
            for factor, (passage, rule_sentence) in decision["flagged"].items():
                candidates = passage.evidence_candidates()  # filtered once per passage
                if rule_sentence is None and len(candidates) > 1:
                    wanted += [(k, factor, sentence) for sentence in candidates]
        if wanted:
            # A passage flagged for two factors is read once: one row per distinct sentence.
            rows = {text: row for row, text in enumerate(dict.fromkeys(s.text for *_, s in wanted))}
            texts = list(rows)
            probs = self.heads.probabilities(self.embedder.embed(texts), texts)
            best: dict[tuple[int, str], tuple[float, Sentence]] = {}
            for k, factor, sentence in wanted:
                # The sentence for leadership must be about leadership: where the item is
                # flagged for several factors, a sentence is scored for how much more it
                # says of this factor than of the others flagged beside it.
                row = rows[sentence.text]
                others = [probs[f][row] for f in decisions[k]["flagged"] if f != factor]
                score = float(probs[factor][row]) - EVIDENCE_CONTRAST * max(others, default=0.0)
                if (k, factor) not in best or score > best[(k, factor)][0]:
                    best[(k, factor)] = (score, sentence)
            for (k, factor), (_, sentence) in best.items():
                decisions[k]["evidence_sentence"][factor] = sentence
        return [self._result(s, d) for s, d in zip(scored, decisions, strict=True)]

    def _decide(self, scored: _Scored) -> dict[str, Any]:
        passages = scored.passages
        # The best of many passages is high by chance alone: long minutes need more to flag.
        # The bar rises with the number of passages, from `thresholds.flag` for one passage to
        # `thresholds.long_item` at LONG_ITEM_PASSAGES or at LONG_ITEM_WORDS.
        words = sum(p.words() for p in passages)
        share = (
            1.0 if words > LONG_ITEM_WORDS else min(1.0, (len(passages) - 1) / LONG_ITEM_PASSAGES)
        )
        threshold = self.threshold + (self.long_threshold - self.threshold) * share
        ruled: dict[str, tuple[float, str, int, str]] = {}  # factor -> score, rule, passage, text
        for index, passage in enumerate(passages):
            for piece in (s.text for s in passage.candidates()):
                for factor, (score, rule) in rule_scores(piece, self.terms).items():
                    if factor not in ruled or score > ruled[factor][0]:
                        ruled[factor] = (score, rule, index, piece)
        factors, flagged, fired = {}, {}, {}
        for factor in FACTORS:
            model = scored.probs[factor]
            best = int(np.argmax(model))
            rule = ruled.get(factor)
            factors[factor] = round(max(float(model[best]), rule[0] if rule else 0.0), 4)
            # A rule or an admin's term is evidence enough on its own, however long the item;
            # the model's best passage is the evidence when it scores higher still.
            if rule and rule[0] >= model[best]:
                flagged[factor], fired[factor] = (passages[rule[2]], rule[3]), rule[1]
            elif model[best] >= threshold:
                flagged[factor], fired[factor] = (passages[best], None), None
            elif rule:
                flagged[factor], fired[factor] = (passages[rule[2]], rule[3]), rule[1]
        return {
            "factors": factors,
            "flagged": flagged,
            "rules": fired,
            "service": bool(float(scored.probs["service"].max()) >= self.threshold),
            "evidence_sentence": {},
        }

    def _result(self, scored: _Scored, decision: dict[str, Any]) -> dict[str, Any]:
        item = scored.item
        offsets = item.get("page_offsets") or []
        evidence, flags = {}, {}
        for factor, (passage, rule_sentence) in decision["flagged"].items():
            sentence = decision["evidence_sentence"].get(factor)
            if rule_sentence is not None:
                located = next(s for s in passage.candidates() if s.text == rule_sentence)
            elif sentence is not None:
                located = sentence
            else:  # a passage of one sentence (or a headline alone) is its own evidence
                found = passage.evidence_candidates()
                located = found[0] if found else Sentence("", -1)
            text = located.text or passage.text
            page = None
            if offsets and located.start >= 0:
                page = bisect.bisect_right(offsets, located.start)
            evidence[factor] = text
            flags[factor] = {
                "score": decision["factors"][factor],
                "evidence": text,
                "page": page,
                "rule": decision["rules"][factor],
            }
        labels = list(flags)
        classes = self.heads.sentiment[0]
        mood = classes[int(np.argmax(scored.sentiment))]
        # Sentiment is about the council's situation, not the prose: trouble is negative
        # however it is worded. A risky venture announced with fanfare is not good news, but
        # not yet bad either: neutral when the prose is upbeat.
        if decision["service"] or set(labels) - {"risky_change"}:
            mood = "negative"
        elif labels:
            mood = "neutral" if mood == "positive" else "negative"
        links = attribute(
            self.matcher, item.get("title") or "", item.get("text") or "", item.get("council")
        )
        councils = [
            {"gss_code": code, "name": self.matcher.names.get(code, code)} for code, _ in links
        ]
        return {
            "id": item.get("id"),
            "factors": decision["factors"],
            "labels": labels,
            "sentiment": mood,
            "service": decision["service"],
            "councils": councils,
            "evidence": evidence,
            "flags": flags,
            "classifier_version": self.version,
        }
