"""The console's blueprint and the decorators its pages share."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("console", __name__, url_prefix="/staff", template_folder="templates", static_folder="static")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


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
