"""GET /: a demo park landing page that embeds the chat widget, as a park website would."""

from flask import Blueprint, render_template

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    return render_template("index.html")
