"""What the gateway itself tells a tenant about a handoff, in Chinese and English.

Rasa's utter_handoff says the tenant is passed on; only the gateway knows
whether the handoff was stored, whether staff are in, and how long staff
usually take, so these messages are made here. None carries a park fact.
"""

from __future__ import annotations

import re
import statistics
from datetime import datetime, timedelta

from sqlalchemy import select

from ..models import Handoff, utcnow

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
TYPICAL_SAMPLE = 50  # the last claimed handoffs that say how long a wait usually is
TYPICAL_MIN_SAMPLES = 3
TYPICAL_DAYS = 30

TEXTS = {
    "waiting": {"zh": "请稍候，工作人员{typical}。", "en": "Please wait a moment: staff {typical}."},
    "waiting_timeout": {
        "zh": "如果{timeout}分钟内没有人接待，我会请您留下联系方式，招商人员会尽快联系您。",
        "en": " If nobody has picked up within {timeout} minutes, I will ask for your contact details so that "
        "our investment staff can get back to you.",
    },
    "typical_minutes": {"zh": "通常在约 {n} 分钟内接待", "en": "usually pick up within about {n} minutes"},
    "typical_unknown": {"zh": "会尽快接待", "en": "will pick up as soon as they can"},
    "timeout": {
        "zh": "抱歉，目前没有工作人员能够接待您。请留下联系方式，招商人员会尽快与您联系，刚才的对话也会一并转给他们。",
        "en": "Sorry, no member of staff is free to talk right now. Please leave your contact details and our "
        "investment staff will get back to you; they will see this conversation too.",
    },
    "after_hours": {
        "zh": "现在是非工作时间（工作时间：{hours}，节假日除外），工作人员将于{next}后回复。请留下联系方式，"
        "招商人员上班后会与您联系，刚才的对话也会一并转给他们。",
        "en": "Our staff are out of the office now (office hours: {hours}, Beijing time, except public holidays); "
        "they will reply from {next}. Please leave your contact details and our investment staff will get "
        "back to you then; they will see this conversation too.",
    },
    "store_failed": {
        "zh": "抱歉，转接人工没有成功：系统暂时无法保存这次转接，工作人员看不到您的消息。请留下联系方式，招商人员会与您联系。",
        "en": "Sorry, I could not pass you on to staff: the system cannot record the request right now, so staff "
        "would not see your messages. Please leave your contact details and our investment staff will get "
        "back to you.",
    },
    "form_unavailable": {
        "zh": "（智能助手暂时无法打开联系方式表单，请稍后再发一条消息。）",
        "en": "(The assistant cannot open the contact form right now; please send another message in a moment.)",
    },
}
WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def text(key: str, language: str, **values) -> str:
    return TEXTS[key]["en" if language == "en" else "zh"].format(**values)


def language_of(*texts: str) -> str:
    """zh or en: English only when Latin letters clearly outweigh Chinese characters
    (English templates quote the park's Chinese name; Chinese ones quote no English prose)."""
    joined = " ".join(t for t in texts if t and not t.startswith("/"))
    cjk, latin = len(_CJK.findall(joined)), len(_LATIN.findall(joined))
    return "en" if latin > 4 * cjk and latin else "zh"


def typical_wait_minutes(session, now: datetime | None = None) -> int | None:
    """The median minutes from request to claim over recent claimed handoffs; None if too few to say."""
    now = now or utcnow()
    rows = session.execute(
        select(Handoff.created_at, Handoff.claimed_at)
        .where(Handoff.claimed_at.is_not(None), Handoff.created_at >= now - timedelta(days=TYPICAL_DAYS))
        .order_by(Handoff.id.desc())
        .limit(TYPICAL_SAMPLE)
    ).all()
    waits = [(claimed - created).total_seconds() for created, claimed in rows if claimed >= created]
    if len(waits) < TYPICAL_MIN_SAMPLES:
        return None
    return max(1, round(statistics.median(waits) / 60))


def waiting(session, language: str, timeout_minutes: float) -> str:
    minutes = typical_wait_minutes(session)
    typical = text("typical_unknown", language) if minutes is None else text("typical_minutes", language, n=minutes)
    said = text("waiting", language, typical=typical)
    if timeout_minutes and timeout_minutes > 0:
        said += text("waiting_timeout", language, timeout=_number(timeout_minutes))
    return said


def when(moment: datetime, now: datetime, language: str) -> str:
    """A local opening time in words: 今天 14:00, 明天 09:00, 12月7日（周一）09:00."""
    days = (moment.date() - now.date()).days
    if language == "en":
        day = "today" if days == 0 else "tomorrow" if days == 1 else moment.strftime("%a %d %b")
        return f"{moment:%H:%M} {day}"
    day = (
        "今天"
        if days == 0
        else "明天"
        if days == 1
        else f"{moment.month}月{moment.day}日（{WEEKDAY_ZH[moment.weekday()]}）"
    )
    return f"{day} {moment:%H:%M}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
