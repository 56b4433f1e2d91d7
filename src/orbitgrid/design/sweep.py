"""Sweeps: every point of a sweep spec evaluated through a ``concurrent.futures.Executor``, one Parquet row each.

How a sweep runs
----------------
1. **Points.** The grid axes' cartesian product (last axis fastest) times the random axes' ``samples`` joint draws
   (``economics.uncertainty.draw``: draw ``k`` of an axis depends only on the seed, the axis path and ``k``, so
   every grid point sees the same draws: common random numbers). A point's id is the first 16 hex digits of the
   SHA-256 of its parameter values as canonical JSON (sorted keys, floats as their shortest round-trip repr):
   the same values give the same id in every run, on every machine.
2. **Tasks.** Points not finished in an earlier run are split into batches (``batch_size`` points per task) and
   submitted to the executor: a local process pool by default, a ``dask.distributed`` client's executor given an
   address, or :class:`~orbitgrid.economics.uncertainty.InlineExecutor` (in process). A task applies each point to
   the base scenario (validated by the scenario model), calls the evaluator and returns flat rows; the evaluator
   must be a top-level function (picklable by reference). Task arguments are plain data.
3. **Results.** The calling process writes each finished batch as ``points/part-*.parquet`` (written to a temporary
   name and renamed, so an interrupted write leaves nothing), then, when every point is done, the combined
   ``sweep.parquet`` (one row per point, in point order), ``sweep.json`` and the plots page ``sweep.html``.
4. **Resume.** A rerun with the same spec reads the part files and skips every point that finished without error.
   Points whose evaluation raised are recorded with their ``error`` and tried again on the next run. A rerun whose
   base scenario or evaluation differs from the one recorded in ``sweep.json`` is refused (start afresh with
   ``resume=False``, which deletes the old part files).

Row layout: ``point_id``, ``point_index``, one ``param.<dotted path>`` column per axis, the evaluator's outputs
flattened to dotted keys (``jobs.completed``, ``wait_s.p50``; lists are left out), ``error`` (null when the point
succeeded). Wall times are not in the rows: ``timings.json`` holds each point's ``eval_s`` (its wall time in its
worker) and the run's ``wall_s``, so ``sweep.parquet``, ``sweep.json`` and ``sweep.html`` are the same bytes for the
same sweep file (the part files under ``points/`` keep ``eval_s`` and have time-stamped names: they are working files).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import math
import multiprocessing
import multiprocessing.context
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orbitgrid.economics import uncertainty as unc
from orbitgrid.errors import OrbitgridError
from orbitgrid.scenario import Scenario, ScenarioError, resolved_scenario_dict
from orbitgrid.scenario.sweep import (
    DistributionSpec,
    SweepFile,
    apply_point,
)

__all__ = [
    "CLUSTER_ENV",
    "Evaluator",
    "Interrupted",
    "ScenarioModel",
    "SweepError",
    "SweepPoint",
    "SweepResult",
    "flatten_outputs",
    "open_executor",
    "plan_points",
    "point_id",
    "run_batch",
    "run_sweep",
    "stop_on_signals",
    "to_distribution",
    "write_sweep_page",
]

#: Environment variable holding a dask.distributed scheduler address (``tcp://host:8786``) to run sweeps on.
CLUSTER_ENV = "ORBITGRID_CLUSTER"

#: Evaluates one point's scenario; returns outputs (nested mappings are flattened to dotted keys).
Evaluator = Callable[[Scenario], Mapping[str, Any]]
#: ``progress(done, total)``: points finished (including those of earlier runs) out of the sweep's points.
SweepProgress = Callable[[int, int], None]

POINTS_DIR = "points"
#: Wall times of a sweep (per point and for the run): the one output that differs between two identical sweeps.
TIMINGS_FILE = "timings.json"
RESERVED = ("point_id", "point_index", "error", "eval_s")
PARAM_PREFIX = "param."
#: Most outputs drawn on the plots page when the spec does not list them.
MAX_PLOTTED_OUTPUTS = 24
#: Output names containing these come first on the plots page, in this order.
HEADLINE = (
    "usd_per_gpu_hour",
    "goodput",
    "gpu_hours.delivered",
    "jobs.completed",
    "wait_s.p50",
    "wait_s.p99",
    "sunlit_fraction",
    "gpu_hours_deliverable",
)
#: Scatters with more points than this are drawn with WebGL (scattergl) rather than SVG.
WEBGL_ABOVE_POINTS = 2_000
#: Most points drawn per scatter (a deterministic thinning beyond).
MAX_PLOTTED_POINTS = 20_000


class SweepError(OrbitgridError, RuntimeError):
    """A sweep cannot run as asked (e.g. resuming over a different base scenario)."""


# ------------------------------------------------------------------------------------------------------ points


def to_distribution(spec: DistributionSpec) -> unc.Distribution:
    """The ``economics.uncertainty`` distribution of a validated sweep-file distribution."""
    return unc.from_fields(spec.type, spec.model_dump(exclude={"type"}))


def _plain(v: Any) -> Any:
    """numpy scalars as Python scalars (JSON and Parquet want those)."""
    return v.item() if isinstance(v, np.generic) else v


def point_id(params: Mapping[str, Any]) -> str:
    """Stable id of a point: SHA-256 of its parameter values as canonical JSON, 16 hex digits."""
    text = json.dumps({k: _plain(v) for k, v in params.items()}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SweepPoint:
    """One point: its position in the sweep, its id and its parameter values (dotted path -> value)."""

    index: int
    point_id: str
    params: dict[str, Any]


def plan_points(sweep: SweepFile) -> list[SweepPoint]:
    """Every point of the sweep, in order (grid product, last axis fastest, then the random draws); a point whose
    values repeat an earlier one's (a value listed twice) is kept once."""
    spec = sweep.spec
    grid = list(itertools.product(*spec.grid.values())) if spec.grid else [()]
    if spec.random is not None:
        dists = {path: to_distribution(d) for path, d in spec.random.axes.items()}
        draws = unc.draw(dists, spec.random.samples, spec.random.seed)
        samples = [{p: _plain(draws[p][k]) for p in dists} for k in range(spec.random.samples)]
    else:
        samples = [{}]
    out: list[SweepPoint] = []
    seen: set[str] = set()
    for values in grid:
        fixed = dict(zip(spec.grid, values, strict=True))
        for sample in samples:
            params = {**fixed, **sample}
            pid = point_id(params)
            if pid not in seen:
                seen.add(pid)
                out.append(SweepPoint(len(out), pid, params))
    return out


# ------------------------------------------------------------------------------------------------------- tasks


def flatten_outputs(outputs: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested outputs as one flat mapping with dotted keys; numbers, strings, booleans and nulls are kept, lists and
    other objects are left out."""
    flat: dict[str, Any] = {}
    for key, value in outputs.items():
        name = f"{prefix}{key}"
        value = _plain(value)
        if isinstance(value, Mapping):
            flat.update(flatten_outputs(value, f"{name}."))
        elif value is None or isinstance(value, bool | int | float | str):
            flat[name] = value
    return flat


def _output_column(name: str) -> str:
    return f"out.{name}" if name in RESERVED or name.startswith(PARAM_PREFIX) else name


@contextlib.contextmanager
def _numba_threads(n: int | None) -> Iterator[None]:
    """Limit numba's parallel kernels to ``n`` threads in this thread (numba's setting is thread-local), then
    restore it. A sweep runs one point per core, so a point's kernels should not also fan out over every core."""
    if n is None:
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(n, int(getattr(numba.config, "NUMBA_NUM_THREADS", n)))))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def run_batch(
    evaluator: Evaluator,
    base: Mapping[str, Any],
    base_dir: str | None,
    points: Sequence[tuple[int, str, dict[str, Any]]],
    numba_threads: int | None = None,
) -> list[dict[str, Any]]:
    """Evaluate points ``(index, id, params)`` on the resolved ``base`` scenario; one flat row per point.

    Runs in a worker. An invalid point or an evaluator exception becomes the row's ``error`` (the other points of
    the batch still run). ``numba_threads`` caps the threads of numba's parallel kernels while the batch runs.
    """
    with _numba_threads(numba_threads):
        return _run_points(evaluator, base, base_dir, points)


def _run_points(
    evaluator: Evaluator,
    base: Mapping[str, Any],
    base_dir: str | None,
    points: Sequence[tuple[int, str, dict[str, Any]]],
) -> list[dict[str, Any]]:
    rows = []
    for index, pid, params in points:
        t0 = time.perf_counter()
        row: dict[str, Any] = {"point_id": pid, "point_index": index}
        row.update({f"{PARAM_PREFIX}{k}": _plain(v) for k, v in params.items()})
        try:
            scenario = apply_point(base, params, base_dir=base_dir)
            outputs = flatten_outputs(evaluator(scenario))
        except ScenarioError as exc:
            row["error"] = "invalid point: " + "; ".join(str(p) for p in exc.problems)
        except Exception as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
        else:
            row.update({_output_column(k): v for k, v in outputs.items()})
            row["error"] = None
        row["eval_s"] = time.perf_counter() - t0
        rows.append(row)
    return rows


@dataclass(frozen=True)
class ScenarioModel:
    """A scenario evaluator as a model of named parameters, ``f(params) -> flat outputs``, for
    ``economics.uncertainty`` (Monte Carlo, tornado, break-even): ``params`` maps dotted scenario paths to values,
    set on the resolved ``base`` and validated as in a sweep. Picklable when ``evaluator`` is a top-level function,
    so it runs on a process pool or a dask cluster."""

    base: Mapping[str, Any]
    evaluator: Evaluator
    base_dir: str | None = None

    @classmethod
    def from_scenario(cls, scenario: Scenario, evaluator: Evaluator) -> ScenarioModel:
        src = scenario.source_dir
        return cls(resolved_scenario_dict(scenario), evaluator, None if src is None else str(src))

    def __call__(self, params: Mapping[str, Any]) -> dict[str, Any]:
        values = {k: _plain(v) for k, v in params.items()}
        return flatten_outputs(self.evaluator(apply_point(self.base, values, base_dir=self.base_dir)))


# ----------------------------------------------------------------------------------------------------- storage


def _rows_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows with possibly different keys as one table (missing values null; first-seen column order). A column whose
    values have no common Arrow type (a grid axis listing a number and a string) is stored as JSON text."""
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(r))
    columns = {}
    for n in names:
        values = [r.get(n) for r in rows]
        try:
            columns[n] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[n] = pa.array([None if v is None else json.dumps(v, sort_keys=True) for v in values])
    return pa.table(columns)


def _write_part(points_dir: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    ids = ",".join(sorted(str(r["point_id"]) for r in rows))
    digest = hashlib.sha256(f"{ids}|{time.time_ns()}|{os.getpid()}".encode()).hexdigest()[:12]
    first = min(int(r["point_index"]) for r in rows)
    path = points_dir / f"part-{first:07d}-{digest}.parquet"
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(_rows_table(rows), tmp)
    tmp.replace(path)
    return path


def _parts(points_dir: Path) -> list[Path]:
    return sorted(points_dir.glob("part-*.parquet")) if points_dir.is_dir() else []


def _finished_ids(points_dir: Path) -> set[str]:
    done: set[str] = set()
    for part in _parts(points_dir):
        t = pq.read_table(part, columns=["point_id", "error"])
        for pid, err in zip(t.column("point_id").to_pylist(), t.column("error").to_pylist(), strict=True):
            if err is None:
                done.add(pid)
    return done


def _combined_rows(points_dir: Path) -> list[dict[str, Any]]:
    """Every point's row from the part files: its successful row if it has one, else its latest error row."""
    best: dict[str, dict[str, Any]] = {}
    parts = sorted(_parts(points_dir), key=lambda p: p.stat().st_mtime_ns)
    for part in parts:
        for row in pq.read_table(part).to_pylist():
            old = best.get(row["point_id"])
            if old is None or old["error"] is not None:
                best[row["point_id"]] = {k: v for k, v in row.items() if v is not None or k == "error"}
    return sorted(best.values(), key=lambda r: int(r["point_index"]))


# ----------------------------------------------------------------------------------------------------- running


#: Seconds between a pool worker's checks that the process that started it is still alive (the fallback where
#: ``PR_SET_PDEATHSIG`` is not available).
PARENT_WATCH_S = 0.5
#: Seconds a terminated pool worker gets to exit before it is killed.
TERMINATE_GRACE_S = 2.0
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent_pid: int) -> None:
    """Pool-worker initializer: never outlive the sweep that started the worker.

    On Linux the kernel sends the worker SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``, through ctypes;
    set after the fork, so a parent that died in between is caught by the check that follows). Everywhere, a daemon
    thread also checks every ``PARENT_WATCH_S`` that the parent is still the same process and ends the worker at
    once when it is not (the worker is re-parented when its parent dies, even by SIGKILL, which no handler sees).
    SIGINT is ignored: a Ctrl-C reaches the whole process group, and the sweep, not each worker, decides what to
    do with it (terminate the workers and save what is finished).
    """
    import signal
    import sys
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_WATCH_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="orbitgrid-parent-watch", daemon=True).start()


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned pool worker that starts with SIGINT ignored (the disposition survives ``exec``, and Python keeps
    an inherited ``SIG_IGN``), so a Ctrl-C that reaches the process group while the worker is still starting up
    prints no traceback from it; the sweep handles Ctrl-C (and :func:`_die_with_parent` keeps it ignored)."""

    def start(self) -> None:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            super().start()
            return
        before = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            super().start()
        finally:
            signal.signal(signal.SIGINT, before)


class _WorkerContext(multiprocessing.context.SpawnContext):
    """The ``spawn`` start method with :class:`_WorkerProcess`."""

    Process = _WorkerProcess


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """End a process pool now: terminate its workers (SIGTERM, then SIGKILL after ``TERMINATE_GRACE_S``) instead
    of waiting for the points they are evaluating, and drop what is queued."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown, which forgets them
    with contextlib.suppress(Exception):
        pool.shutdown(wait=False, cancel_futures=True)  # the pool's manager cancels what is queued
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    deadline = time.monotonic() + TERMINATE_GRACE_S
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(1.0)


class Interrupted(KeyboardInterrupt):
    """The sweep was stopped by a signal (``signum``): SIGINT, or SIGTERM turned into this by
    :func:`stop_on_signals` so that the executor is closed on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM (and SIGHUP) raise :class:`Interrupted` in the main thread instead of ending
    the process at once, so ``finally`` blocks run: :func:`open_executor` terminates the pool's workers and closes
    a dask client. Handlers someone else installed are left alone; outside the main thread this does nothing."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        raise Interrupted(signum)

    wanted = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    before = {sig: signal.getsignal(sig) for sig in wanted}
    for sig, old in before.items():
        if old in (signal.SIG_DFL, None):
            signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in before.items():
            if old in (signal.SIG_DFL, None):
                signal.signal(sig, old if old is not None else signal.SIG_DFL)


@contextlib.contextmanager
def open_executor(cluster: str | None = None, workers: int | None = None) -> Iterator[Executor]:
    """The executor a sweep runs on, closed on exit.

    ``cluster`` (else the ``ORBITGRID_CLUSTER`` environment variable): a dask.distributed scheduler address; its
    client's ``get_executor(pure=False)``, and the client is closed however the block ends (its submitted points
    are cancelled on the cluster by :func:`run_sweep`). Otherwise a local ``ProcessPoolExecutor`` of ``workers``
    processes (default: the CPU count), started with ``spawn`` (a clean interpreter: no threads or locks copied
    from the parent); ``workers=0`` runs every point in this process.

    Clean shutdown: when the block ends normally the pool finishes and joins its workers; when it ends by an
    exception (Ctrl-C, :class:`Interrupted` from :func:`stop_on_signals`, an error) the workers are terminated
    at once. Workers never outlive the process that started them, even when it is killed with SIGKILL
    (:func:`_die_with_parent`), so they and multiprocessing's resource tracker (which exits when the last of
    them does) let go of the caller's pipes.
    """
    address = cluster or os.environ.get(CLUSTER_ENV) or None
    if address:
        from distributed import Client

        client = Client(address)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
    elif workers == 0:
        yield unc.InlineExecutor()
    else:
        if workers is not None and workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_WorkerContext(),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )
        try:
            yield pool
        except BaseException:
            _terminate_workers(pool)
            raise
        else:
            pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class SweepResult:
    """What a sweep wrote: the folder, the combined table's path and the counts."""

    path: Path
    points: int
    evaluated: int
    skipped: int
    failed: int
    wall_s: float
    summary: dict[str, Any] = field(default_factory=dict)
    #: The sweep's axes (scenario paths) and its headline outputs (the plots page's, in its order).
    axes: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    @property
    def table_path(self) -> Path:
        return self.path / "sweep.parquet"

    @property
    def page_path(self) -> Path:
        return self.path / "sweep.html"

    @property
    def timings_path(self) -> Path:
        """``timings.json``: ``wall_s`` of this run, ``evaluated`` points and each point's ``eval_s`` (seconds in
        its worker, from the run that evaluated it)."""
        return self.path / TIMINGS_FILE

    def table(self) -> pa.Table:
        return pq.read_table(self.table_path)


def _evaluator_name(evaluator: Any) -> str:
    """A name for the evaluator that is the same in every process (no memory addresses)."""
    if isinstance(evaluator, functools.partial):
        args = ", ".join([*map(repr, evaluator.args), *(f"{k}={v!r}" for k, v in sorted(evaluator.keywords.items()))])
        return f"{_evaluator_name(evaluator.func)}({args})"
    name = getattr(evaluator, "__qualname__", None) or type(evaluator).__qualname__
    return f"{getattr(evaluator, '__module__', None) or type(evaluator).__module__}.{name}"


def _fingerprint(sweep: SweepFile, evaluator: Evaluator, base: Mapping[str, Any]) -> str:
    what = {"base": base, "evaluate": sweep.spec.evaluate, "evaluator": _evaluator_name(evaluator)}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _slots(executor: Executor) -> int:
    """How many tasks the executor runs at once. The sweep keeps twice that many submitted (one for the in-process
    executor, which runs a task as it is submitted), no more, so an interrupted sweep loses little evaluated work."""
    if isinstance(executor, ProcessPoolExecutor):
        return int(getattr(executor, "_max_workers", os.cpu_count() or 1))
    client = getattr(executor, "_client", None)  # dask.distributed's ClientExecutor
    if client is not None:
        with contextlib.suppress(Exception):
            return max(1, sum(client.nthreads().values()))
    return os.cpu_count() or 1


def _auto_batch(spec_batch: int | None, evaluate: str, n_todo: int) -> int:
    if spec_batch is not None:
        return spec_batch
    if evaluate == "simulate":
        return 1
    return max(1, min(500, math.ceil(n_todo / 64)))


def _stats(rows: Sequence[Mapping[str, Any]], outputs: Sequence[str]) -> dict[str, dict[str, float]]:
    """Mean, standard error and percentiles of numeric outputs over successful points (a Monte Carlo summary)."""
    ok = [r for r in rows if r.get("error") is None]
    columns = {}
    for name in outputs:
        vals = [r.get(name) for r in ok]
        if vals and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            columns[name] = np.asarray(vals, dtype=np.float64)
    res = unc.MonteCarloResult({"point": np.arange(len(ok), dtype=np.float64)}, columns, seed=0)
    return res.summary()


def _output_names(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(k for k in r if k not in RESERVED and not k.startswith(PARAM_PREFIX)))
    return list(names)


def run_sweep(
    sweep: SweepFile,
    evaluator: Evaluator,
    out_dir: str | os.PathLike[str],
    *,
    executor: Executor | None = None,
    resume: bool = True,
    batch_size: int | None = None,
    progress: SweepProgress | None = None,
    page: bool = True,
    numba_threads: int | None = None,
) -> SweepResult:
    """Run every point of ``sweep`` not already finished in ``out_dir`` and write the combined results.

    ``executor`` defaults to in-process evaluation (:class:`InlineExecutor`); see :func:`open_executor` for a
    process pool or a dask cluster. ``batch_size`` overrides the spec's (default: 1 point per task for
    ``simulate``, about 64 tasks for ``cost``). ``numba_threads``: threads for numba's parallel kernels within a
    point; default 1 on a pool or cluster (the parallelism is across points, one per core: with more, two workers
    on two cores would each start two kernel threads and contend), and numba's own default in process.
    """
    t_start = time.perf_counter()
    out = Path(out_dir)
    points_dir = out / POINTS_DIR
    base = resolved_scenario_dict(sweep.base)
    base_dir = str(sweep.base.source_dir) if sweep.base.source_dir is not None else None
    fingerprint = _fingerprint(sweep, evaluator, base)
    meta_path = out / "sweep.json"
    if resume and meta_path.is_file():
        old = json.loads(meta_path.read_text(encoding="utf-8")).get("fingerprint")
        if old is not None and old != fingerprint and _parts(points_dir):
            raise SweepError(
                f"{out} holds results of a sweep over a different base scenario or evaluation "
                f"(fingerprint {old}, now {fingerprint}); use another output folder (--out), or start afresh with "
                "--no-resume (resume=False in Python), which deletes the finished points"
            )
    if not resume:
        for part in _parts(points_dir):
            part.unlink()
    points_dir.mkdir(parents=True, exist_ok=True)
    for stale in points_dir.glob("*.tmp"):
        stale.unlink()
    points = plan_points(sweep)
    meta = {
        "name": sweep.spec.name,
        "description": sweep.spec.description,
        "source": sweep.source,
        "base": sweep.spec.base,
        "evaluate": sweep.spec.evaluate,
        "fingerprint": fingerprint,
        "points": len(points),
        "grid": sweep.spec.grid,
        "random": None if sweep.spec.random is None else sweep.spec.random.model_dump(mode="json"),
    }
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    finished = _finished_ids(points_dir)
    todo = [p for p in points if p.point_id not in finished]
    skipped = len(points) - len(todo)
    size = batch_size or _auto_batch(sweep.spec.batch_size, sweep.spec.evaluate, len(todo))
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    runner = executor if executor is not None else unc.InlineExecutor()
    done = skipped
    if progress is not None:
        progress(done, len(points))
    futures: dict[Future[list[dict[str, Any]]], list[SweepPoint]] = {}
    queue = iter(batches)
    inline = isinstance(runner, unc.InlineExecutor)
    limit = 1 if inline else 2 * _slots(runner)
    threads = numba_threads if numba_threads is not None else (None if inline else 1)
    try:
        while True:
            for batch in itertools.islice(queue, max(0, limit - len(futures))):
                payload = [(p.index, p.point_id, p.params) for p in batch]
                futures[runner.submit(run_batch, evaluator, base, base_dir, payload, threads)] = batch
            if not futures:
                break
            finished_now, _ = wait(futures, return_when=FIRST_COMPLETED)
            for fut in finished_now:
                batch = futures.pop(fut)
                try:
                    rows = fut.result()
                except Exception as exc:  # the task itself failed (worker died, result not transferable, ...)
                    rows = [
                        {
                            "point_id": p.point_id,
                            "point_index": p.index,
                            **{f"{PARAM_PREFIX}{k}": v for k, v in p.params.items()},
                            "error": f"task failed: {type(exc).__name__}: {exc}",
                        }
                        for p in batch
                    ]
                _write_part(points_dir, rows)
                done += len(rows)
                if progress is not None:
                    progress(done, len(points))
    except BaseException:
        # A process pool's queued points are dropped by whoever closes the pool (open_executor terminates its
        # workers): a future cancelled from this thread makes Python 3.11's pool manager raise InvalidStateError
        # when the workers are then terminated.
        if not isinstance(runner, ProcessPoolExecutor):
            for fut in futures:
                fut.cancel()
        raise

    rows = _combined_rows(points_dir)
    wanted = {p.point_id for p in points}
    rows = [r for r in rows if r["point_id"] in wanted]
    eval_s = {r["point_id"]: r.pop("eval_s", None) for r in rows}
    table = _rows_table(rows)
    tmp = out / "sweep.parquet.tmp"
    pq.write_table(table, tmp)
    tmp.replace(out / "sweep.parquet")
    failed = sum(1 for r in rows if r.get("error") is not None)
    outputs = _output_names(rows)
    summary: dict[str, Any] = {"points": len(rows), "failed": failed}
    if sweep.spec.random is not None and not sweep.spec.grid:
        summary["outputs"] = _stats(rows, outputs)
    meta["summary"] = summary
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    if page:
        write_sweep_page(out, sweep, rows)
    wall_s = time.perf_counter() - t_start
    timings = {"wall_s": wall_s, "evaluated": len(todo), "eval_s": eval_s}
    (out / TIMINGS_FILE).write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    plotted = tuple(_plotted_outputs(sweep, rows)[0])
    return SweepResult(out, len(points), len(todo), skipped, failed, wall_s, summary, tuple(sweep.spec.axes), plotted)


# ----------------------------------------------------------------------------------------------------- the page


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values if v is not None)


def _plotted_outputs(sweep: SweepFile, rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str], list[str]]:
    """Outputs to draw, the varying ones left out, and names in the spec's ``plot`` list that no point returned.

    Without a ``plot`` list: numeric outputs that vary across the successful points, headline results first
    (``HEADLINE`` order), leaving out run times (``*_wall_s``) and outputs that merely repeat an axis.
    """
    ok = [r for r in rows if r.get("error") is None]
    names = _output_names(ok)
    if sweep.spec.plot is not None:
        return [n for n in sweep.spec.plot if n in names], [], [n for n in sweep.spec.plot if n not in names]
    axis_columns = [[r.get(f"{PARAM_PREFIX}{a}") for r in ok] for a in sweep.spec.axes]
    varying = []
    for n in names:
        column = [r.get(n) for r in ok]
        vals = [v for v in column if v is not None]
        if not vals or not _numeric(vals) or len(set(vals)) < 2 or n.endswith("_wall_s"):
            continue
        if any(column == axis for axis in axis_columns):
            continue
        varying.append(n)

    def rank(name: str) -> int:
        return next((i for i, token in enumerate(HEADLINE) if token in name), len(HEADLINE))

    varying.sort(key=rank)  # stable: summary order within a rank
    return varying[:MAX_PLOTTED_OUTPUTS], varying[MAX_PLOTTED_OUTPUTS:], []


#: Units by how the name of a scenario path's or an output's part ends (first match wins).
_UNITS = (
    ("gpu_hours", "GPU-h"),
    ("_usd_per_gpu_hour", "$/GPU-h"),
    ("_usd_per_kg", "$/kg"),
    ("_usd_per_kwh", "$/kWh"),
    ("_usd_per_w", "$/W"),
    ("_usd_per_pflop_day", "$/PFLOP-day"),
    ("_usd_per_mmbtu", "$/MMBtu"),
    ("_usd", "$"),
    ("_per_year", "/yr"),
    ("_km", "km"),
    ("_m", "m"),
    ("_deg", "°"),
    ("_hours", "h"),
    ("_s", "s"),
    ("_mw", "MW"),
    ("_kw", "kW"),
    ("_w", "W"),
    ("_kg", "kg"),
    ("_wh", "Wh"),
    ("_years", "yr"),
    ("_gb", "GB"),
    ("_mm_al", "mm Al"),
)


def axis_title(name: str) -> str:
    """A plot title for a scenario path or an output: its words with the unit its name carries,
    ``fleet.shells.walker.orbit.altitude_km`` -> ``fleet.shells.walker.orbit.altitude (km)``, ``wait_s.p50`` ->
    ``wait.p50 (s)``, ``ratio_orbit_to_ground`` -> ``ratio orbit to ground (orbit / ground)``."""
    parts = name.split(".")
    for i in range(len(parts) - 1, -1, -1):
        for suffix, unit in _UNITS:
            if parts[i] == suffix.lstrip("_"):  # the part is the unit itself (orbit.usd_per_gpu_hour)
                if suffix.startswith("_"):
                    del parts[i]
            elif parts[i].endswith(suffix) and suffix.startswith("_"):
                parts[i] = parts[i][: -len(suffix)]
            else:
                continue
            words = ".".join(parts).replace("_", " ") or name.replace("_", " ")
            return f"{words} ({unit})"
    if name.startswith("ratio_orbit_to_ground") or name.endswith("ratio_orbit_to_ground"):
        return f"{name.replace('_', ' ')} (orbit / ground)"
    if "fraction" in name or "goodput" in name:
        return f"{name.replace('_', ' ')} (fraction)"
    return name.replace("_", " ")


def _colour(values: list[Any], title: str) -> dict[str, Any]:
    """A marker colour spec for ``values`` (numbers on a scale, categories by index) with a titled colour bar."""
    if _numeric(values):
        return {"color": values, "colorscale": "Viridis", "colorbar": {"title": {"text": title}, "thickness": 12}}
    cats = list(dict.fromkeys(str(v) for v in values))
    return {
        "color": [cats.index(str(v)) for v in values],
        "colorscale": "Viridis",
        "colorbar": {
            "title": {"text": title},
            "thickness": 12,
            "tickvals": list(range(len(cats))),
            "ticktext": cats,
        },
    }


def _parallel_figure(axes: Sequence[str], outputs: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """A parallel-coordinates figure: every point a line through the axes' values and the outputs, coloured by the
    first output (categorical axes as ordered categories)."""
    dims = []
    for name, values in [
        *((a, [r.get(f"{PARAM_PREFIX}{a}") for r in rows]) for a in axes),
        *((o, [r.get(o) for r in rows]) for o in outputs),
    ]:
        if _numeric(values):
            dims.append({"label": axis_title(name), "values": [math.nan if v is None else v for v in values]})
        else:
            cats = list(dict.fromkeys(str(v) for v in values))
            dims.append(
                {
                    "label": axis_title(name),
                    "values": [cats.index(str(v)) for v in values],
                    "tickvals": list(range(len(cats))),
                    "ticktext": cats,
                }
            )
    line: dict[str, Any] = {}
    if outputs:
        first = [r.get(outputs[0]) for r in rows]
        line = {"color": first, "colorscale": "Viridis", "showscale": True}
        line["colorbar"] = {"title": {"text": axis_title(outputs[0])}, "thickness": 12}
    fig = {
        "data": [{"type": "parcoords", "dimensions": dims, "line": line, "labelangle": -20, "labelside": "bottom"}],
        "layout": {"height": 420, "margin": {"l": 80, "r": 80, "t": 40, "b": 90}},
    }
    return json.dumps(fig, separators=(",", ":"), allow_nan=True).replace("NaN", "null").replace("</", "<\\/")


def _scatter_row(output: str, columns: Mapping[str, list[Any]], rows: Sequence[Mapping[str, Any]]) -> str:
    """A plotly figure (as a JavaScript object literal) with one scatter per axis side by side, y shared.

    Built as plain data rather than through plotly's figure objects, which cost ~70 ms per figure to validate.
    """
    n = len(columns)
    gap = 0.04 if n > 1 else 0.0
    width = (1.0 - gap * (n - 1)) / n
    ys = [r.get(output) for r in rows]
    ids = [r["point_id"] for r in rows]
    data: list[dict[str, Any]] = []
    layout: dict[str, Any] = {
        "title": {"text": axis_title(output)},
        "height": 340,
        "margin": {"l": 70, "r": 20, "t": 40, "b": 50},
        "showlegend": False,
        "yaxis": {"title": {"text": axis_title(output)}, "anchor": "x"},
    }
    names = list(columns)
    for j, (axis, xs) in enumerate(columns.items()):
        suffix = "" if j == 0 else str(j + 1)
        marker: dict[str, Any] = {"size": 6, "opacity": 0.7, "color": "#1f77b4"}
        if n > 1:  # colour each panel's points by another axis: the second one (the first on the second's panel)
            other = names[1] if j != 1 else names[0]
            marker.update(_colour(columns[other], axis_title(other)))
            if j != n - 1:
                marker.pop("colorbar")
                marker["showscale"] = False
            else:
                marker["showscale"] = True
        data.append(
            {
                "type": "scattergl" if len(rows) > WEBGL_ABOVE_POINTS else "scatter",
                "mode": "markers",
                "x": xs if _numeric(xs) else [str(x) for x in xs],
                "y": ys,
                "text": ids,
                "xaxis": f"x{suffix}",
                "yaxis": "y",
                "marker": marker,
                "hovertemplate": f"{escape(axis)}=%{{x}}<br>{escape(output)}=%{{y}}<br>point %{{text}}<extra></extra>",
            }
        )
        layout[f"xaxis{suffix}"] = {
            "domain": [j * (width + gap), j * (width + gap) + width],
            "anchor": "y",
            "title": {"text": axis_title(axis)},
        }
    return json.dumps({"data": data, "layout": layout}, separators=(",", ":")).replace("</", "<\\/")


def write_sweep_page(out_dir: Path, sweep: SweepFile, rows: Sequence[Mapping[str, Any]]) -> Path:
    """``sweep.html``: one scatter per axis against each output, offline (plotly.js inlined once)."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    ok = [r for r in rows if r.get("error") is None]
    if len(ok) > MAX_PLOTTED_POINTS:
        ok = ok[:: math.ceil(len(ok) / MAX_PLOTTED_POINTS)]
    axes = sweep.spec.axes
    outputs, left_out, unknown = _plotted_outputs(sweep, rows)
    columns = {axis: [r.get(f"{PARAM_PREFIX}{axis}") for r in ok] for axis in axes}
    figures = [
        f'<div class="plot" id="p{i}"></div><script>ogPlot("p{i}",{_scatter_row(name, columns, ok)});</script>'
        for i, name in enumerate(outputs)
    ]
    if ok and (len(axes) > 1 or outputs):  # every point at once: axes and headline outputs side by side
        par = _parallel_figure(axes, outputs[:6], ok)
        figures.insert(0, f'<div class="plot tall" id="pc"></div><script>ogPlot("pc",{par});</script>')
    template = pio.templates["plotly_white"].to_plotly_json()
    config = {"displaylogo": False, "responsive": True}
    setup = (
        f"var OG_TEMPLATE={json.dumps(template, sort_keys=True)};var OG_CONFIG={json.dumps(config, sort_keys=True)};"
        "function ogPlot(id,fig){var l=fig.layout;l.template=OG_TEMPLATE;Plotly.newPlot(id,fig.data,l,OG_CONFIG);}"
    ).replace("</", "<\\/")
    failed = [r for r in rows if r.get("error") is not None]
    notes = [
        f"{len(rows):,} points ({len(failed):,} failed), evaluate: {sweep.spec.evaluate}, base: {sweep.spec.base}.",
        "Axes: " + ", ".join(f"{a} ({axis_title(a)})" for a in axes) + ".",
        "First: every point through the axes and up to six outputs (parallel coordinates, coloured by the first "
        "output); then each output against each axis, coloured by the second axis (the first on its own panel).",
    ]
    if unknown:
        notes.append(f"plot: no point returned {', '.join(unknown)}.")
    if left_out:
        notes.append(f"Not drawn ({len(left_out)} more varying outputs): {', '.join(left_out)}.")
    if not outputs:
        notes.append("No output varies across the successful points: nothing to draw.")
    err_rows = "".join(
        f"<tr><td>{escape(str(r['point_id']))}</td><td>{escape(str(r['error']))}</td></tr>" for r in failed[:20]
    )
    errors = f"<h2>Failed points</h2><table><tr><th>point</th><th>error</th></tr>{err_rows}</table>" if failed else ""
    html = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>orbitgrid sweep: {escape(sweep.spec.name)}</title>\n"
        "<style>body{font:15px/1.45 system-ui,sans-serif;margin:0 24px 32px;color:#1d2430}"
        "h1{font-size:22px}.plot{width:100%;height:340px;margin:12px 0}.plot.tall{height:420px}"
        "p{color:#5b6577;font-size:13px}"
        "td,th{padding:3px 8px;border-bottom:1px solid #e5e8ee;text-align:left;font-size:13px}</style>\n"
        f"<script>{get_plotlyjs()}</script>\n<script>{setup}</script>\n</head>\n<body>\n"
        f"<h1>orbitgrid sweep: {escape(sweep.spec.name)}</h1>\n"
        + "".join(f"<p>{escape(n)}</p>" for n in notes)
        + "\n".join(figures)
        + errors
        + "\n</body>\n</html>\n"
    )
    path = out_dir / "sweep.html"
    tmp = path.with_name("sweep.html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
