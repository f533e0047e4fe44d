"""Alembic environment: the gateway's models, the app's database URL.

URL order: `-x url=…`, the config's sqlalchemy.url (set by tests), then
DATABASE_URL, then the app's default SQLite file under instance/.
"""

from __future__ import annotations

import importlib.util
import os
from logging.config import fileConfig
from pathlib import Path

from alembic import context

from bot import models  # noqa: F401  (registers the tables on Base.metadata)
from bot.notify import models as notify_models  # noqa: F401
from bot import staff_records  # noqa: F401
from bot.db import Base, default_url, make_engine

if importlib.util.find_spec("bot.wechat") and importlib.util.find_spec("bot.wechat.models"):
    import bot.wechat.models  # noqa: F401

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

PROJECT_DIR = Path(__file__).resolve().parent.parent


def database_url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL")
        or default_url(str(PROJECT_DIR / "instance"))
    )


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    url = database_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    with engine.connect() as connection:
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
