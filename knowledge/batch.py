"""Batch hit testing: many questions in, one verdict per question out.

Staff check the knowledge base the way tenants will use it: a list of the
questions they hear, answered or declined, each with its confidence and the
passage it rests on. The command line (`ask --file`) writes JSON lines; the
console shows the same rows as a table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

MAX_QUESTIONS = 500  # a batch larger than this is a job for `python -m knowledge eval`


def read_questions(text: str) -> list[str]:
    """One question per line; blank lines and # comments skipped; a CSV's first column."""
    out = []
    for line in text.splitlines():
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        if "," in line and line.count('"') % 2 == 0 and line.startswith('"'):
            line = line[1:].split('"', 1)[0]
        out.append(line)
    return out


def row(kb, question: str) -> dict:
    answer = kb.ask(question)
    top = answer.hits[0] if answer.hits else None
    return {
        "question": question,
        "answered": not answer.abstained,
        "confidence": round(answer.confidence, 4),
        "threshold": None if answer.threshold is None else round(answer.threshold, 4),
        "declined_because": answer.declined_because,
        "text": answer.text,
        "sources": [s.to_dict() for s in answer.sources],
        "see_also": [s.to_dict() for s in answer.see_also],
        "passage": {
            "chunk_id": top.chunk_id,
            "title": top.title,
            "text": top.text,
            "coverage": round(top.confidence, 4),
        }
        if top
        else None,
    }


def ask_many(kb, questions: list[str]) -> list[dict]:
    if len(questions) > MAX_QUESTIONS:
        raise ValueError(f"{len(questions)} questions; at most {MAX_QUESTIONS} at a time")
    return [row(kb, q) for q in questions]


def ask_file(kb, path: Path, out: IO[str]) -> dict:
    """Answer every question of the file, writing one JSON line each as it goes."""
    questions = read_questions(Path(path).read_text("utf-8-sig"))
    counts = {"answered": 0, "declined": 0}
    for question in questions:
        result = row(kb, question)
        counts["answered" if result["answered"] else "declined"] += 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return counts
