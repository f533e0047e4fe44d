"""The turn contract: what a dialogue turn may report to the gateway, in one place.

A turn crosses three programs. The action server (actions/, rasa-sdk) and
Rasa's own responses (domain.yml) attach custom payloads to their replies;
the gateway (bot/) folds them into its turn log and never shows them to the
user. Each side used to spell the vocabulary out itself, so a new outcome
or key could be sent by one and silently mislabelled by the other. Both now
read it from here, and tests/test_turn_contract.py checks domain.yml
against it (turn_contract.domain_check).

Plain Python without dependencies: the action server and the gateway run in
different virtualenvs (and Python versions) and both import this package.
"""

from __future__ import annotations

# --- outcomes ---------------------------------------------------------------
# What the gateway's turn log records for a turn (bot/models.py Turn.outcome).
# `error`: the gateway could not answer at all; `unknown`: the dialogue reported
# an outcome this contract does not name (logged as a warning and counted, never
# guessed at).
ANSWERED = "answered"
ABSTAINED = "abstained"
OUT_OF_SCOPE = "out_of_scope"
HANDOFF = "handoff"
ERROR = "error"
UNKNOWN = "unknown"
LOGGED_OUTCOMES = (ANSWERED, ABSTAINED, OUT_OF_SCOPE, HANDOFF, ERROR, UNKNOWN)

# Rasa's utter_default: the bot did not understand and could not go on.
FALLBACK = "fallback"
# The outcomes a reply's custom payload may carry, and how the gateway logs each.
# A reply without any outcome (a greeting, a lead-form question) is an answer.
REPORTED_AS = {
    ANSWERED: ANSWERED,
    ABSTAINED: ABSTAINED,
    OUT_OF_SCOPE: OUT_OF_SCOPE,
    HANDOFF: HANDOFF,
    FALLBACK: ABSTAINED,  # unanswered, for staff to look at
}
REPORTED_OUTCOMES = frozenset(REPORTED_AS)

# The knowledge action's verdict (the `knowledge_result` slot in domain.yml,
# which the rules in data/rules/knowledge.yml read) and the outcome it reports
# for the turn log; None: it reports nothing (a bare follow-up with no topic
# yet is asked for one by a response).
KNOWLEDGE_ANSWERED = "answered"
NO_KNOWLEDGE = "no_knowledge"
POINTED = "pointed"  # no answer, but documents that discuss it were offered to read (see_also)
KNOWLEDGE_OUT_OF_SCOPE = "out_of_scope"
SMALL_TALK = "small_talk"
NEED_TOPIC = "need_topic"
KNOWLEDGE_RESULTS = {
    KNOWLEDGE_ANSWERED: ANSWERED,
    NO_KNOWLEDGE: ABSTAINED,
    POINTED: ABSTAINED,
    KNOWLEDGE_OUT_OF_SCOPE: OUT_OF_SCOPE,
    SMALL_TALK: OUT_OF_SCOPE,
    NEED_TOPIC: None,
}

# --- payload keys -----------------------------------------------------------
OUTCOME = "outcome"
CONFIDENCE = "confidence"  # retrieval confidence of the best passage
INTENT = "intent"  # the classifier's best real intent
HITS = "hits"  # the retrieved passages, as PASSAGE_KEYS
SOURCES = "sources"  # citations of the reply they follow, as SOURCE_KEYS and more
END_SESSION = "end_session"  # the session is long enough: start a new one (actions/session.py)
FORM_STEP = "form_step"  # the message answered the lead form
FORM_ERASED = "form_erased"  # this turn cancelled the lead form or refused consent
# This turn handed a consented lead to the lead API (actions/actions.py ActionSubmitLead): only then
# does the gateway look for the lead to offer a site visit after it (bot/visits/chat.py).
LEAD_STORED = "lead_stored"
# Keys the gateway copies from custom payloads into the turn's meta; `sources` is
# collected separately, since each reply keeps its own.
META_KEYS = (OUTCOME, CONFIDENCE, INTENT, HITS, END_SESSION, FORM_STEP, FORM_ERASED, LEAD_STORED)
PAYLOAD_KEYS = frozenset((*META_KEYS, SOURCES))
# Keys that domain.yml's responses use; the rest only the action server sends.
RESPONSE_KEYS = frozenset((OUTCOME, SOURCES))

# What of each retrieved passage the turn log keeps; the passage text stays out.
PASSAGE_KEYS = ("chunk_id", "doc_id", "title", "url", "score", "bm25", "dense", "confidence")
# A citation as users see it; the scores and ids stay in the turn log.
SOURCE_KEYS = ("title", "publisher", "published", "url", "snippet")


def is_pointer(source: dict) -> bool:
    """A source without a snippet is a document offered to read when the bot has no answer (a declined
    question's see_also), not the citation of a fact: a citation always quotes the sentence it stands
    for. Channels label the two apart ("相关文件" against "来源"), and only a cited answer is rated.
    bot/widget/static/messages.js applies the same rule in the browser."""
    return not (source.get("snippet") or "").strip()


def passages(answer) -> list[dict]:
    """The answer's retrieved passages as the turn log keeps them."""
    # Only these keys, read off the hit: building the whole dict first (its text and evidence
    # too) was ~5 % of the action server's CPU (ops/profiles/README.md, round 8).
    return [{key: _rounded(getattr(hit, key, None)) for key in PASSAGE_KEYS} for hit in answer.hits]


def _rounded(value):
    """As knowledge.Hit.to_dict writes a score."""
    return round(value, 6) if isinstance(value, float) else value


def answer_payload(outcome: str, answer, intent: str | None, pointed: bool = False) -> dict:
    """A knowledge-base answer (knowledge.Answer) as the custom payload of its turn.

    Built here once for the action server and for the gateway's degraded mode,
    so both log the same facts. `sources` (full, with scores) when the answer is
    given; when it is declined and `pointed`, the documents offered to read
    instead (its see_also, which is_pointer tells apart); otherwise none: an
    abstention cites nothing.
    """
    payload = {
        OUTCOME: outcome,
        CONFIDENCE: round(float(answer.confidence), 4),
        INTENT: intent,
        HITS: passages(answer),
    }
    if outcome == ANSWERED:
        payload[SOURCES] = [source.to_dict() for source in answer.sources]
    elif pointed:
        payload[SOURCES] = [source.to_dict() for source in answer.see_also]
    return payload
