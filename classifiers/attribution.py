"""Which councils an item is about, by matching council names and aliases in its text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from radar.config import Council

_AMPERSAND = re.compile(r"\s*&\s*")


@dataclass(frozen=True)
class CouncilMention:
    gss_code: str
    name: str
    matched: str


# Bare names that usually mean something other than the council: "Westminster" is Parliament
# and government, "Durham" the city or its university. They count only with a council word.
NEEDS_COUNCIL_WORD = {"Westminster", "Durham"}
COUNCIL_WORDS = ("Council", "City Council", "County Council", "Borough Council")


def _variants(council: Council) -> set[str]:
    names = {council.name, council.official_name, *council.aliases}
    variants = set()
    for name in names:
        name = _AMPERSAND.sub(" and ", name.strip())
        if name in NEEDS_COUNCIL_WORD:
            variants.update(f"{name} {word}" for word in COUNCIL_WORDS)
        elif len(name) >= 4:
            variants.add(name)
    return variants


class CouncilMatcher:
    """Longest-first, case-sensitive, whole-word matching of council names and aliases.

    Case-sensitive because council names are proper nouns that are also ordinary words
    ("Reading", "Hart"); longest-first so "Derbyshire Dales" wins over "Derbyshire" and
    "Newcastle upon Tyne" over a shorter name inside it.
    """

    def __init__(self, councils: Iterable[Council]):
        owners: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        for council in councils:
            self.names[council.gss_code] = council.name
            for variant in _variants(council):
                owners.setdefault(variant, set()).add(council.gss_code)
        # A name two councils share cannot tell them apart: leave it out.
        self.lookup = {name: next(iter(codes)) for name, codes in owners.items() if len(codes) == 1}
        alternatives = sorted(self.lookup, key=len, reverse=True)
        body = "|".join(re.escape(name) for name in alternatives)
        self.pattern = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])") if alternatives else None

    def find(self, text: str) -> list[CouncilMention]:
        """Councils mentioned in `text`, in order of first mention, each once."""
        if not self.pattern or not text:
            return []
        text = _AMPERSAND.sub(" and ", text)
        found: dict[str, CouncilMention] = {}
        for match in self.pattern.finditer(text):
            code = self.lookup[match.group(0)]
            found.setdefault(code, CouncilMention(code, self.names[code], match.group(0)))
        return list(found.values())
