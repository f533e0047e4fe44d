"""Staff login, logout and password change: hashed passwords, per-address lockout, server-side sessions, audited."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, db
from ..limits import limiter, setting
from ..models import StaffUser, utcnow
from . import lockout, sessions
from .blueprint import bp

WRONG = "用户名或密码错误。"
INACTIVE = "该账号已停用，请联系管理员。"
_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    """Checked when the user does not exist, so response time does not tell."""
    method = current_app.config["STAFF_PASSWORD_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not a real password", method=method)
    return _dummy_hashes[method]


def authenticate(username: str, password: str) -> tuple[StaffUser | None, str]:
    """(user, "") on success, else (None, reason shown to the person).

    Unknown and existing usernames take the same path (a hash check, a counted
    failure, the same lock), so no answer tells whether an account exists.
    """
    session = db.session()
    address = audit.client_address()
    minutes = lockout.locked_for(session, username, address)
    if minutes:
        audit.record("login_failed", username, detail={"reason": "locked"}, actor=username, commit=True)
        return None, lockout.LOCKED_MESSAGE.format(minutes=minutes)
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if check_password_hash(user.password_hash if user else _dummy_hash(), password) and user is not None:
        if not user.active:
            audit.record("login_failed", username, detail={"reason": "inactive"}, staff=user, commit=True)
            return None, INACTIVE
        lockout.succeeded(session, username, address)
        user.last_login_at = utcnow()
        return user, ""
    minutes = lockout.failed(session, username, address)
    audit.record(
        "login_failed",
        username,
        detail={"reason": "locked" if minutes else "password"},
        staff=user,
        actor=username,
        commit=True,
    )
    return None, lockout.LOCKED_MESSAGE.format(minutes=minutes) if minutes else WRONG


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_LOGIN"), methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.dashboard"))
    if request.method == "POST":
        user, reason = authenticate(request.form.get("username", "").strip()[:64], request.form.get("password", ""))
        if user is not None:
            sessions.start(user)  # a fresh cookie session: the CSRF token rotates here
            login_user(user)
            audit.record("login", staff=user)
            db.session().commit()
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
    if current_user.is_authenticated:
        audit.record("logout")
    sessions.end()
    logout_user()
    db.session().commit()
    flash("已退出登录。", "info")
    return redirect(url_for("console.login"))


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(setting("RATELIMIT_LOGIN"), methods=["POST"])  # the current password must not be guessable here
@login_required
def password():
    """Change one's own password: every other session of the account ends, this one starts afresh."""
    from ..cli import MIN_PASSWORD

    if request.method == "GET":
        return render_template("console/password.html", min_length=MIN_PASSWORD)
    user = current_user._get_current_object()
    new = request.form.get("new_password", "")
    if not check_password_hash(user.password_hash, request.form.get("current_password", "")):
        flash("当前密码不正确。", "error")
    elif len(new) < MIN_PASSWORD:
        flash(f"新密码至少需要 {MIN_PASSWORD} 个字符。", "error")
    elif new != request.form.get("repeat_password", ""):
        flash("两次输入的新密码不一致。", "error")
    else:
        session = db.session()
        user.password_hash = generate_password_hash(new, method=current_app.config["STAFF_PASSWORD_METHOD"])
        ended = sessions.end_all(session, user.id)
        sessions.start(user)
        login_user(user)
        audit.record("account_change", user.username, detail={"password": "changed", "sessions_ended": ended})
        session.commit()
        flash("密码已修改，其他设备上的登录已结束。", "info")
        return redirect(url_for("console.dashboard"))
    return render_template("console/password.html", min_length=MIN_PASSWORD), 400
