"""The lead pipeline in the console: a board by status, one lead's history, status changes, the export.

Changes go through bot/leads.py (history row, owner, audit entry). The export
is for Excel users in the park: Chinese headers, local time (DISPLAY_TIMEZONE),
a BOM so Excel reads UTF-8, and cells that would run as formulas defused.
"""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, db, leads as pipeline
from ..models import LEAD_STATUS_LABELS, LEAD_STATUSES, Lead, VisitBooking, utcnow
from .blueprint import bp, requires
from .views import _csv_cell

BOARD_LIMIT = 200  # per status column
# (header, how to get the value): the export's columns, in order.
CSV_COLUMNS = (
    ("编号", lambda lead, zone: lead.id),
    ("提交时间（北京时间）", lambda lead, zone: _local(lead.created_at, zone)),
    ("状态", lambda lead, zone: LEAD_STATUS_LABELS.get(lead.status, lead.status)),
    ("负责人", lambda lead, zone: lead.owner.username if lead.owner else ""),
    ("联系人", lambda lead, zone: lead.name),
    ("企业", lambda lead, zone: lead.company),
    ("电话", lambda lead, zone: lead.phone),
    ("邮箱", lambda lead, zone: lead.email),
    ("行业", lambda lead, zone: lead.industry),
    ("需求", lambda lead, zone: lead.need),
    ("渠道", lambda lead, zone: lead.channel),
    ("备注", lambda lead, zone: lead.notes),
    ("最近更新（北京时间）", lambda lead, zone: _local(lead.updated_at, zone)),
)


def _local(value, zone) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def leads_query(status: str):
    query = select(Lead)
    if status in LEAD_STATUSES:
        query = query.where(Lead.status == status)
    return query.order_by(Lead.id.desc())


@bp.get("/leads")
@login_required
def leads():
    """A board with one column per status (view=board, the default) or one list (view=list)."""
    status = request.args.get("status", "")
    status = status if status in LEAD_STATUSES else ""
    view = "list" if request.args.get("view") == "list" or status else "board"
    session = db.session()
    if view == "board":
        columns = [(s, session.scalars(leads_query(s).limit(BOARD_LIMIT)).unique().all()) for s in LEAD_STATUSES]
        rows = []
    else:
        columns, rows = [], session.scalars(leads_query(status).limit(500)).unique().all()
    return render_template(
        "console/leads.html", leads=rows, columns=columns, status=status, view=view, statuses=LEAD_STATUSES
    )


@bp.get("/leads/<int:lead_id>")
@login_required
def lead_detail(lead_id: int):
    session = db.session()
    lead = session.get(Lead, lead_id) or abort(404)
    bookings = (
        session.scalars(select(VisitBooking).where(VisitBooking.lead_id == lead.id).order_by(VisitBooking.id.desc()))
        .unique()
        .all()
    )
    return render_template("console/lead.html", lead=lead, statuses=LEAD_STATUSES, bookings=bookings)


@bp.post("/leads/<int:lead_id>")
@requires("leads")
def lead_update(lead_id: int):
    session = db.session()
    lead = session.get(Lead, lead_id) or abort(404)
    note = request.form.get("note", request.form.get("notes", ""))
    try:
        changed = pipeline.change(session, lead, request.form.get("status", ""), note, staff=current_user)
    except pipeline.LeadChangeError as exc:
        flash(f"{exc}（线索 #{lead.id} 未修改）", "error")
        return redirect(_back(lead.id)), 303
    session.commit()
    if changed is None:
        flash(f"线索 #{lead.id} 没有变化。", "info")
    else:
        flash(f"线索 #{lead.id} 已更新为「{pipeline.label(lead.status)}」。", "info")
    return redirect(_back(lead.id))


def _back(lead_id: int) -> str:
    """Where the form was: the lead's page, or the board / list (with its filter) at the lead's card."""
    if request.args.get("from") == "detail":
        return url_for("console.lead_detail", lead_id=lead_id)
    view = request.args.get("view", "")
    status = request.args.get("status", "")
    return (
        url_for("console.leads", **({"status": status} if status else {}), **({"view": view} if view else {}))
        + f"#lead-{lead_id}"
    )


@bp.get("/leads.csv")
@requires("leads")
def leads_csv():
    status = request.args.get("status", "")
    rows = db.session().scalars(leads_query(status)).unique().all()
    audit.record("export", "leads.csv", detail={"status": status[:16], "rows": len(rows)}, commit=True)
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    out = io.StringIO()
    out.write("\ufeff")  # the BOM makes Excel read the file as UTF-8
    writer = csv.writer(out)
    writer.writerow([header for header, _ in CSV_COLUMNS])
    for lead in rows:
        writer.writerow([_csv_cell(value(lead, zone)) for _, value in CSV_COLUMNS])
    filename = f"leads-{utcnow().astimezone(zone):%Y%m%d}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
