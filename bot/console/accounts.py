"""Staff accounts (admins only): roles, deactivation, and unlocking.

Wrong passwords lock one username from one address (lockout.py); an admin who
knows it was the colleague, not an attacker, unlocks it here rather than making
them wait. A role change or a deactivation ends the account's open sessions at
once (sessions.py), so it takes effect on the next click, not at the next login.
Every change is a CSRF-checked POST and goes into the audit log.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import audit, db
from ..models import ROLES, StaffUser
from . import lockout, sessions
from .blueprint import ROLE_LABELS, admin_required, bp


@bp.get("/accounts")
@admin_required
def accounts():
    session = db.session()
    users = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    names = [u.username for u in users]
    locks, failures = lockout.locks(session, names), lockout.failure_counts(session, names)
    rows = sorted(
        (
            {
                "user": u,
                "locks": locks.get(u.username, []),
                "locked": u.username in locks,
                "failures": failures.get(u.username, 0),
            }
            for u in users
        ),
        key=lambda r: not r["locked"],
    )
    return render_template("console/accounts.html", rows=rows, roles=ROLES, locked_count=sum(r["locked"] for r in rows))


def _account(user_id: int) -> StaffUser:
    return db.session().get(StaffUser, user_id) or abort(404)


def _active_admins(session) -> int:
    return session.scalar(
        select(func.count()).select_from(StaffUser).where(StaffUser.role == "admin", StaffUser.active.is_(True))
    )


@bp.post("/accounts/<int:user_id>/unlock")
@admin_required
def account_unlock(user_id: int):
    session = db.session()
    user = _account(user_id)
    was_locked = lockout.clear(session, user.username)
    audit.record("account_change", user.username, detail={"unlock": was_locked})
    session.commit()
    if was_locked:
        flash(f"已解锁账号 {user.username}，可以重新登录。", "info")
    else:
        flash(f"账号 {user.username} 未被锁定，已清零失败次数。", "info")
    return redirect(url_for("console.accounts"))


@bp.post("/accounts/<int:user_id>/role")
@admin_required
def account_role(user_id: int):
    session = db.session()
    user = _account(user_id)
    role = request.form.get("role", "")
    if role not in ROLES:
        flash("无效的角色。", "error")
    elif user.role == "admin" and role != "admin" and user.active and _active_admins(session) <= 1:
        flash("这是最后一个管理员账号，不能改为其他角色。", "error")
    elif role != user.role:
        before, user.role = user.role, role
        ended = sessions.end_all(session, user.id)
        audit.record("account_change", user.username, detail={"role": [before, role], "sessions_ended": ended})
        session.commit()
        flash(f"{user.username} 的角色已改为「{ROLE_LABELS[role]}」，需重新登录。", "info")
    return redirect(url_for("console.accounts"))


@bp.post("/accounts/<int:user_id>/active")
@admin_required
def account_active(user_id: int):
    session = db.session()
    user = _account(user_id)
    active = request.form.get("active") == "1"
    if not active and user.id == current_user.id:
        flash("不能停用自己的账号。", "error")
    elif not active and user.role == "admin" and user.active and _active_admins(session) <= 1:
        flash("这是最后一个管理员账号，不能停用。", "error")
    elif active != user.active:
        user.active = active
        ended = 0 if active else sessions.end_all(session, user.id)
        audit.record("account_change", user.username, detail={"active": active, "sessions_ended": ended})
        session.commit()
        flash(f"已{'启用' if active else '停用'}账号 {user.username}。", "info")
    return redirect(url_for("console.accounts"))
