"""The staff console at /staff and its JSON twin at /api/staff/*.

Every page needs a logged-in staff account (Flask-Login); every POST needs
a CSRF token (Flask-WTF), checked here rather than app-wide because the chat
API and the WeChat webhook are posted to by other sites and servers.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Flask, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from .. import db
from ..models import StaffUser

csrf = CSRFProtect()
login_manager = LoginManager()
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def init_app(app: Flask) -> None:
    from . import accounts, auth, handoff_queue, staff_api, thread_list, threads, views  # noqa: F401  (routes)
    from .blueprint import bp

    app.config.setdefault("DISPLAY_TIMEZONE", "Asia/Shanghai")
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "console.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str):
        user = db.session().get(StaffUser, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    app.register_blueprint(bp)
    app.register_blueprint(staff_api.bp)

    zone = ZoneInfo(app.config["DISPLAY_TIMEZONE"])

    from .button_titles import shown

    app.add_template_filter(shown, "shown")  # button payloads as their titles

    @app.template_filter("localtime")
    def _localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return aware(value).astimezone(zone).strftime(fmt) if value else ""


def check_csrf():
    """Before every console and staff-API request: unsafe methods need the token."""
    if request.method in UNSAFE:
        csrf.protect()
