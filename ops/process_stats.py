"""CPU seconds and memory of the stack's services, every process of each (gunicorn's workers too).

Why it exists: the benchmark charges each service the CPU it used in a phase and reports the
memory the stack takes after the load (issue 19: whole-stack RSS ≤ 2 GB); the soak samples the
same numbers as it runs. psutil is imported on use: starting a stack for a test needs none of it.
"""

from __future__ import annotations

from .service import Service


def pids(service: Service) -> list[int]:
    """The service's process and all its descendants (gunicorn master and workers)."""
    import psutil

    if not service.running:
        return []
    try:
        root = psutil.Process(service.proc.pid)
        return [root.pid] + [c.pid for c in root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(services: dict[str, Service]) -> dict[str, float]:
    """User + system CPU seconds used so far by each service's live processes."""
    import psutil

    used = {}
    for name, service in services.items():
        total = 0.0
        for pid in pids(service):
            try:
                t = psutil.Process(pid).cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        used[name] = total
    return used


def rss(services: dict[str, Service]) -> dict:
    """Memory per service and per process, from /proc via psutil.

    rss_mb counts shared pages in every process that maps them (so gunicorn workers forked
    from one master are over-counted in a sum); pss_mb splits shared pages between them and
    adds up honestly. Both are in MiB."""
    import psutil

    measured, total_rss, total_pss = {}, 0.0, 0.0
    for name, service in services.items():
        processes = []
        for pid in pids(service):
            try:
                p = psutil.Process(pid)
                info = p.memory_full_info()
                cmd = " ".join(p.cmdline()[:4])
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            processes.append(
                {
                    "pid": pid,
                    "cmd": cmd[:120],
                    "rss_mb": round(info.rss / 2**20, 1),
                    "pss_mb": round(getattr(info, "pss", info.rss) / 2**20, 1),
                }
            )
        rss_mb = round(sum(p["rss_mb"] for p in processes), 1)
        pss_mb = round(sum(p["pss_mb"] for p in processes), 1)
        measured[name] = {"rss_mb": rss_mb, "pss_mb": pss_mb, "processes": processes}
        total_rss += rss_mb
        total_pss += pss_mb
    return {"services": measured, "total_rss_mb": round(total_rss, 1), "total_pss_mb": round(total_pss, 1)}
