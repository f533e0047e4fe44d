"""Cross-origin access for the embeddable widget: only from the park sites in CORS_ALLOWED_ORIGINS.

No credentials are allowed across origins: an embedding site's widget proves
its conversation with the bearer token (Authorization), not the cookie.
"""

from __future__ import annotations

from flask import Flask, request

CORS_PATHS = (
    "/widget.js",
    "/api/chat",
    "/api/chat/poll",
    "/api/chat/history",
    "/api/chat/feedback",
    "/api/feedback",
)


def init_app(app: Flask) -> None:
    @app.after_request
    def _cors(response):
        origin = (request.headers.get("Origin") or "").rstrip("/")
        if request.path not in CORS_PATHS:
            return response
        response.vary.add("Origin")
        if origin and origin in app.config.get("CORS_ALLOWED_ORIGINS", []):
            response.headers["Access-Control-Allow-Origin"] = origin
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization, Idempotency-Key"
                response.headers["Access-Control-Max-Age"] = "600"
        return response
