"""Debian's nginx with deploy/nginx/park.conf.template in front of a gateway, for the proxy tests.

The site file is rendered by deploy/nginx/render exactly as the README tells an
operator to; only the outer nginx.conf (pid, logs, temp paths under a work
directory) and the ports are the test's. The certificate is self-signed,
made here with openssl for 127.0.0.1, and the clients trust it explicitly.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ops.stores import free_port

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MAIN = """worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/park.conf;
}}
"""


def available() -> bool:
    return Path(NGINX).exists() and shutil.which("openssl") is not None


class Nginx:
    """`with Nginx("127.0.0.1:8123") as proxy:` proxy.base (https://127.0.0.1:port), proxy.cert (the CA file)."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        # Not under pytest's tmp_path: nginx's workers run as nobody when the tests run as root.
        self.dir = Path(tempfile.mkdtemp(prefix="park-nginx-"))
        self.dir.chmod(0o755)
        self.https_port, self.http_port = free_port(), free_port()
        self.base = f"https://127.0.0.1:{self.https_port}"
        self.cert, self.key = self.dir / "cert.pem", self.dir / "key.pem"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Nginx":
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(self.key),
                "-out",
                str(self.cert),
            ],
            check=True,
            capture_output=True,
        )
        self.key.chmod(0o600)
        site = subprocess.run(
            [
                str(ROOT / "deploy" / "nginx" / "render"),
                "SERVER_NAME=127.0.0.1 localhost",
                f"UPSTREAM={self.upstream}",
                f"HTTP_PORT={self.http_port}",
                f"HTTPS_PORT={self.https_port}",
                f"CERT={self.cert}",
                f"KEY={self.key}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (self.dir / "park.conf").write_text(site)
        (self.dir / "tmp").mkdir()
        root = os.geteuid() == 0
        if root:
            shutil.chown(self.dir / "tmp", "nobody")
        (self.dir / "nginx.conf").write_text(MAIN.format(dir=self.dir, user="user nobody nogroup;" if root else ""))
        checked = subprocess.run(
            [NGINX, "-t", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-e", str(self.dir / "error.log")],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr
        self.proc = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(self.dir),
                "-c",
                str(self.dir / "nginx.conf"),
                "-e",
                str(self.dir / "error.log"),
                "-g",
                "daemon off;",
            ]
        )
        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.https_port)) == 0:
                    return self
            assert self.proc.poll() is None, (self.dir / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not listen"
            time.sleep(0.1)

    def log(self) -> str:
        return (self.dir / "error.log").read_text() if (self.dir / "error.log").exists() else ""

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)
