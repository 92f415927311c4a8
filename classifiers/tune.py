"""Choose the heads' settings by cross-validation on the training split, never on dev.

Run `python -m classifiers.tune`: embeds `train.jsonl` once, then for each setting fits the
heads on four fifths and scores the fifth (whole snippets, rules included, as `radar tag`
reads a short item), and prints macro-F1, the false-alarm rate on items with no factor and
sentiment accuracy at each flag threshold. The chosen values live in `classifiers.train`.
Blending (written examples set among routine sentences) is judged separately, by
`radar eval --long`, since its point is long items, which snippets cannot show.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from classifiers.embed import shared_embedder
from classifiers.evaluate import factor_report
from classifiers.heads import Lexicon
from classifiers.rules import rule_scores
from classifiers.train import TRAIN_FILE, read_examples, target
from domain.config import FACTORS

GRID = {"C": (4.0, 16.0, 64.0), "weight": (0.0, 1.0, 2.0, 3.0)}
THRESHOLDS = (0.4, 0.5, 0.6)


def cross_validate(
    examples: list[dict[str, Any]], embeddings: np.ndarray, c: float, weight: float, folds: int = 5
) -> dict[float, dict[str, Any]]:
    texts = [e["text"] for e in examples]
    ruled = [{f for f in FACTORS if f in rule_scores(t)} for t in texts]
    probs = {name: np.zeros(len(examples)) for name in (*FACTORS, "service")}
    moods = [""] * len(examples)
    for train, test in KFold(folds, shuffle=True, random_state=0).split(texts):
        lexicon = Lexicon.fit([texts[i] for i in train], weight=weight)

        def features(index: np.ndarray, lexicon: Lexicon = lexicon) -> Any:
            return lexicon.features(embeddings[index], [texts[i] for i in index])

        x_train, x_test = features(train), features(test)
        for name in probs:
            y = [target(examples[i], name) for i in train]
            model = LogisticRegression(C=c, max_iter=5000).fit(x_train, y)
            probs[name][test] = model.predict_proba(x_test)[:, 1]
        model = LogisticRegression(C=c, max_iter=5000).fit(
            x_train, [examples[i]["sentiment"] for i in train]
        )
        for i, mood in zip(test, model.predict(x_test), strict=True):
            moods[i] = str(mood)
    reports = {}
    for threshold in THRESHOLDS:
        guesses = [
            {f for f in FACTORS if probs[f][i] >= threshold or f in ruled[i]}
            | ({"service"} if probs["service"][i] >= threshold else set())
            for i in range(len(examples))
        ]
        sentiments = ["negative" if g else m for g, m in zip(guesses, moods, strict=True)]
        reports[threshold] = factor_report(examples, guesses, sentiments)
    return reports


def main() -> None:
    examples = read_examples(TRAIN_FILE)
    embeddings = shared_embedder().embed([e["text"] for e in examples])
    print(f"{len(examples)} training examples, 5-fold cross-validation")
    for c, weight in itertools.product(GRID["C"], GRID["weight"]):
        for threshold, report in cross_validate(examples, embeddings, c, weight).items():
            print(
                f"C={c:<5} lexical weight={weight:<4} threshold={threshold}: "
                f"macro-F1 {report['macro_f1']:.3f}  "
                f"false alarms {report['false_alarm_rate']:.1%}  "
                f"sentiment {report['sentiment_accuracy']:.1%}"
            )


if __name__ == "__main__":
    main()
