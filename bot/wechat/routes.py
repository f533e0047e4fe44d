"""GET /wechat: the server handshake. POST /wechat: messages and events."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, request

from . import followers, protocol, replay
from .budget import respond
from .identity import openid_hash
from .inbound import interpret

log = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__, url_prefix="/wechat")


def _plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _read_body(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise protocol.Rejected(413, f"body over {limit} bytes")
    body = request.stream.read(limit + 1)  # also bounds a chunked body without a length
    if len(body) > limit:
        raise protocol.Rejected(413, f"body over {limit} bytes")
    return body


def _first_use(channel) -> None:
    """Refuse a signed query that was used before (see replay.py); only after it is authenticated."""
    settings, args = channel.settings, request.args
    until = replay.keep_until(args["timestamp"], settings.max_age_s, settings.dedup_ttl_s)
    if not replay.first_use(channel.sessions, args["signature"], args["timestamp"], args["nonce"], until):
        raise protocol.Rejected(403, "replayed signature")


@bp.route("", methods=["GET", "POST"], strict_slashes=False)
def endpoint():
    started = time.monotonic()
    channel = current_app.extensions.get("wechat")
    if channel is None:
        return _plain("The WeChat channel is not configured on this server.", 503)
    settings = channel.settings
    try:
        if request.method == "GET":
            echostr = protocol.handshake(settings.token, request.args, settings.max_age_s)
            _first_use(channel)
            return _plain(echostr)
        body = _read_body(settings.max_body_bytes)
        inbound = protocol.read_inbound(
            settings.token, channel.crypto, request.args, body, settings.max_age_s, settings.mode
        )
        _first_use(channel)
    except protocol.Rejected as rejected:
        log.warning(
            "wechat request rejected: %s %s", rejected.status, rejected.reason, extra={"remote": request.remote_addr}
        )
        return _plain(rejected.reason, rejected.status)

    message = inbound.message
    who = openid_hash(message.source, settings.id_salt)
    turn = interpret(message)
    if turn.follow == "unsubscribe":
        followers.unsubscribed(channel.sessions, who)
    elif turn.follow == "scan":
        followers.scanned(channel.sessions, who, message.source, turn.scene)
    if not turn.answers:
        return _plain("success")

    text = respond(channel, message, turn, who, started)
    if not text:
        return _plain("success")
    return Response(protocol.passive_reply(channel.crypto, inbound, text), mimetype="application/xml")
