"""Fit the answer-or-decline model on the dev questions, and choose its threshold.

Each dev question is asked once with the decision switched off; what the best
passage looked like (decide.features) is paired with whether answering from
it would have been right. A forest of randomised trees (scikit-learn's
ExtraTrees) is fitted on them and kept as data (knowledge/forest.py). The thresholds come from
5-fold cross-validated probabilities, with whole documents held out in each fold — never from the
model's scores on the data it was fitted on — as the pair (curated FAQ answers, document sentences)
that answers most right while wrong answers stay at or under `max_wrong` of all dev questions, on
average over ten shuffles of the folds. The result is data: knowledge/learned/answerability.json.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np

from . import decide
from .base import KnowledgeBase
from .evalset import Case
from .evaluate import Grader
from .forest import Forest


def samples(
    kb: KnowledgeBase, cases: list[Case], features: tuple[str, ...] = decide.FEATURES
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Features of the best passage for each question, 1 where answering from it is right, whether
    that answer is a curated one (Decision.curated, which picks its threshold), and the text it is read
    from (a document, or a curated entry of its own). Questions the gate declines (decide.gate) are left
    out: the model never decides them."""
    grade = Grader(kb)
    X, y, curated, sources = [], [], [], []
    for case in cases:
        query, hits = kb.passages(case.q)
        if not hits or decide.gate(query, hits):
            continue
        hits[0].glossed = kb.retriever.read_back(query, hits[0])
        values = decide.features(query, hits)
        answer = kb.respond(query, hits, decide.ANSWER_ANYWAY)  # what answering would have said
        if answer.abstained:
            continue  # the cited sentences cannot answer (decide.answer_gate): never the model's call
        X.append([values[f] for f in features])
        y.append(int(grade(case, answer) == "right"))
        curated.append(decide.Decision.curated(values))
        sources.append(hits[0].chunk_id if hits[0].category == "faq" else hits[0].doc_id)
    return np.array(X, dtype=float), np.array(y, dtype=int), np.array(curated, dtype=bool), sources


# Ten shuffles of the folds and 500 trees: with five and 100, each refit was a draw. Five seeds of the same
# data (2026-12-01) chose curated thresholds from 0.83 to 0.88 and answered 36.8-41.0 % of dev2 and 30.3-32.9 %
# of dev3 right (0.4-0.9 % wrong); with these, four seeds answered dev 46.3 and dev2 41.0 % alike and dev3
# 31.0-32.3 %. A fit takes ~30 s instead of ~20. Stable is not safe: the fit on the eleventh session's code
# scored held-out 24.6 / 97.1 / 1.8 % (right / declined / wrong) and was not shipped; the shipped model is
# still the eighth session's (evaluation/HISTORY.md).
SHUFFLES = 10
TREES = 500
# Wrong answers allowed in cross-validation, on average over the shuffles, as a share of all dev
# questions: the 1 % the park accepts. The folds hold out whole documents, so this is the rate expected
# on documents the model has never seen. (Half of it was needed while folds split documents and each
# shuffle chose its own pair of thresholds: both made the estimate looser than what new documents do.)
MAX_WRONG = 0.01
GRID = np.round(np.arange(0.05, 0.97, 0.01), 2)


def choose_thresholds(
    probabilities: list[np.ndarray], y: np.ndarray, curated: np.ndarray, n_questions: int, max_wrong: float
) -> tuple[float, float]:
    """(curated, document): the pair of thresholds that answers most questions right while wrong answers
    (answered, y == 0) stay at or under max_wrong of all questions; among equals, the stricter pair.
    A curated FAQ answer and a sentence cut from a document are not equally safe at the same probability,
    so each kind gets its own threshold and the wrong-answer budget goes where it buys the most.

    The counts are the mean over the cross-validation shuffles (one array of probabilities each). Taking
    each split's best pair and then the median of each threshold made a pair no split chose, looser than
    the budget on most of them: 5 wrong answers a split on average against a budget of 3, and 1.8 % wrong
    on held-out (2026-11-30)."""

    def counts(mask: np.ndarray) -> np.ndarray:  # [threshold] -> (right, wrong), the mean over shuffles
        return np.mean(
            [
                [(((p >= t) & mask & (y == 1)).sum(), ((p >= t) & mask & (y == 0)).sum()) for t in GRID]
                for p in probabilities
            ],
            axis=0,
        )

    budget = max_wrong * n_questions
    best = None
    for tc, (right_c, wrong_c) in zip(GRID, counts(curated)):
        for td, (right_d, wrong_d) in zip(GRID, counts(~curated)):
            key = (round(right_c + right_d, 6), tc + td)
            if wrong_c + wrong_d <= budget + 1e-9 and (best is None or key > best[0]):
                best = (key, float(tc), float(td))
    return (best[1], best[2]) if best else (float(GRID[-1]), float(GRID[-1]))


def cross_validated(model, X: np.ndarray, y: np.ndarray, sources: list[str], shuffles) -> list[np.ndarray]:
    """Out-of-fold probabilities, one array per shuffle of 5 folds that each hold out whole sources.

    The park will ask about documents the model has never seen, and folds that split one document's
    questions scored answers on its passages with a model that had learned them (on dev3, questions on
    the training documents: no wrong answer at a 1 % budget; on held-out, new documents: 2.4 %). One
    5-fold split's probabilities are one draw: with a few hundred questions the thresholds it picks can
    be off by several wrong answers either way, so they are chosen on several shuffles at once."""
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

    return [
        cross_val_predict(
            model,
            X,
            y,
            groups=sources,
            cv=StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=shuffle),
            method="predict_proba",
        )[:, 1]
        for shuffle in shuffles
    ]


def new_model(seed: int = 0):
    """The unfitted forest, as training fits it and as budget_check re-creates it. Leaves of at least 3
    questions: one odd question does not get a leaf of its own. Leaf size and features per split changed
    the cross-validated right answers by under 3 of 624 (2026-11-30), so these are ordinary defaults, not
    tuned values; the tree count is for stability (TREES)."""
    from sklearn.ensemble import ExtraTreesClassifier

    return ExtraTreesClassifier(n_estimators=TREES, min_samples_leaf=3, max_features="sqrt", random_state=seed)


def train(
    kb: KnowledgeBase,
    cases: list[Case],
    max_wrong: float = MAX_WRONG,
    seed: int = 0,
    features: tuple[str, ...] = decide.FEATURES,
) -> decide.Decision:
    X, y, curated, sources = samples(kb, cases, features)
    if len(set(y)) < 2:
        raise ValueError("the dev set needs questions that can and cannot be answered from the best passage")
    model = new_model(seed)
    shuffles = cross_validated(model, X, y, sources, range(seed, seed + SHUFFLES))
    curated_threshold, threshold = choose_thresholds(shuffles, y, curated, len(cases), max_wrong)
    model.fit(X, y)
    answered = [(cv >= np.where(curated, curated_threshold, threshold)) for cv in shuffles]
    info = {
        "trained": date.today().isoformat(),
        # The dense score's scale belongs to one embedding model: under another, refit.
        "embedding_model": kb.settings.embedding_model,
        "questions": len(cases),
        "samples": int(len(y)),
        "positives": int(y.sum()),
        "max_wrong": max_wrong,
        "cv_right_answers": [int((a & (y == 1)).sum()) for a in answered],
        "cv_wrong_answers": [int((a & (y == 0)).sum()) for a in answered],
    }
    return decide.Decision(
        features=features,
        forest=Forest.from_sklearn(model),
        threshold=threshold,
        curated_threshold=curated_threshold,
        info=info,
    )


def save(decision: decide.Decision, path: Path) -> None:
    """The model as JSON a reviewer can read: thresholds and training facts first, then one tree a line."""
    data = decision.to_json()
    trees = data.pop("trees")
    head = json.dumps(data, ensure_ascii=False, indent=2)[:-2]  # without the closing "\n}"
    lines = ",\n".join("    " + json.dumps(tree, separators=(",", ":")) for tree in trees)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'{head},\n  "trees": [\n{lines}\n  ]\n}}\n', "utf-8")
