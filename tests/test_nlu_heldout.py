"""The held-out NLU set stays a fair test: unseen by training, covering every intent.

`make test-nlu` scores the trained model on tests/data/nlu_heldout.yml; that
score only means something while no line of it is also a training example
(a line added to data/nlu/ later would quietly turn the test into recall).
"""

import re
from pathlib import Path

import yaml

from nlu_examples import examples

_NOISE = re.compile(r"[\s，。？！?!,.、~～]")


def _key(text: str) -> str:
    return _NOISE.sub("", text.lower())


def test_no_heldout_line_is_a_training_example():
    trained = {_key(text): intent for intent, text in examples(sorted(Path("data/nlu").glob("*.yml")))}
    leaked = [
        (intent, text, trained[_key(text)])
        for intent, text in examples(["tests/data/nlu_heldout.yml"])
        if _key(text) in trained
    ]
    assert not leaked, f"held-out lines also in data/nlu (move or reword them): {leaked[:10]}"


def test_heldout_covers_every_intent_of_the_domain():
    domain = set(yaml.safe_load(Path("domain.yml").read_text("utf-8"))["intents"])
    counts: dict[str, int] = {}
    for intent, _ in examples(["tests/data/nlu_heldout.yml"]):
        counts[intent] = counts.get(intent, 0) + 1
    assert set(counts) == domain
    assert min(counts.values()) >= 8, counts
