"""Log lines an operator can grep and a collector can parse.

Modules log `log.info("rasa replied", extra={"ms": 12.3})`; this formatter
appends those fields as key=value pairs (logfmt), so the numbers that matter
(latency, outcome, counts) are on the line instead of lost. No line carries a
phone number, whatever put it there (an exception's SQL parameters, a quoted
message): `PersonalDataFilter` masks them on the handler.
"""

from __future__ import annotations

import logging
import re

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


# Mainland mobiles and landlines however typed (138 1234 5678, +86-138…, 0571-8765…).
PHONE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(?:1[3-9]\d(?:[\s-]?\d){8}|0\d{2,3}[\s-]?\d{7,8})(?!\d)")
MASK = "[phone]"
_KEEP = frozenset(
    {"msg", "name", "levelname", "pathname", "filename", "module", "funcName", "processName", "threadName"}
)


def mask_phones(text: str) -> str:
    return PHONE.sub(MASK, text)


class PersonalDataFilter(logging.Filter):
    """Masks phone numbers in a record's message, arguments, extra fields and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg, record.args = record.getMessage(), None
        if isinstance(record.msg, str):
            record.msg = mask_phones(record.msg)
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and key not in _KEEP:
                setattr(record, key, mask_phones(value))
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = mask_phones(logging.Formatter().formatException(record.exc_info))
        return True


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
    handler.addFilter(PersonalDataFilter())
    root.addHandler(handler)
    root.setLevel(level)
