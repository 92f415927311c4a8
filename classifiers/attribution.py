"""Which councils an item is about, by matching council names and aliases in its text.

Names are matched case-sensitively (they are proper nouns that are also ordinary words:
"Reading", "Hart", "Rugby"), longest first ("Derbyshire Dales" before "Derbyshire",
"Hull City Council" before "Hull"), with "&" read as "and". A match is then checked against
its neighbours, because the same name often means something else:

* followed by a word that makes it another body: "Derby County", "Hull City", "Durham
  University", "Manchester Airport", "Derbyshire Constabulary", "Ledbury Town Council";
* preceded by one: "Greater Manchester", "University of Derby", "Bishop of Durham",
  or a person's title ("Cllr Preston", "Mr Dudley");
* "Reading" followed by an article is the verb at the start of a sentence.

A few bare names belong to two councils or mostly to something else: "Westminster"
(Parliament) and "Durham" (the city, the university) count only with a council word;
"Newcastle", "Richmond" and "Kingston" count only with a council word or with a place in the
text that tells which council is meant ("Staffordshire" for Newcastle-under-Lyme).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from radar.config import Council

_AMPERSAND = re.compile(r"\s*&\s*")
_CONNECTOR = re.compile(r"[ -](upon|on|under|in|le|by)[ -]")
# "North and South Tyneside councils" names two councils.
_ELLIPSIS = re.compile(r"\b(North|South|East|West) and (North|South|East|West) ([A-Z][a-z]+)\b")
LEAD_CHARS = 600  # a council's own item names the other councils it is about up front

# Bare names that usually mean something other than the council.
NEEDS_COUNCIL_WORD = {"Westminster", "Durham"}
COUNCIL_WORDS = (
    "Council",
    "City Council",
    "County Council",
    "Borough Council",
    "council",
    "city council",
    "county council",
)

# Names the register lacks that people use for a council every day.
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "E06000010": ("Hull", "Hull Council", "Kingston upon Hull City Council"),
    "E09000027": ("Richmond Council", "Richmond upon Thames Council"),
    "E09000021": ("Kingston Council", "Kingston upon Thames Council"),
    "E07000195": ("Newcastle Borough Council", "Newcastle-under-Lyme Council"),
    "E08000021": ("Newcastle City Council", "Newcastle upon Tyne City Council"),
    "E09000033": ("Westminster City Council", "Westminster Council"),
    "E06000022": ("B&NES", "BANES", "B&NES Council"),
    "E10000024": ("Notts County Council",),
}
# Register aliases that are mostly football clubs ("Leicester City", "Derby County").
_CLUB_LIKE = re.compile(r" (?:City|County|Town)$")

# Bare names shared by two councils: which one, told by another place named in the text.
AMBIGUOUS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "Newcastle": (
        (
            "E08000021",
            ("Tyne", "Tyneside", "Gateshead", "Northumberland", "North East", "city council"),
        ),
        ("E07000195", ("Lyme", "Staffordshire", "Stoke", "Potteries", "Keele", "borough council")),
    ),
    "Richmond": (("E09000027", ("London", "Thames", "Twickenham", "Kew", "Teddington")),),
    "Kingston": (
        ("E09000021", ("London", "Thames", "Surbiton", "Surrey")),
        ("E06000010", ("Humber", "East Yorkshire", "Yorkshire")),
    ),
}

# "Devon and Cornwall Police", "Norfolk and Waveney ICB": the other body's word may follow a
# list of places.
_AND_PLACES = r"(?:\s+and(?:\s+(?!Councils?\b)(?:[A-Z][\w'-]*|of|upon|under)){1,4}?)?"
_OTHER_BODY_AFTER = re.compile(
    _AND_PLACES + r"\s+(?:(?:City|County)(?!\s+(?i:council|hall|centre|region|of culture))|"
    r"Town(?!\s+(?:Hall|Centre))|United|Rovers|"
    r"Wanderers|Athletic|Albion|Argyle|Hotspur|FC|AFC|Football|Rugby|Cricket|Union|League|"
    r"Club|School|Grammar|College|University|Cathedral|Hospitals?|NHS|Airport|Constabulary|"
    r"Police|Crown Court|Magistrates|Station|Harbour|Diocese|Chamber|Parish|Racecourse|"
    r"Combined Authority|Fire|Clinical|Integrated Care|ICB|Business Improvement|Royal Infirmary|"
    r"Infirmary|Road|Street|Lane|Avenue|Way|Park|Square|Gardens|Mean Time|Coldfield|St|Forest|"
    r"Zoo|Project|National Park|Heritage Centre|Chiefs|campus)\b"
)
_OTHER_BODY_BEFORE = re.compile(
    r"(?:\bGreater|\bUniversity of|\bBishop of|\bDiocese of|\bPort of|\bDuke of|\bDuchess of|"
    r"\bEarl of|\bBattle of|\bMP for|\bMr\.?|\bMrs\.?|\bMs\.?|\bDr\.?|\bCllr\.?|\bCouncillor|"
    r"\bSir|\bLord|\bLady)\s+$"
)
_VERB_AFTER = {"Reading": re.compile(r"\s+(?:the|a|an|this|that|these|those|it|through)\b")}


@dataclass(frozen=True)
class CouncilMention:
    gss_code: str
    name: str
    matched: str


def _variants(council: Council) -> set[str]:
    names = {
        council.name,
        council.official_name,
        *(alias for alias in council.aliases if not _CLUB_LIKE.search(alias)),
        *EXTRA_ALIASES.get(council.gss_code, ()),
    }
    variants = set()
    for raw in names:
        name = _AMPERSAND.sub(" and ", raw.strip())
        # "Newcastle-upon-Tyne" and "Stoke on Trent" are written both ways.
        for form in {name, _CONNECTOR.sub(r" \1 ", name), _CONNECTOR.sub(r"-\1-", name)}:
            if form in NEEDS_COUNCIL_WORD:
                variants.update(f"{form} {word}" for word in COUNCIL_WORDS)
            elif len(form) >= 4:
                variants.add(form)
    return variants


class CouncilMatcher:
    """Find the councils a text names, in order of first mention, each once."""

    def __init__(self, councils: Iterable[Council]):
        owners: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        self.regions: dict[str, str] = {}
        self.counties: dict[str, str | None] = {}
        for council in councils:
            self.names[council.gss_code] = council.name
            self.regions[council.gss_code] = council.region
            self.counties[council.gss_code] = council.county
            for variant in _variants(council):
                owners.setdefault(variant, set()).add(council.gss_code)
        # A name two councils share cannot tell them apart: leave it to the context rules.
        self.lookup = {name: next(iter(codes)) for name, codes in owners.items() if len(codes) == 1}
        self.ambiguous = {  # one compiled pattern of clue places per candidate council
            name: tuple(
                (code, re.compile(r"\b(?:" + "|".join(map(re.escape, clues)) + r")\b"))
                for code, clues in options
                if code in self.names
            )
            for name, options in AMBIGUOUS.items()
            if name not in self.lookup
        }
        alternatives = sorted([*self.lookup, *self.ambiguous], key=len, reverse=True)
        body = "|".join(re.escape(name) for name in alternatives)
        self.pattern = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])") if alternatives else None

    def find(self, text: str) -> list[CouncilMention]:
        if not self.pattern or not text:
            return []
        text = _ELLIPSIS.sub(r"\1 \3 and \2 \3", _AMPERSAND.sub(" and ", text))
        found: dict[str, CouncilMention] = {}
        pending: dict[str, None] = {}  # ambiguous names, once each, decided after the rest
        for match in self.pattern.finditer(text):
            name = match.group(0)
            after = text[match.end() : match.end() + 40]
            before = text[max(0, match.start() - 60) : match.start()]
            named_council = name.endswith("Council")  # "Hull City Council and Hull City AFC"
            if not named_council and _OTHER_BODY_AFTER.match(after):
                continue
            if _OTHER_BODY_BEFORE.search(before):
                continue
            if name in _VERB_AFTER and _VERB_AFTER[name].match(after):
                continue
            code = self.lookup.get(name)
            if code is None:
                pending.setdefault(name)
            elif named_council or not self._locates(code, before, found):
                found.setdefault(code, CouncilMention(code, self.names[code], name))
        for name in pending:
            code = self._by_context(name, text, found)
            if code:
                found.setdefault(code, CouncilMention(code, self.names[code], name))
        return list(found.values())

    def _locates(self, code: str, before: str, found: dict[str, CouncilMention]) -> bool:
        """A county named only to place a council already found: "Newcastle Borough Council
        in Staffordshire" is about the borough, not the county council."""
        if not re.search(r"\bin\s+$", before):
            return False
        if re.search(r"\b(?:Town|Parish) Council\b", before):
            return True
        return any(self.counties.get(other) == self.names[code] for other in found)

    def _by_context(self, name: str, text: str, found: dict[str, CouncilMention]) -> str | None:
        """The one candidate council whose clue places appear in the text, or failing that the
        one in the same region as another council named ("Richmond and Wandsworth")."""
        options = self.ambiguous.get(name, ())
        hits = [code for code, clues in options if clues.search(text)]
        if not hits:
            regions = {self.regions[other] for other in found}
            hits = [code for code, _ in options if self.regions[code] in regions]
        return hits[0] if len(hits) == 1 else None


def attribute(
    matcher: CouncilMatcher, title: str, text: str, own_council: str | None = None
) -> list[tuple[str, str]]:
    """(gss_code, method) pairs for an item: "source" for its publisher, "name" for the rest.

    A council's own news and minutes belong to that council, plus any council named in the
    headline or opening lines (a joint announcement); neighbours named in passing deep in
    forty pages of minutes are not what the item is about. Media, alert and government items
    belong to every council they name.
    """
    if own_council:
        named = matcher.find(f"{title}\n{text[:LEAD_CHARS]}")
        return [(own_council, "source")] + [
            (m.gss_code, "name") for m in named if m.gss_code != own_council
        ]
    return [(m.gss_code, "name") for m in matcher.find(f"{title}\n{text}")]
