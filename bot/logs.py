"""Log lines an operator can grep and a collector can parse.

Modules log `log.info("rasa replied", extra={"ms": 12.3})`; this formatter
appends those fields as key=value pairs (logfmt), so the numbers that matter
(latency, outcome, counts) are on the line instead of lost.
"""
from __future__ import annotations

import logging

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _value(value) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        if fields:
            line += " " + " ".join(f"{k}={_value(v)}" for k, v in fields.items())
        return line


def configure(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, KeyValueFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
