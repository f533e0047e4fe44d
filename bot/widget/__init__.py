"""GET /widget.js: the embeddable chat bubble for park websites.

    <script src="https://bot.example/widget.js" defer></script>

The script finds the gateway from its own src, so the same file works on
any page whose origin is in CORS_ALLOWED_ORIGINS.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

bp = Blueprint("widget", __name__)
STATIC = Path(__file__).resolve().parent / "static"


@bp.get("/widget.js")
def widget_js():
    response = send_from_directory(STATIC, "widget.js", mimetype="text/javascript", max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
