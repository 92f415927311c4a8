"""Measure the classifier and its baselines on a labelled file (`radar eval`).

Two kinds of labelled JSON Lines file:

* factor files (`classifiers/data/dev.jsonl`): `id`, optional `title`, `text`, `factors`
  (or `labels`), `sentiment`, optional `service`. Printed: precision, recall and F1 per
  factor, macro-F1 over the four factors, the share of items with no factor that were flagged
  anyway (false alarms), sentiment accuracy; the same for the keyword baseline and VADER.
* attribution files (`classifiers/data/attribution.jsonl`): `id`, `text`, `councils` (gold GSS
  codes), optional `source_council`. Printed: micro precision, recall and F1 over (item,
  council) pairs for the matcher and for the naive name search.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifiers.attribution import CouncilMatcher, attribute
from classifiers.baselines import NameSearch, keyword_labels, vader_sentiment
from classifiers.sentences import split_sentences
from domain.config import FACTORS, WatchList

DATA_DIR = Path(__file__).resolve().parent / "data"
DEV_FILE = DATA_DIR / "dev.jsonl"
# Written before any tuning, by writers who saw neither the training data nor the classifier;
# never trained or tuned on: the figures on text the classifier has never seen.
TEST_FILES = (DATA_DIR / "test.jsonl", DATA_DIR / "test_hard.jsonl")
ATTRIBUTION_FILE = DATA_DIR / "attribution.jsonl"
ATTRIBUTION_FILES = (
    ATTRIBUTION_FILE,
    DATA_DIR / "attribution_dev.jsonl",
    DATA_DIR / "attribution_test.jsonl",
    DATA_DIR / "attribution_hard.jsonl",
)


class LabelError(ValueError):
    pass


def read_labelled(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """("factors" | "attribution", records); a bad line is named by file and line number."""
    records, kinds = [], set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"{path}: cannot read: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError("each line needs an object with a text")
            if "councils" in record:
                kinds.add("attribution")
                if not isinstance(record["councils"], list):
                    raise ValueError("councils must be a list of GSS codes")
            else:
                kinds.add("factors")
                factors = record.get("factors", record.get("labels"))
                if not isinstance(factors, list) or set(factors) - set(FACTORS):
                    raise ValueError(f"factors must be a list drawn from {', '.join(FACTORS)}")
                if record.get("sentiment") not in ("negative", "neutral", "positive"):
                    raise ValueError("sentiment must be negative, neutral or positive")
                record["factors"] = factors
        except ValueError as exc:
            raise LabelError(f"{path}:{number}: {exc}") from None
        records.append(record)
    if len(kinds) != 1:
        raise LabelError(f"{path}: expected one kind of labelled record, found {sorted(kinds)}")
    return kinds.pop(), records


def scores(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 from counts of true positives, false positives, misses."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def prf(truth: Sequence[set[str]], guess: Sequence[set[str]], label: str) -> dict[str, float]:
    tp = sum(label in t and label in g for t, g in zip(truth, guess, strict=True))
    fp = sum(label not in t and label in g for t, g in zip(truth, guess, strict=True))
    fn = sum(label in t and label not in g for t, g in zip(truth, guess, strict=True))
    return {**scores(tp, fp, fn), "support": tp + fn}


def factor_report(
    examples: list[dict[str, Any]], guesses: list[set[str]], sentiments: list[str] | None
) -> dict[str, Any]:
    truth = [set(e["factors"]) | ({"service"} if e.get("service") else set()) for e in examples]
    report: dict[str, Any] = {label: prf(truth, guesses, label) for label in (*FACTORS, "service")}
    report["macro_f1"] = sum(report[f]["f1"] for f in FACTORS) / len(FACTORS)
    routine = [g for e, g in zip(examples, guesses, strict=True) if not e["factors"]]
    report["false_alarm_rate"] = (
        sum(bool(g & set(FACTORS)) for g in routine) / len(routine) if routine else 0.0
    )
    report["routine_items"] = len(routine)
    if sentiments is not None:
        correct = sum(e["sentiment"] == s for e, s in zip(examples, sentiments, strict=True))
        report["sentiment_accuracy"] = correct / len(examples) if examples else 0.0
    return report


def evaluate_factors(
    tagger: Any, examples: list[dict[str, Any]], keep_misses: bool = False
) -> dict[str, Any]:
    """The tagger, the keyword baseline and VADER on the same labelled examples."""
    items = [
        {"id": e.get("id"), "title": e.get("title") or "", "text": e["text"]} for e in examples
    ]
    results = list(tagger.tag_many(items))
    tagged = [set(r["labels"]) | ({"service"} if r["service"] else set()) for r in results]
    texts = [f"{e.get('title') or ''}\n{e['text']}" for e in examples]
    misses = [
        {
            "id": e.get("id"),
            "text": e["text"],
            "expected": sorted(set(e["factors"])) + [e["sentiment"]],
            "got": sorted(set(r["labels"])) + [r["sentiment"]],
        }
        for e, r in zip(examples, results, strict=True)
        if set(e["factors"]) != set(r["labels"]) or e["sentiment"] != r["sentiment"]
    ]
    return {
        "examples": len(examples),
        "classifier_version": tagger.version,
        **({"misses": misses} if keep_misses else {}),
        "classifier": factor_report(examples, tagged, [r["sentiment"] for r in results]),
        "keywords": factor_report(examples, [set(keyword_labels(t)) for t in texts], None),
        "vader": {
            "sentiment_accuracy": sum(
                vader_sentiment(t) == e["sentiment"] for t, e in zip(texts, examples, strict=True)
            )
            / max(1, len(examples))
        },
    }


def attribution_report(examples: list[dict[str, Any]], guesses: list[set[str]]) -> dict[str, float]:
    tp = sum(len(set(e["councils"]) & g) for e, g in zip(examples, guesses, strict=True))
    fp = sum(len(g - set(e["councils"])) for e, g in zip(examples, guesses, strict=True))
    fn = sum(len(set(e["councils"]) - g) for e, g in zip(examples, guesses, strict=True))
    exact = sum(set(e["councils"]) == g for e, g in zip(examples, guesses, strict=True))
    return {**scores(tp, fp, fn), "exact": exact / max(1, len(examples))}


def evaluate_attribution(watchlist: WatchList, examples: list[dict[str, Any]]) -> dict[str, Any]:
    councils = watchlist.council_register().values()
    matcher, naive = CouncilMatcher(councils), NameSearch(councils)
    ours = [
        {
            code
            for code, _ in attribute(
                matcher, e.get("title") or "", e["text"], e.get("source_council")
            )
        }
        for e in examples
    ]
    baseline = [
        set(naive.find(f"{e.get('title') or ''}\n{e['text']}"))
        | ({e["source_council"]} if e.get("source_council") else set())
        for e in examples
    ]
    misses = [
        {"id": e.get("id"), "text": e["text"], "gold": sorted(e["councils"]), "found": sorted(g)}
        for e, g in zip(examples, ours, strict=True)
        if set(e["councils"]) != g
    ]
    return {
        "examples": len(examples),
        "matcher": attribution_report(examples, ours),
        "name_search": attribution_report(examples, baseline),
        "misses": misses,
    }


def evaluate_long_items(
    tagger: Any, examples: list[dict[str, Any]], words: int = 300, seed: int = 0
) -> dict[str, Any]:
    """One alarming snippet hidden in `words` of routine ones, with and without paragraphs.

    Built from the labelled file itself (its routine snippets as filler), so on the dev split
    it is as unseen as the dev split: recall is the share of items where at least one of the
    hidden snippet's factors is found; false alarms, the share of routine-only items flagged.
    """
    rng = random.Random(seed)
    routine = [
        e["text"]
        for e in examples
        if not e["factors"] and not e.get("service") and e["text"].split()
    ]
    adverse = [e for e in examples if e["factors"]]
    if not routine or not adverse:
        return {}

    def filler(target: int) -> list[str]:
        texts: list[str] = []
        while sum(len(t.split()) for t in texts) < target:
            texts.append(rng.choice(routine))
        return texts

    report: dict[str, Any] = {"items": len(adverse), "routine_items": len(adverse), "words": words}
    for layout, joiner in (("paragraphs", "\n"), ("run_on", " ")):
        hidden, truths = [], []
        for example in adverse:
            texts = filler(words - len(example["text"].split()))
            texts.insert(rng.randrange(len(texts) + 1), example["text"])
            hidden.append({"title": "Council news", "text": joiner.join(texts)})
            truths.append(set(example["factors"]))
        plain = [{"title": "Council news", "text": joiner.join(filler(words))} for _ in adverse]
        found = [set(r["labels"]) for r in tagger.tag_many(hidden)]
        flagged = [bool(r["labels"]) for r in tagger.tag_many(plain)]
        report[layout] = {
            "recall": sum(bool(f & t) for f, t in zip(found, truths, strict=True)) / len(adverse),
            "false_alarm_rate": sum(flagged) / len(plain),
        }
    return report


def evaluate_evidence(tagger: Any, examples: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    """Is the evidence an adviser reads a sentence that carries the factor?

    Built from the labelled file: each single-factor adverse snippet set as one paragraph
    among routine ones (the evidence must come from that paragraph, never from the routine
    ones or the headline), and pairs of snippets with different single factors in one item
    (each factor's evidence must come from its own snippet: the sentence for leadership must
    be about leadership). Counted over the factors found; recall is reported beside it.
    """
    rng = random.Random(seed)
    routine = [e["text"] for e in examples if not e["factors"] and not e.get("service")]
    single = [e for e in examples if len(e["factors"]) == 1]
    if not routine or len(single) < 2:
        return {}
    items, expected = [], []
    for example in single:  # headed by its own first sentence, as a news page is
        texts = [rng.choice(routine) for _ in range(3)]
        texts.insert(rng.randrange(4), example["text"])
        sentences = split_sentences(example["text"])
        title = sentences[0].text if len(sentences) > 1 else "Council news"
        items.append({"title": title, "text": "\n".join(texts)})
        expected.append({example["factors"][0]: example["text"]})
    for example in single:  # two stories run together in one paragraph
        other = rng.choice([e for e in single if e["factors"] != example["factors"]])
        pair = [example, other]
        rng.shuffle(pair)
        items.append({"title": "Council news", "text": " ".join(e["text"] for e in pair)})
        expected.append({e["factors"][0]: e["text"] for e in pair})
    found = right = wanted = 0
    for item, result, truth in zip(items, tagger.tag_many(items), expected, strict=True):
        for factor, source in truth.items():
            wanted += 1
            if factor in result["evidence"]:
                found += 1
                said = " ".join(result["evidence"][factor].split())
                right += said in " ".join(source.split()) and said != item["title"]
    return {
        "items": len(items),
        "factors": wanted,
        "found": found / max(1, wanted),
        "evidence_right": right / max(1, found),
    }
