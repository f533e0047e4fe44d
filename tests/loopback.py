"""Serve a test's fake on 127.0.0.1: a stand-in for Rasa, WeChat's API, a robot webhook, a web site, or the gateway.

One helper, so that every fake server binds a free loopback port, runs in a
daemon thread, and is shut down, closed and joined when its test ends (through
`with`, `close()`, or the `loopback` fixture in conftest.py).
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class Loopback:
    """`Loopback(Handler)` serves an http.server request handler class (or a factory of handlers);
    `Loopback(app=wsgi_app)` serves a WSGI app such as the gateway, with werkzeug's threaded server."""

    def __init__(self, handler=None, *, app=None, poll_interval: float = 0.05):
        if (handler is None) == (app is None):
            raise TypeError("Loopback serves either a request handler or a WSGI app")
        if app is not None:
            from werkzeug.serving import make_server

            self.server = make_server("127.0.0.1", 0, app, threaded=True)
        else:
            self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port: int = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        # A short poll interval: shutdown() waits up to one interval, and tests start many servers.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
