"""Train the heads from the labelled data in `classifiers/data/` (`radar train`)."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from classifiers.embed import MODEL_NAME, Embedder, shared_embedder
from classifiers.evaluate import DATA_DIR, read_labelled
from classifiers.heads import SENTIMENTS, Heads, Lexicon
from classifiers.sentences import split_sentences
from radar.config import FACTORS

TRAIN_FILE = DATA_DIR / "train.jsonl"
# These settings are part of the version: change them, and the version moves. Chosen by
# 5-fold cross-validation on the training split (`python -m classifiers.tune`), not on dev.
PARAMS = {"C": 16.0, "max_iter": 5000}
LEXICON = {"weight": 2.0, "min_df": 2}
BLEND_WORDS = 60  # blends stay shorter than the tagger's longest passage (80 words)
BLEND_WEIGHT = 0.5  # a blend counts half a written example: recall in long items, few false alarms


class DataError(ValueError):
    pass


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


def train_heads(train_file: Path = TRAIN_FILE, embedder: Embedder | None = None) -> Heads:
    written = read_examples(train_file)
    examples = written + blend(written)
    weights = np.array([1.0] * len(written) + [BLEND_WEIGHT] * (len(examples) - len(written)))
    embedder = embedder or shared_embedder()
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
    sha = data_hash(train_file)
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
            "blended_examples": len(examples) - len(written),
            "settings": json.loads(settings),
        },
    )
