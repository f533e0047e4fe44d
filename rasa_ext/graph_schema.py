"""Rasa's minimal graph for a set of targets, worked out once per model instead of on every run.

Why it exists: Rasa 3.6 runs its graph twice or three times per message (the NLU parse, then
one prediction per action), and each run first derives the sub-graph its targets need by walking
every node's dependencies, recursively and without remembering a node it has already seen. The
schema is fixed once the model is loaded and the targets are the same few lists every time, so
the answer never changes; profiled under load it was 4.5-5.7 % of the Rasa server's busy time
(ops/profiles, round 7). The first run for a list of targets computes it with Rasa's own method
and keeps it on that schema; the graph runner builds a new dask graph from it each time, so the
kept schema is only read. `rasa_ext.launch` installs it before Rasa starts.
"""

from __future__ import annotations

_original = None


def minimal_graph_schema(self, targets=None):
    """GraphSchema.minimal_graph_schema, remembered per schema and list of targets."""
    kept = self.__dict__.setdefault("_minimal_schemas", {})
    key = tuple(targets) if targets else None
    schema = kept.get(key)
    if schema is None:
        schema = kept[key] = _original(self, targets)
    return schema


def install() -> None:
    global _original
    from rasa.engine.graph import GraphSchema

    if _original is None:
        _original = GraphSchema.minimal_graph_schema
    GraphSchema.minimal_graph_schema = minimal_graph_schema
