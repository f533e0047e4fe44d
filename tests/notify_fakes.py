"""Local stand-ins for the staff notice channels: a robot webhook (WeCom or DingTalk) and an SMTP server.

Both listen on 127.0.0.1 on a free port and record what they receive, so the
notice tests run the real HTTP and SMTP clients without leaving the machine.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from loopback import Loopback
from ops.stores import free_port


class FakeRobot:
    """A webhook that records each POST (time, query, JSON) and answers `status` with {"errcode": errcode},
    after `delay_s`."""

    def __init__(self, status: int = 200, errcode: int = 0, delay_s: float = 0.0):
        self.status, self.errcode, self.delay_s = status, errcode, delay_s
        self.received: list[dict] = []
        self.arrived = threading.Condition()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urllib.parse.urlsplit(self.path)
                with robot.arrived:
                    robot.received.append(
                        {
                            "at": time.monotonic(),
                            "path": parts.path,
                            "raw_query": parts.query,
                            "query": urllib.parse.parse_qs(parts.query),
                            "raw": raw.decode("utf-8"),
                            "json": json.loads(raw or b"{}"),
                        }
                    )
                    robot.arrived.notify_all()
                time.sleep(robot.delay_s)  # a slow robot must not slow the tenant's reply
                body = json.dumps({"errcode": robot.errcode, "errmsg": "ok" if not robot.errcode else "bad"}).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output clean
                pass

        self.loopback = Loopback(Handler)
        self.port = self.loopback.port

    def url(self, path: str = "/cgi-bin/webhook/send?key=test-key") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, timeout: float) -> list[dict]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def close(self) -> None:
        self.loopback.close()


class FakeMailbox:
    """An aiosmtpd server on 127.0.0.1 that keeps every message; optional AUTH with one user."""

    def __init__(self, username: str = "", password: str = ""):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages: list[dict] = []
        self.logins: list[str] = []
        self.arrived = threading.Condition()
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with mailbox.arrived:
                    parsed = message_from_bytes(envelope.content, policy=policy.default)
                    mailbox.messages.append(
                        {
                            "from": envelope.mail_from,
                            "to": list(envelope.rcpt_tos),
                            "subject": str(parsed["Subject"]),
                            "body": (parsed.get_body(preferencelist=("plain",)) or parsed).get_content(),
                            "attachments": [
                                (part.get_filename(), part.get_content_type(), part.get_content())
                                for part in parsed.iter_attachments()
                            ]
                            if parsed.is_multipart()
                            else [],
                            "raw": envelope.content.decode("utf-8", "replace"),
                        }
                    )
                    mailbox.arrived.notify_all()
                return "250 OK"

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode(), auth_data.password.decode()) == (username, password)
            if ok:
                mailbox.logins.append(username)
            return AuthResult(success=ok)

        options = {"authenticator": authenticate, "auth_require_tls": False} if username else {}
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def wait_for(self, count: int, timeout: float) -> list[dict]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def close(self) -> None:
        self.controller.stop()
