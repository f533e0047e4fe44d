"""Which kind of reply a knowledge-base result calls for.

Neither signal is enough alone. A small Chinese DIET model has been measured
putting 今天天气 into `greet` at 0.99, so the classifier cannot be trusted to
spot what is off-topic; and retrieval cannot tell a park question it has no
text for (园区招商电话是多少) from a question about something else. So: an
answer from the knowledge base is always given; without one, a message the
classifier confidently took for a park question gets "nothing published,
talk to staff", small talk gets the small-talk reply, and everything else
gets the scope message. Messages the classifier calls off-topic are asked
too: it was measured putting 园区的6+1特色功能是什么 into chitchat at 0.92.
"""

from __future__ import annotations

import turn_contract as contract

from .topics import TOPICS

# The knowledge action's verdicts (the `knowledge_result` slot), from the turn contract.
ANSWERED = contract.KNOWLEDGE_ANSWERED
NO_KNOWLEDGE = contract.NO_KNOWLEDGE
POINTED = contract.POINTED  # no answer; documents to read were offered (the action's own follow-up)
OUT_OF_SCOPE = contract.KNOWLEDGE_OUT_OF_SCOPE
SMALL_TALK = contract.SMALL_TALK
NEED_TOPIC = contract.NEED_TOPIC  # a bare follow-up (还有呢) with no earlier topic

FALLBACK_INTENT = "nlu_fallback"
FOLLOW_UP_INTENT = "ask_follow_up"
# The intents that ask about the park: one per topic in the registry
# (actions/topics.py), and the follow-up that refers back to one. An
# allow-list, so a new intent (human_handoff, stop_form) is no park question
# until a topic says so; tests/test_turn_contract.py checks it against domain.yml.
PARK_QUESTIONS = frozenset({t.intent for t in TOPICS} | {FOLLOW_UP_INTENT})
# Off-topic by the classifier: the knowledge base is still asked, but with the
# words alone, never as a follow-up of the earlier topic (这个好玩吗 is not
# a question about the policy just answered).
OFF_TOPIC = frozenset({"out_of_scope", "chitchat"})
# Below this the classifier's guess that it is a park question is not relied
# on. Kept just above the FallbackClassifier threshold in config.yml (0.45).
SURE_INTENT_CONFIDENCE = 0.5


def understood_intent(message: dict) -> tuple[str | None, float]:
    """The classifier's best real intent, looking past nlu_fallback.

    The FallbackClassifier replaces the top intent with nlu_fallback but keeps
    the original ranking, which still says what the message most resembled.
    """
    intent = message.get("intent") or {}
    if intent.get("name") and intent.get("name") != FALLBACK_INTENT:
        return intent["name"], float(intent.get("confidence") or 0.0)
    for ranked in message.get("intent_ranking") or []:
        if ranked.get("name") and ranked["name"] != FALLBACK_INTENT:
            return ranked["name"], float(ranked.get("confidence") or 0.0)
    return None, 0.0


def park_question_confidence(message: dict) -> float:
    """How sure the classifier is that the message asks about the park, whichever topic.

    The sum over the park-question intents of the ranking: torn between two
    park topics (创业团队有孵化空间吗: services 0.54, layout 0.44) it is unsure
    of the topic but sure of the park, and without published text that is
    "nothing published, talk to staff", not the scope message.
    """
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") not in (None, FALLBACK_INTENT)]
    if not ranking:
        intent, confidence = understood_intent(message)
        return confidence if intent in PARK_QUESTIONS else 0.0
    return sum(float(r.get("confidence") or 0.0) for r in ranking if r["name"] in PARK_QUESTIONS)


def decide(abstained: bool, intent: str | None, confidence: float, related: bool = False) -> str:
    """`intent` is the best real intent; `confidence` how sure it is a park question;
    `related`: the documents discuss what was asked, though the bot will not state an
    answer (园区的6+1特色功能是什么, taken for chitchat at 0.92): "nothing published,
    talk to staff", never the scope message. The action also passes a relocation
    question (周边有学校吗, topics.is_relocation_question) as related: in scope."""
    if not abstained:
        return ANSWERED
    if related:
        return NO_KNOWLEDGE
    if intent == "chitchat":
        return SMALL_TALK
    if intent not in PARK_QUESTIONS or confidence < SURE_INTENT_CONFIDENCE:
        return OUT_OF_SCOPE
    return NO_KNOWLEDGE


def turn_payload(result: str, answer, intent: str | None) -> dict:
    """The custom payload of a knowledge turn: the outcome the verdict reports
    (turn_contract.KNOWLEDGE_RESULTS), confidence, intent, passages, and the
    sources when answered (or the documents to read when pointed). The gateway
    logs it, and shows only the sources with the reply they follow."""
    return contract.answer_payload(contract.KNOWLEDGE_RESULTS[result], answer, intent, pointed=result == POINTED)
