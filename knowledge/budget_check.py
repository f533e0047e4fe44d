"""Does the wrong-answer budget hold on documents the model has not seen? A check on dev data alone.

`train_decision` chooses its thresholds on cross-validated probabilities, folds holding out whole
documents, for at most `max_wrong` wrong answers. Choosing the best pair under a constraint favours
lucky noise, so the rate it promises can be lower than what new documents bring. This check measures
that without the held-out set: the dev documents are split (70 / 30 %, by document), the thresholds
are chosen exactly as `train_decision` chooses them on the first part, the model fitted on it answers
the second part's questions, and the wrong answers there are counted. Repeated over several splits,
for several budgets: `python -m knowledge budget-check`.

It answers one question (does cross-validation on these documents keep its promise on documents like
them?) and not another: documents of a kind the dev set lacks (the held-out set has eight) can bring
more wrong answers, and no dev-only procedure sees that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import train_decision

BUDGETS = (0.005, 0.006, 0.007, 0.008, 0.009, 0.01)


@dataclass(frozen=True)
class Outcome:
    budget: float
    wrong: float  # wrong answers on the unseen part, as a share of its questions (mean over splits)
    wrong_sd: float
    right: float  # right answers on the unseen part, as a share of its answerable samples (mean)


def check(
    X: np.ndarray,
    y: np.ndarray,
    curated: np.ndarray,
    sources: list[str],
    n_questions: int,
    budgets=BUDGETS,
    splits: int = 10,
    shuffles: int = 20,
    seed: int = 0,
) -> list[Outcome]:
    """For each budget: the wrong and right answers on dev documents the thresholds and the model never saw.

    A part's question count is its share of the samples times all dev questions (the questions the gate
    declines have no sample, and count in the budget's base as they do in training)."""
    from sklearn.model_selection import GroupShuffleSplit

    groups = np.array(sources)
    seen: dict[float, list[tuple[float, float]]] = {b: [] for b in budgets}
    for fit_part, new_part in GroupShuffleSplit(n_splits=splits, test_size=0.3, random_state=seed).split(
        X, y, groups=groups
    ):
        model = train_decision.new_model(seed)
        folds = train_decision.cross_validated(
            model, X[fit_part], y[fit_part], list(groups[fit_part]), range(seed, seed + shuffles)
        )
        model.fit(X[fit_part], y[fit_part])
        probability = model.predict_proba(X[new_part])[:, 1]
        share = len(new_part) / len(y)
        for budget in budgets:
            pair = train_decision.choose_thresholds(
                folds, y[fit_part], curated[fit_part], n_questions * (1 - share), budget
            )
            answered = probability >= np.where(curated[new_part], pair[0], pair[1])
            wrong = (answered & (y[new_part] == 0)).sum() / (n_questions * share)
            right = (answered & (y[new_part] == 1)).sum() / max((y[new_part] == 1).sum(), 1)
            seen[budget].append((wrong, right))
    return [
        Outcome(
            budget,
            float(np.mean([w for w, _ in rows])),
            float(np.std([w for w, _ in rows])),
            float(np.mean([r for _, r in rows])),
        )
        for budget, rows in seen.items()
    ]


def table(outcomes: list[Outcome]) -> str:
    lines = ["budget  wrong on unseen dev documents (sd)  right (share of answerable samples)"]
    for o in outcomes:
        lines.append(f"{o.budget:6.1%}  {o.wrong:8.2%} ({o.wrong_sd:.2%})  {o.right:20.1%}")
    return "\n".join(lines)
