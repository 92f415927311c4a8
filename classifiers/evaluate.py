"""Measure the tagger on the held-out dev set (`radar eval`): the numbers README quotes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifiers.tagger import Tagger
from classifiers.train import DEV_FILE, read_examples
from radar.config import FACTORS


def evaluate(tagger: Tagger, dev_file: Path = DEV_FILE) -> dict[str, Any]:
    """Precision, recall and F1 per factor, 'any flag' false-alarm rate, sentiment accuracy."""
    examples = read_examples(dev_file)
    items = [{"id": e["id"], "title": "", "text": e["text"]} for e in examples]
    results = list(tagger.tag_many(items))
    report: dict[str, Any] = {"examples": len(examples), "classifier_version": tagger.version}
    for factor in (*FACTORS, "service"):
        tp = fp = fn = 0
        for example, result in zip(examples, results, strict=True):
            truth = (
                bool(example.get("service")) if factor == "service" else factor in example["labels"]
            )
            guess = result["service"] if factor == "service" else factor in result["labels"]
            tp += truth and guess
            fp += guess and not truth
            fn += truth and not guess
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[factor] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    routine = [r for e, r in zip(examples, results, strict=True) if not e["labels"]]
    report["routine_false_alarm_rate"] = (
        sum(bool(r["labels"]) for r in routine) / len(routine) if routine else 0.0
    )
    correct = sum(e["sentiment"] == r["sentiment"] for e, r in zip(examples, results, strict=True))
    report["sentiment_accuracy"] = correct / len(examples) if examples else 0.0
    return report
