"""The console's blueprint and the decorators its pages share."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, request
from flask_login import current_user, login_required

bp = Blueprint("console", __name__, url_prefix="/staff", template_folder="templates", static_folder="static")
# Roles as the console names them (bot/models.py ROLES says what each may do).
ROLE_LABELS = {"viewer": "只读", "staff": "招商人员", "editor": "知识编辑", "admin": "管理员"}


def requires(permission: str, methods: tuple[str, ...] | None = None):
    """A logged-in account whose role grants `permission` (for `methods` only, when given), else 403."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if (methods is None or request.method in methods) and not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


admin_required = requires("accounts")


@bp.app_context_processor
def _roles():
    return {"role_labels": ROLE_LABELS}


@bp.before_request
def _csrf():
    from . import check_csrf

    check_csrf()


@bp.after_request
def _no_store(response):
    # Pages show personal data (leads, conversations): keep them out of caches.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response
