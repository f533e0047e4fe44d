"""The WeChat Official Account channel: /wechat, in plain, compatible and safe mode.

`init_app` registers the blueprint and the `wechat-menu` command. The channel
runs only when WECHAT_TOKEN, WECHAT_APP_ID and WECHAT_APP_SECRET are set;
otherwise /wechat answers 503 and the log says what is missing.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from .channel import WeChatChannel
from .config import WeChatSettings
from .menu import menu_command
from .models import TABLES
from .routes import bp

log = logging.getLogger(__name__)

__all__ = ["bp", "init_app"]


def _check_tables(engine) -> None:
    """Say so at start-up if `make migrate` has not made the channel's tables yet.

    The tables are not created here: Alembic's first migration creates them,
    and would fail on a database where the app had made them first.
    """
    try:
        missing = [t.name for t in TABLES if not inspect(engine).has_table(t.name)]
    except SQLAlchemyError as exc:
        log.warning("WeChat channel: could not check its tables (%s)", type(exc).__name__)
        return
    if missing:
        log.error(
            "WeChat channel: tables %s are missing; run `make migrate` (alembic upgrade head)", ", ".join(missing)
        )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(menu_command)
    settings, why_not = WeChatSettings.from_app(app)
    if settings is None:
        log.info("WeChat channel off (%s); /wechat answers 503", why_not)
        return
    _check_tables(app.extensions["db_engine"])
    app.extensions["wechat"] = WeChatChannel(settings, app.extensions["db_sessionmaker"])
    log.info(
        "WeChat channel on: %s mode, reply budget %.1f s, API %s",
        settings.mode,
        settings.reply_budget_s,
        settings.api_base,
    )
    if settings.salted_with_secret:
        log.warning(
            "SENDER_HASH_SALT is not set: WeChat conversation ids are salted with the app secret "
            "and will change if it is rotated"
        )
