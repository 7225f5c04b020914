"""Worker processes: capped by the machine, and gone with their parent (issue 12, item 7)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyser.workers import cap_workers

ROOT = Path(__file__).parents[1]


def test_workers_are_capped_by_cores_and_memory():
    count, why = cap_workers(999)
    assert 1 <= count <= (os.cpu_count() or 1) and "999" in why
    assert cap_workers(1) == (1, None)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_stopped_batch_leaves_no_workers_partial_file_or_traceback(tmp_path, sig):
    src = tmp_path / "in.csv"
    text = "Unfortunately we went with a candidate whose {} experience was stronger; your SQL skills were great."
    src.write_text("id,text\n" + "".join(f'{i},"{text.format(i)}"\n' for i in range(20_000)))
    out = tmp_path / "out.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyser", "batch", str(src), "-o", str(out), "--workers", "2", "-q"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.time() + 60
    while len(_children(proc.pid)) < 2 and time.time() < deadline:  # the pool (and its resource tracker) started
        time.sleep(0.2)
    time.sleep(3)
    workers = _children(proc.pid)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "leaked" not in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1 and "interrupted" in stderr
    assert not list(tmp_path.glob(".*partial*")) and not out.exists()
    time.sleep(1)
    alive = [
        p for p in workers if Path(f"/proc/{p}").exists() and "zombie" not in Path(f"/proc/{p}/status").read_text()
    ]
    assert alive == []


@pytest.mark.slow
def test_workers_die_when_the_parent_is_killed(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        "id,text\n"
        + "".join(f'{i},"We regret that the role number {i} was filled internally."\n' for i in range(20_000))
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyser", "batch", str(src), "-o", str(tmp_path / "o.csv"), "--workers", "2", "-q"],
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    deadline = time.time() + 60
    while len(_children(proc.pid)) < 2 and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    workers = _children(proc.pid)
    proc.kill()  # SIGKILL: no handler runs; the kernel ends the workers (PR_SET_PDEATHSIG)
    proc.wait()
    time.sleep(2)
    assert workers and [p for p in workers if Path(f"/proc/{p}").exists()] == []


class _StuckPool:
    """A pool whose terminate never returns, as Pool.terminate does when a signal left one of its locks held."""

    def terminate(self):
        import threading

        threading.Event().wait()

    def join(self):
        pass


def test_a_pool_that_will_not_terminate_has_its_workers_killed():
    import multiprocessing as mp

    from analyser.batch import end_pool

    worker = mp.get_context("spawn").Process(target=time.sleep, args=(60,), daemon=True)
    worker.start()
    started = time.time()
    end_pool(_StuckPool(), timeout=0.5)
    worker.join(10)
    assert worker.exitcode is not None and time.time() - started < 10


def test_a_pool_worker_does_not_import_pandas():
    """The pool's initialiser and task live in analyser.batch_worker: a worker analyses texts without importing pandas
    and pyarrow, which only the process reading and writing the table needs (about 77 MB of each worker)."""
    from analyser import batch

    assert batch._init_worker.__module__ == batch._worker_task.__module__ == "analyser.batch_worker"
    code = (
        "import sys\n"
        "from analyser.batch_worker import _init_worker, _worker_task\n"
        "from analyser.config import MODEL_DIR\n"
        "_init_worker(str(MODEL_DIR), None, False)\n"
        "rows, _ = _worker_task(['We chose a candidate with more experience in payroll.'])\n"
        "print(rows[0]['top_reason'], 'pandas' in sys.modules, 'pyarrow' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split() == ["experience", "False", "False"]
