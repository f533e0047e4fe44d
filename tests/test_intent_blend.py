"""The intent classifier is the mean of DIET and logistic regression (nlu/intent_blend.py).

The component runs inside Rasa's Python, so its behaviour is checked there, in
a subprocess; the pipeline's shape is checked from config.yml.
"""

import json
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow  # runs Rasa's Python: left out of make test-fast

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

# Two messages: one DIET already ranked, one with no earlier classifier's ranking.
PROBE = r"""
import json, numpy as np
from rasa.shared.nlu.training_data.message import Message
from nlu.intent_blend import LogisticRegressionBlend

class FixedClassifier:
    classes_ = np.array(["ask_funds", "ask_policy", "greet"])
    def predict_proba(self, X):
        return np.array([[0.2, 0.7, 0.1], [0.2, 0.7, 0.1]])

blend = LogisticRegressionBlend.__new__(LogisticRegressionBlend)
blend.config = {**LogisticRegressionBlend.get_default_config(), "ranking_length": 2}
blend.clf = FixedClassifier()
blend._create_X = lambda messages: None
ranked = Message({"text": "那基金呢", "intent_ranking": [
    {"name": "ask_funds", "confidence": 0.9}, {"name": "ask_follow_up", "confidence": 0.1}]})
unranked = Message({"text": "你好"})
blend.process([ranked, unranked])
print(json.dumps([[m.get("intent"), m.get("intent_ranking")] for m in (ranked, unranked)]))
"""


def _in_rasa(code: str) -> str:
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_blend_averages_with_the_earlier_ranking():
    (intent, ranking), (alone, alone_ranking) = json.loads(_in_rasa(PROBE))
    # ask_funds (0.9 + 0.2) / 2 beats ask_policy (0 + 0.7) / 2: DIET's sure answer wins.
    assert intent["name"] == "ask_funds" and abs(intent["confidence"] - 0.55) < 1e-9
    assert [r["name"] for r in ranking] == ["ask_funds", "ask_policy"]  # ranking_length 2
    assert abs(ranking[1]["confidence"] - 0.35) < 1e-9
    # Without an earlier ranking the regression's own probabilities stand.
    assert alone["name"] == "ask_policy" and abs(alone["confidence"] - 0.7) < 1e-9
    assert len(alone_ranking) == 2


# Messages laid out as the pipeline leaves them: sequence and sentence features from
# two sparse featurizers and one dense one, added in an interleaved order.
MATRIX_PROBE = r"""
import numpy as np, scipy.sparse as sp
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from nlu.intent_blend import LogisticRegressionBlend

rng = np.random.default_rng(0)
messages = []
for i in range(40):
    tokens = int(rng.integers(1, 6))
    m = Message({"text": f"message {i}", "intent": "greet"})
    m.add_features(Features(sp.random(tokens, 7, density=0.3, random_state=i, format="coo"), "sequence", "text", "regex"))
    m.add_features(Features(rng.random((1, 3)), "sentence", "text", "dense"))
    m.add_features(Features(sp.random(1, 7, density=0.5, random_state=i, format="coo"), "sentence", "text", "regex"))
    m.add_features(Features(sp.random(tokens, 11, density=0.3, random_state=99 + i, format="coo"), "sequence", "text", "words"))
    m.add_features(Features(sp.random(1, 11, density=0.5, random_state=99 + i, format="coo"), "sentence", "text", "words"))
    m.add_features(Features(sp.random(1, 5, density=1.0, random_state=7, format="coo"), "sentence", "intent", "labels"))
    messages.append(m)
blend = LogisticRegressionBlend.__new__(LogisticRegressionBlend)
ours = blend._create_X(messages)
rasas = LogisticRegressionClassifier._create_X(blend, messages).tocsr()
print(ours.shape, rasas.shape, (ours != rasas).nnz)
"""


def test_the_faster_matrix_is_rasas_matrix():
    # 7 + 11 sparse columns, then the 3 dense ones; nothing from other attributes.
    assert _in_rasa(MATRIX_PROBE) == "(40, 21) (40, 21) 0"


def test_the_blend_follows_diet_and_sees_its_whole_ranking():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    names = [step["name"] for step in pipeline]
    diet = names.index("DIETClassifier")
    assert names[diet + 1] == "nlu.intent_blend.LogisticRegressionBlend"
    assert pipeline[diet]["ranking_length"] == 0
    # Nothing between them or after the blend may classify intents again.
    assert not [n for n in names[diet + 2 :] if "Classifier" in n and n != "FallbackClassifier"]
