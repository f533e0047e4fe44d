"""Word classes and synonyms from HIT's 同义词词林 (extended), as data.

Two jobs, both about words the documents do not use:
- synonyms: a question's 费用 may be a document's 费, its 职工 a document's 员工;
  Cilin's "=" groups list such words, and retrieval adds those that occur in
  the corpus to the concept;
- word classes: 园区和江南科技城是什么关系 should not be declined because no
  document says 关系, while 园区有食堂吗 must be, because none says 食堂. Cilin
  puts 关系 among abstract relations and 食堂 among buildings; which classes
  only frame a question is configured in lexicon/thesaurus.yml.

The data is the `cilin` package's cilin_tree.json (77k words); read once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from . import safe_yaml


@dataclass(frozen=True)
class Thesaurus:
    codes: dict  # word -> tuple of codes
    groups: dict  # "=" code -> tuple of words
    frame_classes: tuple[str, ...] = ()
    ask_classes: tuple[str, ...] = ()  # finer classes inside frame_classes whose words are what is asked
    max_group: int = 8

    def __bool__(self) -> bool:
        return bool(self.codes)

    def synonyms(self, word: str) -> set[str]:
        """Words sharing a small "=" group with word (word itself excluded)."""
        out: set[str] = set()
        if len(word) < 2:
            return out  # a single character has too many senses to widen safely
        for code in self.codes.get(word, ()):
            members = self.groups.get(code, ())
            if 1 < len(members) <= self.max_group:
                out.update(m for m in members if len(m) >= 2)
        out.discard(word)
        return out

    def is_noun(self, word: str) -> bool:
        """Every sense Cilin gives the word names a person, a thing or an abstract matter (A, B, D: 进度 Dn01),
        none a time or place word (C: 现在) or a function word (K)."""
        codes = self.codes.get(word, ())
        return len(word) > 1 and bool(codes) and all(code[0] in "ABD" for code in codes)

    def frames(self, word: str) -> bool:
        """Some sense of the word only frames a question (关系 is also a certificate in Cilin,
        Bp19, but a tenant asking 什么关系 means the relation), unless some sense is a thing the
        tenant must meet or do (条件, 流程: ask_classes). Unknown words do not frame."""
        codes = self.codes.get(word, ())
        if self.ask_classes and any(code.startswith(self.ask_classes) for code in codes):
            return False
        return any(code.startswith(self.frame_classes) for code in codes)


EMPTY = Thesaurus(codes={}, groups={})


def _tree_path() -> Path | None:
    try:
        dist = metadata.distribution("cilin")
    except metadata.PackageNotFoundError:
        return None
    path = Path(dist.locate_file("data/cilin_tree.json"))
    return path if path.exists() else None


def _walk(node, code: str, codes: dict, groups: dict) -> None:
    if isinstance(node, list):
        groups[code] = tuple(node)
        for word in node:
            codes.setdefault(word, []).append(code)
        return
    for key, child in node.get("sub", {}).items():
        _walk(child, code + key, codes, groups)


@lru_cache(maxsize=4)
def thesaurus_for(lexicon_dir: Path) -> Thesaurus:
    """The thesaurus with the lexicon's settings; EMPTY when cilin is not installed."""
    tree = _tree_path()
    if tree is None:
        return EMPTY
    codes: dict = {}
    groups: dict = {}
    for major, node in json.loads(tree.read_text("utf-8")).items():
        _walk(node, major, codes, groups)
    config_path = Path(lexicon_dir) / "thesaurus.yml"
    config = safe_yaml.load(config_path.read_text("utf-8")) if config_path.exists() else {}
    return Thesaurus(
        codes={w: tuple(c) for w, c in codes.items()},
        groups={c: ws for c, ws in groups.items() if c.endswith("=")},
        frame_classes=tuple(str(c) for c in config.get("frame_classes", [])),
        ask_classes=tuple(str(c) for c in config.get("ask_classes", [])),
        max_group=int(config.get("max_group", 8)),
    )
