"""Loads started in a background thread once per process, so that a batch's start-up work overlaps."""

from __future__ import annotations

import threading
from collections.abc import Callable

_started: set[str] = set()
_lock = threading.Lock()


def start_once(name: str, load: Callable[[], object]) -> None:
    """Run `load` in a daemon thread the first time `name` is asked for in this process.

    A failure is swallowed here: nothing is cached, so the first real use loads again and raises it where it is seen.
    """
    with _lock:
        if name in _started:
            return
        _started.add(name)

    def run() -> None:
        try:
            load()
        except Exception:  # noqa: S110, BLE001  (raised again by the first real use)
            pass

    threading.Thread(target=run, name=name, daemon=True).start()
