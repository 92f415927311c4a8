"""Train the heads from the labelled data in `classifiers/data/` (`radar train`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from classifiers.embed import MODEL_NAME, Embedder, shared_embedder
from classifiers.heads import ARTEFACT, SENTIMENTS, Heads
from radar.config import FACTORS

DATA_DIR = Path(__file__).resolve().parent / "data"
TRAIN_FILE = DATA_DIR / "train.jsonl"
DEV_FILE = DATA_DIR / "dev.jsonl"
# Regularisation and class weights are part of the version: change them, and the version moves.
PARAMS = {"C": 8.0, "class_weight": None, "max_iter": 3000}


class DataError(ValueError):
    pass


def read_examples(path: Path) -> list[dict[str, Any]]:
    """Labelled examples; a bad line is reported with its file and line number."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            example = json.loads(line)
            unknown = set(example["labels"]) - set(FACTORS)
            if unknown or example["sentiment"] not in SENTIMENTS or not example["text"].strip():
                raise ValueError(f"bad labels {sorted(unknown)} or sentiment or empty text")
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}:{number}: {exc}") from None
        examples.append(example)
    return examples


def data_hash(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def train_heads(train_file: Path = TRAIN_FILE, embedder: Embedder | None = None) -> Heads:
    examples = read_examples(train_file)
    embedder = embedder or shared_embedder()
    x = embedder.embed([e["text"] for e in examples])
    binary = {}
    for name in (*FACTORS, "service"):
        y = np.array(
            [bool(e.get("service")) if name == "service" else name in e["labels"] for e in examples]
        )
        if y.all() or not y.any():
            raise DataError(f"{train_file}: head {name!r} needs positive and negative examples")
        model = LogisticRegression(**PARAMS).fit(x, y)
        binary[name] = (model.coef_[0].astype(np.float32), float(model.intercept_[0]))
    sentiment_model = LogisticRegression(**PARAMS).fit(x, [e["sentiment"] for e in examples])
    sha = data_hash(train_file)
    version_key = f"{sha}|{MODEL_NAME}|{json.dumps(PARAMS, sort_keys=True)}"
    version = "heads-" + hashlib.sha256(version_key.encode()).hexdigest()[:10]
    return Heads(
        version=version,
        model=MODEL_NAME,
        data_sha256=sha,
        binary=binary,
        sentiment=(
            [str(c) for c in sentiment_model.classes_],
            sentiment_model.coef_.astype(np.float32),
            sentiment_model.intercept_.astype(np.float32),
        ),
        metrics={"train_examples": len(examples)},
    )


def train_and_save(path: Path = ARTEFACT) -> Heads:
    heads = train_heads()
    heads.save(path)
    return heads
