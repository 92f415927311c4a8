"""Train the heads from the labelled data in `classifiers/data/` (`radar train`)."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from classifiers.embed import MODEL_NAME, Embedder
from classifiers.evaluate import DATA_DIR, read_labelled
from classifiers.heads import Heads, Lexicon
from classifiers.sentences import split_sentences
from domain.config import FACTORS, SENTIMENTS

TRAIN_FILE = DATA_DIR / "train.jsonl"
# Every training file: the first set, then hard negatives by context category with their
# near-contrasts (train_context), then multi-factor stories, quiet finance, neutral-register
# trouble and long minutes (train_stories). Test and dev files never match this pattern.
TRAIN_FILES = tuple(sorted(DATA_DIR.glob("train*.jsonl")))
# These settings are part of the version: change them, and the version moves. Chosen by
# 5-fold cross-validation on the training split (`python -m classifiers.tune`), not on dev.
PARAMS = {"C": 16.0, "max_iter": 5000}
LEXICON = {"weight": 2.0, "min_df": 2}
BLEND_WORDS = 60  # blends stay shorter than the tagger's longest passage (80 words)
BLEND_WEIGHT = 0.5  # a blend counts half a written example: recall in long items, few false alarms


class DataError(ValueError):
    pass


@lru_cache(maxsize=1)
def training_embedder() -> Embedder:
    """Training always embeds in fp32: the same heads from the same data on any machine
    (bf16, where tagging uses it, agrees with fp32 to cosine 0.9999)."""
    return Embedder(precision="fp32")


def read_examples(path: Path) -> list[dict[str, Any]]:
    """Labelled factor examples; a bad line is reported with its file and line number."""
    kind, examples = read_labelled(path)
    if kind != "factors":
        raise DataError(f"{path}: expected factor labels, found council attribution records")
    return examples


def data_hash(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def target(example: dict[str, Any], head: str) -> bool:
    """What a binary head should answer for a labelled example."""
    return bool(example.get("service")) if head == "service" else head in example["factors"]


def blend(examples: list[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """Each example again, set among routine sentences from another, as the tagger meets it.

    The tagger reads passages of up to 80 words that run across paragraph boundaries, so an
    alarming paragraph often shares its passage with routine sentences. Heads trained only on
    clean snippets miss it there; these blends keep the example's labels.
    """
    rng = random.Random(seed)
    routine = [
        sentences
        for e in examples
        if not e["factors"] and not e.get("service")
        if (sentences := [s.text for s in split_sentences(e["text"])])
    ]
    blended: list[dict[str, Any]] = []
    if not routine:
        return blended
    for example in examples:
        filler = rng.choice(routine)
        budget = max(0, BLEND_WORDS - len(example["text"].split()))
        taken: list[str] = []
        for sentence in filler[rng.randrange(len(filler)) :]:
            if len(" ".join(taken + [sentence]).split()) > budget:
                break
            taken.append(sentence)
        if not taken:
            continue
        parts = [example["text"], " ".join(taken)]
        if rng.random() < 0.5:
            parts.reverse()
        blended.append({**example, "id": f"{example['id']}+", "text": " ".join(parts)})
    return blended


def feedback_examples(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Advisers' judged items (`store.feedback.training_rows`) as labelled examples.

    The heads learn from passages, as the tagger reads them, not from whole 40-page minutes:
    an item's example is each passage holding the evidence of a flag it still carries or of
    one an adviser dismissed (the first passage when there is none), labelled with the flags
    whose evidence it holds. So "not finance" on a false alarm teaches that sentence's
    passage as routine, and "finance" on a missed item teaches its opening as finance.
    """
    from classifiers.tagger import passages_of

    examples = []
    for row in rows:
        passages = passages_of({"title": row["title"], "text": row["text"]})
        dismissed = [
            j["evidence"]
            for j in row["judgements"]
            if j["verdict"] == "not_factor" and j.get("evidence")
        ]
        anchors = [e for e in (*row["flags"].values(), *dismissed) if e]
        chosen = [p for p in passages if any(a in p.text for a in anchors)] or passages[:1]
        for number, passage in enumerate(chosen):
            if not passage.text.strip():
                continue
            factors = sorted(f for f, e in row["flags"].items() if e and e in passage.text)
            first = passage is passages[0]
            sentiment = row["sentiment"] if first and row["sentiment"] else None
            examples.append(
                {
                    "id": f"feedback:{row['id']}:{number}",
                    "kind": "feedback",
                    "text": passage.text,
                    "factors": factors,
                    "service": bool(row["service"]) and first,
                    "sentiment": sentiment or ("negative" if factors else "neutral"),
                }
            )
    return examples


def train_heads(
    train_files: Sequence[Path] = TRAIN_FILES,
    embedder: Embedder | None = None,
    feedback: Sequence[dict[str, Any]] = (),
    name: Path | None = None,
) -> Heads:
    """Fit the heads on the training files and, given `feedback`, the advisers' judged
    items (`feedback_examples`), which count as written examples."""
    written = [e for path in train_files for e in read_examples(Path(path))] + list(feedback)
    train_file = name or (Path(train_files[0]) if train_files else TRAIN_FILE)
    examples = written + blend(written)
    weights = np.array([1.0] * len(written) + [BLEND_WEIGHT] * (len(examples) - len(written)))
    embedder = embedder or training_embedder()
    texts = [e["text"] for e in examples]
    lexicon = Lexicon.fit(texts, weight=LEXICON["weight"], min_df=LEXICON["min_df"])
    x = lexicon.features(embedder.embed(texts), texts)
    binary = {}
    for name in (*FACTORS, "service"):
        y = np.array([target(e, name) for e in examples])
        if y.all() or not y.any():
            raise DataError(f"{train_file}: head {name!r} needs positive and negative examples")
        model = LogisticRegression(**PARAMS).fit(x, y, sample_weight=weights)
        binary[name] = (model.coef_[0].astype(np.float32), float(model.intercept_[0]))
    missing = set(SENTIMENTS) - {e["sentiment"] for e in examples}
    if missing:
        raise DataError(f"{train_file}: no examples with sentiment {', '.join(sorted(missing))}")
    sentiment_model = LogisticRegression(**PARAMS).fit(
        x, [e["sentiment"] for e in examples], sample_weight=weights
    )
    sha = data_hash(*train_files)
    if feedback:
        sha = hashlib.sha256((sha + json.dumps(list(feedback), sort_keys=True)).encode())
        sha = sha.hexdigest()
    settings = json.dumps(
        {**PARAMS, **LEXICON, "blend_words": BLEND_WORDS, "blend_weight": BLEND_WEIGHT},
        sort_keys=True,
    )
    version_key = f"{sha}|{MODEL_NAME}|{settings}"
    version = "heads-" + hashlib.sha256(version_key.encode()).hexdigest()[:10]
    return Heads(
        version=version,
        model=MODEL_NAME,
        data_sha256=sha,
        lexicon=lexicon,
        binary=binary,
        sentiment=(
            [str(c) for c in sentiment_model.classes_],
            sentiment_model.coef_.astype(np.float32),
            sentiment_model.intercept_.astype(np.float32),
        ),
        metrics={
            "train_examples": len(written),
            "feedback_examples": len(feedback),
            "blended_examples": len(examples) - len(written),
            "settings": json.loads(settings),
        },
    )


def cross_validate(
    train_files: Sequence[Path] = TRAIN_FILES,
    folds: int = 5,
    embedder: Embedder | None = None,
    progress: Any = None,
    watchlist: Any = None,
    feedback: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """k-fold cross-validation of exactly what `radar train` builds, read as `radar tag`
    reads (passages, rules, thresholds, sentiment): the heads fitted on k-1 folds (with
    their blends) tag the held-out fold. Each text is embedded once (an in-memory cache)."""
    from sklearn.model_selection import KFold

    from classifiers.evaluate import factor_report
    from classifiers.tagger import Tagger
    from domain.config import WatchList
    from store.embeddings import EmbeddingCache

    embedder = embedder or training_embedder()
    saved = embedder.cache
    if saved is None:
        embedder.cache = EmbeddingCache(Path(":memory:"), embedder.encoder, embedder.dimensions)
    written = [e for path in train_files for e in read_examples(Path(path))] + list(feedback)
    truths, guesses, moods = [], [], []
    try:
        splits = KFold(folds, shuffle=True, random_state=0).split(written)
        for number, (train, held) in enumerate(splits, start=1):
            fold = Path(f"fold-{number}")  # named in errors only
            heads = train_heads(
                [], embedder=embedder, feedback=[written[i] for i in train], name=fold
            )
            tagger = Tagger(watchlist or WatchList(), heads=heads, embedder=embedder)
            items = [{"id": written[i]["id"], "text": written[i]["text"]} for i in held]
            for i, result in zip(held, tagger.tag_many(items), strict=True):
                truths.append(written[i])
                service = {"service"} if result["service"] else set()
                guesses.append(set(result["labels"]) | service)
                moods.append(result["sentiment"])
            if progress:
                progress(number, folds)
    finally:
        if saved is None and embedder.cache is not None:
            embedder.cache.close()
        embedder.cache = saved
    return {"folds": folds, "examples": len(written), **factor_report(truths, guesses, moods)}
