"""Train the heads from the labelled data in `classifiers/data/` (`radar train`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression

from classifiers.embed import MODEL_NAME, Embedder, shared_embedder
from classifiers.evaluate import DATA_DIR, read_labelled
from classifiers.heads import ARTEFACT, Heads, Lexicon
from radar.config import FACTORS

TRAIN_FILE = DATA_DIR / "train.jsonl"
# These settings are part of the version: change them, and the version moves. Chosen by
# 5-fold cross-validation on the training split (`python -m classifiers.tune`), not on dev.
PARAMS = {"C": 16.0, "max_iter": 5000}
LEXICON = {"weight": 2.0, "min_df": 2}


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


def train_heads(train_file: Path = TRAIN_FILE, embedder: Embedder | None = None) -> Heads:
    examples = read_examples(train_file)
    embedder = embedder or shared_embedder()
    texts = [e["text"] for e in examples]
    lexicon = Lexicon.fit(texts, weight=LEXICON["weight"], min_df=LEXICON["min_df"])
    x = hstack([csr_matrix(embedder.embed(texts)), lexicon.transform(texts)]).tocsr()
    binary = {}
    for name in (*FACTORS, "service"):
        y = np.array(
            [
                bool(e.get("service")) if name == "service" else name in e["factors"]
                for e in examples
            ]
        )
        if y.all() or not y.any():
            raise DataError(f"{train_file}: head {name!r} needs positive and negative examples")
        model = LogisticRegression(**PARAMS).fit(x, y)
        binary[name] = (model.coef_[0].astype(np.float32), float(model.intercept_[0]))
    sentiment_model = LogisticRegression(**PARAMS).fit(x, [e["sentiment"] for e in examples])
    sha = data_hash(train_file)
    settings = json.dumps({**PARAMS, **LEXICON}, sort_keys=True)
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
        metrics={"train_examples": len(examples), "settings": json.loads(settings)},
    )


def train_and_save(path: Path = ARTEFACT) -> Heads:
    heads = train_heads()
    heads.save(path)
    return heads
