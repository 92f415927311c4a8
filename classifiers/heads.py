"""Light heads on the embeddings: one logistic regression per factor, service and sentiment.

Saved as a small JSON artefact (weights, not a pickle: safe to load and diff-able), with the
classifier version, the embedding model's name and the hash of the training data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from radar.config import FACTORS

ARTEFACT = Path(__file__).resolve().parent / "model" / "heads.json"
SENTIMENTS = ("negative", "neutral", "positive")


@dataclass
class Heads:
    version: str
    model: str
    data_sha256: str
    binary: dict[str, tuple[np.ndarray, float]]  # factor keys and "service"
    sentiment: tuple[list[str], np.ndarray, np.ndarray]
    metrics: dict[str, Any]

    def probabilities(self, embeddings: np.ndarray) -> dict[str, np.ndarray]:
        """Per binary head, P(positive) for each row of `embeddings`."""
        return {
            name: 1.0 / (1.0 + np.exp(-(embeddings @ coef + intercept)))
            for name, (coef, intercept) in self.binary.items()
        }

    def sentiment_probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        classes, coef, intercept = self.sentiment
        logits = embeddings @ coef.T + intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def to_json(self) -> dict[str, Any]:
        classes, coef, intercept = self.sentiment
        return {
            "version": self.version,
            "model": self.model,
            "data_sha256": self.data_sha256,
            "binary": {
                name: {"coef": np.round(c, 6).tolist(), "intercept": round(float(b), 6)}
                for name, (c, b) in self.binary.items()
            },
            "sentiment": {
                "classes": classes,
                "coef": np.round(coef, 6).tolist(),
                "intercept": np.round(intercept, 6).tolist(),
            },
            "metrics": self.metrics,
        }

    def save(self, path: Path = ARTEFACT) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")


def load_heads(path: Path = ARTEFACT) -> Heads:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no trained classifier; run `radar train` first")
    data = json.loads(path.read_text(encoding="utf-8"))
    binary = {
        name: (np.asarray(head["coef"], dtype=np.float32), float(head["intercept"]))
        for name, head in data["binary"].items()
    }
    missing = [f for f in (*FACTORS, "service") if f not in binary]
    if missing:
        raise ValueError(f"{path}: classifier artefact lacks heads for {', '.join(missing)}")
    sentiment = data["sentiment"]
    return Heads(
        version=data["version"],
        model=data["model"],
        data_sha256=data["data_sha256"],
        binary=binary,
        sentiment=(
            list(sentiment["classes"]),
            np.asarray(sentiment["coef"], dtype=np.float32),
            np.asarray(sentiment["intercept"], dtype=np.float32),
        ),
        metrics=data.get("metrics", {}),
    )
