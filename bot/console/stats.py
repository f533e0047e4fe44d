"""Numbers for the dashboard: totals, and a daily series per outcome plus thumbs-down."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from .. import db
from ..models import OUTCOMES, FaqCorrection, Feedback, Handoff, Lead, Turn
from . import aware

SERIES = ("answered", "abstained", "out_of_scope", "handoff", "thumbs_down")
LABELS = {"answered": "已回答", "abstained": "未能回答", "out_of_scope": "超出范围", "handoff": "转人工",
          "thumbs_down": "差评", "error": "出错", "unknown": "未知结果"}
COLORS = {"answered": "#0d6b5e", "abstained": "#d98e04", "out_of_scope": "#6b7a90", "handoff": "#7b4fb8",
          "thumbs_down": "#c0392b"}


def totals() -> dict:
    session = db.session()
    by_outcome = dict(session.execute(select(Turn.outcome, func.count()).group_by(Turn.outcome)).all())
    return {
        "turns": sum(by_outcome.values()),
        **{outcome: by_outcome.get(outcome, 0) for outcome in OUTCOMES},
        "degraded": session.scalar(select(func.count()).where(Turn.degraded.is_(True))) or 0,
        "thumbs_down": session.scalar(select(func.count()).where(Feedback.rating < 0)) or 0,
        "thumbs_up": session.scalar(select(func.count()).where(Feedback.rating > 0)) or 0,
        "corrected": session.scalar(select(func.count()).select_from(FaqCorrection)) or 0,
        "leads": session.scalar(select(func.count()).select_from(Lead)) or 0,
        "leads_new": session.scalar(select(func.count()).where(Lead.status == "new")) or 0,
        "handoffs_open": session.scalar(select(func.count()).where(Handoff.status == "open")) or 0,
    }


def daily(days: int = 30, today: date | None = None) -> list[dict]:
    """[{"day": date, "answered": n, ..., "thumbs_down": n}] for the last `days` local days."""
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    today = today or datetime.now(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), zone)
    session = db.session()
    counts: Counter = Counter()
    for created, outcome in session.execute(select(Turn.created_at, Turn.outcome).where(Turn.created_at >= since)):
        counts[(aware(created).astimezone(zone).date(), outcome)] += 1
    for (created,) in session.execute(select(Feedback.created_at).where(Feedback.rating < 0,
                                                                         Feedback.created_at >= since)):
        counts[(aware(created).astimezone(zone).date(), "thumbs_down")] += 1
    return [{"day": first + timedelta(days=i), **{s: counts[(first + timedelta(days=i), s)] for s in SERIES}}
            for i in range(days)]


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
            bars.append({"x": round(x0 + j * bar, 1), "y": round(pad_top + plot_h - h, 1), "w": round(bar * 0.9, 1),
                         "h": round(h, 1), "color": COLORS[name],
                         "title": f"{day['day']:%m-%d} {LABELS[name]} {day[name]}"})
        if i % 5 == 0 or i == len(series) - 1:
            ticks.append({"x": round(x0, 1), "label": f"{day['day']:%m-%d}"})
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "top": top,
            "base_y": pad_top + plot_h, "pad_left": pad_left,
            "legend": [{"name": LABELS[s], "color": COLORS[s]} for s in SERIES]}
