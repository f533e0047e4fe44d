"""`rasa run` with its HTTP API token read from a file or the environment, never from the command line.

Rasa 3.6 takes the token only as `--auth-token TOKEN`, and a process's
arguments are readable by every user of the machine (`ps`, /proc/PID/cmdline).
scripts/serve-rasa therefore starts Rasa as `python -m rasa_ext.launch run …`:
this reads RASA_API_TOKEN_FILE (a 0600 file, instance/rasa-api-token by
default) or else RASA_API_TOKEN, and hands the token to Rasa's own command line
parser inside the process. The kernel keeps showing the arguments the process
was started with, which hold no token; the environment of a process is readable
only by its owner and root.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


class TokenMissing(SystemExit):
    """No token configured: Rasa's API would be open to anyone on loopback."""


def token() -> str:
    path = os.environ.get("RASA_API_TOKEN_FILE", "")
    value = Path(path).read_text("utf-8").strip() if path else os.environ.get("RASA_API_TOKEN", "").strip()
    if not value:
        raise TokenMissing("rasa_ext.launch: set RASA_API_TOKEN_FILE or RASA_API_TOKEN (the Rasa HTTP API token)")
    return value


def rasa_argv(args: list[str], secret: str) -> list[str]:
    """Rasa's own argv: `rasa ARGS… --auth-token SECRET` (for `run`, the only command with an API)."""
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in args):
        raise SystemExit("rasa_ext.launch: the token must not be given on the command line")
    return ["rasa", *args, "--auth-token", secret] if args[:1] == ["run"] else ["rasa", *args]


def main() -> None:
    args = sys.argv[1:]
    sys.argv = rasa_argv(args, token() if args[:1] == ["run"] else "")
    # Rasa's action server calls and its subprocesses need no token: keep it out of their environment.
    os.environ.pop("RASA_API_TOKEN", None)
    from . import optional_imports

    optional_imports.install()  # before TensorFlow is imported: its probe for JAX loads ~85 MB nothing uses
    from rasa.__main__ import main as rasa_main

    from . import action_connections, action_domain, action_results, action_tracker, event_types, graph_schema

    action_connections.install()  # one kept connection pool to the action server, not a connection per call
    action_domain.install()  # the domain sent to the action server once, then only its digest
    action_tracker.install()  # earlier turns' message bodies (parse data, custom payloads) not sent with each call
    action_results.install()  # the action server's replies checked once per event, against a schema compiled once
    event_types.install()  # an event's class found by its name once, not per stored event
    graph_schema.install()  # each graph run's sub-graph derived once per list of targets, not per run
    rasa_main()


if __name__ == "__main__":
    main()
