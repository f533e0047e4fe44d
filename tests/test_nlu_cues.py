"""The cue lexicon (data/nlu/cues.yml) stays what DIET's RegexFeaturizer expects.

Each lookup table there is one feature. RegexEntityExtractor also reads lookup
tables, but only those named after an entity: a cue table given an entity's
name would start extracting entities (and fail every test story that does not
expect them). A word listed in two tables fires two topics and tells DIET nothing.
"""

from collections import defaultdict
from pathlib import Path

import yaml

CUES = Path("data/nlu/cues.yml")


def _tables() -> dict[str, list[str]]:
    items = yaml.safe_load(CUES.read_text("utf-8"))["nlu"]
    return {
        item["lookup"]: [
            line.strip()[2:].strip() for line in item["examples"].splitlines() if line.strip().startswith("- ")
        ]
        for item in items
        if "lookup" in item
    }


def test_no_cue_table_is_named_after_an_entity():
    entities = set(yaml.safe_load(Path("domain.yml").read_text("utf-8"))["entities"])
    assert len(_tables()) > 20
    assert not entities & set(_tables())


def test_no_cue_word_is_in_two_tables():
    tables: dict[str, set[str]] = defaultdict(set)
    for name, words in _tables().items():
        assert words, name
        for word in words:
            tables[word.lower()].add(name)
    shared = {word: names for word, names in tables.items() if len(names) > 1}
    assert not shared, shared
