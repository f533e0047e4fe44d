"""Park facts written into Rasa responses carry a citation that matches a real document."""

from difflib import SequenceMatcher
from pathlib import Path

import yaml

from knowledge import Settings
from knowledge.documents import load_dir
from knowledge.text import normalize


def _cited_responses():
    domain = yaml.safe_load(Path("domain.yml").read_text("utf-8"))
    for name, variants in domain["responses"].items():
        for variant in variants:
            for source in (variant.get("custom") or {}).get("sources", []):
                yield name, variant, source


def test_the_greeting_cites_its_fact():
    cited = {name for name, _, _ in _cited_responses()}
    assert "utter_greet" in cited


def test_every_cited_response_matches_its_document():
    docs = {(d.title, d.publisher, d.published, d.url): d for d in load_dir(Settings.from_env().docs_dir)}
    for name, variant, source in _cited_responses():
        key = (source["title"], source["publisher"], str(source["published"]), source["url"])
        assert key in docs, f"{name} cites a document that is not in knowledge/docs: {key}"
        doc_text = normalize(docs[key].text)
        assert normalize(source["snippet"]) in doc_text, f"{name}: snippet is not in the source"
        # the response states the cited fact in the source's words
        text, snippet = normalize(variant["text"]), normalize(source["snippet"])
        common = SequenceMatcher(None, text, snippet).find_longest_match(0, len(text), 0, len(snippet))
        assert common.size >= 8, f"{name}: the text does not restate its cited snippet"
