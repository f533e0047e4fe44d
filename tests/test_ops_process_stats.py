"""CPU and memory of a running service and its children, as the benchmark reads them (ops/process_stats.py)."""

import subprocess
import sys
import time

import pytest

from ops import process_stats
from ops.service import Service

psutil = pytest.importorskip("psutil")

# A parent that starts a child and does a little work, like gunicorn's master and a worker.
PARENT = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
    "sum(i * i for i in range(2_000_000))\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


def test_a_service_is_measured_with_its_children(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        service = Service("worker", "actions", 0, "", tmp_path / "worker.log", proc=proc)
        idle = Service("stopped", "actions", 0, "", tmp_path / "stopped.log")  # never started
        assert len(process_stats.pids(service)) == 2 and process_stats.pids(idle) == []
        cpu = process_stats.cpu_seconds({"worker": service, "stopped": idle})
        assert cpu["worker"] > 0 and cpu["stopped"] == 0
        memory = process_stats.rss({"worker": service, "stopped": idle})
        worker = memory["services"]["worker"]
        assert len(worker["processes"]) == 2 and worker["rss_mb"] > 1
        assert memory["services"]["stopped"] == {"rss_mb": 0, "pss_mb": 0, "processes": []}
        assert memory["total_rss_mb"] == worker["rss_mb"] and 0 < memory["total_pss_mb"] <= worker["rss_mb"]
    finally:
        for pid in reversed(process_stats.pids(Service("x", "actions", 0, "", tmp_path / "x", proc=proc))):
            psutil.Process(pid).kill()
        proc.wait(timeout=10)
