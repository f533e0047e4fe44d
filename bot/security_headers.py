"""Security headers on every response: nosniff, Referrer-Policy, and a CSP on HTML pages.

No page of ours runs inline script, so `script-src 'self'` holds everywhere:
an injected <script> or on*= attribute does not run even if escaping ever
fails. The console allows no inline style either and may not be framed. The
widget's host page allows inline style for browsers without constructed
stylesheets, where widget.js (embedded on park sites too, where their own
CSP applies) falls back to a <style> element. widget.js itself is fetched cross-origin; CORS (cors.py) is
untouched, and these headers do not restrict where a script may be loaded.
"""

from __future__ import annotations

from flask import Flask, request

_COMMON = (
    "default-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
STRICT_CSP = f"{_COMMON}; style-src 'self'; frame-ancestors 'none'"
HOST_PAGE_CSP = f"{_COMMON}; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'"
HOST_PAGE_ENDPOINTS = {"web.index"}


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            host_page = request.endpoint in HOST_PAGE_ENDPOINTS
            response.headers["Content-Security-Policy"] = HOST_PAGE_CSP if host_page else STRICT_CSP
        return response
