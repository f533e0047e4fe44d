"""The OpenAPI 3.1 document served at /api/openapi.json."""

from __future__ import annotations

from flask import current_app

from .models import LEAD_STATUSES

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    text = {
        400: "Invalid request",
        401: "Missing or wrong credentials",
        404: "Not found",
        403: "Not this channel's conversation (wx-…); feedback without the conversation's token "
        "(conversation_token_required) or naming another conversation (not_your_conversation)",
        409: "Conflict (a handoff that is someone else's, closed or timing out; a retried message still being "
        "answered)",
        429: "Rate limit exceeded",
        503: "Assistant unavailable",
    }
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _feedback() -> dict:
    return {
        "post": {
            "summary": "Thumbs up or down on one turn, by the conversation's owner",
            "description": "Needs the conversation's token, like poll and history: the park_chat cookie (path "
            "/api/chat, so it reaches /api/chat/feedback only) or Authorization: Bearer. Without it, or with another "
            "conversation's, the answer is 403 and nothing is stored.",
            "security": [{"conversationCookie": []}, {"conversationBearer": []}],
            "requestBody": {
                "required": True,
                **_json(
                    {
                        "type": "object",
                        "required": ["turn_id", "rating"],
                        "properties": {
                            "sender_id": {
                                "type": "string",
                                "description": "Optional; when given it must be the token's conversation",
                            },
                            "turn_id": {"type": "integer"},
                            "rating": {"enum": ["up", "down"]},
                            "comment": {"type": "string"},
                        },
                    }
                ),
            },
            "responses": {
                "200": {"description": "Stored (a second rating replaces the first)"},
                **_errors(400, 403, 404, 429),
            },
        }
    }


def document() -> dict:
    limit = current_app.config["MAX_MESSAGE_CHARS"]
    feedback = _feedback()
    source = {
        "type": "object",
        "properties": {k: {"type": "string"} for k in ("title", "publisher", "published", "url", "snippet")},
    }
    reply = {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "buttons": {
                "type": "array",
                "items": {"type": "object", "properties": {"title": {"type": "string"}, "payload": {"type": "string"}}},
            },
            "sources": {"type": "array", "items": source},
        },
    }
    lead_in = {
        "type": "object",
        "required": ["idempotency_key"],
        "properties": {
            "idempotency_key": {
                "type": "string",
                "maxLength": 128,
                "description": "Or the Idempotency-Key header. A repeat returns the stored lead.",
            },
            "sender_id": {"type": "string"},
            "channel": {"type": "string"},
            "name": {"type": "string"},
            "company": {"type": "string"},
            "phone": {"type": "string"},
            "email": {"type": "string"},
            "industry": {"type": "string"},
            "need": {"type": "string"},
            "extra": {"type": "object"},
        },
        "description": "At least one of phone or email.",
    }
    chat_response = {
        "type": "object",
        "properties": {
            "sender_id": {"type": "string"},
            "replies": {"type": "array", "items": reply},
            "turn_id": {"type": ["integer", "null"], "description": "Rate it with /api/feedback"},
            "handoff": {"type": "boolean", "description": "Staff hold the conversation: poll /api/chat/poll"},
            "token": {
                "type": "string",
                "description": "A new conversation's token, for callers from another origin "
                "(or no browser): send it as Authorization: Bearer. "
                "Same-site browsers get it as the HttpOnly park_chat cookie.",
            },
            "repeated": {"type": "boolean", "description": "A retried client_message_id: the stored reply"},
        },
    }
    history_item = {
        "type": "object",
        "properties": {
            "role": {"enum": ["user", "bot", "staff", "system"], "description": "system: said in staff's place"},
            "text": {"type": "string"},
            "at": {"type": "string"},
            "buttons": reply["properties"]["buttons"],
            "sources": reply["properties"]["sources"],
            "turn_id": {"type": "integer"},
            "id": {"type": "integer", "description": "staff messages"},
        },
    }
    owner = {"security": [{"conversationCookie": []}, {"conversationBearer": []}]}
    staff = {"security": [{"staffSession": []}]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "杭州生物科技谷 招商助手 API",
            "version": "1.0.0",
            "description": "Chat, feedback and leads for the park's investment-promotion assistant. "
            'Errors are {"error": {"code", "message"}}.',
        },
        "paths": {
            "/api/chat": {
                "post": {
                    "summary": "Send one message; get the assistant's replies with their sources",
                    "requestBody": {
                        "required": True,
                        **_json(
                            {
                                "type": "object",
                                "required": ["sender_id", "message"],
                                "properties": {
                                    "sender_id": {
                                        "type": "string",
                                        "maxLength": 128,
                                        "description": "Not wx-…: WeChat conversations are not reachable",
                                    },
                                    "message": {"type": "string", "minLength": 1, "maxLength": limit},
                                    "client_message_id": {
                                        "type": "string",
                                        "maxLength": 64,
                                        "description": "Or the Idempotency-Key header: a retry with it gets the stored reply",
                                    },
                                },
                            }
                        ),
                    },
                    "description": "The conversation's token (cookie or bearer) continues it; without it, an id "
                    "already in use starts a new conversation, whose sender_id the response gives.",
                    "responses": {
                        "200": {"description": "Replies", **_json(chat_response)},
                        **_errors(400, 403, 409, 429, 503),
                    },
                }
            },
            "/api/chat/history": {
                "get": {
                    "summary": "The token's conversation of the last CHAT_HISTORY_HOURS, in order, for the widget",
                    **owner,
                    "responses": {
                        "200": {
                            "description": "Messages",
                            **_json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "handoff": {"type": "boolean"},
                                        "last_staff_id": {"type": "integer"},
                                        "messages": {"type": "array", "items": history_item},
                                    },
                                }
                            ),
                        },
                        **_errors(400, 401, 429),
                    },
                }
            },
            "/api/chat/poll": {
                "get": {
                    "summary": "Staff replies for the token's conversation while a person holds it",
                    **owner,
                    "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer", "default": 0}}],
                    "responses": {
                        "200": {
                            "description": "Messages after `after`",
                            **_json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "handoff": {"type": "boolean"},
                                        "messages": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "id": {"type": "integer"},
                                                    "text": {"type": "string"},
                                                    "at": {"type": "string"},
                                                    "by": {"enum": ["staff", "system"]},
                                                },
                                            },
                                        },
                                    },
                                }
                            ),
                        },
                        **_errors(400, 401, 429),
                    },
                }
            },
            "/api/chat/feedback": feedback,
            "/api/feedback": {"post": {**feedback["post"], "summary": feedback["post"]["summary"] + " (older path)"}},
            "/api/leads": {
                "post": {
                    "summary": "Store a lead from the action server's form (idempotent)",
                    "security": [{"leadsSecret": []}],
                    "requestBody": {"required": True, **_json(lead_in)},
                    "responses": {
                        "201": {"description": "Created"},
                        "200": {"description": "Already stored under this key"},
                        **_errors(400, 401),
                    },
                }
            },
            "/api/staff/stats": {
                "get": {
                    "summary": "Dashboard totals and daily series",
                    **staff,
                    "responses": {"200": {"description": "Stats"}, **_errors(401)},
                }
            },
            "/api/staff/turns": {
                "get": {
                    "summary": "Logged turns, newest first",
                    **staff,
                    "parameters": [
                        {
                            "name": "filter",
                            "in": "query",
                            "schema": {
                                "enum": [
                                    "all",
                                    "abstained",
                                    "thumbs_down",
                                    "handoff",
                                    "out_of_scope",
                                    "error",
                                    "degraded",
                                    "corrected",
                                ]
                            },
                        },
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                        {"name": "page", "in": "query", "schema": {"type": "integer"}},
                    ],
                    "responses": {"200": {"description": "Turns"}, **_errors(400, 401)},
                }
            },
            "/api/staff/jobs/{job_id}": {
                "get": {
                    "summary": "A background re-index job",
                    **staff,
                    "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "Job"}, **_errors(401, 404)},
                }
            },
            "/api/staff/leads": {
                "get": {"summary": "Leads", **staff, "responses": {"200": {"description": "Leads"}, **_errors(401)}}
            },
            "/api/staff/leads/{lead_id}": {
                "patch": {
                    "summary": "Change a lead's status or notes",
                    **staff,
                    "parameters": [{"name": "lead_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                    "requestBody": _json(
                        {
                            "type": "object",
                            "properties": {
                                "status": {"enum": list(LEAD_STATUSES)},
                                "note": {
                                    "type": "string",
                                    "description": "this change's note (kept in the lead's history)",
                                },
                            },
                        }
                    ),
                    "responses": {"200": {"description": "Updated"}, **_errors(400, 401, 404)},
                }
            },
            "/api/staff/handoffs": {
                "get": {
                    "summary": "Open handoffs with their messages",
                    **staff,
                    "responses": {"200": {"description": "Handoffs"}, **_errors(401)},
                }
            },
            "/api/staff/handoffs/{handoff_id}/reply": {
                "post": {
                    "summary": "Reply to the user as staff",
                    **staff,
                    "parameters": [
                        {"name": "handoff_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                    ],
                    "requestBody": _json(
                        {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
                    ),
                    "responses": {"200": {"description": "Sent"}, **_errors(400, 401, 404, 409)},
                }
            },
            "/api/staff/handoffs/{handoff_id}/claim": {
                "post": {
                    "summary": "Become the handoff's owner (409 if someone else is, unless take_over)",
                    **staff,
                    "parameters": [
                        {"name": "handoff_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                    ],
                    "requestBody": _json({"type": "object", "properties": {"take_over": {"type": "boolean"}}}),
                    "responses": {"200": {"description": "Claimed"}, **_errors(401, 404, 409)},
                }
            },
            "/api/staff/handoffs/events": {
                "get": {
                    "summary": "Server-sent events: `queue` {version, open, waiting} whenever the queue changes; "
                    "the stream ends after HANDOFF_STREAM_SECONDS and the client reconnects",
                    **staff,
                    "responses": {
                        "200": {
                            "description": "text/event-stream",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        },
                        **_errors(401),
                    },
                }
            },
            "/api/staff/handoffs/{handoff_id}/release": {
                "post": {
                    "summary": "Give the conversation back to the bot",
                    **staff,
                    "parameters": [
                        {"name": "handoff_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"description": "Released"}, **_errors(401, 404)},
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                        }
                    },
                }
            },
            "securitySchemes": {
                "leadsSecret": {"type": "apiKey", "in": "header", "name": "X-Leads-Secret"},
                "conversationCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "park_chat",
                    "description": "Set by POST /api/chat for same-site pages",
                },
                "conversationBearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The `token` of POST /api/chat, for cross-origin embeds",
                },
                "staffSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "Console login; unsafe methods also need the X-CSRFToken header",
                },
            },
        },
    }
