"""Console action for one person's data (admins): export it as JSON, or erase it from every store.

The work is bot/person.py's, shared with `flask --app bot export-person` and
`erase-person`; here it gets a form, a typed confirmation for erasure, and an
audit entry (counts only: the phone number is not written into the log).
"""

from __future__ import annotations

import json

from flask import Response, flash, render_template, request

from .. import audit, db, person
from ..models import utcnow
from .blueprint import admin_required, bp

CONFIRM = "删除"


def _asked() -> tuple[str, str]:
    return request.form.get("phone", "").strip(), request.form.get("conversation", "").strip()


@bp.get("/person")
@admin_required
def person_page():
    return render_template("console/person.html", phone="", conversation="", confirm=CONFIRM)


@bp.post("/person/export")
@admin_required
def person_export():
    phone, conversation = _asked()
    try:
        data = person.export(db.session(), phone, conversation)
    except person.PersonError as exc:
        flash(str(exc), "error")
        return render_template("console/person.html", phone=phone, conversation=conversation, confirm=CONFIRM), 400
    audit.record(
        "export_person",
        f"{len(data['conversations'])} conversations",
        commit=True,
        detail={"by": "phone" if phone else "conversation", "turns": len(data["turns"]), "leads": len(data["leads"])},
    )
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="person-{utcnow():%Y%m%d%H%M%S}.json"'},
    )


@bp.post("/person/erase")
@admin_required
def person_erase():
    phone, conversation = _asked()
    status = 400
    if request.form.get("confirm", "").strip() != CONFIRM:
        flash(f"请在确认框中输入「{CONFIRM}」。没有删除任何数据。", "error")
    else:
        try:
            counts = person.erase(db.session(), phone, conversation)
        except person.PersonError as exc:
            flash(str(exc), "error")
        else:
            audit.record(
                "erase_person",
                f"{counts['conversations']} conversations",
                commit=True,
                detail={"by": "phone" if phone else "conversation", **counts},
            )
            flash(
                "已删除：会话 {conversations} 个，对话记录事件 {dialogue_events} 条，对话 {turns} 条，评价 {feedback} 条，"
                "线索 {leads} 条，人工接待 {handoffs} 个，微信记录 {wechat} 条，待发送线索 {queued_leads} 个。".format(
                    **counts
                ),
                "info",
            )
            phone, conversation, status = "", "", 200
    return render_template("console/person.html", phone=phone, conversation=conversation, confirm=CONFIRM), status
