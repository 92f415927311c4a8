"""Unambiguous high-severity phrases, combined with the model's scores.

Each rule is a documented regular expression over one sentence. The model reads meaning; the
rules make sure the few phrases that are alarming on their own (a section 114 notice, a
suspended chief executive) are never missed, and name themselves in the evidence. The same
table holds, for the five events an adviser should hear of at once, the stricter pattern of
the event stated as having happened that `alerts.acute` raises its alerts on (`SIGNALS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RULE_SCORE = 0.95  # a rule match flags its factor; model scores above it still win
TERM_SCORE = 0.8  # an admin's extra term from the watch list flags too, but ranks below rules


@dataclass(frozen=True)
class Signal:
    """An acute signal (`alerts.acute`): the rule's event stated as having happened, strict
    enough to email an adviser today rather than wait for Monday's digest."""

    key: str  # as stored in the alerts table
    label: str
    factor: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Rule:
    name: str
    factor: str
    pattern: re.Pattern[str]
    why: str
    acute: Signal | None = None


def _rule(
    name: str, factor: str, pattern: str, why: str, acute: tuple[str, str, str] | None = None
) -> Rule:
    signal = None
    if acute:
        key, label, stated = acute
        signal = Signal(key, label, factor, re.compile(stated, re.IGNORECASE))
    return Rule(name, factor, re.compile(pattern, re.IGNORECASE), why, signal)


_CHIEF = r"\b(chief executive|managing director|head of paid service)\b"
_DISPUTE = (
    r"\b(dispute|row|irreconcilable|grievance|settlement|severance|pay-?off|investigation|"
    r"bullying|allegations?|breakdown|tensions?|no explanation|without explanation)\b"
)
_GONE = (
    r"\b(leav\w*|left|depart\w*|resign\w*|quit\w*|exit\w*|stepp?\w* down|sacked|dismiss\w*|ousted)"
)

# One table: each rule's phrase flags its factor; where the event is one an adviser should
# hear of today, `acute` is (key, label, the stricter pattern of it stated as having
# happened), which `alerts.acute` reads with its hedges.
RULES: tuple[Rule, ...] = (
    _rule("section_114", "finance",
          r"\b(section|s\.?)\s?114\b(?!\s*of the (highways|town|planning))",
          "A s114 notice: the chief finance officer says spending will exceed resources.",
          acute=("section_114", "Section 114 notice",
                 r"\b(issu\w*|served|declar\w*|impos\w*|put in place)\b[^.]{0,60}"
                 r"\b(section|s\.?)\s?114\b(?!\s*of the (highways|town|planning))"
                 r"|\b(section|s\.?)\s?114\b[^.]{0,40}\b(issued|served|declared|in place)\b")),
    _rule("exceptional_financial_support", "finance",
          r"\bexceptional financial support\b|\bcapitali[sz]ation direction\b",
          "Asking government for exceptional support: reserves cannot cover the gap."),
    _rule("no_budget", "finance",
          r"\b(fail(ed|s|ure)?|unable|inability)\s+to\s+(set|agree)\s+(a|its|the)\s+"
          r"(lawful\s+|legal\s+|balanced\s+)?budget",
          "A council that cannot set a lawful budget is in statutory trouble.",
          acute=("no_budget", "Failure to set a budget",
                 r"\b(fail(ed|s|ure)?|unable|inability|could not|cannot|did not|has not)\s+"
                 r"(to\s+)?(set|agree|pass)\s+(a|its|the)\s+(lawful\s+|legal\s+|balanced\s+)?"
                 r"budget")),
    _rule("reserves_inadequate", "finance",
          r"\breserves\b[^.]{0,80}\b(inadequate|insufficient|exhausted|not (be )?adequate)\b",
          "The s151 officer's s25 judgement that reserves are inadequate."),
    _rule("chief_executive_suspended", "leadership",
          r"\bchief executive\b[^.]{0,80}\bsuspended\b|\bsuspended\b[^.]{0,80}\bchief executive\b",
          "A suspended chief executive signals a breakdown between members and officers.",
          acute=("chief_executive", "Chief executive suspended or gone amid dispute",
                 rf"{_CHIEF}[^.]{{0,80}}\bsuspended\b|\bsuspended\b[^.]{{0,80}}{_CHIEF}"
                 rf"|{_CHIEF}[^.]{{0,80}}{_GONE}[^.]{{0,80}}{_DISPUTE}"
                 rf"|{_DISPUTE}[^.]{{0,80}}{_CHIEF}[^.]{{0,80}}{_GONE}")),
    _rule("no_confidence", "leadership",
          r"\bno[- ]confidence\b",
          "Motions of no confidence mark political instability."),
    _rule("commissioners", "leadership",
          r"\bcommissioners?\b[^.]{0,60}\b(appoint|install|sent in|intervene|take over)\w*",
          "Government commissioners: intervention in the council's governance.",
          acute=("intervention", "Commissioners or statutory intervention",
                 r"\bcommissioners?\b[^.]{0,60}\b(appoint|install|sent in|send in|intervene|"
                 r"take over|took over|taken over|put in)\w*"
                 r"|\b(appoint|install|sent|send)\w*\b[^.]{0,60}\bcommissioners\b"
                 r"|\b(under|into|announc\w*|order\w*|begin|began|begun|start\w*|impos\w*)\b"
                 r"[^.]{0,30}\b(statutory|government|ministerial)\s+intervention\b")),
    _rule("best_value_notice", "leadership",
          r"\bbest value (notice|inspection|direction)s?\b",
          "Best value notices and inspections are government's formal concern.",
          acute=("best_value_notice", "Best value notice",
                 r"\b(issu\w*|served|given|handed|received|receives)\b[^.]{0,60}"
                 r"\bbest value (notice|direction)s?\b"
                 r"|\bbest value (notice|direction)s?\b[^.]{0,40}\b(issued|served|given)\b")),
    _rule("leave_lga", "disengagement",
          r"\b(leave|leaving|left|quit\w*|withdraw\w*|resign\w*)\b[^.]{0,60}"
          r"\b(LGA|Local Government Association)\b(?!\s+conference)",
          "Leaving the LGA is disengagement from the sector."),
    _rule("refuse_peer_challenge", "disengagement",
          r"\b(declin|refus|reject|turn\w* down)\w*\b[^.]{0,60}\bpeer (challenge|review|support)\b",
          "Refusing peer challenge or support is disengagement."),
)  # fmt: skip
SIGNALS: tuple[Signal, ...] = tuple(rule.acute for rule in RULES if rule.acute)


# A rule's phrase named in a sentence that says it is not happening to this council: denied
# or ruled out ("is not considering a section 114 notice"), explained for readers ("what is
# a capitalisation direction?"), over ("the best value notice has been withdrawn"), a
# training exercise, a rumour, or other councils' trouble. The rule then stands down and
# the model, which reads the whole passage, decides alone.
_NEGATION = re.compile(
    r"\b(?:not|never|no longer|no plans?|no intention|no need|no such|none|without|"
    r"rule[sd]? out|ruling out|den(?:y|ies|ied)|dismiss\w* (?:claims|reports|suggestions))\b|"
    r"n't\b",
    re.IGNORECASE,
)
_NOT_HAPPENING = re.compile(
    r"\b(?:what (?:is|are|happens)|explain\w*|questions answered|guide to|for information|"
    r"for the benefit of|simulat\w*|(?:training|tabletop|continuity) exercise|an exercise in|"
    r"training (?:session|course|programme|day|event|module)|annual training|induction|"
    r"fictional|hypothetical|"
    r"scenario|withdrawn|lifted|expire[ds]?|repaid|untrue|rumou?rs?|speculation|"
    r"suggesting|wrongly|other (?:authorities|councils)|elsewhere)\b",
    re.IGNORECASE,
)
NEGATION_REACH = 60  # characters before the phrase a negation governs it from
_CLAUSE = re.compile(r"[;:(\u2014]|\bbut\b", re.IGNORECASE)


def stands_down(sentence: str, match: re.Match[str]) -> bool:
    """Whether the sentence says the rule's phrase is not happening here (see above)."""
    if _NOT_HAPPENING.search(sentence):
        return True
    before = _CLAUSE.split(sentence[max(0, match.start() - NEGATION_REACH) : match.start()])[-1]
    if _NEGATION.search(before):  # in the phrase's own clause only
        return True
    # "chief executive 'not suspended'": a negation inside the phrase, unless the rule's own
    # words include one ("reserves ... not adequate").
    return "not" not in match.re.pattern and bool(_NEGATION.search(match.group(0)))


def rule_scores(
    sentence: str, extra_terms: dict[str, list[str]] | None = None
) -> dict[str, tuple[float, str]]:
    """factor -> (score, rule name) for the rules and admin terms that fire on `sentence`."""
    fired: dict[str, tuple[float, str]] = {}
    for rule in RULES:
        if rule.factor not in fired:
            match = rule.pattern.search(sentence)
            if match and not stands_down(sentence, match):
                fired[rule.factor] = (RULE_SCORE, rule.name)
    for factor, terms in (extra_terms or {}).items():
        if factor not in fired:
            for term in terms:
                # Whole words only: a term "cut" must not fire on "executive".
                if term.strip() and re.search(
                    rf"(?<!\w){re.escape(term.strip())}(?!\w)", sentence, re.IGNORECASE
                ):
                    fired[factor] = (TERM_SCORE, f"term:{term}")
                    break
    return fired
