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

Councils are also written as initials: "KCC", "RBKC", "BCP Council", "CWaC". These are made
from the register's names (see `initialisms`), not listed by hand, so a council added to the
register gets its initials too. Initials that two councils share ("LCC", "PCC") name neither,
and a few that one council owns but mostly mean something else ("NYC", "MCC") are left out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from domain.config import Council

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
    "E06000042": ("Milton Keynes City Council",),  # a city since 2022
    "E06000065": ("North Yorkshire County Council",),  # until 2023
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
    _AND_PLACES + r"(?:'s)?\s+(?:(?:City|County)(?!\s+(?i:council|hall|centre|region|of culture))|"
    r"Town(?!\s+(?:Hall|Centre))|United|Rovers|"
    r"Wanderers|Athletic|Albion|Argyle|Hotspur|FC|AFC|Football|Rugby|Cricket|Union|League|"
    r"Club|School|Grammar|College|University|Cathedral|Hospitals?|NHS|Airport|Constabulary|"
    r"Police|Crown Court|Magistrates|Station|Harbour|Diocese|Chamber|Parish|Racecourse|"
    r"Combined Authority|Fire|Clinical|Integrated Care|ICB|Business Improvement|Royal Infirmary|"
    r"Infirmary|Road|Street|Lane|Avenue|Way|Park|Square|Gardens|Mean Time|Coldfield|St|Forest|"
    r"Zoo|Project|National Park|Heritage Centre|Chiefs|campus|"
    # sports teams, venues, courts and other bodies that carry a place's name
    r"Tigers|Rhinos|Trinity|Wednesday|Warriors|Giants|Saints|Sharks|Bears|Bulls|Wolves|"
    r"Falcons|Panthers|Steelers|Red Devils|Raiders|Roughyeds|Knights|Eagles|Vikings|"
    r"Stadium|Arena|Minster|Abbey|Castle|Pier|Playhouse|Theatre|Museum|Festival|Pride|"
    r"Marathon|Half Marathon|Combined Court|Family Court|Coroner'?s?'? Court|Building Society|"
    r"Shopping Centre|Retail Park|Centre|Bradford Airport|Sheffield Airport|PCC|"
    r"Piccadilly|Victoria|Lime Street|New Street|Temple Meads|Snow Hill|Oxford Road|KR|CCC|"
    r"derby)\b"
)
_OTHER_BODY_BEFORE = re.compile(
    r"(?:\bGreater|\bUniversity of|\bBishop of|\bDiocese of|\bPort of|\bDuke of|\bDuchess of|"
    r"\bEarl of|\bBattle of|\bMP for|\bMr\.?|\bMrs\.?|\bMs\.?|\bDr\.?|\bCllr\.?|\bCouncillor|"
    r"\bSir|\bLord|\bLady|\bRiver|\bHMP|\bHM Prison|\bRadio|\bVisit|\bOld)\s+$"
)
# A bare place name that only says where something happened: "jailed at Leeds Crown Court",
# "a man from Bolton", "the Manchester derby", "Stockport station". Such a mention counts
# only if the text is about council business somewhere; a council's own name never needs to.
_PLACE_LIST = r"(?:[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*(?:,\s+|,?\s+and\s+|\s+or\s+))*"
_LOCATION_BEFORE = re.compile(
    r"\b(?:in|at|near|from|outside|around|across|through|into|towards|between)\s+"
    r"(?:(?:central|north|south|east|west|northern|southern|eastern|western|the)\s+)?"
    + _PLACE_LIST
    + "$"
)
_OFFICIAL_BEFORE = re.compile(r"\b(?:Borough|District|City|County) of\s+$")
# "Cheltenham, Forest of Dean and Tewkesbury councils" names three councils.
_LISTED_COUNCILS = re.compile(
    r"(?:(?:,\s+|,?\s+and\s+)[A-Z][\w'-]*(?:\s+(?:of|upon|under|on|[A-Z][\w'-]*))*)*"
    r"\s+councils\b"
)
# "The three Hertfordshire councils" are the councils in Hertfordshire.
_COUNTED_BEFORE = re.compile(
    r"\b(?:the|all|other|several|many|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|\d+)\s+$"
)
_LOCATION_AFTER = re.compile(
    r"(?:'s)?\s+(?:man|woman|men|women|boy|girl|teenager|teen|pensioner|couple|family|mum|dad|"
    r"mother|father|driver|cyclist|motorcyclist|pedestrian|firm|company|business|businessman|"
    r"businesswoman|shop|shops|shoppers|pub|restaurant|fans|supporters|derby|station|"
    r"railway station|bus station|shopping centre|retail park|city centre|town centre|"
    r"area|suburb|home|house|flat|address|street|streets|traffic|roads?)\b"
)
# What a text about a council's business says somewhere: its people, money and services.
_COUNCIL_BUSINESS = re.compile(
    r"\b(?:council|cllr|authority|cabinet|town hall|county hall|civic centre|leader|mayor|"
    r"chief executive|section 114|s114|bankrupt\w*|bailout|budget|debts?|overspend\w*|"
    r"reserves|commissioners|intervention|local plan|planning|bins?|bin collections?|refuse|"
    r"recycling|waste|librar(?:y|ies)|social care|SEND|housing|potholes?|parking|highways|"
    r"resurfac\w+|roadworks|gritting|consult\w*|leisure centres?|school (?:places|admissions)|"
    r"elections?|wards?)",
    re.IGNORECASE,
)
_OFFICIAL_STYLES = (
    "Royal Borough",
    "London Borough",
    "Metropolitan Borough",
    "Borough of",
    "Council of",
    "City of",
)
_VERB_AFTER = {"Reading": re.compile(r"\s+(?:the|a|an|this|that|these|those|it|through)\b")}


# How a council's official name abbreviates: a designation before the place ("Royal Borough
# of" -> RB) or after it ("Borough Council" -> BC), and the small words inside it, dropped,
# written "&" or kept as a lower-case letter ("Cheshire West and Chester" -> CWaC).
_DESIGNATION_BEFORE = {"Royal Borough of": "RB", "London Borough of": "LB", "City of": "C"}
_DESIGNATION_AFTER = (
    ("Metropolitan Borough Council", "MBC"),
    ("Metropolitan District Council", "MDC"),
    ("Borough Council", "BC"),
    ("City and District Council", "DC"),
    ("District Council", "DC"),
    ("County Council", "CC"),
    ("City Council", "CC"),
    ("Council", "C"),
)
_SMALL_WORDS = {
    "and": ("", "a", "&"),
    "of": ("", "o"),
    "the": ("",),
    "with": ("w",),
    "upon": ("u",),
    "on": ("o",),
    "under": ("u",),
    "in": ("i",),
    "le": ("l",),
    "by": ("b",),
    "super": ("s",),
}
# Initials one council owns that mostly mean something else: New York, a cricket club, a
# football club, an operating system, a regulator.
NOT_INITIALS = {"NYC", "MCC", "BFC", "WFC", "ABC", "CIS", "STC", "SSC", "ESC", "NED", "NEL"}
_COUNCIL_NAMED = re.compile(r"\b[A-Z][\w ]*?(?:City|County) Council\b")
_INITIALS_TOKEN = re.compile(r"[A-Z][A-Za-z&]*[A-Z]")
_COUNCIL_WORD = re.compile(r"\b[Cc]ouncil")


def initialisms(council: Council) -> dict[str, bool]:
    """The initials a council's names abbreviate to ("&" written " and ", as `find` reads
    text), each marked True where it is only the place in capitals ("BCP", "W&F"), which may
    be anything, so it counts only in a text that speaks of a council; False where it carries
    the designation ("KCC", "RBKC", "TWBC") or a lower-case connector ("CWaC", "BwD")."""
    forms: dict[str, bool] = {}
    others = "; ".join((*council.aliases, *EXTRA_ALIASES.get(council.gss_code, ())))
    for name in {council.name, council.official_name, *_COUNCIL_NAMED.findall(others)}:
        before = after = ""
        for designation, letters in _DESIGNATION_BEFORE.items():
            if name.startswith(designation + " "):
                before, name = letters, name[len(designation) + 1 :]
        for designation, letters in _DESIGNATION_AFTER:
            if name.endswith(" " + designation):
                after, name = letters, name[: -len(designation) - 1]
                break
        words = re.split(r"[\s,-]+", _AMPERSAND.sub(" and ", name).strip())
        if not words or words[-1] in _SMALL_WORDS:  # "St Albans City and District Council"
            continue
        letters = [_SMALL_WORDS.get(word, (word[0],)) for word in words if word]
        for core in map("".join, itertools.product(*letters)):
            for prefix, suffix in {(before, after), ("", after), (before, ""), ("", "")}:
                form = prefix + core + suffix
                if len(form) >= 3 and _INITIALS_TOKEN.fullmatch(form) and form not in NOT_INITIALS:
                    vague = not prefix and not suffix and core.isupper()
                    key = _AMPERSAND.sub(" and ", form)
                    forms[key] = forms.get(key, True) and vague
    return forms


@dataclass(frozen=True)
class CouncilMention:
    gss_code: str
    name: str
    matched: str
    # "council": named as a council ("Leeds City Council", "KCC"); "name": the place's bare
    # name ("Leeds"); "place": a bare name saying only where something is ("in Leeds").
    kind: str = "council"


_STRENGTH = {"place": 0, "name": 1, "council": 2}


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
        councils = list(councils)
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
        initials: dict[str, set[tuple[str, bool]]] = {}
        for council in councils:
            if council.ended is None:
                for form, bare in initialisms(council).items():
                    initials.setdefault(form, set()).add((council.gss_code, bare))
        self.initials = {  # form -> (council, counts only in a text naming a council)
            form: next(iter(owners_))
            for form, owners_ in initials.items()
            if len(owners_) == 1 and form not in owners
        }
        self.ambiguous = {  # one compiled pattern of clue places per candidate council
            name: tuple(
                (code, re.compile(r"\b(?:" + "|".join(map(re.escape, clues)) + r")\b"))
                for code, clues in options
                if code in self.names
            )
            for name, options in AMBIGUOUS.items()
            if name not in self.lookup
        }
        alternatives = sorted([*self.lookup, *self.ambiguous, *self.initials], key=len)[::-1]
        body = "|".join(re.escape(name) for name in alternatives)
        self.pattern = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])") if alternatives else None

    def find(self, text: str) -> list[CouncilMention]:
        """Every council the text names, once each, in order of first mention, with how it
        was named (`CouncilMention.kind`); `attribute` decides which of them it is about."""
        if not self.pattern or not text:
            return []
        text = _ELLIPSIS.sub(r"\1 \3 and \2 \3", _AMPERSAND.sub(" and ", text))
        found: dict[str, CouncilMention] = {}
        first: dict[str, int] = {}  # where each council is first named
        pending: dict[str, str] = {}  # ambiguous names, once each, decided after the rest

        def add(code: str, name: str, kind: str, at: int) -> None:
            known = found.get(code)
            if known is None or _STRENGTH[kind] > _STRENGTH[known.kind]:
                found[code] = CouncilMention(code, self.names[code], name, kind)
            first.setdefault(code, at)

        for match in self.pattern.finditer(text):
            name = match.group(0)
            after = text[match.end() : match.end() + 80]
            before = text[max(0, match.start() - 60) : match.start()]
            named_council = name.endswith("Council")  # "Hull City Council and Hull City AFC"
            if not named_council and _OTHER_BODY_AFTER.match(after):
                continue
            if _OTHER_BODY_BEFORE.search(before):
                continue
            if name in _VERB_AFTER and _VERB_AFTER[name].match(after):
                continue
            if _COUNTED_BEFORE.search(before) and after.startswith(" councils"):
                continue
            if name in self.initials:
                code, vague = self.initials[name]
                if not vague or _COUNCIL_WORD.search(text):
                    add(code, name, "council", match.start())
                continue
            code = self.lookup.get(name)
            if code and not named_council and self._locates(code, before, found):
                continue
            if (
                named_council
                or name.startswith(_OFFICIAL_STYLES)
                or _OFFICIAL_BEFORE.search(before)
                or _LISTED_COUNCILS.match(after)
            ):
                kind = "council"
            elif _LOCATION_BEFORE.search(before) or _LOCATION_AFTER.match(after):
                kind = "place"
            else:
                kind = "name"
            if code is None:
                if _STRENGTH[kind] > _STRENGTH.get(pending.get(name, ""), -1):
                    pending[name] = kind
            else:
                add(code, name, kind, match.start())
        for name, kind in pending.items():
            code = self._by_context(name, text, found)
            if code:
                add(code, name, kind, len(text))
        return sorted(found.values(), key=lambda mention: first[mention.gss_code])

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
        lead = matcher.find(f"{title}\n{text[:LEAD_CHARS]}")
        named = about(lead, f"{title}\n{text}", publisher_named=True)
        return [(own_council, "source")] + [
            (m.gss_code, "name") for m in named if m.gss_code != own_council
        ]
    text = f"{title}\n{text}"
    return [(m.gss_code, "name") for m in about(matcher.find(text), text)]


def about(
    mentions: list[CouncilMention], text: str, publisher_named: bool = False
) -> list[CouncilMention]:
    """The mentions an item is about. A council named as a council always counts. A bare
    place name counts only in a text about council business: "a man from Bolton" jailed at
    a crown court, a heatwave in Cambridge, the Hull derby are not about those councils. A
    bare name that only says where ("roadworks in Crawley") does not count beside a council
    named as such, nor in a council's own item (West Sussex County Council's roadworks are
    not Crawley's)."""
    if not any(m.kind != "council" for m in mentions):
        return mentions
    business = bool(_COUNCIL_BUSINESS.search(text))
    named = publisher_named or any(m.kind == "council" for m in mentions)
    return [
        m for m in mentions if m.kind == "council" or (business and (m.kind == "name" or not named))
    ]
