"""(intent, text) pairs of Rasa NLU files, entity annotations removed: what tests compare."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def examples(paths):
    for path in paths:
        for item in yaml.safe_load(Path(path).read_text("utf-8")).get("nlu", []):
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield item["intent"], _ANNOTATION.sub(r"\1", line[2:]).strip()
