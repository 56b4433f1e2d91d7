"""The public facade: load a scenario, change it, study its orbits, simulate it, price it, sweep it.

Everything a script or notebook needs is here; the CLI is a thin layer over these functions
(docs/python-api.md)::

    from orbitgrid.api import load_scenario, simulate
    run = simulate(load_scenario("default").replace(duration="6h"))   # in memory
    run.summary.gpu_hours.delivered, run.cost.ratio_orbit_to_ground
    run.tables.jobs.to_pandas()
    run.save("runs/default-6h")
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

# Only the scenario layer is imported eagerly (pydantic models: ~0.35 s of CPU); the pipeline (numba kernels, scipy),
# the sweep machinery, pyarrow and plotly are imported by the functions that use them, so ``import orbitgrid.api``
# stays under a second (benchmarks/startup.py).
from orbitgrid import _jit
from orbitgrid.errors import InputError
from orbitgrid.scenario import (
    Scenario,
    ScenarioError,
    list_builtin_scenarios,
    load_scenario,
    resolved_scenario_dict,
)
from orbitgrid.scenario.catalog import designs as satellite_designs
from orbitgrid.scenario.catalog import gpu_models, ground_stations, launch_vehicles

if TYPE_CHECKING:
    from orbitgrid.design.sweep import SweepError, SweepResult
    from orbitgrid.fleet.nodes import NodeTable
    from orbitgrid.pipeline.errors import ScenarioRunError
    from orbitgrid.pipeline.network import NetworkRun
    from orbitgrid.pipeline.orbit import ShellSurvey
    from orbitgrid.results import RunDirError, RunWriter
    from orbitgrid.results.records import Capacity, Cost, Summary
    from orbitgrid.results.tables import Tables

#: Names of ``__all__`` imported on first use (module ``__getattr__``, PEP 562): name -> module.
_LAZY = {
    "RunDirError": "orbitgrid.results",  # a run folder that cannot be written or read as asked
    "ScenarioRunError": "orbitgrid.pipeline.errors",  # a valid scenario this build cannot run
    "SweepError": "orbitgrid.design.sweep",
    "SweepResult": "orbitgrid.design.sweep",
    "evaluate_cost": "orbitgrid.pipeline.economics",
}


def __getattr__(name: str) -> Any:
    if name == "SWEEP_EVALUATORS":
        return _sweep_evaluators()
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "OrbitStudy",
    "Report",
    "Run",
    "RunDirError",
    "Scenario",
    "ScenarioError",
    "ScenarioRunError",
    "SweepError",
    "SweepResult",
    "cost",
    "design_fleet",
    "evaluate_simulate",
    "gpu_models",
    "ground_stations",
    "launch_vehicles",
    "list_builtin_scenarios",
    "load_scenario",
    "orbit",
    "satellite_designs",
    "simulate",
    "sweep",
]

Progress = Callable[[str, float, float], None]
T = TypeVar("T")


@dataclass(frozen=True)
class OrbitStudy:
    """Per-shell orbit and illumination statistics and the surveys behind them."""

    scenario: Scenario
    shells: list[ShellSurvey]

    @cached_property
    def _summaries(self) -> dict[str, dict[str, Any]]:
        return {s.orbits.name: s.summary() for s in self.shells}

    def shell_summaries(self) -> dict[str, dict[str, Any]]:
        return self._summaries

    def fleet_summary(self) -> dict[str, Any]:
        sats = np.array([s.orbits.satellites for s in self.shells], dtype=np.float64)
        summaries = list(self._summaries.values())
        frac = np.array([float(x["sunlit_fraction_mean"]) for x in summaries])
        ok = np.isfinite(frac)
        return {
            "satellites": int(sats.sum()),
            "shells": len(self.shells),
            "sunlit_fraction_mean": float(np.average(frac[ok], weights=sats[ok])) if ok.any() else None,
            "eclipses_total": int(sum(int(x["eclipses_total"]) for x in summaries)),
            "satellites_lost": int(sum(int(x.get("satellites_lost", 0)) for x in summaries)),
        }

    def passage_parts(self) -> Iterator[dict[str, np.ndarray | str]]:
        """The passage table one shell at a time (column ``shell`` holds the shell's name)."""
        for s in self.shells:
            yield {"shell": s.orbits.name, **s.passage_columns()}

    def write(self, writer: RunWriter) -> None:
        writer.json(
            "orbit.json",
            {
                "scenario": self.scenario.name,
                "epoch": self.scenario.epoch.isoformat(),
                "duration_s": self.scenario.duration_s,
                "step_s": self.scenario.step_s,
                "shells": self.shell_summaries(),
                "fleet": self.fleet_summary(),
            },
        )
        names = [s.orbits.name for s in self.shells]
        writer.table_stream("eclipses.parquet", self.passage_parts(), labels={"shell": names})


def cost(
    scenario: Scenario | None = None,
    run_dir: str | Path | None = None,
    monte_carlo: int | None = None,
    seed: int | None = None,
    uncertainty: bool = True,
) -> dict[str, Any]:
    """Price the scenario's orbital fleet against the same GPUs on the ground (its ``economics`` section); returns
    the ``cost.json`` document. With ``run_dir`` (a finished ``simulate`` run) the run's scenario is used unless one
    is given, and the run's simulated delivered GPU-hours replace the nominal ones. The ``uncertainty`` block follows
    ``economics.uncertainty``; ``monte_carlo`` (draws, 0: none) and ``seed`` override its values, and
    ``uncertainty=False`` leaves the block out."""
    from orbitgrid.results.run import read_run_json

    summary = None
    if run_dir is not None:
        run = Path(run_dir)
        for name in ("summary.json", "manifest.json"):
            if not (run / name).is_file():
                raise FileNotFoundError(f"{run}: no {name}; is it a run directory written by `orbitgrid simulate`?")
        summary = read_run_json(run / "summary.json")
        if scenario is None:
            scenario = _manifest_scenario(read_run_json(run / "manifest.json"), run, str(run))
        else:
            _same_fleet(scenario, read_run_json(run / "manifest.json"), run)
    if scenario is None:
        raise ValueError("give a scenario or a run directory")
    return _cost_document(scenario, summary, monte_carlo=monte_carlo, seed=seed, uncertainty=uncertainty)


def _same_fleet(scenario: Scenario, manifest: dict[str, Any], run: Path) -> None:
    """An ``InputError`` when ``scenario``'s fleet (shells and ground sites) is not the one the run simulated: the
    run's delivered fractions of installed GPU-hours belong to its own fleet (another fleet flies other orbits, other
    eclipses and radiation). A run whose scenario no longer loads (a file it names has moved) is not compared."""
    try:
        ran = _manifest_scenario(manifest, run, str(run))
    except InputError:
        return
    mine, theirs = scenario.fleet.model_dump(mode="json"), ran.fleet.model_dump(mode="json")

    def designs(sc: Scenario) -> dict[str, Any]:  # the satellite designs the shells fly, by name
        return {shell.design: sc.design_for(shell).model_dump(mode="json") for shell in sc.fleet.shells}

    my_designs, their_designs = designs(scenario), designs(ran)
    if mine == theirs and my_designs == their_designs:
        return

    def names(fleet: dict[str, Any]) -> str:
        parts = [f"shell {x['name']}" for x in fleet.get("shells") or []]
        parts += [f"site {x['name']}" for x in fleet.get("ground_sites") or []]
        return ", ".join(parts) or "nothing"

    differ = [f"fleet.{k}" for k in sorted(set(mine) | set(theirs)) if mine.get(k) != theirs.get(k)]
    differ += [
        f"designs.{k}"
        for k in sorted(set(my_designs) | set(their_designs))
        if k in my_designs and k in their_designs and my_designs[k] != their_designs[k]
    ]
    raise InputError(
        f"{run}: the run simulated another fleet than scenario {scenario.name!r} ({', '.join(differ)} "
        f"differ; the run flew {names(theirs)}; the scenario has {names(mine)}): the run's delivered GPU-hours price "
        "only its own fleet. Omit the scenario to price the run's own, or simulate this one first."
    )


#: Most Monte Carlo draws of the cost written with a simulate run (priced as one batch, ~25 us a draw on the default
#: scenario, docs/economics.md "Time"); ``orbitgrid cost --run RUN --monte-carlo N`` draws more.
SIMULATE_MONTE_CARLO_DRAWS = 1000


def _cost_document(
    scenario: Scenario,
    summary: dict[str, Any] | None,
    *,
    monte_carlo: int | None = None,
    seed: int | None = None,
    uncertainty: bool = True,
    max_draws: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """cost.json: the scenario priced (with a run's simulated GPU-hours when ``summary`` is given) and, unless
    ``economics.uncertainty`` is null or ``uncertainty`` false, its uncertainty block (``pipeline.cost_uncertainty``;
    draws: ``monte_carlo`` else the block's, at most ``max_draws``; seed: ``seed``, else the block's, else the
    scenario's)."""
    from orbitgrid.pipeline.cost_uncertainty import uncertainty_block
    from orbitgrid.pipeline.economics import scenario_cost

    spec = scenario.economics.uncertainty if uncertainty else None
    n = 0
    if spec is not None:
        n = spec.monte_carlo if monte_carlo is None else monte_carlo
        n = n if max_draws is None else min(n, max_draws)
    steps = 1 + (0 if spec is None else -(-n // 100) + 1)  # pricing, Monte Carlo chunks, tornado and break-even

    def tick(done: int) -> None:
        if progress is not None:
            progress("cost", done, steps)

    tick(0)
    sc = scenario_cost(scenario, summary)
    doc = sc.to_dict()
    doc["label"] = scenario.name
    if summary is not None:  # the same fleet at the economics section's nominal availability x utilization
        doc["nominal"] = _nominal_cost_block(scenario_cost(scenario).to_dict())
    tick(1)
    if spec is not None:
        s = seed if seed is not None else spec.seed if spec.seed is not None else scenario.seed
        draws = None if progress is None else lambda d, _n: tick(1 + -(-d // 100))
        doc["uncertainty"] = uncertainty_block(sc, spec, n=n, seed=s, progress=draws)
        tick(steps)
    return doc


def _nominal_cost_block(nominal: dict[str, Any]) -> dict[str, Any]:
    """cost.json's ``nominal`` block of a run: $/GPU-hour in orbit and on the ground and their ratio when the
    GPU-hours are the nominal ones (``economics.availability`` x ``economics.utilization``) instead of the run's
    delivered ones, from the cost document of the same scenario without a run."""
    o, g = nominal["orbit"], nominal["ground"]
    return {
        "orbit_usd_per_gpu_hour": o["usd_per_gpu_hour"],
        "ground_usd_per_gpu_hour": g["usd_per_gpu_hour"],
        "ratio_orbit_to_ground": nominal["ratio_orbit_to_ground"],
        "orbit_gpu_hours_delivered": o["gpu_hours_delivered"],
        "ground_gpu_hours_delivered": g["gpu_hours_delivered"],
        "gpu_hours_source": o["gpu_hours_source"],
    }


def design_fleet(power_w: float, **kwargs: Any) -> Any:
    """Size a fleet for ``power_w`` of compute and price it (``design.size.size_fleet``; same keyword arguments):
    satellite count, per-satellite design and mass budget, launches, and cost against the ground."""
    from orbitgrid.design.size import size_fleet

    return size_fleet(power_w, **kwargs)


def orbit(scenario: Scenario, *, progress: Progress | None = None, force: bool = False) -> OrbitStudy:
    """Propagate every shell over the scenario's time grid and survey sunlight and shadow. Raises
    ``ResourceLimitError`` before any work when the pre-flight estimate exceeds this machine's memory, unless
    ``force``."""
    from orbitgrid.pipeline import preflight
    from orbitgrid.pipeline.orbit import survey_shells

    preflight.check(scenario, "orbit", force=force)

    def each_shell(shell: str, done: int, total: int) -> None:
        if progress is not None:
            progress(f"orbit {shell}", done, total)

    with _jit.using(preflight.kernel_mode(scenario)):  # as simulate would run this scenario's kernels
        return OrbitStudy(scenario, survey_shells(scenario, progress=each_shell))


class Report:
    """A rendered ``report.html``: ``html`` holds the page (self-contained, offline); a notebook shows it inline
    (``_repr_html_``, in a frame); :meth:`save` writes it."""

    def __init__(self, html: str) -> None:
        self.html = html

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (a file, or a folder to write ``report.html`` into); returns the file."""
        from orbitgrid.report import REPORT_NAME

        p = Path(path)
        if p.is_dir():
            p = p / REPORT_NAME
        p.write_text(self.html, encoding="utf-8")
        return p

    def _repr_html_(self) -> str:
        from html import escape

        return f'<iframe srcdoc="{escape(self.html)}" style="width:100%;height:900px;border:0"></iframe>'

    def __repr__(self) -> str:
        return f"Report({len(self.html):,} characters)"


class Run:
    """The results of one simulation, in memory or in a run directory.

    ``simulate(scenario)`` returns one held in memory (nothing written); ``simulate(scenario, folder)`` and
    :meth:`load` one whose files are in a folder (``path``). Either way:

    - ``summary`` (:class:`~orbitgrid.results.records.Summary`), ``capacity``
      (:class:`~orbitgrid.results.records.Capacity`) and ``cost`` (:class:`~orbitgrid.results.records.Cost`, None
      when the run priced nothing): typed views of ``summary.json`` and ``cost.json``, units in the field names;
    - ``tables``: every Parquet table as a ``pyarrow.Table`` (``run.tables.jobs.to_pandas()``), read on first use;
    - ``documents``: the JSON documents as written (``documents["summary.json"]``), ``manifest``, ``timings``;
    - :meth:`save` writes the run directory ``orbitgrid simulate`` writes (the same bytes, ``timings.json`` apart),
      :meth:`report` renders the HTML report.
    """

    def __init__(
        self,
        *,
        path: Path | None = None,
        files: dict[str, bytes] | None = None,
        timings: dict[str, Any] | None = None,
        scenario: Scenario | None = None,
    ) -> None:
        if (path is None) == (files is None):
            raise ValueError("a run is either in a folder (path) or in memory (files)")
        #: The run directory holding this run's files; None for a run held in memory.
        self.path = path
        self._files = files
        self._timings = timings
        self._scenario = scenario
        self._documents: dict[str, Any] = {}

    @classmethod
    def load(cls, path: str | Path) -> Run:
        """The run in the folder ``path`` (written by ``orbitgrid simulate``, :func:`simulate` or :meth:`save`);
        :class:`~orbitgrid.results.RunDirError` when it is not a complete run (interrupted, or no run at all)."""
        from orbitgrid.results import require_complete

        return cls(path=require_complete(path))

    # -- files ---------------------------------------------------------------------------------------------

    @property
    def files(self) -> list[str]:
        """The names of the run's files, sorted (``report.html`` only once written; ``timings.json`` apart)."""
        if self._files is not None:
            return sorted(self._files)
        assert self.path is not None
        return sorted(p.name for p in self.path.iterdir() if p.is_file() and p.name != TIMINGS_FILE)

    def read_bytes(self, name: str) -> bytes:
        """The bytes of the file ``name`` of the run (``summary.json``, ``jobs.parquet``, ...)."""
        if self._files is not None:
            if name not in self._files:
                raise KeyError(f"this run has no {name}; its files: {', '.join(sorted(self._files))}")
            return self._files[name]
        assert self.path is not None
        if not (self.path / name).is_file():
            raise KeyError(f"{self.path} has no {name}")
        return (self.path / name).read_bytes()

    @property
    def documents(self) -> dict[str, Any]:
        """Every JSON document of the run by file name (``summary.json``, ``manifest.json``, ``orbit.json``,
        ``cost.json``), as written."""
        import json

        for name in self.files:
            if name.endswith(".json") and name not in self._documents:
                try:
                    self._documents[name] = json.loads(self.read_bytes(name))
                except ValueError as exc:
                    where = name if self.path is None else str(self.path / name)
                    raise InputError(f"{where}: not valid JSON ({exc})") from None
        return self._documents

    @property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: the command, the resolved scenario, the seed, versions, approximations, the scenario's
        warnings, status."""
        return dict(self.documents["manifest.json"])

    @property
    def timings(self) -> dict[str, Any]:
        """Wall and CPU seconds of each stage (``timings.json``; empty when the folder has none)."""
        if self._timings is None:
            from orbitgrid.results.run import read_run_json

            assert self.path is not None
            t = self.path / TIMINGS_FILE
            self._timings = read_run_json(t) if t.is_file() else {}
        return dict(self._timings)

    @property
    def scenario(self) -> Scenario:
        """The scenario that ran (rebuilt from the manifest for a loaded run)."""
        if self._scenario is None:
            where = str(self.path) if self.path is not None else "<run>"
            self._scenario = _manifest_scenario(self.manifest, self.path, where)
        return self._scenario

    # -- typed results -------------------------------------------------------------------------------------

    @cached_property
    def summary(self) -> Summary:
        """The headline results (``summary.json`` without its ``capacity`` block), typed."""
        from orbitgrid.results.records import Summary, from_document

        doc = {k: v for k, v in self.documents["summary.json"].items() if k != "capacity"}
        return self._typed("summary.json", lambda: from_document(Summary, doc))

    @cached_property
    def capacity(self) -> Capacity:
        """Capacity per shell and ground site (``summary.json`` ``capacity``), typed."""
        from orbitgrid.results.records import Capacity, from_document

        summary = self.documents["summary.json"]
        return self._typed("summary.json", lambda: from_document(Capacity, summary.get("capacity"), "capacity"))

    @cached_property
    def cost(self) -> Cost | None:
        """Orbit against ground (``cost.json``), typed; None when the run wrote no cost.json (no orbital fleet,
        nothing to price: ``summary.cost_note`` says why, or ``cost=False``)."""
        from orbitgrid.results.records import Cost, from_document

        doc = self.documents.get("cost.json")
        return None if doc is None else self._typed("cost.json", lambda: from_document(Cost, doc))

    def _typed(self, name: str, build: Callable[[], T]) -> T:
        """A typed view, or an ``InputError`` naming the file and the key that does not fit (a damaged file, or
        one written by an orbitgrid whose documents lacked a key this one requires)."""
        try:
            return build()
        except (ValueError, TypeError, AttributeError) as exc:
            where = name if self.path is None else str(self.path / name)
            raise InputError(f"{where}: {exc} (a damaged file, or one an older orbitgrid wrote)") from None

    @cached_property
    def tables(self) -> Tables:
        """Every Parquet table of the run (:class:`~orbitgrid.results.tables.Tables`), read on first use."""
        from orbitgrid.results.tables import Tables

        names = [n.removesuffix(".parquet") for n in self.files if n.endswith(".parquet")]
        return Tables(names, self._read_table)

    def _read_table(self, name: str) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._files is not None:
            return pq.read_table(pa.BufferReader(self._files[f"{name}.parquet"]))
        assert self.path is not None
        return pq.read_table(self.path / f"{name}.parquet", memory_map=True)

    # -- writing -------------------------------------------------------------------------------------------

    def _put_files(self, writer: RunWriter) -> None:
        """Every file of this run but the report and timings into ``writer`` (the manifest restored as running)."""
        writer.restore_manifest(self.manifest)
        for name in self.files:
            if name not in ("manifest.json", TIMINGS_FILE, _report_name()):
                writer.put(name, self.read_bytes(name))

    def save(
        self,
        path: str | Path,
        *,
        overwrite: bool = False,
        report: bool = True,
        progress: Progress | None = None,
    ) -> Path:
        """Write this run as the run directory ``path``, exactly as ``orbitgrid simulate`` writes it (the same
        writer: staged beside ``path`` and renamed into place when complete; ``overwrite`` replaces an earlier
        run there whole; ``report.html`` unless ``report`` is false; ``timings.json`` with the report's time
        added). Returns the folder."""
        from orbitgrid.results import RunWriter

        writer = RunWriter.staged(path, overwrite=overwrite)
        try:
            self._put_files(writer)
            _finish(writer, _Stopwatch(self.timings), report=report, progress=progress)
            return writer.commit()
        except BaseException:
            writer.abort()
            raise

    def report(self, path: str | Path | None = None, *, progress: Progress | None = None) -> Report:
        """Render the HTML report of this run (the page ``orbitgrid report`` writes); with ``path``, also write it
        there (a file, or a folder to hold ``report.html``)."""
        from orbitgrid.report import render_report
        from orbitgrid.results import RunWriter

        def sections(done: float, total: float) -> None:
            if progress is not None:
                progress("report", done, total)

        if self.path is not None:
            page = Report(render_report(self.path, progress=sections))
        else:
            with tempfile.TemporaryDirectory(prefix="orbitgrid-report-") as tmp:
                writer = RunWriter(Path(tmp) / "run")
                self._put_files(writer)
                page = Report(render_report(writer.path, progress=sections))
        if path is not None:
            page.save(path)
        return page

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else "in memory"
        return f"Run({self.summary.scenario!r}, {where}, tables: {', '.join(self.tables.names)})"

    def _repr_html_(self) -> str:
        """The headline numbers as a small table, for a notebook (``report()`` has the full page)."""
        from html import escape

        s, k = self.summary, self.cost

        def num(x: float | None, spec: str = ",.1f") -> str:
            return "–" if x is None else format(x, spec)

        sites = len(self.capacity.ground_sites)
        rows = [
            ("scenario", f"{s.scenario} ({'in memory' if self.path is None else self.path})"),
            ("span", f"{s.epoch:%Y-%m-%d %H:%M} UTC, {s.duration_s / 3600:g} h at {s.step_s:g} s"),
            ("fleet", f"{s.fleet.satellites:,} satellites in {s.fleet.shells} shells, {sites} ground sites"),
            ("GPU-hours deliverable", num(self.capacity.gpu_hours_deliverable)),
        ]
        if s.jobs is not None and s.gpu_hours is not None:
            rows.append(("jobs completed", f"{s.jobs.completed:,} of {s.jobs.submitted:,}"))
            rows.append(("GPU-hours delivered", num(s.gpu_hours.delivered)))
            rows.append(("goodput", num(s.goodput, ".3f")))
        if k is not None:
            rows.append(
                (
                    "orbit / ground $ per GPU-hour",
                    f"{num(k.ratio_orbit_to_ground, ',.2f')} ({k.orbit.gpu_hours_source})",
                )
            )
            if k.nominal is not None:
                rows.append(("at nominal GPU-hours", num(k.nominal.ratio_orbit_to_ground, ",.2f")))
        rows.append(("tables", ", ".join(self.tables.names)))
        body = "".join(f"<tr><th style='text-align:left'>{escape(a)}</th><td>{escape(b)}</td></tr>" for a, b in rows)
        return f"<table>{body}</table>"


def _report_name() -> str:
    from orbitgrid.report import REPORT_NAME

    return REPORT_NAME


def _manifest_scenario(manifest: dict[str, Any], base_dir: Path | None, where: str) -> Scenario:
    """The scenario a run's manifest records (resolved: it loads to the same scenario), or an ``InputError``."""
    import json

    from orbitgrid.scenario.loader import load_scenario_text

    if not isinstance(manifest.get("scenario"), dict):
        raise InputError(f"{where}: manifest.json has no scenario mapping; is it a run directory?")
    return load_scenario_text(json.dumps(manifest["scenario"]), base_dir=base_dir, source=where)


#: The file of a run directory holding wall-clock times; every other file is the same bytes for the same inputs.
TIMINGS_FILE = "timings.json"


class _Stopwatch:
    """Wall and CPU time (this process, every thread) of each stage of a run, in the order the stages ran (written
    to ``timings.json``: ``stages_s`` wall, ``stages_cpu_s`` CPU; on a shared machine CPU time is the steadier).
    Given the timings of a run simulated earlier (a run saved later), it goes on from them."""

    def __init__(self, earlier: dict[str, Any] | None = None) -> None:
        earlier = earlier or {}
        self.t0 = time.perf_counter() - float(earlier.get("total_s", 0.0))
        self.c0 = time.process_time() - float(earlier.get("total_cpu_s", 0.0))
        self.last, self.last_cpu = time.perf_counter(), time.process_time()
        self.stages: dict[str, float] = dict(earlier.get("stages_s", {}))
        self.cpu: dict[str, float] = dict(earlier.get("stages_cpu_s", {}))
        self.extra: dict[str, float] = {
            k: v for k, v in earlier.items() if k not in ("stages_s", "stages_cpu_s", "total_s", "total_cpu_s")
        }

    def lap(self, stage: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.stages[stage] = self.stages.get(stage, 0.0) + (now - self.last)
        self.cpu[stage] = self.cpu.get(stage, 0.0) + (cpu - self.last_cpu)
        self.last, self.last_cpu = now, cpu

    def document(self) -> dict[str, Any]:
        return {
            "stages_s": dict(self.stages),
            "stages_cpu_s": dict(self.cpu),
            **self.extra,
            "total_s": time.perf_counter() - self.t0,
            "total_cpu_s": time.process_time() - self.c0,
        }


def simulate(
    scenario: Scenario,
    out_dir: str | Path | None = None,
    *,
    progress: Progress | None = None,
    command: str = "simulate",
    report: bool = True,
    cost: bool = True,
    force: bool = False,
    overwrite: bool = False,
) -> Run:
    """Simulate ``scenario`` and return the :class:`Run`: in memory when ``out_dir`` is None (nothing is written;
    :meth:`Run.save` writes the run directory later, :meth:`Run.report` renders the report), else written to the
    run directory ``out_dir`` (``manifest.json``, ``summary.json``, tables, ``report.html`` unless ``report`` is
    false: a run in memory renders it in :meth:`Run.save` and :meth:`Run.report` instead; ``cost.json`` with its
    uncertainty block and ``lifetime.json``, the orbital-lifetime table of its shells, unless ``cost`` is false).
    Wall times go to ``timings.json``
    only, so every other file is byte-identical between two runs of the same scenario (docs/design.md,
    determinism), and a run saved later is the same bytes as one written directly. ``command`` is recorded in the
    manifest. Before any work or file, the pre-flight estimate (``pipeline.preflight``) refuses with
    ``ResourceLimitError`` a run that needs more memory than this machine has available, unless ``force``.

    The run directory is written to a staging folder beside ``out_dir`` and renamed into place once every file is
    written, with ``status: complete`` in its manifest (``results.RunWriter.staged``): an existing ``out_dir``
    must be empty, or an orbitgrid run and ``overwrite`` true (it is then replaced whole); a run that stops early
    (an exception, Ctrl-C) removes its staging folder and leaves ``out_dir`` as it was (``results.RunDirError``
    otherwise).

    ``progress(stage, done, total)`` is called as each stage advances (``orbit <shell>``: orbits propagated;
    ``capacity``: shells and sites; ``nodes``; ``links``: steps; ``contacts``; ``workload``; ``schedule``: simulated
    seconds; ``flows``; ``network``; ``cost``: steps of pricing, Monte Carlo chunks of 100 draws, tornado and
    break-even; ``report``: sections); a stage is finished when ``done >= total``."""
    from orbitgrid.pipeline import preflight
    from orbitgrid.results import RunWriter

    preflight.check(scenario, "simulate", force=force)
    kernels = preflight.kernel_mode(scenario)
    if out_dir is None:
        writer = RunWriter.in_memory()
        watch = _Stopwatch()
        with _jit.using(kernels):
            _simulate_into(writer, scenario, progress, command, watch, cost=cost)
        return Run(files=writer.files(), timings=watch.document(), scenario=scenario)
    writer = RunWriter.staged(out_dir, overwrite=overwrite)
    try:
        watch = _Stopwatch()
        with _jit.using(kernels):
            _simulate_into(writer, scenario, progress, command, watch, cost=cost)
        timings = _finish(writer, watch, report=report, progress=progress)
        path = writer.commit()
    except BaseException:
        writer.abort()
        raise
    return Run(path=path, timings=timings, scenario=scenario)


def _finish(writer: RunWriter, watch: _Stopwatch, *, report: bool, progress: Progress | None) -> dict[str, Any]:
    """The last files of a run directory, after every other is in ``writer``: ``report.html`` (rendered from the
    folder's files) and ``timings.json``; returns the timings. Both a direct run and :meth:`Run.save` end here."""
    if report:
        from orbitgrid.report import write_report

        def sections(done: float, total: float) -> None:
            if progress is not None:
                progress("report", done, total)

        write_report(writer.path, progress=sections)
        watch.lap("report")
    timings = watch.document()
    writer.json(TIMINGS_FILE, timings)
    return timings


def _simulate_into(
    writer: RunWriter,
    scenario: Scenario,
    progress: Progress | None,
    command: str,
    watch: _Stopwatch,
    *,
    cost: bool,
) -> None:
    """Every file of a run but the report and timings into ``writer`` (:func:`_finish` writes those)."""
    from orbitgrid.pipeline.capacity import (
        ground_capacities,
        radiation_approximations,
        shell_capacity,
        step_sun_distance_m,
        write_capacity_tables,
    )
    from orbitgrid.pipeline.nodes import build_fleet_timeline, pool_of_track, sample_columns
    from orbitgrid.pipeline.schedule import run_schedule, schedule_summary, write_schedule_tables
    from orbitgrid.scenario.sections.traces import trace_reports

    def tick(stage: str, done: float, total: float) -> None:
        if progress is not None:
            progress(stage, done, total)

    def run_network(nodes: NodeTable | None = None) -> NetworkRun | None:
        """The link stage; its modules (~0.1 s to import) load only for a scenario with a network."""
        if scenario.network is None:
            return None
        from orbitgrid.pipeline.network import run_network

        return run_network(scenario, study.shells, nodes, progress=progress)

    resolved = resolved_scenario_dict(scenario)
    traces = trace_reports(scenario)
    warnings = [str(w) for w in scenario.warnings]
    kernels = _jit.mode()
    writer.manifest(
        command=command, scenario=resolved, seed=scenario.seed, traces=traces, warnings=warnings, kernels=kernels
    )
    study = orbit(scenario, progress=progress, force=True)  # checked above, for the whole run
    study.write(writer)
    watch.lap("orbit")
    n_cap = len(study.shells) + 2  # each shell, the ground sites, the tables
    tick("capacity", 0, n_cap)
    sun_distance = step_sun_distance_m(scenario.time_grid())
    shells = []
    for s in study.shells:
        pools = pool_of_track(scenario, s) if scenario.workloads else None
        shells.append(
            shell_capacity(scenario, s, sun_distance, track_usable=bool(scenario.workloads), pool_of_track=pools)
        )
        tick("capacity", len(shells), n_cap)
    sites = ground_capacities(scenario)
    tick("capacity", n_cap - 1, n_cap)
    write_capacity_tables(writer, shells, sites)
    approximations = radiation_approximations(scenario, shells)
    if approximations:
        writer.manifest(
            command=command,
            scenario=resolved,
            seed=scenario.seed,
            approximations=approximations,
            traces=traces,
            warnings=warnings,
            kernels=kernels,
        )
    summary = {
        "scenario": scenario.name,
        "epoch": scenario.epoch.isoformat(),
        "duration_s": scenario.duration_s,
        "step_s": scenario.step_s,
        "seed": scenario.seed,
        "fleet": study.fleet_summary(),
        "shells": study.shell_summaries(),
        "capacity": {
            "shells": {c.name: c.summary() for c in shells},
            "ground_sites": {g.spec.name: g.totals() for g in sites},
        },
        "approximations": approximations,
        "warnings": warnings,
    }
    if study.shells:
        writer.table("samples", sample_columns(scenario, study.shells))
    tick("capacity", n_cap, n_cap)
    watch.lap("capacity")
    flows = None
    if scenario.workloads:
        tick("nodes", 0, 1)
        nodes = build_fleet_timeline(scenario, study.shells, shells, sites)
        tick("nodes", 1, 1)
        watch.lap("nodes")
        net = run_network(nodes.timeline.nodes)
        watch.lap("network")
        timeline = nodes.timeline if net is None else net.attach(nodes.timeline)
        if scenario.policy.partition == "group":  # shells and sites as tasks of a process pool or dask cluster
            from orbitgrid.design.sweep import open_executor

            with open_executor() as executor:
                schedule = run_schedule(scenario, timeline, progress=tick, executor=executor)
        else:
            schedule = run_schedule(scenario, timeline, progress=tick)
        assert schedule is not None
        watch.lap("schedule")
        watch.extra["engine_s"] = schedule.wall_s  # the event loop alone (the schedule stage adds the workload)
        write_schedule_tables(writer, schedule)
        summary.update(schedule_summary(schedule))
        if net is not None:
            from orbitgrid.pipeline.network import simulate_data_flows

            tick("flows", 0, 1)
            flows = simulate_data_flows(net, timeline, schedule)
            tick("flows", 1, 1)
        watch.lap("flows")
    else:
        net = run_network()
        watch.lap("network")
    if net is not None:
        from orbitgrid.pipeline.network import write_network

        tick("network", 0, 1)
        summary["network"] = write_network(writer, net, scenario, flows)
        tick("network", 1, 1)
        watch.lap("network")
    writer.json("summary.json", summary)
    if cost and study.shells:  # every run with an orbital fleet prices itself from its simulated GPU-hours
        from orbitgrid.pipeline.economics import CostInputError

        try:
            doc = _cost_document(scenario, summary, max_draws=SIMULATE_MONTE_CARLO_DRAWS, progress=tick)
            writer.json("cost.json", doc)
        except CostInputError as why:  # e.g. a fleet of element sets with no design to price
            summary["cost_note"] = f"no cost.json: {why}"
            writer.json("summary.json", summary)
            tick("cost", 1, 1)
        watch.lap("cost")
    if cost and scenario.fleet.shells:  # a full run also answers how long its shells stay up (the report's table)
        from orbitgrid.pipeline.lifetime import LIFETIME_FILE, lifetime_document

        tick("lifetime", 0, 1)
        writer.json(LIFETIME_FILE, lifetime_document(scenario))
        tick("lifetime", 1, 1)
        watch.lap("lifetime")


def evaluate_simulate(scenario: Scenario) -> dict[str, Any]:
    """Sweep evaluator ``simulate``: a full simulation in memory with cost.json off (the point's summary is what the
    sweep keeps); returns ``summary.json`` flattened to dotted keys (``jobs.completed``, ``wait_s.p50``)."""
    from orbitgrid.design.sweep import flatten_outputs

    run = simulate(scenario, cost=False, command="orbitgrid sweep")
    return flatten_outputs(run.documents["summary.json"])


def _sweep_evaluators() -> dict[str, Callable[[Scenario], Any]]:
    """Sweep evaluators by the sweep file's ``evaluate`` value (top-level functions: picklable for processes and
    dask), also as ``SWEEP_EVALUATORS``. ``cost``: the cost model on the point's scenario with nominal GPU-hours
    (``pipeline.economics.evaluate_cost``)."""
    from orbitgrid.pipeline.economics import evaluate_cost

    return {"simulate": evaluate_simulate, "cost": evaluate_cost}


def sweep(
    source: str | os.PathLike[str],
    out_dir: str | Path | None = None,
    *,
    cluster: str | None = None,
    workers: int | None = None,
    resume: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run a sweep file: every point through a local process pool (``workers`` processes; 0 runs in this process)
    or, given ``cluster`` or ``ORBITGRID_CLUSTER``, a dask.distributed scheduler. Writes ``points/``,
    ``sweep.parquet``, ``sweep.json`` and ``sweep.html`` under ``out_dir`` (default ``sweeps/<name>``); an
    interrupted sweep resumes where it stopped. Raises :class:`ScenarioError` for a bad sweep file. SIGTERM and
    SIGHUP (unless a handler is installed) and Ctrl-C stop it cleanly: the pool's workers are terminated, finished
    points stay saved, and ``design.sweep.Interrupted`` (a ``KeyboardInterrupt``) is raised with the signal."""
    from orbitgrid.design.sweep import SweepError, open_executor, run_sweep, stop_on_signals
    from orbitgrid.scenario.sweep import load_sweep

    spec = load_sweep(source)
    evaluators = _sweep_evaluators()
    evaluator = evaluators.get(spec.spec.evaluate)
    if evaluator is None:
        raise SweepError(f"evaluate: {spec.spec.evaluate!r} is not available; available: {', '.join(evaluators)}")
    out = Path(out_dir) if out_dir is not None else Path("sweeps") / spec.spec.name
    with stop_on_signals(), open_executor(cluster, workers) as executor:
        return run_sweep(spec, evaluator, out, executor=executor, resume=resume, progress=progress)
