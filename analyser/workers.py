"""Worker processes that fit the machine and do not outlive their parent.

`--workers 999` once started about 450 processes, was killed for lack of memory and left them holding 24 GB: the count
is capped by cores and by available memory, and each worker asks the kernel to end it when its parent dies.
"""

from __future__ import annotations

import os
import signal

# One model process holds about 300 MB (measured: 283-299 MB per worker in benchmarks/results); leave headroom.
WORKER_MB = 400


def available_mb() -> int | None:
    """Memory the system can still give out, in MB (Linux /proc/meminfo; None elsewhere)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def cap_workers(requested: int | None) -> tuple[int, str | None]:
    """The number of worker processes to start, and why it is fewer than asked (None when it is not)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    memory = available_mb()
    by_memory = max(1, memory // WORKER_MB) if memory is not None else cores
    limit = max(1, min(cores, by_memory))
    wanted = requested or limit
    if wanted <= limit:
        return wanted, None
    why = f"{cores} cores" if limit == cores else f"{memory:,} MB of free memory ({WORKER_MB} MB per worker)"
    return limit, f"--workers {wanted} is more than this machine can run: using {limit} (it has {why})"


def die_with_parent() -> None:
    """In a worker: end this process when its parent ends, however it ends (Linux); ignore Ctrl-C, which the parent
    handles (so a worker prints no KeyboardInterrupt or BrokenPipe traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's own signal handlers still end the pool
