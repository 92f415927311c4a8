"""Acute signals: the few events that should reach an adviser today, not on Monday.

The papers' "three or four facing acute difficulties" show themselves in a handful of
events: a section 114 notice, commissioners or statutory intervention, a chief executive
suspended or gone amid a dispute, a failure to set a budget, a best value notice. An alert
email costs an adviser's attention, so these patterns (`classifiers.rules.SIGNALS`, beside
the classifier's rules in one table) are stricter than the rules: the event must be stated
as having happened (not feared, denied, avoided or hypothetical), in a sentence of an item
the classifier flagged for the same factor, and about the council the alert names.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from classifiers.attribution import CouncilMatcher
from classifiers.rules import SIGNALS, Signal
from classifiers.sentences import split_sentences
from domain.config import WatchList
from store.councils import council_names
from store.radar import alert_raised_since, fresh_flagged_items, record_alert
from store.times import stamp

# Words before the event that make the sentence not a report that it happened ("has not
# issued", "may have to issue", "avoided", "councils like X that issued"), and a few after it
# ("... a notice if", "... was avoided"). Words elsewhere in the sentence do not count: a s114
# report goes on to say "no new spending".
_HEDGE_BEFORE = re.compile(
    r"\b(not|no|never|avoid\w*|unless|if|would|could|may|might|risk\w*|threat\w*|warn\w*|"
    r"possib\w*|potential\w*|prevent\w*|unlikely|consider\w*|rul\w* out|without|brink|verge|"
    r"close to|fears?|feared|den(y|ies|ied)|lifted|withdr[ae]wn?|last year|other councils|"
    r"councils (which|that|who) have|like|unlike|such as|whether|explain\w*|duty|power|"
    r"guidance|training|need to|have to|has to|forced to|prepar\w*|plan\w*|call\w* for|"
    r"urg\w*|demand\w*|expect\w*|poised|councils|report(s|ed)? on|review of)\b",
    re.IGNORECASE,
)
# ... and after it: conditions, denials, and events already over ("the notice issued in 2021
# was lifted", "who was suspended last year, has returned").
_HEDGE_AFTER = re.compile(
    r"^[^.]{0,40}\b(if|unless|would|was avoided|(is|was|will|would) not|not (be )?needed|"
    r"lifted|withdrawn|rescinded|returned|reinstated|back at work|last year|ago|"
    r"in (19|20)\d\d|including)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[;:(\u2014]|\bbut\b", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """The classifier's sentences (PDF lines wrapped mid-sentence joined), spaces collapsed."""
    return [" ".join(s.text.split()) for s in split_sentences(text)]


def stated(signal: Signal, sentence: str) -> bool:
    """True if `sentence` reports `signal` as having happened."""
    match = signal.pattern.search(sentence)
    if not match:
        return False
    before = sentence[max(0, match.start() - 80) : match.start()]
    before = _CLAUSE.split(before)[-1]  # only the clause the event is stated in
    core = match.group(0) if signal.key != "no_budget" else ""  # "could not set" is the event
    return not (
        _HEDGE_BEFORE.search(before)
        or _HEDGE_BEFORE.search(core)
        or _HEDGE_AFTER.search(sentence[match.end() :])
    )


def detect(
    item: dict[str, Any], matcher: CouncilMatcher
) -> list[tuple[dict[str, Any], Signal, str]]:
    """(council, signal, sentence) for each acute signal an item states about a council.

    The item must be flagged for the signal's factor. The statement is searched in the
    headline, then the text. The signal is about the councils the sentence names (any of
    the 317, linked to the item or not); a sentence naming none is about the councils its
    headline names that the item is linked to, else the council whose own item it is.
    """
    title = item.get("title") or ""
    linked = {c["gss_code"]: c for c in item["councils"]}
    found = []
    candidates = [title, *sentences(item.get("text") or "")[:2000]]
    for signal in SIGNALS:
        if signal.factor not in item["factors"]:
            continue
        sentence = next((s for s in candidates if stated(signal, s)), None)
        if sentence is None:
            continue
        codes = [m.gss_code for m in matcher.find(sentence)]
        if not codes:
            codes = [m.gss_code for m in matcher.find(title) if m.gss_code in linked]
        if not codes:
            codes = [code for code, c in linked.items() if c["method"] == "source"]
        for code in codes:
            council = linked.get(code) or {"gss_code": code, "name": matcher.names[code]}
            found.append((council, signal, sentence))
    return found


def check_acute(db: Database, config: WatchList, now: datetime | None = None) -> list[dict]:
    """Record a new alert for each acute signal in fresh flagged items: once per council and
    signal within `radar.acute_repeat_days`. Returns the alerts raised now (not yet sent)."""
    now = now or datetime.now(UTC)
    settings = config.radar
    since = stamp(now - timedelta(days=settings.acute_window_days))
    repeat = stamp(now - timedelta(days=settings.acute_repeat_days))
    raised_at = stamp(now)
    raised: list[dict] = []
    matcher = CouncilMatcher(config.council_register().values())
    known = set(council_names(db))
    for item in fresh_flagged_items(db, since):
        for council, signal, sentence in detect(item, matcher):
            if council["gss_code"] not in known:
                continue  # not in the store's councils (a watch list without the register)
            code = council["gss_code"]
            if alert_raised_since(db, code, signal.key, repeat):
                continue
            alert = {
                "id": f"{code}:{signal.key}:{raised_at[:10]}",
                "gss_code": code,
                "signal": signal.key,
                "item_id": item["id"],
                "raised_at": raised_at,
                "evidence": sentence[:1000],
            }
            record_alert(db, alert)
            raised.append({**alert, "council_name": council["name"], "label": signal.label})
    return raised


LABELS = {signal.key: signal.label for signal in SIGNALS}
