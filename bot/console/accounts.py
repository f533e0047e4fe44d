"""Staff accounts (admins only): who can log in, who is locked out, and unlocking.

Five wrong passwords lock an account for STAFF_LOCKOUT_MINUTES (see auth.py);
an admin who knows it was the colleague, not an attacker, unlocks it here
rather than making them wait. Unlocking is a CSRF-checked POST, like every
console change, and is logged with the admin's name.
"""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import db
from ..models import StaffUser, utcnow
from . import aware
from .blueprint import admin_required, bp

log = logging.getLogger(__name__)


def locked(user: StaffUser, now=None) -> bool:
    return user.locked_until is not None and aware(user.locked_until) > (now or utcnow())


@bp.get("/accounts")
@admin_required
def accounts():
    now = utcnow()
    users = db.session().scalars(select(StaffUser).order_by(StaffUser.username)).all()
    rows = sorted(({"user": u, "locked": locked(u, now)} for u in users), key=lambda r: not r["locked"])
    return render_template("console/accounts.html", rows=rows, locked_count=sum(r["locked"] for r in rows))


@bp.post("/accounts/<int:user_id>/unlock")
@admin_required
def account_unlock(user_id: int):
    session = db.session()
    user = session.get(StaffUser, user_id) or abort(404)
    was_locked = locked(user)
    user.locked_until, user.failed_logins = None, 0
    session.commit()
    if was_locked:
        log.info("staff account unlocked", extra={"account": user.username, "by": current_user.username})
        flash(f"已解锁账号 {user.username}，可以重新登录。", "info")
    else:
        flash(f"账号 {user.username} 未被锁定，已清零失败次数。", "info")
    return redirect(url_for("console.accounts"))
