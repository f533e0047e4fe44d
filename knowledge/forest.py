"""A forest of decision trees stored as plain data, and its prediction.

The answer-or-decline model is an ensemble of randomised trees (scikit-learn's
ExtraTrees) because whether a passage answers depends on signals together: a
high coverage means little when the word that carries the question is the one
missing, and a logistic model can only add such signals up. In
cross-validation on the dev sets the trees answered about 15 % more questions
right than the logistic model at the same 1 % wrong-answer budget.

Serving must not need scikit-learn or pickle (a pickle is code, and ties the
file to one library version), so the trees are kept as arrays in JSON and
walked here with numpy, all trees in step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEAF = -1


@dataclass
class Forest:
    """Trees padded to one node count: row t is tree t. A leaf has feature LEAF and children pointing
    at itself, so walking a fixed number of steps leaves every tree at its leaf."""

    feature: np.ndarray  # (trees, nodes) int: the feature a node splits on, LEAF at a leaf
    threshold: np.ndarray  # (trees, nodes) float: go left when x[feature] <= threshold
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray  # (trees, nodes) int
    value: np.ndarray  # (trees, nodes) float: the share of positive training samples at a leaf
    sizes: np.ndarray  # (trees,) int: each tree's own node count
    depth: int  # the longest root-to-leaf path: how many steps probability() walks

    def probability(self, x: np.ndarray) -> float:
        """The mean over trees of the positive share at the leaf x falls in."""
        trees = np.arange(self.feature.shape[0])
        node = np.zeros(len(trees), dtype=np.int64)
        for _ in range(self.depth):
            feature = self.feature[trees, node]
            go_left = x[np.maximum(feature, 0)] <= self.threshold[trees, node]
            node = np.where(go_left, self.left[trees, node], self.right[trees, node])
        return float(self.value[trees, node].mean())

    @classmethod
    def from_sklearn(cls, ensemble) -> "Forest":
        """From a fitted scikit-learn tree ensemble (binary classifier)."""
        trees = [
            {
                "feature": [int(f) if left >= 0 else LEAF for f, left in zip(t.feature, t.children_left)],
                "threshold": [round(float(v), 6) for v in t.threshold],
                "left": [int(c) if c >= 0 else i for i, c in enumerate(t.children_left)],
                "right": [int(c) if c >= 0 else i for i, c in enumerate(t.children_right)],
                # scikit-learn >= 1.4 keeps class shares at every node; older ones class counts.
                "value": [round(float(v[0][1] / (v[0].sum() or 1.0)), 4) for v in t.value],
            }
            for t in (e.tree_ for e in ensemble.estimators_)
        ]
        return cls.from_json({"trees": trees})

    def to_json(self) -> dict:
        """Each tree unpadded: lists of its own length."""
        out = []
        for t in range(self.feature.shape[0]):
            n = int(self.sizes[t])
            out.append(
                {
                    "feature": self.feature[t, :n].tolist(),
                    "threshold": self.threshold[t, :n].tolist(),
                    "left": self.left[t, :n].tolist(),
                    "right": self.right[t, :n].tolist(),
                    "value": self.value[t, :n].tolist(),
                }
            )
        return {"trees": out}

    @classmethod
    def from_json(cls, data: dict) -> "Forest":
        trees = data["trees"]
        if not trees:
            raise ValueError("a forest needs at least one tree")
        width = max(len(t["feature"]) for t in trees)

        def padded(key: str, dtype, fill) -> np.ndarray:
            out = np.full((len(trees), width), fill, dtype=dtype)
            for i, t in enumerate(trees):
                if not len(t[key]) == len(t["feature"]):
                    raise ValueError(f"tree {i}: '{key}' has {len(t[key])} nodes, 'feature' {len(t['feature'])}")
                out[i, : len(t[key])] = t[key]
            return out

        forest = cls(
            feature=padded("feature", np.int64, LEAF),
            threshold=padded("threshold", float, 0.0),
            left=padded("left", np.int64, 0),
            right=padded("right", np.int64, 0),
            value=padded("value", float, 0.0),
            sizes=np.array([len(t["feature"]) for t in trees]),
            depth=0,
        )
        forest.depth = _depth(forest)
        return forest


def _depth(forest: Forest) -> int:
    """The longest root-to-leaf path over all trees: how many steps probability() must walk."""
    deepest = 0
    for t in range(forest.feature.shape[0]):
        stack = [(0, 0)]
        while stack:
            node, d = stack.pop()
            if forest.feature[t, node] == LEAF:
                deepest = max(deepest, d)
                continue
            if d > forest.feature.shape[1]:
                raise ValueError(f"tree {t} has a cycle")
            stack += [(int(forest.left[t, node]), d + 1), (int(forest.right[t, node]), d + 1)]
    return deepest
