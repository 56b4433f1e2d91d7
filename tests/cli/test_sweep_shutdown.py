"""A stopped `orbitgrid sweep` leaves nothing behind: no worker, no resource tracker, no open pipe.

Each test starts `python -m orbitgrid sweep` as a subprocess (its own session, pipes for stdout and stderr) on a
process pool of two workers, waits until both workers are evaluating a point, then stops the sweep as a user or a
supervisor would: Ctrl-C to the process group, SIGTERM to the sweep, SIGKILL to the sweep. Every process the sweep
started (the workers and multiprocessing's resource tracker) must be gone within a few seconds, and the caller's
pipes must reach end-of-file (no descendant still holds them). A failing test kills whatever it left. Each case
waits for two fresh interpreters to import orbitgrid (~5-15 s), so Ctrl-C and SIGTERM run in the slow job.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

import orbitgrid  # noqa: E402

# Twelve points of a few seconds each (two days of a 4,000-satellite shell at 60 s steps): the sweep is still
# running when the test stops it.
BASE = """\
schema_version: 1
name: slow-point
epoch: 2027-03-20T00:00:00Z
duration: 48h
step: 60s
fleet:
  shells:
    - name: walker
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 4000, planes: 40, phasing: 1}
      design: starlink-v2-mini-compute
"""

SPEC = """\
schema_version: 1
name: slow-sweep
base: base.yaml
evaluate: simulate
grid:
  fleet.shells.walker.orbit.altitude_km: [530, 535, 540, 545, 550, 555, 560, 565, 570, 575, 580, 585]
"""

#: Seconds the stopped sweep and everything it started get to be gone.
GONE_WITHIN_S = 10.0


def _start(folder: Path) -> subprocess.Popen[bytes]:
    (folder / "base.yaml").write_text(BASE)
    (folder / "sweep.yaml").write_text(SPEC)
    env = {**os.environ, "PYTHONPATH": str(Path(orbitgrid.__file__).resolve().parents[1])}
    cmd = [sys.executable, "-m", "orbitgrid", "sweep", "sweep.yaml", "--out", "out", "--workers", "2"]
    return subprocess.Popen(
        cmd,
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    """In the child before ``exec``: Ctrl-C at its default. A test run started in the background by a shell without
    job control inherits SIGINT ignored, and Python keeps an inherited ignore: the sweep then never sees the Ctrl-C
    (it finished its points and exited 0 in such a run)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _workers_busy(proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> list[psutil.Process]:
    """Every descendant of ``proc`` once two pool workers have each used a second of CPU (imported orbitgrid and
    started on a point)."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        kids = parent.children(recursive=True)
        workers = []
        for k in kids:
            try:
                if "resource_tracker" not in " ".join(k.cmdline()) and sum(k.cpu_times()[:2]) > 1.0:
                    workers.append(k)
            except psutil.NoSuchProcess:
                continue
        if len(workers) >= 2:
            return parent.children(recursive=True)
        time.sleep(0.2)
    raise AssertionError("the sweep's workers did not start")


@pytest.mark.parametrize(
    ("how", "sig", "code"),
    [
        # SIGKILL of the parent in the default suite: no handler runs, the workers must notice by themselves
        ("parent", signal.SIGKILL, -signal.SIGKILL),
        pytest.param("group", signal.SIGINT, 128 + signal.SIGINT, marks=pytest.mark.slow),
        pytest.param("parent", signal.SIGTERM, 128 + signal.SIGTERM, marks=pytest.mark.slow),
    ],
)
def test_a_stopped_sweep_leaves_no_process_and_no_open_pipe(tmp_path: Path, how: str, sig: int, code: int) -> None:
    proc = _start(tmp_path)
    kids: list[psutil.Process] = []
    try:
        kids = _workers_busy(proc)
        assert len(kids) >= 2
        if how == "group":
            os.killpg(proc.pid, sig)  # as Ctrl-C in a terminal: every process of the foreground group
        else:
            os.kill(proc.pid, sig)
        t0 = time.monotonic()
        # end-of-file on both pipes: no descendant of the sweep holds them any more
        _out, err = proc.communicate(timeout=GONE_WITHIN_S)
        _gone, alive = psutil.wait_procs(kids, timeout=max(0.1, GONE_WITHIN_S - (time.monotonic() - t0)))
        assert alive == [], [(p.pid, p.cmdline()) for p in alive]
        assert proc.returncode == code, err.decode(errors="replace")
        if sig != signal.SIGKILL:
            text = " ".join(err.decode(errors="replace").split())
            assert f"sweep stopped by {signal.Signals(sig).name}" in text and "Traceback" not in text
            assert "run the same command again to resume" in text
    finally:
        for p in kids:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
