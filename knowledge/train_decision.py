"""Fit the answer-or-decline model on the dev questions, and choose its threshold.

Each dev question is asked once with the decision switched off; what the best
passage looked like (decide.features) is paired with whether answering from
it would have been right. A logistic regression (scikit-learn) is fitted on
standardised features. The threshold comes from 5-fold cross-validated
probabilities — never from the model's scores on the data it was fitted on —
as the pair (curated FAQ answers, document sentences) that answers most right while wrong
answers stay at or under `max_wrong` of all dev questions, each the median over five shuffles
of the folds. The result is data: knowledge/learned/answerability.json.
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

# The features the model uses: all of decide.FEATURES, less those whose removal did not lower
# the cross-validated right answers at <= 1 % wrong on the dev sets (backward elimination,
# 3 shuffles of 5 folds, 2026-11-29: 129 -> 145 of 369). Collinear signals (coverage next to
# sentence, margin next to bm25_agrees) only made the fit noisier.
SELECTED = (
    "unknown_share",
    "wants_type",
    "type_missing",
    "phrase",
    "english",
    "main_covered",
    "numbers_missing",
    "sentence",
    "max_uncovered",
    "bm25_agrees",
    "unit_bigrams",
    "faq_coverage",
    "faq_bigrams",
    "english_coverage",
)


def samples(
    kb: KnowledgeBase, cases: list[Case], features: tuple[str, ...] = decide.FEATURES
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Features of the best passage for each question, 1 where answering from it is right, and whether
    that answer is a curated one (Decision.curated, which picks its threshold). Questions the gate
    declines (decide.gate) are left out: the model never decides them."""
    grade = Grader(kb)
    X, y, curated, questions = [], [], [], []
    for case in cases:
        query = kb.retriever.analyze(case.q)
        hits = kb.candidates(query, kb.retriever.search(case.q, query=query))
        if not hits or decide.gate(query, hits):
            continue
        values = decide.features(query, hits)
        answer = kb.respond(query, hits, confidence=0.0, answers=True)  # what answering would have said
        if answer.abstained:
            continue  # the cited sentences cannot answer (decide.answer_gate): never the model's call
        X.append([values[f] for f in features])
        y.append(int(grade(case, answer) == "right"))
        curated.append(decide.Decision.curated(values))
        questions.append(case.q)
    return np.array(X, dtype=float), np.array(y, dtype=int), np.array(curated, dtype=bool), questions


SHUFFLES = 5
GRID = np.round(np.arange(0.05, 0.97, 0.01), 2)


def choose_thresholds(
    probabilities: np.ndarray, y: np.ndarray, curated: np.ndarray, n_questions: int, max_wrong: float
) -> tuple[float, float]:
    """(curated, document): the pair of thresholds that answers most questions right while wrong answers
    (answered, y == 0) stay at or under max_wrong of all questions; among equals, the stricter pair.
    A curated FAQ answer and a sentence cut from a document are not equally safe at the same probability,
    so each kind gets its own threshold and the wrong-answer budget goes where it buys the most."""

    def counts(mask: np.ndarray) -> list[tuple[int, int]]:
        return [
            (int(((probabilities >= t) & mask & (y == 1)).sum()), int(((probabilities >= t) & mask & (y == 0)).sum()))
            for t in GRID
        ]

    budget = max_wrong * n_questions
    best = None
    for tc, (right_c, wrong_c) in zip(GRID, counts(curated)):
        for td, (right_d, wrong_d) in zip(GRID, counts(~curated)):
            key = (right_c + right_d, tc + td)
            if wrong_c + wrong_d <= budget and (best is None or key > best[0]):
                best = (key, float(tc), float(td))
    return (best[1], best[2]) if best else (float(GRID[-1]), float(GRID[-1]))


def train(
    kb: KnowledgeBase, cases: list[Case], max_wrong: float = 0.01, seed: int = 0, features: tuple[str, ...] = SELECTED
) -> decide.Decision:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, curated, _ = samples(kb, cases, features)
    if len(set(y)) < 2:
        raise ValueError("the dev set needs questions that can and cannot be answered from the best passage")
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    # One 5-fold split's probabilities are one draw: with a few hundred questions the thresholds it
    # picks can be off by several wrong answers either way, so they come from five shuffles.
    pairs = []
    for shuffle in range(seed, seed + SHUFFLES):
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=shuffle)
        cv = cross_val_predict(model, X, y, cv=folds, method="predict_proba")[:, 1]
        pairs.append((choose_thresholds(cv, y, curated, len(cases), max_wrong), cv))
    # The median over shuffles of each threshold: one split's pick is one draw, and the strictest of
    # each over different splits would compound into a pair no split chose.
    curated_threshold = float(np.median([pair[0] for pair, _ in pairs]))
    threshold = float(np.median([pair[1] for pair, _ in pairs]))
    model.fit(X, y)
    scaler, logistic = model[0], model[1]
    answered = [(cv >= np.where(curated, curated_threshold, threshold)) for _, cv in pairs]
    info = {
        "trained": date.today().isoformat(),
        "questions": len(cases),
        "samples": int(len(y)),
        "positives": int(y.sum()),
        "max_wrong": max_wrong,
        "thresholds_per_shuffle": [list(pair) for pair, _ in pairs],
        "cv_right_answers": [int((a & (y == 1)).sum()) for a in answered],
        "cv_wrong_answers": [int((a & (y == 0)).sum()) for a in answered],
    }
    return decide.Decision(
        features=features,
        mean=scaler.mean_,
        scale=np.where(scaler.scale_ > 0, scaler.scale_, 1.0),
        coef=logistic.coef_[0],
        intercept=float(logistic.intercept_[0]),
        threshold=threshold,
        curated_threshold=curated_threshold,
        info=info,
    )


def save(decision: decide.Decision, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(decision.to_json(), ensure_ascii=False, indent=2) + "\n", "utf-8")
