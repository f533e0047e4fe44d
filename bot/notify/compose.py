"""What a staff notice says: built from ids, counts, topic, waiting time and masked question text.

A notice goes to a group chat or a mailbox that more people read than the
console, so it carries nothing that identifies the tenant: no phone number,
no e-mail address, no name from the lead form. The one piece of tenant text
it does carry, the question, has every phone-like run of digits and every
e-mail address masked, and is defused as Markdown so a tenant cannot plant a
link in the staff group. Staff follow the console link for the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER_MASK = "[号码已隐藏]"
EMAIL_MASK = "[邮箱已隐藏]"
NAME_MASK = "[姓名已隐藏]"
QUESTION_CHARS = 120
PHONE_DIGITS = 7  # a run with this many digits (landline without area code) may be a phone number

# Digits with the separators people type inside phone numbers: 139 1234 5678, 0571-8888 8888, (0571)…, +86…
_NUMBER_RUN = re.compile(r"[+＋]?[(（]?\d[\d\s\-－—–.．()（）/]*\d")
_DATE = re.compile(r"\d{4}[-./年]\d{1,2}(?:[-./月]\d{1,2}日?)?")
_CHINESE_DIGITS = re.compile(
    r"[〇零一二三四五六七八九幺两][〇零一二三四五六七八九幺两\s\-]{5,}[〇零一二三四五六七八九幺两]"
)
# A name the tenant introduces (我叫张伟, 联系人：李娜, 我是王芳，): the words before it stay, the name goes.
# A bare name without such words cannot be told from other text, and is not caught.
_NAME = re.compile(
    r"(我叫|名叫|叫我|我姓|姓名\s*[:：]?|联系人\s*[:：]?|称呼\s*[:：]?)\s*[\u4e00-\u9fff]{1,3}"
    r"|(我是|本人)[\u4e00-\u9fff]{2,3}(?=[，,。.！!；;、\s]|$)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Full-width look-alikes: the text reads the same, but no Markdown link, heading, emphasis or HTML is made.
_MARKDOWN = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "<": "＜",
        ">": "＞",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "!": "！",
        "|": "｜",
        "~": "～",
        "\\": "＼",
    }
)


def mask_personal(text: str) -> str:
    """The text with phone-like digit runs, e-mail addresses and introduced names replaced."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _NAME.sub(lambda m: (m.group(1) or m.group(2)).rstrip(":： ") + NAME_MASK, text)

    def number(match: re.Match) -> str:
        run = match.group()
        if _DATE.fullmatch(run.strip()):
            return run
        return NUMBER_MASK if sum(ch.isdigit() for ch in run) >= PHONE_DIGITS else run

    text = _NUMBER_RUN.sub(number, text)
    return _CHINESE_DIGITS.sub(NUMBER_MASK, text)


def quote(text: str | None, limit: int = QUESTION_CHARS) -> str:
    """Tenant text fit for a notice: masked first (so a cut never leaves half a number), one line, inert."""
    text = " ".join(mask_personal(text or "").split())
    if len(text) > limit:
        text = text[:limit] + "…"
    text = text.translate(_MARKDOWN).replace("://", "：//")  # no auto-linked URL either
    return text or "（无）"


def _word(text: str | None, limit: int = 40) -> str:
    """A label that came from the bot (intent, topic, channel): short, inert."""
    return quote(text, limit) if text else ""


@dataclass(frozen=True)
class Message:
    kind: str
    event: str
    subject: str
    body: str  # Markdown; also read as plain text in e-mail
    attachment: str | None = None  # a site visit's .ics (bot/visits/calendar.py): e-mail attaches it


def _render(title: str, facts: list[tuple[str, str]], link: str, link_text: str) -> str:
    lines = [f"### {title}", ""]
    lines += [f"- {label}：{value}" for label, value in facts if value not in ("", None)]
    lines += ["", f"[{link_text}]({link})", "", "联系方式等详情请在控制台查看。"]
    return "\n".join(lines)


class Links:
    """Deep links into the console, from CONSOLE_BASE_URL (notices are read outside any request)."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")

    def handoff(self, handoff_id: int) -> str:
        return f"{self.base}/staff/handoffs#handoff-{handoff_id}"

    def lead(self, lead_id: int) -> str:
        return f"{self.base}/staff/leads#lead-{lead_id}"

    def turn(self, turn_id: int) -> str:
        return f"{self.base}/staff/turns/{turn_id}"

    def visit(self, booking_id: int) -> str:
        return f"{self.base}/staff/visits#booking-{booking_id}"

    def visit_ics(self, booking_id: int) -> str:
        return f"{self.base}/staff/visits/bookings/{booking_id}.ics"


def handoff_opened(
    links: Links,
    handoff_id: int,
    channel: str,
    asked: str,
    earlier_turns: int,
    last_question: str | None,
    topic: str | None,
) -> Message:
    title = f"转人工请求 #{handoff_id}"
    body = _render(
        title,
        [
            ("渠道", _word(channel)),
            ("此前对话", f"{earlier_turns} 轮"),
            ("话题", _word(topic)),
            ("转人工时说", quote(asked)),
            ("上一个问题", quote(last_question) if last_question else ""),
        ],
        links.handoff(handoff_id),
        "打开人工接待",
    )
    return Message("handoff", f"handoff:{handoff_id}", f"【招商助手】{title}", body)


def handoff_waiting(
    links: Links, handoff_id: int, channel: str, minutes: int, user_messages: int, waiting_total: int
) -> Message:
    title = f"转人工 #{handoff_id} 已等待 {minutes} 分钟"
    body = _render(
        title,
        [
            ("渠道", _word(channel)),
            ("已等待", f"{minutes} 分钟，尚无人回复"),
            ("用户消息", f"{user_messages} 条"),
            ("当前等待人工的会话", f"{waiting_total} 个"),
        ],
        links.handoff(handoff_id),
        "打开人工接待",
    )
    return Message("handoff_waiting", f"handoff_waiting:{handoff_id}", f"【招商助手】{title}", body)


def lead_received(
    links: Links, lead_id: int, channel: str, topic: str | None, has_phone: bool, has_email: bool
) -> Message:
    title = f"新线索 #{lead_id}"
    contact = "、".join(name for name, present in (("电话", has_phone), ("邮箱", has_email)) if present)
    body = _render(
        title, [("渠道", _word(channel)), ("话题", _word(topic)), ("留有", contact)], links.lead(lead_id), "打开线索"
    )
    return Message("lead", f"lead:{lead_id}", f"【招商助手】{title}", body)


def thumbs_down(
    links: Links, turn_id: int, channel: str, question: str, outcome: str, intent: str | None, has_comment: bool
) -> Message:
    title = f"差评：对话轮次 #{turn_id}"
    body = _render(
        title,
        [
            ("渠道", _word(channel)),
            ("问题", quote(question)),
            ("结果", _word(outcome)),
            ("意图", _word(intent)),
            ("附评论", "是" if has_comment else ""),
        ],
        links.turn(turn_id),
        "打开这一轮并纠正",
    )
    return Message("thumbs_down", f"thumbs_down:{turn_id}", f"【招商助手】{title}", body)


VISIT_EVENTS = {"booked": "新的考察预约", "moved": "考察预约已改期", "cancelled": "考察预约已取消"}


def visit(
    links: Links,
    change: str,
    booking_id: int,
    lead_id: int | None,
    channel: str,
    when: str,
    place: str,
    by: str,
    before: str = "",
    ics: str | None = None,
) -> Message:
    """A booking made, moved or cancelled (`change`); `when`/`before` are local times staff read, `by` who did it."""
    title = f"{VISIT_EVENTS[change]} #{booking_id}"
    facts = [
        ("时间", when),
        ("原时间", before),
        ("地点", _word(place, 80)),
        ("渠道", _word(channel)),
        ("操作", _word(by)),
        ("线索", f"#{lead_id}" if lead_id else ""),
    ]
    body = _render(title, facts, links.visit(booking_id), "打开考察预约")
    body += f"\n\n[下载日历文件（.ics）]({links.visit_ics(booking_id)})"
    return Message("visit", f"visit_{change}:{booking_id}", f"【招商助手】{title}", body, attachment=ics)
