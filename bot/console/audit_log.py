"""The audit log's console page and CSV export (admins only); there is no route that changes it.

The export is for Excel users in the park: Chinese headers, Beijing time
(DISPLAY_TIMEZONE), a BOM so Excel reads UTF-8, and cells that would run as
formulas defused. Exporting the log is itself an audited action.
"""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template, request
from sqlalchemy import func, select

from .. import audit, db
from ..models import utcnow
from ..staff_records import AuditEntry
from .blueprint import admin_required, bp
from .views import _csv_cell

PAGE_SIZE = 50
CSV_HEADERS = ("时间（北京时间）", "账号", "操作", "对象", "详情", "来源地址")


def describe(detail: dict | None) -> str:
    """An entry's details on one line: "status: new → contacted; job: 3"."""
    parts = []
    for key, value in (detail or {}).items():
        if isinstance(value, list) and len(value) == 2:
            value = f"{value[0]} → {value[1]}"
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _query():
    action = request.args.get("action", "")
    actor = request.args.get("actor", "").strip()[:64]
    query = select(AuditEntry)
    if action in audit.ACTIONS:
        query = query.where(AuditEntry.action == action)
    else:
        action = ""
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return query, action, actor


@bp.get("/audit")
@admin_required
def audit_log():
    query, action, actor = _query()
    page = max(request.args.get("page", 1, type=int), 1)
    session = db.session()
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    entries = session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return render_template(
        "console/audit.html",
        entries=entries,
        actions=audit.ACTIONS,
        action=action,
        actor=actor,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
        describe=describe,
    )


@bp.get("/audit.csv")
@admin_required
def audit_csv():
    query, action, actor = _query()
    session = db.session()
    entries = session.scalars(query.order_by(AuditEntry.id)).all()
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    out = io.StringIO()
    out.write("\ufeff")  # the BOM makes Excel read the file as UTF-8
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    for e in entries:
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    e.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor,
                    audit.ACTIONS.get(e.action, e.action),
                    e.target,
                    describe(e.detail),
                    e.address,
                )
            ]
        )
    audit.record("export", "audit.csv", detail={"action": action, "actor": actor, "rows": len(entries)}, commit=True)
    filename = f"audit-{utcnow().astimezone(zone):%Y%m%d}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
