"""Gunicorn's access log without secrets or personal data from query strings.

WeChat signs each request in its query string (signature, msg_signature,
timestamp, nonce, echostr) and adds the user's openid; older web widgets
polled with their sender_id (refused now: bot/chat_tokens.py, but a cached
copy may still send it). A log line that keeps them hands a reader a signed query
to replay (within the freshness window) and a list of who wrote when. The
values are replaced by `-`; the names stay, so the line still says what kind
of request it was. gunicorn.conf.py installs this as `logger_class`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from gunicorn.glogging import Logger

REDACTED = frozenset({"signature", "msg_signature", "timestamp", "nonce", "echostr", "openid", "sender_id"})


def redact_query(query: str) -> str:
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, "-" if k.lower() in REDACTED else v) for k, v in pairs], safe="-")


def redact_uri(uri: str) -> str:
    path, sep, query = uri.partition("?")
    return path + sep + redact_query(query) if sep else uri


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = "%s %s %s" % (
            environ["REQUEST_METHOD"],
            redact_uri(environ["RAW_URI"]),
            environ["SERVER_PROTOCOL"],
        )
        atoms["q"] = redact_query(environ.get("QUERY_STRING") or "")
        for key in ("{raw_uri}e", "{request_uri}e"):
            if key in atoms:
                atoms[key] = redact_uri(str(atoms[key]))
        if "{query_string}e" in atoms:
            atoms["{query_string}e"] = atoms["q"]
        return atoms
