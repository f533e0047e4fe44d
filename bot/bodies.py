"""JSON request bodies on /api/*: size, nesting and characters checked before anything uses them.

Each of these once gave a 500 or cost the server: a 20 MB body was parsed on
every endpoint; JSON nested a few thousand deep overflowed the parser's
recursion; a lone surrogate ("\\ud800" is valid JSON) in sender_id crashed the
sender hash, and in a message it dropped the turn log; PostgreSQL refuses NUL
in text. Here a body over API_MAX_BODY_BYTES is 413, deeper than
API_MAX_JSON_DEPTH is 400, and any string holding NUL or an unpaired surrogate
is 400, all in the API's {"error": {"code", "message"}} shape.

The body is parsed once per request and kept on `g`, because the rate
limiter's sender key reads it before the view does.
"""

from __future__ import annotations

import json
import re

from flask import Flask, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import ApiError, error_response

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def _too_large() -> ApiError:
    limit = current_app.config["API_MAX_BODY_BYTES"]
    return ApiError(413, "body_too_large", f"The request body is over {limit // 1024} KB ({limit} bytes).")


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, counted without parsing (strings blanked out)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def bad_string_at(value, path: str = "") -> str | None:
    """The path of the first string (key or value) with NUL or an unpaired surrogate, else None."""
    if isinstance(value, str):
        return (path or "body") if _BAD_CHARS.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _BAD_CHARS.search(key):
                return path or "body"
            found = bad_string_at(item, where)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = bad_string_at(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _load() -> dict:
    limit = current_app.config["API_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise _too_large()
    request.max_content_length = limit + 1  # a chunked body is cut one byte past the limit: still too large
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large() from None
    if len(raw) > limit:
        raise _too_large()
    invalid = ApiError(400, "invalid_json", "The request body must be a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid from None
    max_depth = current_app.config["API_MAX_JSON_DEPTH"]
    if _depth(text) > max_depth:
        raise ApiError(400, "too_deep", f"The JSON is nested more than {max_depth} levels deep.")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise invalid from None
    if not isinstance(body, dict):
        raise invalid
    where = bad_string_at(body)
    if where:
        raise ApiError(
            400, "invalid_characters", f"'{where}' contains a NUL character or an unpaired surrogate (invalid UTF-16)."
        )
    return body


def parsed() -> tuple[dict | None, ApiError | None]:
    """(body, None) or (None, the error it earns); parsed once per request."""
    if "api_json" not in g:
        try:
            g.api_json = (_load(), None)
        except ApiError as error:
            g.api_json = (None, error)
    return g.api_json


def json_object() -> dict:
    body, error = parsed()
    if error is not None:
        raise error
    return body


def init_app(app: Flask) -> None:
    app.config.setdefault("API_MAX_BODY_BYTES", 64 * 1024)
    app.config.setdefault("API_MAX_JSON_DEPTH", 32)

    @app.before_request
    def _api_body_limit():
        # Every /api/* endpoint, the staff API's get_json() included: nothing there needs more.
        if not request.path.startswith("/api/"):
            return None
        limit = app.config["API_MAX_BODY_BYTES"]
        if request.content_length is not None and request.content_length > limit:
            error = _too_large()
            return error_response(error.status, error.code, error.message)
        request.max_content_length = limit + 1
        return None
