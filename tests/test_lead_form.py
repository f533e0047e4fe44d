"""The lead form listens: questions are not answers, every field is checked, English works.

The validation action runs as the action server runs it, on trackers built
here for each step of the form; the knowledge action runs over the session's
real index. What Rasa does with the result (reject the form, answer, ask
again) is covered by the stories in tests/test_stories.yml and end to end by
tests/e2e/test_form_listens.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import form_turns, knowledge_client, lead_fields, topics
from actions.actions import ActionAnswerFromKnowledge, ActionDetectLanguage
from actions.lead_form import ActionAskConsent, ActionAskIndustry, ActionFormAside, ValidateInvestorLeadForm

DOMAIN = yaml.safe_load(Path("domain.yml").read_text("utf-8"))
FIELDS = DOMAIN["forms"]["investor_lead_form"]["required_slots"]
FILLED = {
    "company_name": "杭州示例生物科技有限公司",
    "contact_person": "王先生",
    "phone": "13812345678",
    "industry": "高端医疗器械",
    "needs": "场地",
}


def message(text: str, intent: str = "nlu_fallback", confidence: float = 0.9, entities=None) -> dict:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": entities or [],
    }


def form_tracker(field: str, latest: dict, language: str = "zh", **slots) -> Tracker:
    """The form asking for `field`, every earlier field filled, and the tenant's latest message."""
    values = {name: None for name in (*FIELDS, "industry_guess")}
    for name in FIELDS[: FIELDS.index(field)]:
        values[name] = FILLED.get(name)
    values.update(slots, requested_slot=field, language=language)
    events = [
        {"event": "active_loop", "name": "investor_lead_form"},
        {"event": "slot", "name": "requested_slot", "value": field},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": latest["text"], "parse_data": latest},
    ]
    return Tracker.from_dict(
        {
            "sender_id": "t",
            "slots": values,
            "latest_message": latest,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "investor_lead_form"},
            "latest_action_name": "action_listen",
        }
    )


def validate(tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateInvestorLeadForm().run(dispatcher, tracker, DOMAIN))
    return events, [m for m in dispatcher.messages if not m.get("custom")]


def set_slots(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"}


# --- a question, a request for staff or 算了 never fills a field ----------------

INTERRUPTIONS = [
    ("园区在哪里？", "ask_location"),
    ("有哪些优惠政策？", "ask_policy"),
    ("where is the park?", "ask_location"),
    ("转人工", "human_handoff"),
    ("算了", "stop_form"),
    ("周边有学校吗", "out_of_scope"),
    ("How much is the rent?", "nlu_fallback"),
    ("/ask_funds", "ask_funds"),
    ("/request_settlement", "request_settlement"),
]


@pytest.mark.parametrize("field", [f for f in FIELDS if f != "consent"])
@pytest.mark.parametrize("payload", ["/affirm", "/deny"])
def test_a_stray_yes_or_no_button_fills_nothing_before_the_consent_step(field, payload):
    events, _ = validate(form_tracker(field, message(payload, payload.lstrip("/"), 1.0)))
    assert set_slots(events) == {}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text, intent", INTERRUPTIONS)
def test_a_question_or_leaving_fills_no_field_at_any_step(field, text, intent):
    events, said = validate(form_tracker(field, message(text, intent)))
    # Nothing extracted and nothing validated: Rasa rejects the form for this turn
    # and the rules answer the message (tests/test_stories.yml).
    assert set_slots(events) == {}, events
    assert said == []


def test_a_question_the_classifier_took_for_an_answer_is_still_not_stored():
    events, _ = validate(form_tracker("company_name", message("园区在哪里", "inform", 0.8)))
    assert set_slots(events) == {}


# --- real answers fill their field, tidied; bad ones are refused with the reason ---


@pytest.mark.parametrize(
    "field, text, intent, stored",
    [
        ("company_name", "杭州测试生物科技有限公司", "ask_industries", "杭州测试生物科技有限公司"),
        ("company_name", "药明康德", "inform", "药明康德"),
        ("contact_person", "周经理", "human_handoff", "周经理"),  # a title, not a request for staff
        ("contact_person", "我姓赵，叫赵磊", "inform", "赵磊"),
        ("phone", "138 1234 5678", "ask_contact", "13812345678"),
        ("industry", "高端医疗器械", "ask_industries", "高端医疗器械"),
        ("industry", "AI制药平台", "nlu_fallback", "其他：AI制药平台"),
        ("needs", "资金", "ask_funds", "资金"),  # a need, though it names a park topic
        ("needs", "跳过", "nlu_fallback", "未填写"),
    ],
)
def test_answers_fill_their_field(field, text, intent, stored):
    events, said = validate(form_tracker(field, message(text, intent)))
    assert set_slots(events)[field] == stored
    assert said == []


@pytest.mark.parametrize(
    "field, text",
    [
        ("company_name", "好的"),
        ("company_name", "我们想入驻"),
        ("contact_person", "13812345678"),
        ("contact_person", "杭州测试生物科技有限公司"),
        ("phone", "12345"),
        ("industry", "好的"),
        ("needs", "嗯"),
    ],
)
def test_answers_that_do_not_fit_are_refused_with_the_reason(field, text):
    events, said = validate(form_tracker(field, message(text, "inform")))
    assert set_slots(events)[field] is None
    [refusal] = said
    assert refusal["response"] in ("utter_invalid_lead_field", "utter_invalid_phone") and refusal["reason"]


@pytest.mark.parametrize("field, text", [("phone", "12345"), ("contact_person", "13812345678")])
def test_numbers_are_checked_as_answers_whatever_the_classifier_thought(field, text):
    events, said = validate(form_tracker(field, message(text, "out_of_scope", 0.8)))
    assert set_slots(events) == {field: None} and said[0]["reason"]


def test_the_reason_is_english_for_an_english_tenant():
    _, said = validate(form_tracker("phone", message("12812345678", "inform"), language="en"))
    assert said[0]["reason"] == "the second digit of a mobile number is 3 to 9"
    _, said = validate(form_tracker("contact_person", message("杭州测试生物科技有限公司", "inform"), language="en"))
    assert said[0]["reason"].startswith("That does not look like a name")


# --- consent: yes, no, anything else is asked again, a detail can be fixed ---------


@pytest.mark.parametrize("text, intent, consent", [("/affirm", "affirm", True), ("不同意", "deny", False)])
def test_consent_yes_or_no(text, intent, consent):
    events, _ = validate(form_tracker("consent", message(text, intent, 1.0)))
    assert set_slots(events) == {"consent": consent}


def test_an_answer_that_is_not_yes_or_no_gets_a_re_ask_not_the_scope_message():
    events, said = validate(form_tracker("consent", message("明年上半年", "out_of_scope", 0.7)))
    assert set_slots(events) == {"consent": None}  # validated: the form goes on and asks consent again
    assert [m["response"] for m in said] == ["utter_consent_choice"]


@pytest.mark.parametrize(
    "latest",
    [
        message('/inform{"lead_field": "phone"}', "inform", 1.0, [{"entity": "lead_field", "value": "phone"}]),
        message("电话填错了", "inform", 0.6),
    ],
)
def test_a_detail_can_be_corrected_from_the_read_back(latest):
    events, _ = validate(form_tracker("consent", latest))
    assert set_slots(events) == {"phone": None}  # the form asks the first empty field: the phone


def test_a_company_name_with_a_correction_word_is_a_name_not_a_correction():
    events, _ = validate(form_tracker("company_name", message("杭州改革生物科技有限公司", "inform")))
    assert set_slots(events) == {"company_name": "杭州改革生物科技有限公司", "industry_guess": None}


def test_the_read_back_shows_every_detail_before_consent():
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("consent", message("场地"), language="en", needs="未填写")
    asyncio.run(ActionAskConsent().run(dispatcher, tracker, DOMAIN))
    [asked] = dispatcher.messages
    assert asked["response"] == "utter_ask_consent"
    assert asked["industry_shown"] == "high-end medical devices (高端医疗器械)" and asked["needs_shown"] == "not given"
    for variant in DOMAIN["responses"]["utter_ask_consent"]:
        for slot in ("{company_name}", "{contact_person}", "{phone}", "{industry_shown}", "{needs_shown}"):
            assert slot in variant["text"]


# --- an industry read from the company name is confirmed, not assumed ---------------


def test_an_industry_in_the_company_name_is_a_guess_to_confirm():
    events, _ = validate(form_tracker("company_name", message("杭州某某医疗器械有限公司", "inform")))
    slots = set_slots(events)
    assert slots["company_name"] == "杭州某某医疗器械有限公司"
    assert slots["industry_guess"] == "高端医疗器械" and "industry" not in slots  # still to be asked

    dispatcher = CollectingDispatcher()
    asyncio.run(
        ActionAskIndustry().run(
            dispatcher, form_tracker("industry", message("x"), industry_guess="高端医疗器械"), DOMAIN
        )
    )
    assert dispatcher.messages[0]["response"] == "utter_ask_industry_guess"
    assert dispatcher.messages[0]["guess"] == "高端医疗器械"


@pytest.mark.parametrize(
    "text, intent, industry",
    [("对", "affirm", "高端医疗器械"), ("不是", "deny", None), ("合成生物", "ask_industries", "合成生物(含高端美妆)")],
)
def test_the_guess_is_taken_only_when_confirmed(text, intent, industry):
    events, _ = validate(form_tracker("industry", message(text, intent), industry_guess="高端医疗器械"))
    slots = set_slots(events)
    assert slots["industry"] == industry and slots["industry_guess"] is None


# --- language: a question in the form switches it, an answer does not ---------------


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("where is the park?", "ask_location", [SlotSet("language", "en")]),
        ("John Smith", "inform", []),
    ],
)
def test_language_follows_questions_in_the_form_not_answers(text, intent, expected):
    tracker = form_tracker("contact_person", message(text, intent))
    events = asyncio.run(ActionDetectLanguage().run(CollectingDispatcher(), tracker, DOMAIN))
    assert events == expected


# --- the knowledge action inside the form --------------------------------------------


@pytest.fixture
def real_kb(kb):
    knowledge_client.use(kb)
    yield
    knowledge_client.use(None)


def ask_in_form(text: str, intent: str, language: str = "zh") -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("company_name", message(text, intent), language=language)
    events = asyncio.run(ActionAnswerFromKnowledge().run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages, events


def test_a_park_question_in_the_form_is_answered_and_leaves_no_rule_trigger(real_kb):
    said, events = ask_in_form("园区在哪里？", "ask_location")
    assert "机场西侧" in said[0]["text"] and said[0]["custom"]["sources"]
    assert SlotSet("knowledge_result", None) in events
    # one of the form's steps for the gateway, so a refused form is erased as one run
    assert said[0]["custom"]["form_step"] is True


def test_an_aside_in_the_form_is_marked_as_a_form_step():
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionFormAside().run(dispatcher, form_tracker("phone", message("你是谁", "bot_challenge")), DOMAIN))
    assert dispatcher.messages == [{**dispatcher.messages[0], "custom": {"form_step": True}}]


@pytest.mark.parametrize(
    "text, intent, response",
    [
        ("园区招商电话是多少？", "ask_contact", "utter_no_knowledge_in_form"),
        ("周边有学校吗", "out_of_scope", "utter_no_knowledge_in_form"),
        ("今天天气怎么样", "out_of_scope", "utter_out_of_scope_in_form"),
    ],
)
def test_no_answer_in_the_form_is_said_briefly(real_kb, text, intent, response):
    said, events = ask_in_form(text, intent)
    # rendered by the action in the message's language (actions/responses.py), Chinese here
    chinese = [v["text"] for v in DOMAIN["responses"][response] if not v.get("condition")]
    assert [m["text"] for m in said if m.get("text")] == chinese
    assert SlotSet("knowledge_result", None) in events
    assert not [e for e in events if e["event"] == "followup"]  # the form's rule goes on, not a verdict's


def test_the_form_answers_have_english_variants():
    for name in (
        "utter_no_knowledge_in_form",
        "utter_out_of_scope_in_form",
        "utter_consent_choice",
        "utter_ask_industry_guess",
        "utter_invalid_lead_field",
        "utter_invalid_phone",
        "utter_ask_consent",
    ):
        languages = [(v.get("condition") or [{}])[0].get("value", "zh") for v in DOMAIN["responses"][name]]
        assert languages == ["zh", "en"], name


@pytest.mark.parametrize(
    "question, in_scope",
    [
        ("周边有学校吗", True),
        ("园区附近有酒店吗", True),
        ("有人才公寓吗", True),
        ("is there a canteen?", True),
        ("are there schools nearby?", True),
        ("推荐一家杭州好吃的餐厅", False),
        ("Recommend a good hotel in Hangzhou", False),
        ("帮我订个酒店", False),
    ],
)
def test_relocation_questions_are_in_scope_and_travel_tips_are_not(question, in_scope):
    assert topics.is_relocation_question(question) is in_scope


def test_form_turns_reads_every_issue_example():
    """The tenant's own messages (issue 16), as the form reads them."""
    assert form_turns.read("company_name", message("园区在哪里？", "ask_location")).kind == form_turns.INTERRUPT
    assert form_turns.read("contact_person", message("有哪些优惠政策？", "ask_policy")).kind == form_turns.INTERRUPT
    assert form_turns.read("consent", message("明年上半年", "out_of_scope")).kind == form_turns.ANSWER
    assert lead_fields.industry_guess("杭州某某医疗器械有限公司") == "高端医疗器械"
