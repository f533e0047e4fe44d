"""Staff login: hashed passwords, lockout after repeated failures, logout."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import db
from ..limits import limiter, setting
from ..models import StaffUser, utcnow
from . import aware
from .blueprint import bp

_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    """Checked when the user does not exist, so response time does not tell."""
    method = current_app.config["STAFF_PASSWORD_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not a real password", method=method)
    return _dummy_hashes[method]


def authenticate(username: str, password: str) -> tuple[StaffUser | None, str]:
    """(user, "") on success, else (None, reason shown to the person)."""
    session = db.session()
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return None, "用户名或密码错误。"
    now = utcnow()
    if user.locked_until is not None and aware(user.locked_until) > now:
        return None, "账号已锁定，请稍后再试或联系管理员。"
    if check_password_hash(user.password_hash, password):
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        session.commit()
        return user, ""
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["STAFF_MAX_FAILED_LOGINS"]:
        user.locked_until = now + timedelta(minutes=current_app.config["STAFF_LOCKOUT_MINUTES"])
        user.failed_logins = 0
        session.commit()
        return None, "密码错误次数过多，账号已锁定。"
    session.commit()
    return None, "用户名或密码错误。"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_LOGIN"), methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.dashboard"))
    if request.method == "POST":
        user, reason = authenticate(request.form.get("username", "").strip(), request.form.get("password", ""))
        if user is not None:
            login_user(user)
            target = request.args.get("next", "")
            # Only local paths: an open redirect would help phishing.
            if not target.startswith("/staff") or target.startswith("//"):
                target = url_for("console.dashboard")
            return redirect(target)
        flash(reason, "error")
        return render_template("console/login.html"), 401
    return render_template("console/login.html")


@bp.post("/logout")
def logout():
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("console.login"))
