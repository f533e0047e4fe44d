"""What a park question is about, and what a follow-up refers back to.

The knowledge base sees one message at a time; a user does not. After an
answer on CXO orders, 具体怎么申请 means "how to apply for the CXO order
policy", and 这个政策适合我们吗 means that policy, not policies in general.
This module names the topic of each question, notices when a message leans
on the earlier topic instead of naming its own, and builds the query that the
knowledge base is asked. It is plain Python, so it is tested without Rasa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import normalize


@dataclass(frozen=True)
class Topic:
    label: str  # the short word kept in the `topic` slot
    intent: str
    # Words that show a message names this topic itself (after normalize()).
    words: tuple[str, ...]
    # Asked for a button press, which carries no words, and searched for a
    # follow-up that has no content words of its own. Worded like the sources.
    question: str


# Order matters: the first topic whose word occurs wins, so the specific
# (CXO, 进出口, 绿色通道) come before the general (政策, 产业).
TOPICS: tuple[Topic, ...] = (
    Topic("CXO", "ask_cxo", ("cxo", "cro", "cdmo", "cmo", "外包"), "CXO订单政策"),
    Topic(
        "进出口",
        "ask_import_export",
        ("进出口", "进口", "出口", "报关", "海关", "通关", "出海", "import", "export", "customs"),
        "进出口补助和进出口绿色通道",
    ),
    Topic(
        "绿色通道",
        "ask_green_channel",
        ("绿色通道", "审批", "快速通道", "green channel", "fast track", "approval"),
        "审批绿色通道",
    ),
    Topic(
        "基金", "ask_funds", ("基金", "融资", "风投", "天使投资", "股权投资", "fund", "financing"), "生物医药专项基金"
    ),
    Topic(
        "联系方式",
        "ask_contact",
        ("电话", "联系方式", "热线", "邮箱", "微信", "contact", "phone", "email"),
        "园区招商联系方式",
    ),
    Topic(
        "开园", "ask_opening", ("开园", "开业", "成立", "启用", "opened", "opening"), "杭州临空生物医药园什么时候开园"
    ),
    Topic("目标", "ask_goals", ("目标", "2027", "愿景", "前景", "千亿", "goal", "target"), "到2027年园区的目标"),
    Topic(
        "布局",
        "ask_layout",
        ("布局", "规划", "厂房", "社区", "分期", "几期", "两轴", "六期", "启动区", "layout", "facilit", "phase"),
        "启动区块两轴六期两社区的空间架构",
    ),
    Topic(
        "服务",
        "ask_services",
        ("服务", "运营", "孵化", "智库", "峰会", "共享平台", "service", "operat", "incubat"),
        "园区平台运营国资公司负责哪些服务",
    ),
    Topic("产业", "ask_industries", ("产业", "赛道", "行业", "领域", "industr", "sector"), "产业方向"),
    Topic(
        "位置",
        "ask_location",
        ("在哪", "哪里", "哪儿", "位置", "地址", "位于", "机场", "交通", "区位", "where", "locat"),
        "杭州生物科技谷位于哪里",
    ),
    Topic(
        "政策",
        "ask_policy",
        ("政策", "补贴", "补助", "扶持", "优惠", "奖励", "policy", "policies", "subsid", "incentive"),
        "省市区政策和临空特色政策",
    ),
)
BY_LABEL = {t.label: t for t in TOPICS}
BY_INTENT = {t.intent: t for t in TOPICS}

# Words that point back at what was just discussed: 这个政策 is the earlier
# policy even though 政策 is a topic word.
_REFERS_BACK = re.compile(r"这个|那个|这些|那些|这项|那项|这种|(?<!应)该|上述|上面|刚才|刚刚|它|\b(it|this|that)\b")
# Topics broad enough to be a pointer: 这个政策 after CXO means the CXO order
# policy, whereas 这个绿色通道 after 政策 is a new, narrower question.
_GENERAL = frozenset({"政策", "产业", "服务"})
# Follow-up phrasing that carries no content: 还有呢, 详细说说, tell me more.
_FILLER = re.compile(
    r"还有别的吗|还有什么|还有呢|还有|然后呢|然后|那具体呢|具体点|具体内容|具体|详细说说|详细|展开讲讲|展开|"
    r"多说一点|说说|讲讲|能不能|能|吗|呢|吧|啊|呀|的|是什么|"
    r"tell me more|more details?|please|more"
)
_PUNCT = re.compile(r"[\s\W_]+")


# What a firm moving its staff asks about living near the park (schools,
# hotels, housing, canteens, transport). In scope even where no document says
# anything: the answer is "not found" with the lead and staff offers, not the
# scope message. Staff facilities are the park's own business by themselves;
# a hotel or a school only with a word placing it near the park, so "recommend
# a hotel in Hangzhou" stays off-topic.
_STAFF_LIVING = re.compile(
    r"人才房|人才公寓|人才住房|员工宿舍|宿舍|员工公寓|食堂|员工餐厅|员工住宿|住宿|班车|通勤|"
    r"talent housing|talent apartment|staff housing|staff accommodation|dormitor|canteen|shuttle|commut",
    re.IGNORECASE,
)
_NEARBY_LIVING = re.compile(
    r"学校|小学|中学|幼儿园|酒店|宾馆|住房|租房|公寓|餐厅|吃饭|医院|超市|商场|地铁|公交|"
    r"school|kindergarten|hotel|accommodation|housing|apartment|restaurant|hospital|supermarket|metro|subway|bus\b",
    re.IGNORECASE,
)
_NEAR_THE_PARK = re.compile(
    r"周边|附近|周围|旁边|边上|园区|园里|园内|这边|配套|"
    r"nearby|near the park|around the park|close to the park|in the park|on site",
    re.IGNORECASE,
)


def is_relocation_question(text: str) -> bool:
    """周边有学校吗, 园区附近有酒店吗, 有人才公寓吗: a relocation question, in scope."""
    folded = normalize(text or "")
    return bool(_STAFF_LIVING.search(folded) or (_NEARBY_LIVING.search(folded) and _NEAR_THE_PARK.search(folded)))


@dataclass(frozen=True)
class Question:
    query: str  # what the knowledge base is asked
    topic: str | None  # the value for the `topic` slot
    needs_topic: bool = False  # a bare follow-up with nothing to follow


def topic_in(text: str) -> Topic | None:
    """The first topic the message names itself, if any."""
    folded = normalize(text)
    return next((t for t in TOPICS if any(w in folded for w in t.words)), None)


def refers_back(text: str) -> bool:
    return bool(_REFERS_BACK.search(normalize(text)))


def is_bare(text: str) -> bool:
    """True when nothing is left once follow-up filler is removed (还有呢)."""
    return not _PUNCT.sub("", _FILLER.sub("", normalize(text)))


def resolve(text: str, intent: str | None, previous_topic: str | None) -> Question:
    """Decide what to search for and what the conversation is now about.

    - A button payload (/ask_funds) has no words: ask the topic's question.
    - A message that names its own topic starts that topic (那基金呢).
    - A follow-up (no topic word of its own and the ask_follow_up intent, a
      pointer back such as 这个, or nothing but filler; or a pointer back to a
      broad topic, 这个政策) is searched together with the earlier topic, which
      it keeps. Filler alone (还有呢) asks the earlier topic's question again.
    """
    text = (text or "").strip()
    by_intent = BY_INTENT.get(intent or "")
    previous = BY_LABEL.get(previous_topic or "")

    if text.startswith("/"):
        if by_intent:
            return Question(by_intent.question, by_intent.label)
        text = ""

    own = topic_in(text)
    if own is None:
        follow_up = intent == "ask_follow_up" or is_bare(text) or refers_back(text)
    else:
        follow_up = refers_back(text) and (own.label in _GENERAL or own is previous)

    if not follow_up:
        topic = by_intent or own
        return Question(text or (topic.question if topic else ""), topic.label if topic else previous_topic)

    if previous is None:
        if intent == "ask_follow_up" or is_bare(text):
            return Question("", None, needs_topic=True)
        topic = by_intent or own
        return Question(text, topic.label if topic else None)

    if is_bare(text):
        return Question(previous.question, previous.label)
    return Question(f"{text} {previous.question}", previous.label)
