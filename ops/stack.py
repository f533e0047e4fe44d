"""The real stack — action server, Rasa server(s), gateway under gunicorn — on free loopback ports.

Why it exists: the benchmark, the end-to-end tests and later fault drills (kill a Rasa server,
restart the action server) all need the three services started exactly as the Procfile starts
them, on ports that do not collide with a running `make run`, with a throwaway database, and
torn down whole (gunicorn's workers included). This is the one place that knows how.

    with Stack(rasa_servers=1, ratelimit=False) as stack:   # start() on enter, stop() on exit
        stack.url                      # gateway base URL
        stack.service("rasa-1").url    # a Rasa server's base URL
        stack.cold_start_s             # launch -> every health check green
        stack.rss()                    # memory per service, per process
        stack.kill("rasa-1"); stack.restart("rasa-1")

Services are named "actions-1" … "actions-M", "rasa-1" … "rasa-N", "gateway" and "reindex" (the
re-index worker); "actions" and
"rasa" mean the first of each. Rasa server i calls action server ((i-1) mod M)+1; the gateway
spreads conversations over every Rasa server (RASA_URL lists them all). Rasa is started by
scripts/serve-rasa, as the Procfile does; its tracker store is SQLite in the work directory
unless `extra_env` sets TRACKER_STORE_URL (PostgreSQL from ops/stores.py, shared by all servers).
A service's record is ops/service.py; its processes' CPU and memory are read by ops/process_stats.py.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from . import process_stats
from .service import Service, StackError
from .stores import free_port

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "park.tar.gz"
INDEX = ROOT / "instance" / "index"
START_TIMEOUT_S = 240.0
BUILD_TIMEOUT_S = 600.0
POLL_S = 0.25


class Stack:
    def __init__(
        self,
        *,
        rasa_servers: int = 1,
        actions_servers: int = 1,
        gateway_workers: int | None = None,
        model: Path = MODEL,
        workdir: Path | None = None,
        ratelimit: bool = True,
        private_knowledge: bool = False,
        extra_env: dict[str, str] | None = None,
        start_timeout_s: float = START_TIMEOUT_S,
        root: Path = ROOT,
    ):
        if rasa_servers < 1 or actions_servers < 1:
            raise ValueError("a stack needs at least one Rasa server and one action server")
        self.root, self.model = Path(root), Path(model)
        self.start_timeout_s = start_timeout_s
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="park-stack-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.gateway_workers = gateway_workers
        self.ratelimit = ratelimit
        self.private_knowledge = private_knowledge
        self.extra_env = dict(extra_env or {})
        self.leads_secret = secrets.token_hex(16)
        self.services: dict[str, Service] = {}
        for i in range(1, actions_servers + 1):
            self._add(f"actions-{i}", "actions", "/health")
        for i in range(1, rasa_servers + 1):
            self._add(f"rasa-{i}", "rasa", "/")
        self._add("gateway", "gateway", "/healthz")
        self._add("reindex", "reindex", "")  # the re-index worker: no HTTP, ready while it runs
        self.env = self.base_env()
        for service in self.services.values():
            service.env = self.service_env(service)
            service.cmd = self.command(service)
        self.cold_start_s: float | None = None
        self.migrate_s: float | None = None

    def _add(self, name: str, kind: str, health_path: str) -> None:
        self.services[name] = Service(name, kind, free_port(), health_path, self.workdir / f"{name}.log")

    # --- naming -----------------------------------------------------------------------------
    def service(self, name: str) -> Service:
        if name in ("rasa", "actions"):
            name += "-1"
        try:
            return self.services[name]
        except KeyError:
            raise KeyError(f"no service {name!r}; have {sorted(self.services)}") from None

    @property
    def url(self) -> str:
        return self.service("gateway").url

    @property
    def rasa_url(self) -> str:
        """The first Rasa server (the benchmark's floor talks to it directly)."""
        return self.service("rasa-1").url

    def of_kind(self, kind: str) -> list[Service]:
        return [s for s in self.services.values() if s.kind == kind]

    # --- environment and commands -----------------------------------------------------------
    def base_env(self) -> dict[str, str]:
        """What every service sees: the e2e fixture's settings, ports of this stack."""
        ports = {name: s.port for name, s in self.services.items()}
        env = {
            **os.environ,
            "ACTIONS_HOST": "127.0.0.1",
            "SANIC_HOST": "127.0.0.1",
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(ports["gateway"]),
            "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "prometheus"),
            "RASA_HOST": "127.0.0.1",
            "RASA_MODEL": str(self.model),
            "RASA_URL": ",".join(s.url for s in self.of_kind("rasa")),
            "ACTIONS_URL": ",".join(s.url for s in self.of_kind("actions")),
            "RASA_API_TOKEN": secrets.token_hex(16),
            "TRACKER_STORE_URL": f"sqlite:///{self.workdir / 'rasa-tracker.db'}",
            "DATABASE_URL": f"sqlite:///{self.workdir / 'gateway.db'}",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "HF_HUB_OFFLINE": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "ACTIONS_PRELOAD_KNOWLEDGE": "1",
            "LEADS_API_SECRET": self.leads_secret,
            "LEADS_API_URL": f"http://127.0.0.1:{ports['gateway']}/api/leads",
            # Not the ones generated into instance/: the stack leaves the checkout alone.
            "SECRET_KEY": secrets.token_hex(16),
            "SENDER_HASH_SALT": secrets.token_hex(8),
            "KNOWLEDGE_DATA_DIR": str(self.workdir / "knowledge-data"),  # staff uploads and corrections
        }
        if self.private_knowledge:  # filled by start(): see copy_knowledge
            knowledge = self.workdir / "knowledge"
            env.update(
                {
                    "KNOWLEDGE_DOCS_DIR": str(knowledge / "docs"),
                    "KNOWLEDGE_FAQ_DIR": str(knowledge / "faq"),
                    "KNOWLEDGE_INDEX_DIR": str(knowledge / "index"),
                }
            )
        if self.gateway_workers is not None:
            env["GATEWAY_WORKERS"] = str(self.gateway_workers)
        if not self.ratelimit:
            env["RATELIMIT_ENABLED"] = "false"
        env.update(self.extra_env)
        return env

    def service_env(self, service: Service) -> dict[str, str]:
        """The one place a service's environment is made: the shared settings plus its own port."""
        env = dict(self.env)
        if service.kind == "rasa":
            actions = self.of_kind("actions")
            partner = actions[(self.of_kind("rasa").index(service)) % len(actions)]
            env.update(RASA_PORT=str(service.port), ACTION_ENDPOINT_URL=f"{partner.url}/webhook")
        elif service.kind == "actions":
            env.update(ACTIONS_PORT=str(service.port), LEADS_QUEUE_DIR=str(self.workdir / f"lead-queue-{service.name}"))
        return env

    def command(self, service: Service) -> list[str]:
        if service.kind == "actions":
            return [
                str(self.root / ".venv/bin/python"),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(service.port),
            ]
        if service.kind == "rasa":
            return [str(self.root / "scripts" / "serve-rasa")]
        if service.kind == "reindex":
            return [str(self.root / ".venv/bin/python"), "-m", "bot.reindex_worker"]
        return [str(self.root / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py", "bot:create_app()"]

    # --- life cycle -------------------------------------------------------------------------
    def migrate(self) -> float:
        """The gateway database at the latest schema, as `make migrate` does it."""
        started = time.monotonic()
        done = subprocess.run(
            [str(self.root / ".venv/bin/alembic"), "upgrade", "head"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise StackError(f"alembic upgrade failed:\n{done.stderr[-3000:]}")
        self.migrate_s = time.monotonic() - started
        return self.migrate_s

    def copy_knowledge(self) -> None:
        """A private copy of knowledge/docs, knowledge/faq and the built index (as tests/e2e/conftest.py
        makes it), so staff corrections made against this stack never touch the checkout. The copied
        index is brought up to date by `python -m knowledge build` (a no-op when it already matches)."""
        docs, faq, index = (
            Path(self.env[k]) for k in ("KNOWLEDGE_DOCS_DIR", "KNOWLEDGE_FAQ_DIR", "KNOWLEDGE_INDEX_DIR")
        )
        if index.exists() or index.is_symlink():
            return
        shutil.copytree(self.root / "knowledge" / "docs", docs)
        shutil.copytree(self.root / "knowledge" / "faq", faq)
        if (INDEX / "manifest.json").exists():
            version = INDEX.resolve()
            shutil.copytree(version, index.parent / version.name)
            index.symlink_to(version.name)  # relative, as the build makes it
        built = subprocess.run(
            [str(self.root / ".venv/bin/python"), "-m", "knowledge", "build", "--quiet"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
        )
        if built.returncode != 0 or not (index / "manifest.json").exists():
            raise StackError(f"knowledge build for the private copy failed:\n{(built.stderr or built.stdout)[-3000:]}")

    def start(self) -> float:
        """Migrate, launch every service at once, wait for all health checks; returns cold-start seconds
        (launch -> healthy; the migration and a private knowledge copy come before and are not counted)."""
        if not self.model.exists():
            raise StackError(f"{self.model} is missing: run `make train`")
        (self.workdir / "prometheus").mkdir(exist_ok=True)
        if self.private_knowledge:
            self.copy_knowledge()
        self.migrate()
        started = time.monotonic()
        try:
            for name in self.services:
                self._launch(self.services[name])
            self.wait_healthy(list(self.services))
        except BaseException:
            self.stop()
            raise
        self.cold_start_s = time.monotonic() - started
        return self.cold_start_s

    def _launch(self, service: Service) -> None:
        with service.log.open("a") as log:
            log.write(f"--- launch {' '.join(service.cmd)}\n")
            log.flush()
            service.proc = subprocess.Popen(
                service.cmd,
                cwd=self.root,
                env=service.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service.launched_at, service.ready_s = time.monotonic(), None

    def wait_healthy(self, names: list[str], timeout_s: float | None = None) -> None:
        """Poll every named service until each health URL answers 2xx (the gateway's /healthz needs the rest)."""
        pending = [self.service(n) for n in names]
        deadline = time.monotonic() + (timeout_s or self.start_timeout_s)
        http = requests.Session()
        while pending:
            for service in list(pending):
                if service.proc is None or service.proc.poll() is not None:
                    code = None if service.proc is None else service.proc.returncode
                    raise StackError(f"{service.name} exited ({code}):\n{service.tail()}")
                try:
                    ok = not service.health_path or http.get(service.health_url, timeout=2).ok
                except requests.RequestException:
                    ok = False
                if ok:
                    service.ready_s = time.monotonic() - service.launched_at
                    pending.remove(service)
            if pending and time.monotonic() > deadline:
                raise StackError(
                    f"{', '.join(s.name for s in pending)} not healthy in time:\n"
                    + "\n".join(f"[{s.name}]\n{s.tail()}" for s in pending)
                )
            if pending:
                time.sleep(POLL_S)

    def kill(self, name: str, sig: int = signal.SIGKILL, wait_s: float = 20.0) -> None:
        """Signal a service's whole process group (gunicorn's workers too) and reap it."""
        service = self.service(name)
        proc = service.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=wait_s)

    def restart(self, name: str, sig: int = signal.SIGTERM) -> float:
        """Stop a service, start it again on the same port; returns seconds until it is healthy."""
        service = self.service(name)
        self.kill(service.name, sig)
        self._launch(service)
        self.wait_healthy([service.name])
        return service.ready_s or 0.0

    def stop(self) -> None:
        """Front to back: the gateway first (nothing new reaches Rasa), then Rasa, then the actions."""
        order = (
            ["gateway", "reindex"] + [s.name for s in self.of_kind("rasa")] + [s.name for s in self.of_kind("actions")]
        )
        for group in (order[:1], order[1:]):
            for name in group:
                service = self.services[name]
                if service.running:
                    try:
                        os.killpg(service.proc.pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
            for name in group:
                proc = self.services[name].proc
                if proc is not None:
                    try:
                        proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait(timeout=20)

    def cleanup(self) -> None:
        """Remove the work directory (logs, database) if this stack made it."""
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what the e2e fixture yields --------------------------------------------------------
    def fixture(self) -> dict:
        """{"url", "logs", "procs", "env"} as tests/e2e/conftest.py's `stack` fixture yields them;
        procs maps a service name (and "rasa" for rasa-1) to (Popen, log path)."""
        procs = {name: (s.proc, s.log) for name, s in self.services.items()}
        procs["rasa"], procs["actions"] = procs["rasa-1"], procs["actions-1"]
        return {"url": self.url, "logs": self.workdir, "procs": procs, "env": self.env}

    # --- CPU and memory (ops/process_stats.py) ----------------------------------------------
    def pids(self, name: str) -> list[int]:
        """The service's process and all its descendants (gunicorn master and workers)."""
        return process_stats.pids(self.service(name))

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU seconds used so far by each service's live processes."""
        return process_stats.cpu_seconds(self.services)

    def rss(self) -> dict:
        """Memory per service and per process (rss_mb and pss_mb, see process_stats.rss)."""
        return process_stats.rss(self.services)


def main(argv: list[str] | None = None) -> int:
    """`python -m ops.stack [--rasa-servers N]`: start a stack, print where it is, serve until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--rasa-servers", type=int, default=1)
    parser.add_argument("--no-ratelimit", action="store_true")
    args = parser.parse_args(argv)
    stack = Stack(rasa_servers=args.rasa_servers, ratelimit=not args.no_ratelimit)
    print(f"starting in {stack.workdir} …", flush=True)
    try:
        stack.start()
        print(f"ready in {stack.cold_start_s:.1f}s")
        for name, s in stack.services.items():
            print(f"  {name:8} {s.url}  pids {stack.pids(name)}  log {s.log}")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
