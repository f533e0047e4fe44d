"""The gateway: web widget, API, staff console and health, in front of the Rasa dialogue engine."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import bodies, cors, db, logs, security_headers
from . import staff_records as _staff_records  # noqa: F401  (audit log, staff sessions, login failures)
from .notify import models as _notify_models  # noqa: F401  (the outbox table, for Alembic and create_all)
from .config import PROJECT_DIR, Config
from .dialogue import DialogueClient
from .keys import instance_secret
from .private import private_dir


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(PROJECT_DIR / "instance"))
    app.config.from_object(Config())
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False  # Chinese stays readable in API responses and logs
    hops = int(app.config["TRUSTED_PROXY_HOPS"])
    if hops > 0:
        # Behind that many proxies, each appending to X-Forwarded-For/-Proto: request.remote_addr
        # becomes the real client for rate limits, the audit log and session protection, and
        # request.is_secure tells an HTTPS visitor. At 0 the headers are ignored (anyone can send them).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    logs.configure()
    private_dir(app.instance_path)  # secrets and the SQLite database live here
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret(app.instance_path, "secret_key")
    if not app.config["SENDER_HASH_SALT"]:
        app.config["SENDER_HASH_SALT"] = instance_secret(app.instance_path, "sender_salt")

    if not app.config["RASA_API_TOKEN"] and app.config.get("RASA_API_TOKEN_FILE"):
        app.config["RASA_API_TOKEN"] = Path(app.config["RASA_API_TOKEN_FILE"]).read_text("utf-8").strip()
    if not app.config["RASA_API_TOKEN"]:  # shared with scripts/serve-rasa through instance/
        app.config["RASA_API_TOKEN"] = instance_secret(app.instance_path, "rasa-api-token")

    db.init_app(app)
    app.extensions["dialogue"] = DialogueClient(
        app.config["RASA_URL"], app.config["RASA_TIMEOUT_S"], app.config["RASA_API_TOKEN"]
    )

    from . import api, cli, health, metrics, web
    from .console import init_app as init_console
    from .handoff import init_app as init_handoff
    from .notify import init_app as init_notify
    from .wechat import init_app as init_wechat
    from .limits import limiter
    from .widget import bp as widget_bp

    bodies.init_app(app)
    limiter.init_app(app)
    cors.init_app(app)
    security_headers.init_app(app)
    app.register_blueprint(web.bp)
    app.register_blueprint(widget_bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    health.init_app(app)
    init_wechat(app)
    app.register_blueprint(metrics.bp)
    init_console(app)
    init_notify(app)
    init_handoff(app)
    cli.register(app)
    return app
