"""The held-out NLU set stays a fair test: unseen by training, covering every intent.

`make test-nlu` scores the trained model on tests/data/nlu_heldout.yml; that
score only means something while no line of it is also a training example
(a line added to data/nlu/ later would quietly turn the test into recall).
"""
import re
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_NOISE = re.compile(r"[\s，。？！?!,.、~～]")


def _examples(paths):
    for path in paths:
        for item in yaml.safe_load(Path(path).read_text("utf-8")).get("nlu", []):
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield item["intent"], _ANNOTATION.sub(r"\1", line[2:]).strip()


def _key(text: str) -> str:
    return _NOISE.sub("", text.lower())


def test_no_heldout_line_is_a_training_example():
    trained = {_key(text): intent for intent, text in _examples(sorted(Path("data/nlu").glob("*.yml")))}
    leaked = [(intent, text, trained[_key(text)]) for intent, text in _examples(["tests/data/nlu_heldout.yml"])
              if _key(text) in trained]
    assert not leaked, f"held-out lines also in data/nlu (move or reword them): {leaked[:10]}"


def test_heldout_covers_every_intent_of_the_domain():
    domain = set(yaml.safe_load(Path("domain.yml").read_text("utf-8"))["intents"])
    counts: dict[str, int] = {}
    for intent, _ in _examples(["tests/data/nlu_heldout.yml"]):
        counts[intent] = counts.get(intent, 0) + 1
    assert set(counts) == domain
    assert min(counts.values()) >= 8, counts
