"""The staff console at /staff and its JSON twin at /api/staff/*.

Every page needs a logged-in staff account (Flask-Login) whose session is
still open on the server (sessions.py), and a role that grants it
(blueprint.py `requires`); every POST needs a CSRF token (Flask-WTF), checked
here rather than app-wide because the chat API and the WeChat webhook are
posted to by other sites and servers.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, request
from flask_login import AnonymousUserMixin, LoginManager
from flask_wtf.csrf import CSRFProtect


csrf = CSRFProtect()
login_manager = LoginManager()
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class Anonymous(AnonymousUserMixin):
    """Nobody logged in: may do nothing, so `current_user.can(...)` needs no login check first."""

    role = ""
    is_admin = False

    def can(self, _permission: str) -> bool:
        return False


def init_app(app: Flask) -> None:
    # Importing the view modules registers their routes on the blueprint.
    from . import accounts, audit_log, auth, doc_versions, handoff_queue, leads, person_data  # noqa: F401
    from . import sessions, staff_api, thread_list, threads, upload_review, views, visits  # noqa: F401
    from .blueprint import bp

    app.config.setdefault("DISPLAY_TIMEZONE", "Asia/Shanghai")
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "console.login"
    login_manager.login_message = "请先登录。"
    login_manager.anonymous_user = Anonymous
    # Off here: sessions.load binds a session to its address and browser itself, with the real
    # client address (Flask-Login's check trusts X-Forwarded-For as sent).
    login_manager.session_protection = None
    login_manager.user_loader(sessions.load)
    app.session_interface = sessions.SessionInterface()

    app.register_blueprint(bp)
    app.register_blueprint(staff_api.bp)

    zone = ZoneInfo(app.config["DISPLAY_TIMEZONE"])

    from turn_contract import is_pointer

    from .button_titles import shown
    from .verdicts import verdict_text

    app.add_template_filter(shown, "shown")  # button payloads as their titles
    app.add_template_global(verdict_text, "verdict_text")  # what decided an answer, in hit testing
    # A declined turn's documents to read are not the source of a fact (turn_contract.is_pointer).
    app.add_template_filter(lambda source: "相关文件" if is_pointer(source) else "来源", "source_label")

    @app.template_filter("localtime")
    def _localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(zone).strftime(fmt) if value else ""


def check_csrf():
    """Before every console and staff-API request: unsafe methods need the token."""
    if request.method in UNSAFE:
        csrf.protect()
