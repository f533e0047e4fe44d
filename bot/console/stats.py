"""Numbers for the dashboard that tell the truth: outcomes per question turn, waits, the pipeline, gaps.

Not every turn is a question. A message typed into the lead form
(`form_step`), the turn that opened the form (its reply is the form's first
prompt, not an answer), a message to staff during a handoff (the bot says
nothing) and a tap on a site-visit button (the gateway answers it) are counted
apart, so 已回答 is the share of real questions the bot answered (issue 17).
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, func, select

from .. import db
from ..handoff.fallback import LEAD_FORM_INTENT
from ..models import LEAD_STATUSES, OUTCOMES, FaqCorrection, Feedback, Handoff, Lead, Turn
from ..visits import VISIT_INTENT

FORM_INTENT = LEAD_FORM_INTENT.lstrip("/")  # the intent whose reply is the lead form's first prompt
# What a turn was, when it was not a question: (kind, label). Everything else counts by its outcome.
NOT_QUESTIONS = {
    "form_answer": "填写留资表单",
    "form_prompt": "打开留资表单",
    "to_staff": "人工会话中的消息",
    "visit": "预约考察操作",
}
QUESTION_KINDS = OUTCOMES  # answered, abstained, out_of_scope, handoff, error
DECLINED_DAYS = 7
DECLINED_TOP = 10
WAIT_DAYS = 30

TURN_KIND = case(
    (Turn.form_step.is_(True), "form_answer"),
    (and_(Turn.outcome == "handoff", Turn.reply == ""), "to_staff"),  # the bot kept quiet: staff had it
    (Turn.intent == VISIT_INTENT, "visit"),
    (and_(Turn.outcome == "answered", Turn.intent == FORM_INTENT), "form_prompt"),
    else_=Turn.outcome,
)

SERIES = ("answered", "abstained", "out_of_scope", "handoff", "thumbs_down")
LABELS = {
    "answered": "已回答",
    "abstained": "未能回答",
    "out_of_scope": "超出范围",
    "handoff": "转人工",
    "thumbs_down": "差评",
    "error": "出错",
    "unknown": "未知结果",
}
COLORS = {
    "answered": "#0d6b5e",
    "abstained": "#d98e04",
    "out_of_scope": "#6b7a90",
    "handoff": "#7b4fb8",
    "thumbs_down": "#c0392b",
}


def totals() -> dict:
    """Counts over all time; `answered` … `error` are question turns only, `questions` their sum."""
    session = db.session()
    by_kind = dict(session.execute(select(TURN_KIND, func.count()).group_by(TURN_KIND)).all())
    questions = sum(by_kind.get(kind, 0) for kind in QUESTION_KINDS)
    return {
        "turns": sum(by_kind.values()),
        "questions": questions,
        **{kind: by_kind.get(kind, 0) for kind in QUESTION_KINDS},
        **{kind: by_kind.get(kind, 0) for kind in NOT_QUESTIONS},
        "answer_rate": round(by_kind.get("answered", 0) / questions, 3) if questions else None,
        "degraded": session.scalar(select(func.count()).where(Turn.degraded.is_(True))) or 0,
        "thumbs_down": session.scalar(select(func.count()).where(Feedback.rating < 0)) or 0,
        "thumbs_up": session.scalar(select(func.count()).where(Feedback.rating > 0)) or 0,
        "corrected": session.scalar(select(func.count()).select_from(FaqCorrection)) or 0,
        "leads": session.scalar(select(func.count()).select_from(Lead)) or 0,
        "leads_new": session.scalar(select(func.count()).where(Lead.status == "new")) or 0,
        "handoffs_open": session.scalar(select(func.count()).where(Handoff.status == "open")) or 0,
    }


def daily(days: int = 30, today: date | None = None) -> list[dict]:
    """[{"day": date, "answered": n, ..., "thumbs_down": n}] for the last `days` local days (question turns)."""
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    today = today or datetime.now(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), zone)
    session = db.session()
    counts: Counter = Counter()
    for created, kind in session.execute(select(Turn.created_at, TURN_KIND).where(Turn.created_at >= since)):
        counts[(created.astimezone(zone).date(), kind)] += 1
    for (created,) in session.execute(
        select(Feedback.created_at).where(Feedback.rating < 0, Feedback.created_at >= since)
    ):
        counts[(created.astimezone(zone).date(), "thumbs_down")] += 1
    return [
        {"day": first + timedelta(days=i), **{s: counts[(first + timedelta(days=i), s)] for s in SERIES}}
        for i in range(days)
    ]


def chart(series: list[dict], width: int = 900, height: int = 220) -> dict:
    """Geometry for an SVG grouped bar chart, so the page needs no chart library."""
    pad_left, pad_bottom, pad_top = 36, 22, 8
    top = max([max(day[s] for s in SERIES) for day in series] + [1])
    plot_h = height - pad_bottom - pad_top
    group = (width - pad_left - 24) / max(len(series), 1)  # room for the last date label
    bar = max(group / (len(SERIES) + 1), 1.0)
    bars, ticks = [], []
    for i, day in enumerate(series):
        x0 = pad_left + i * group
        for j, name in enumerate(SERIES):
            h = plot_h * day[name] / top
            bars.append(
                {
                    "x": round(x0 + j * bar, 1),
                    "y": round(pad_top + plot_h - h, 1),
                    "w": round(bar * 0.9, 1),
                    "h": round(h, 1),
                    "color": COLORS[name],
                    "title": f"{day['day']:%m-%d} {LABELS[name]} {day[name]}",
                }
            )
        if i % 5 == 0 or i == len(series) - 1:
            ticks.append({"x": round(x0, 1), "label": f"{day['day']:%m-%d}"})
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "ticks": ticks,
        "top": top,
        "base_y": pad_top + plot_h,
        "pad_left": pad_left,
        "legend": [{"name": LABELS[s], "color": COLORS[s]} for s in SERIES],
    }


def handoff_wait(now: datetime | None = None, days: int = WAIT_DAYS) -> dict:
    """The median seconds from 转人工 to a claim over the last `days`, and how many were never claimed."""
    since = (now or datetime.now(ZoneInfo("UTC"))) - timedelta(days=days)
    rows = (
        db.session()
        .execute(
            select(Handoff.created_at, Handoff.claimed_at, Handoff.closed_reason).where(Handoff.created_at >= since)
        )
        .all()
    )
    waits = [
        (claimed - created).total_seconds()
        for created, claimed, _ in rows
        if claimed is not None and claimed >= created
    ]
    unclaimed = sum(1 for _, claimed, reason in rows if claimed is None and reason == "timeout")
    median = statistics.median(waits) if waits else None
    return {
        "days": days,
        "claimed": len(waits),
        "median_seconds": round(median) if median is not None else None,
        "median_text": duration(median) if median is not None else "—",
        "timed_out": unclaimed,
    }


def duration(seconds: float) -> str:
    """3 分 20 秒, 45 秒, 1 小时 5 分."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} 秒"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} 分 {rest} 秒" if rest else f"{minutes} 分"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分" if minutes else f"{hours} 小时"


def leads_by_status() -> list[dict]:
    """[{"status", "count"}] in pipeline order, zeros included."""
    counts = dict(db.session().execute(select(Lead.status, func.count()).group_by(Lead.status)).all())
    return [{"status": status, "count": counts.get(status, 0)} for status in LEAD_STATUSES]


def top_declined(days: int = DECLINED_DAYS, limit: int = DECLINED_TOP, now: datetime | None = None) -> list[dict]:
    """The questions the bot could not answer this week, normalised and counted: what needs an FAQ entry.

    Questions that differ only in punctuation, width or case are one; each is shown in its most
    frequent wording with phone numbers, e-mail addresses and introduced names masked.
    """
    from ..notify.compose import mask_personal
    from .button_titles import plain
    from .knowledge_admin import question_key

    since = (now or datetime.now(ZoneInfo("UTC"))) - timedelta(days=days)
    rows = (
        db.session()
        .execute(
            select(Turn.id, Turn.user_text).where(TURN_KIND == "abstained", Turn.created_at >= since).order_by(Turn.id)
        )
        .all()
    )
    groups: dict[str, dict] = {}
    for turn_id, text in rows:
        shown = " ".join(mask_personal(plain(text)).split())
        key = question_key(shown)
        if not key:
            continue
        group = groups.setdefault(key, {"count": 0, "wordings": Counter(), "last_turn": turn_id})
        group["count"] += 1
        group["wordings"][shown] += 1
        group["last_turn"] = turn_id
    ranked = sorted(groups.values(), key=lambda g: (-g["count"], -g["last_turn"]))[:limit]
    return [
        {"question": g["wordings"].most_common(1)[0][0], "count": g["count"], "turn_id": g["last_turn"]} for g in ranked
    ]
