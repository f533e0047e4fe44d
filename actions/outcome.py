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

ANSWERED = "answered"
NO_KNOWLEDGE = "no_knowledge"
OUT_OF_SCOPE = "out_of_scope"
SMALL_TALK = "small_talk"
NEED_TOPIC = "need_topic"  # a bare follow-up (还有呢) with no earlier topic

FALLBACK_INTENT = "nlu_fallback"
# Intents that are not questions about the park.
NOT_PARK_QUESTIONS = frozenset({
    "out_of_scope", "chitchat", "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "inform",
})
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
        return confidence if intent and intent not in NOT_PARK_QUESTIONS else 0.0
    return sum(float(r.get("confidence") or 0.0) for r in ranking if r["name"] not in NOT_PARK_QUESTIONS)


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
    if intent is None or intent in NOT_PARK_QUESTIONS or confidence < SURE_INTENT_CONFIDENCE:
        return OUT_OF_SCOPE
    return NO_KNOWLEDGE


# The gateway's turn log names outcomes its own way (bot/models.py OUTCOMES).
_LOGGED_AS = {ANSWERED: "answered", NO_KNOWLEDGE: "abstained", OUT_OF_SCOPE: "out_of_scope",
              SMALL_TALK: "out_of_scope"}
# What of each retrieved passage the turn log keeps; the passage text stays out.
PASSAGE_KEYS = ("chunk_id", "doc_id", "title", "url", "score", "bm25", "dense", "confidence")


def turn_meta(result: str, answer, intent: str | None) -> dict:
    """Facts about the turn for the gateway's log, sent as custom payload keys
    it reads (outcome, confidence, intent, hits) and never shows the user."""
    return {
        "outcome": _LOGGED_AS.get(result, result),
        "confidence": round(float(answer.confidence), 4),
        "intent": intent,
        "hits": [{k: hit.to_dict().get(k) for k in PASSAGE_KEYS} for hit in answer.hits],
    }
