"""The answer-or-decline forest as served: the same probabilities as the library that fitted it, from plain
JSON, and a clear error for a file it cannot use."""

import json

import numpy as np
import pytest

from knowledge import decide
from knowledge.config import PACKAGE_DIR
from knowledge.forest import Forest
from knowledge.train_decision import save


def fitted(seed=0):
    from sklearn.ensemble import ExtraTreesClassifier  # here, not at the top: collection need not pay for it

    rng = np.random.default_rng(seed)
    X = rng.random((300, 4))
    y = ((X[:, 0] > 0.5) & (X[:, 2] < 0.7) | (X[:, 1] > 0.9)).astype(int)  # an interaction a sum can't express
    return ExtraTreesClassifier(n_estimators=25, min_samples_leaf=3, random_state=seed).fit(X, y), rng.random((200, 4))


def test_the_stored_forest_predicts_what_scikit_learn_predicts():
    model, X = fitted()
    forest = Forest.from_json(json.loads(json.dumps(Forest.from_sklearn(model).to_json())))
    ours = np.array([forest.probability(x) for x in X])
    assert np.allclose(ours, model.predict_proba(X)[:, 1], atol=1e-3)
    assert len(set(np.round(ours, 3))) > 10  # not one constant: the trees really are walked


def test_a_decision_survives_saving_and_loading(tmp_path):
    model, X = fitted(1)
    names = decide.FEATURES[:4]
    decision = decide.Decision(names, Forest.from_sklearn(model), threshold=0.8, info={"x": 1}, curated_threshold=0.7)
    save(decision, tmp_path / "m.json")
    loaded = decide.load(tmp_path / "m.json")
    values = dict(zip(names, X[0]))
    assert loaded.probability(values) == pytest.approx(decision.probability(values))
    assert (loaded.threshold, loaded.curated_threshold, loaded.info) == (0.8, 0.7, {"x": 1})
    assert loaded.threshold_for({"faq": 1.0}) == 0.7 and loaded.threshold_for({}) == 0.8


def test_the_shipped_model_loads_and_reads_only_features_the_code_computes():
    decision = decide.load(PACKAGE_DIR / "learned" / "answerability.json")
    assert set(decision.features) <= set(decide.FEATURES)
    everything_zero = decision.probability({})
    assert 0.0 <= everything_zero < decision.threshold  # a passage with no signal at all is not answered


def test_a_model_file_of_the_older_kind_says_to_refit(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"features": ["coverage"], "coef": [1.0], "intercept": 0.0, "threshold": 0.5}))
    with pytest.raises(ValueError, match="train-decision"):
        decide.load(path)


def test_a_tree_with_arrays_of_different_lengths_is_refused():
    tree = {"feature": [0, -1, -1], "threshold": [0.5, 0, 0], "left": [1, 1, 2], "right": [2, 1, 2], "value": [0.5, 0]}
    with pytest.raises(ValueError, match="'value' has 2 nodes"):
        Forest.from_json({"trees": [tree]})


def test_a_tree_that_loops_is_refused():
    tree = {"feature": [0, 0], "threshold": [0.5, 0.5], "left": [1, 0], "right": [1, 0], "value": [0.5, 0.5]}
    with pytest.raises(ValueError, match="cycle"):
        Forest.from_json({"trees": [tree]})


def test_thresholds_keep_the_mean_wrong_answers_over_the_shuffles_within_the_budget():
    """Each shuffle alone would pick a looser threshold (its own wrong answer sits elsewhere); chosen on
    both at once, the pair keeps the wrong answers they average within the budget."""
    from knowledge.train_decision import choose_thresholds

    y = np.array([1, 1, 1, 0, 0, 1])
    curated = np.zeros(6, dtype=bool)
    first = np.array([0.9, 0.8, 0.7, 0.75, 0.1, 0.1])  # its wrong answer at 0.75
    second = np.array([0.9, 0.8, 0.7, 0.1, 0.65, 0.1])  # its wrong answer at 0.65
    _, alone = choose_thresholds([second], y, curated, n_questions=100, max_wrong=0.0)
    assert alone == 0.7  # three right above its wrong answer, at the strictest threshold that keeps them
    _, together = choose_thresholds([first, second], y, curated, n_questions=100, max_wrong=0.0)
    assert together == 0.8  # both shuffles' wrong answers stay out (the median of 0.8 and 0.7 lets one in)
    # a budget of half a wrong answer on average lets one shuffle's wrong answer in
    _, half = choose_thresholds([first, second], y, curated, n_questions=100, max_wrong=0.005)
    assert half == 0.7


def test_cross_validation_never_scores_a_source_with_a_model_that_saw_it():
    """Samples that only say which document they come from: a model that had seen the document in its
    training folds would recover the label; folds that hold out whole documents cannot."""
    from sklearn.ensemble import ExtraTreesClassifier
    from sklearn.metrics import roc_auc_score

    from knowledge.train_decision import cross_validated

    sources = [f"doc{g}" for g in range(10) for _ in range(6)]
    X = np.eye(10)[[int(s[3:]) for s in sources]]
    y = np.array([int(int(s[3:]) < 5) for s in sources])
    model = ExtraTreesClassifier(n_estimators=20, random_state=0)
    (probabilities,) = cross_validated(model, X, y, sources, [0])
    assert roc_auc_score(y, probabilities) < 0.75


@pytest.mark.slow  # fits 3 x 3 forests: ~7 s
def test_the_budget_check_counts_answers_on_documents_the_thresholds_never_saw():
    """budget_check: thresholds chosen on cross-validation of 70 % of the documents, wrong and right
    answers counted on the other 30 %. A signal that tells right from wrong answers nearly all of the
    right ones with none wrong; labels that no feature carries answer almost nothing and stay in budget."""
    from knowledge.budget_check import check

    rng = np.random.default_rng(0)
    docs = [f"doc{i // 6}" for i in range(240)]  # 40 documents of six questions
    y = (rng.random(240) < 0.6).astype(int)
    curated = np.zeros(240, dtype=bool)
    clear = np.c_[y + rng.normal(0, 0.1, 240), rng.random(240)]
    [told] = check(clear, y, curated, docs, n_questions=300, budgets=(0.01,), splits=3, shuffles=2)
    assert told.wrong == 0.0 and told.right > 0.9, told
    noise = rng.random((240, 2))
    [blind] = check(noise, y, curated, docs, n_questions=300, budgets=(0.01,), splits=3, shuffles=2)
    assert blind.right < 0.2 and blind.wrong <= 0.03, blind
