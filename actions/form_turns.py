"""Whether a message typed during the lead form answers the question it asks.

People ask questions in the middle of a form (园区在哪里？ where the company
name was asked). Such a message must never be stored as the answer: the form
steps aside, the rules answer it (data/rules/lead_form.yml), and the form asks
the same question again. The decision is taken here, once, from the message's
words, the classifier's intent and the field asked for, and is used both by
the form's validation action and by language detection (an answer typed into
the form does not switch the conversation's language; a question does).
Plain Python, so every case is tested without Rasa.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from . import lead_fields

ANSWER, INTERRUPT, CORRECT = "answer", "interrupt", "correct"
SURE = 0.5  # as actions/outcome.py: below this the classifier's guess is not relied on

# Leave the form (rules: stop, or hand over to staff).
LEAVE = frozenset({"stop_form", "human_handoff"})
# Never the value of any field.
SOCIAL = frozenset({"greet", "goodbye", "thank", "bot_challenge"})
# Never a company, a name or a phone number; but 场地, 资金 or CXO typed where
# needs or the industry are asked are answers, whatever the classifier says.
PARK_TALK = frozenset(
    {
        "chitchat",
        "out_of_scope",
        "ask_follow_up",
        "ask_location",
        "ask_industries",
        "ask_policy",
        "ask_cxo",
        "ask_green_channel",
        "ask_import_export",
        "ask_funds",
        "ask_services",
        "ask_layout",
        "ask_goals",
        "ask_opening",
        "ask_contact",
    }
)
NAMED_FIELDS = frozenset({"company_name", "contact_person", "phone"})
# Button payloads that answer the form: /affirm, /deny at consent (a "change"
# button, /inform{"lead_field": ...}, is a correction, read before).
CONSENT_PAYLOADS = frozenset({"affirm", "deny"})

_QUESTION_ZH = re.compile(
    r"[?？]|(吗|嘛|么|呢)[。.!！~]*$|什么|怎么|怎样|哪|谁|多少|几个|几号|几年|几期|几家|几点|几天|是否|有没有|"
    r"能不能|可不可以|是不是|为什么|如何|请问"
)
_QUESTION_EN = re.compile(
    r"^(what|where|when|who|whom|which|why|how|is|are|do|does|did|can|could|will|would|should|may|tell me|"
    r"any|anything)\b\s+\S+",
    re.IGNORECASE,
)
# A typed correction: 电话填错了, 改一下公司名称, change the phone number.
_CORRECTION = re.compile(r"改|错|更正|change|wrong|correct|fix", re.IGNORECASE)
CORRECTABLE = ("company_name", "contact_person", "phone", "industry", "needs")
_FIELD_WORDS = (
    ("company_name", re.compile(r"公司|company", re.IGNORECASE)),
    ("contact_person", re.compile(r"称呼|姓名|名字|联系人|name|contact", re.IGNORECASE)),
    ("phone", re.compile(r"电话|手机|号码|phone|number", re.IGNORECASE)),
    ("industry", re.compile(r"产业|行业|方向|赛道|industry", re.IGNORECASE)),
    ("needs", re.compile(r"需求|needs?\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Turn:
    kind: str  # ANSWER, INTERRUPT or CORRECT
    field: str | None = None  # for CORRECT: the field to ask again


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def is_question(text: str | None) -> bool:
    folded = _fold(text)
    return bool(_QUESTION_ZH.search(folded) or _QUESTION_EN.match(folded))


def corrected_field(text: str | None, entities: list[dict] | None = None, typed: bool = True) -> str | None:
    """The field a correction names: the read-back's button (entity lead_field), or with
    `typed`, words such as 电话填错了 (only after the read-back: 杭州改革…有限公司 typed
    where the company is asked is a name, not a correction)."""
    for entity in entities or []:
        if entity.get("entity") == "lead_field" and entity.get("value") in CORRECTABLE:
            return entity["value"]
    folded = _fold(text)
    if not typed or folded.startswith("/") or not _CORRECTION.search(folded):
        return None
    return next((field for field, words in _FIELD_WORDS if words.search(folded)), None)


def _fits(field: str, text: str) -> bool:
    """The message is certainly an answer to this field, whatever the classifier says."""
    if field == "company_name":
        return lead_fields.looks_like_company(text)
    if field == "contact_person":
        return lead_fields.looks_like_titled_name(text)
    if field == "phone":
        return lead_fields.check_phone(text).value is not None
    if field == "industry":
        return lead_fields.industry_choice(text) in (*lead_fields.INDUSTRY_CHOICES, lead_fields.OTHER_INDUSTRY)
    if field == "needs":
        return text.lower() in lead_fields.SKIP_WORDS
    return False


def _attempt(field: str | None, text: str) -> bool:
    """An answer in the wrong shape, to be refused with its reason whatever the
    classifier makes of it: digits where the phone is asked (12345), a phone
    number where the company or the name is asked."""
    if field == "phone":
        return bool(re.search(r"\d", text))
    return field in NAMED_FIELDS and lead_fields.check_phone(text).value is not None


def read(field: str | None, message: dict | None) -> Turn:
    """What the latest message is to the form that asks for `field`."""
    message = message or {}
    text = _fold(message.get("text"))
    intent = (message.get("intent") or {}).get("name")
    sure = float((message.get("intent") or {}).get("confidence") or 0.0) >= SURE
    correction = corrected_field(text, message.get("entities"), typed=field == "consent")
    if correction:
        return Turn(CORRECT, correction)
    if text.startswith("/"):  # a button: only yes or no at the consent step answers the form
        return Turn(ANSWER if field == "consent" and intent in CONSENT_PAYLOADS else INTERRUPT)
    fits = _fits(field or "", text)
    if sure and intent in LEAVE and not fits:
        return Turn(INTERRUPT)
    if is_question(text) and not fits:
        return Turn(INTERRUPT)
    if field == "consent" or fits or _attempt(field, text):
        return Turn(ANSWER)
    if sure and (intent in SOCIAL or (field in NAMED_FIELDS and intent in PARK_TALK)):
        return Turn(INTERRUPT)
    return Turn(ANSWER)
