"""Whose fact is it: the place each document applies to, and the places a question names.

A park's knowledge base holds other districts' documents too (a tenant compares,
and staff upload what they read). Their figures must never come back as the
park's. Every document has a scope (front matter, manifest, or proposed here
from its issuer and text); a question is answered only from documents whose
scope applies to the place it asks about (knowledge/lexicon/places.yml):

- no place named, or the park or a place it lies in: the park's chain
  (the park, 临空经济示范区, 萧山区, 杭州市, 浙江省, 全国);
- another place: that place and the places it lies in, and the answer names it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import safe_yaml
from .text import normalize


@dataclass(frozen=True)
class Place:
    name: str
    parent: str | None
    en: str
    aliases: tuple[str, ...]
    park: bool = False


@dataclass(frozen=True)
class Asked:
    """What a question asks about, place-wise."""

    allowed: frozenset  # scopes whose documents may answer
    named: tuple  # other places the question names ("" for the park)


def _whole_word(alias: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z]){re.escape(alias)}(?![a-z])")


class Places:
    def __init__(self, places: list[Place]):
        self.by_name = {p.name: p for p in places}
        parks = [p.name for p in places if p.park]
        self.park = parks[0] if parks else ""
        self.park_chain = frozenset(self.chain(self.park)) if self.park else frozenset()
        pairs = [(normalize(a), p.name) for p in places for a in (p.name, *p.aliases)]
        # Longest first; an English alias matches as a whole word (compiled once: asked() runs per question).
        self._aliases = [
            (alias, name, _whole_word(alias) if alias.isascii() else None)
            for alias, name in sorted(dict(pairs).items(), key=lambda kv: -len(kv[0]))
        ]

    def chain(self, name: str) -> list[str]:
        """The place and every place it lies in, innermost first."""
        out, seen = [], set()
        while name and name in self.by_name and name not in seen:
            seen.add(name)
            out.append(name)
            name = self.by_name[name].parent
        return out

    def mentions(self, text: str) -> Counter:
        """Places named in normalised text, counted; a longer alias masks the shorter ones inside it."""
        text = normalize(text)
        found: Counter = Counter()
        for alias, name, pattern in self._aliases:
            if pattern is not None:
                hits = len(pattern.findall(text))
                text = pattern.sub(" ", text)
            else:
                hits = text.count(alias)
                text = text.replace(alias, " " * len(alias))
            if hits:
                found[name] += hits
        return found

    def asked(self, question: str) -> Asked:
        mentioned = self.mentions(question)
        named = [n for n in mentioned if n not in self.park_chain]
        if not named:
            return Asked(allowed=self.park_chain, named=())
        # Naming the park (or its zone or district) next to another place compares them: both may answer.
        local = set(self.chain(self.park)[:3])
        allowed = set(self.park_chain) if local & set(mentioned) else set()
        for name in named:
            allowed.update(self.chain(name))
        return Asked(allowed=frozenset(allowed), named=tuple(named))

    def applies(self, scope: str, allowed: frozenset) -> bool:
        """A document of this scope may answer (a document with none is the park's)."""
        return (scope or self.park) in allowed

    def unsaid(self, question: str, scope: str, text: str) -> list[str]:
        """The places a question names that an answer from a document of a place they lie in does not
        name: a city's document answers a question about one of its districts only in sentences that
        name the district (杭州医药港's figure in a city report), never with the city's own figure (the
        city's revenue is not 滨江's, the province's not 杭州市's, the city's award not 萧山区's). The
        park itself is left out: 园区 in a question is mostly who asks (咱们园区企业…国办意见…), and the
        policies of the places it lies in apply to it."""
        scope = scope or self.park
        named = [n for n in self.mentions(question) if n != self.park]
        within = [n for n in named if scope in self.chain(n)[1:]]
        if not within:
            return []
        said = self.mentions(text)
        return [n for n in within if n not in said]

    def foreign(self, scope: str) -> bool:
        """A document about another place than the park and the places it lies in."""
        return bool(scope) and scope not in self.park_chain

    def propose(self, title: str, issuer: str, text: str) -> str:
        """The scope a document most likely has: the place its issuer or title names,
        else the place its text names most often (ties: the more specific place)."""
        for source in (issuer, title):
            found = self.mentions(source)
            if found:
                return max(found, key=lambda n: (len(self.chain(n)), found[n]))
        found = self.mentions(text[:5000])
        if not found:
            return self.park
        return max(found, key=lambda n: (found[n], len(self.chain(n))))

    def glossary(self) -> dict[str, list[str]]:
        """Every place but the park as a synonym group (钱塘 = 钱塘区 = 医药港 = qiantang), so a
        question naming a place in English meets the Chinese documents that name it."""
        return {p.name: [a for a in p.aliases if a != p.name] for p in self.by_name.values() if not p.park}

    def label(self, scope: str, english: bool = False) -> str:
        place = self.by_name.get(scope)
        if place is None:
            return scope
        return f"{place.en} ({place.name})" if english else place.name


@lru_cache(maxsize=8)
def places_for(lexicon_dir: Path) -> Places:
    path = Path(lexicon_dir) / "places.yml"
    if not path.exists():
        return Places([])
    table = safe_yaml.load(path.read_text("utf-8")) or {}
    return Places(
        [
            Place(
                name=name,
                parent=spec.get("parent"),
                en=spec.get("en", name),
                aliases=tuple(str(a) for a in spec.get("aliases", [])),
                park=bool(spec.get("park")),
            )
            for name, spec in table.items()
        ]
    )
