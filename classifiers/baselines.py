"""The two baselines `radar eval` prints beside the classifier, so its lead is visible.

* Keywords: an item carries a factor if it contains any of that factor's words, the list a
  careful analyst would start a search alert with. Sentiment is not attempted by keywords.
* VADER (vaderSentiment, a lexicon shipped in its wheel): compound >= 0.05 positive,
  <= -0.05 negative, otherwise neutral, the thresholds its authors recommend.
* Attribution: case-insensitive search for each council's short name, first match wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from domain.config import Council

KEYWORDS: dict[str, tuple[str, ...]] = {
    "leadership": (
        "chief executive", "resign", "suspended", "no confidence", "no-confidence",
        "ousted", "bullying", "commissioners", "monitoring officer", "interim",
        "standards", "leadership", "walkout", "coup",
    ),
    "risky_change": (
        "commercial", "investment", "energy company", "housing company", "outsourc",
        "restructur", "property portfolio", "solar farm", "borrow", "loan",
        "new it system", "transformation", "merger", "wholly owned",
    ),
    "disengagement": (
        "local government association", "lga", "peer challenge", "peer review",
        "ombudsman", "auditor's recommendations", "withdraw", "pull out", "refuse",
        "transparency", "partnership",
    ),
    "finance": (
        "section 114", "s114", "budget gap", "overspend", "reserves", "deficit",
        "exceptional financial support", "cuts", "bankrupt", "savings", "financial",
        "spending controls", "capitalisation",
    ),
}  # fmt: skip


def keyword_labels(text: str) -> list[str]:
    lowered = f" {text.lower()} "
    return [
        factor
        for factor, words in KEYWORDS.items()
        if any(re.search(rf"\b{re.escape(word)}", lowered) for word in words)
    ]


@lru_cache(maxsize=1)
def _vader():  # type: ignore[no-untyped-def]
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_sentiment(text: str) -> str:
    compound = _vader().polarity_scores(text)["compound"]
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


class NameSearch:
    """The naive attribution baseline: any council's short name, anywhere, any case."""

    def __init__(self, councils: Iterable[Council]):
        self.names = {c.gss_code: c.name for c in councils}
        self.patterns = {
            code: re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
            for code, name in self.names.items()
        }

    def find(self, text: str) -> list[str]:
        return [code for code, pattern in self.patterns.items() if pattern.search(text)]
