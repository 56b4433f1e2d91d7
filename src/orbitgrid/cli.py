"""The ``orbitgrid`` command line: a few lines per command over ``orbitgrid.api``.

Heavy modules (numpy, numba, pydantic, the engine) are imported inside the commands so ``orbitgrid --help``
answers at once.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import click
import typer
import typer.core
from rich.table import Table

from orbitgrid.console import make_console
from orbitgrid.errors import OrbitgridError, ResourceLimitError

if TYPE_CHECKING:
    from orbitgrid.scenario import Scenario

#: Exit status of a bad input or a run this machine cannot do (an ``OrbitgridError``).
EXIT_INPUT = 2
#: Exit status of an unexpected exception: a bug in orbitgrid (EX_SOFTWARE of BSD's sysexits.h).
EXIT_BUG = 70
BUG_REPORT = (
    "this is a bug in orbitgrid, not a problem with your input: please report it with the scenario (and the files it "
    "names) attached and the command you ran"
)


# Exceptions the command line handles itself (usage errors, typer.Exit); typer >= 0.20 carries its own copy of click.
_PASS_THROUGH: tuple[type[BaseException], ...] = (
    typer.Exit,
    typer.Abort,
    click.exceptions.Exit,
    click.exceptions.Abort,
    click.ClickException,
    KeyboardInterrupt,
)
try:
    from typer._click import exceptions as _typer_click_exceptions

    _PASS_THROUGH += tuple(
        getattr(_typer_click_exceptions, name)
        for name in ("ClickException", "Exit", "Abort")
        if hasattr(_typer_click_exceptions, name)
    )
except ImportError:  # a typer that uses click itself
    pass


class _OrbitgridGroup(typer.core.TyperGroup):
    """The top-level command group: every ``OrbitgridError`` becomes one message and exit status 2; any other
    exception is a bug and becomes exit status 70 with a request for a report (``--debug`` adds the traceback)."""

    def invoke(self, ctx: Any) -> Any:  # typer's own copy of click.Context
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except OrbitgridError as exc:
            _print_traceback_if_debug(ctx)
            _report_error(exc)
            raise typer.Exit(EXIT_INPUT) from None
        except OSError as exc:
            if exc.filename is None:  # not about a file the user named: a bug like any other
                _report_bug(ctx, exc)
            # a path the user gave cannot be read or written (missing folder, no permission, a file where a
            # folder should be): a problem with the input, not with orbitgrid
            _print_traceback_if_debug(ctx)
            reason = exc.strerror or type(exc).__name__
            err_console.print(
                f"cannot read or write {exc.filename}: {reason} (check that the path exists and is writable)",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(EXIT_INPUT) from None
        except Exception as exc:
            _report_bug(ctx, exc)


def _report_bug(ctx: Any, exc: BaseException) -> NoReturn:
    """Exit status 70: an unexpected exception is a bug (``--debug`` shows its traceback)."""
    _print_traceback_if_debug(ctx)
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, MemoryError):
        what += " (the run needed more memory than the pre-flight estimate allowed for)"
    err_console.print(f"orbitgrid: internal error: {what}", markup=False, highlight=False)
    more = "" if _debug(ctx) else "; run the same command with --debug to see the traceback"
    err_console.print(f"{BUG_REPORT}{more}", markup=False, highlight=False)
    raise typer.Exit(EXIT_BUG) from None


def _debug(ctx: Any) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("ORBITGRID_DEBUG", "") not in ("", "0")


def _print_traceback_if_debug(ctx: Any) -> None:
    if _debug(ctx):
        import traceback

        err_console.print(traceback.format_exc(), markup=False, highlight=False)


def _report_error(exc: OrbitgridError) -> None:
    problems = getattr(exc, "problems", None)
    if problems is not None:
        _report_problems(str(getattr(exc, "source", None) or "scenario"), exc)
    else:
        err_console.print(str(exc), markup=False, highlight=False)


#: ``-h`` everywhere ``--help`` is.
HELP = {"help_option_names": ["-h", "--help"]}


app = typer.Typer(
    name="orbitgrid",
    help="Design, simulate and operate AI data centres in orbit alongside ground clusters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_OrbitgridGroup,
    context_settings=HELP,
)


def _version(value: bool) -> None:
    if value:
        import orbitgrid

        console.print(f"orbitgrid {orbitgrid.__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of any error (also ORBITGRID_DEBUG=1); for bug reports."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Design, simulate and operate AI data centres in orbit alongside ground clusters."""


scenario_app = typer.Typer(help="Built-in scenarios to start from.", no_args_is_help=True, context_settings=HELP)
app.add_typer(scenario_app, name="scenario")
design_app = typer.Typer(
    help="Size a fleet for a compute requirement (`orbitgrid design --fleet-power-mw 1000`), or one spacecraft "
    "(`orbitgrid design size --satellite-kw 100`).",
    no_args_is_help=True,
    context_settings=HELP,
)
app.add_typer(design_app, name="design")

trace_app = typer.Typer(
    help="Trace files: what orbitgrid reads from them.", no_args_is_help=True, context_settings=HELP
)
app.add_typer(trace_app, name="trace")

console = make_console()  # tables wrap to the terminal rather than cut their numbers
if not console.is_terminal:
    console = make_console(width=140)  # logs and pipes: wide enough for the tables instead of rich's default 80
err_console = make_console(stderr=True, soft_wrap=True)  # messages stay one line each, whatever the width

ScenarioArg = Annotated[
    str,
    typer.Argument(help="Scenario YAML file, or the name of a built-in scenario (see `orbitgrid scenarios`)."),
]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Run directory (default: runs/<scenario name>).")]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Run even when the pre-flight estimate of peak memory exceeds what this machine has available "
        "(for machines the estimate does not know).",
    ),
]


def _default_out(root: str, name: str) -> Path:
    """``root/name`` for a run without --out; never outside ``root`` (names are checked, this is a second lock)."""
    out = Path(root) / name
    if Path(root).resolve() not in out.resolve().parents:
        raise typer.BadParameter(f"the name {name!r} would leave the output folder {root}/; give --out")
    return out


def _load(source: str) -> Scenario:
    from orbitgrid.scenario import ScenarioError, load_scenario

    try:
        sc = load_scenario(source)
    except ScenarioError as exc:
        _report_problems(source, exc)
        raise typer.Exit(2) from None
    _print_warnings(source, sc)
    return sc


def _print_warnings(source: str | Path, sc: Scenario) -> None:
    for w in sc.warnings:
        err_console.print(f"{source}: warning: {w}", markup=False, highlight=False)
    from orbitgrid.scenario.sections.traces import trace_notes

    for note in trace_notes(sc):  # what each trace file gave, and every row dropped or adjusted: never silent
        err_console.print(f"{source}: {note}", markup=False, highlight=False)


def _report_problems(source: str, exc: Any) -> None:
    n = len(exc.problems)
    err_console.print(f"[bold red]{source}: {n} problem{'s' if n != 1 else ''}[/]")
    for p in exc.problems:
        where = f"{p.path}: " if p.path else ""
        err_console.print(f"  {where}{p.message}", markup=False, highlight=False)


def _progress_bar() -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _run_with_progress(fn: Any, scenario: Scenario, **kwargs: Any) -> Any:
    """``fn(scenario, progress=...)`` with a line per stage on stderr (bars in a terminal, plain lines in logs)."""
    from orbitgrid.console import StageProgress

    with StageProgress(err_console) as progress:
        return fn(scenario, progress=progress, **kwargs)


def _design_altitude_rule() -> tuple[float, float, str]:
    """(lowest, highest, wording) of ``--altitude-km``: the scenario's lowest altitude up to the top of the
    trapped-radiation table the shielding is sized with."""
    from orbitgrid.scenario.models import ALTITUDE_MIN_KM
    from orbitgrid.spacecraft.radiation import SHELL_ALTITUDE_MAX_KM

    lo, hi = ALTITUDE_MIN_KM, SHELL_ALTITUDE_MAX_KM
    return lo, hi, f"between {lo:g} and {hi:g} (the top of the trapped-radiation table the shielding is sized with)"


def _design_altitude_ok(altitude_km: float) -> bool:
    lo, hi, _ = _design_altitude_rule()
    return lo <= altitude_km <= hi


#: The numeric options of ``design`` and ``design size``: (lowest, highest, lowest included, highest included), the
#: ranges a scenario's fields of the same meaning allow (inclination [0, 180], LTAN [0, 24), positive life, price,
#: cadence and dose; a radiator above absolute zero).
_DESIGN_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "--fleet-power-mw": (0.0, math.inf, False, False),
    "--satellite-kw": (0.0, math.inf, False, False),
    "--ltan-hours": (0.0, 24.0, True, False),
    "--inclination-deg": (0.0, 180.0, True, True),
    "--life-years": (0.0, math.inf, False, False),
    "--price-per-kg": (0.0, math.inf, False, False),
    "--launches-per-year": (0.0, math.inf, False, False),
    "--radiator-c": (-273.15, math.inf, False, False),
    "--dose-rad-per-year": (0.0, math.inf, False, False),
}


def _check_design_numbers(values: dict[str, float | None]) -> None:
    """Exit 2 naming every option of ``values`` (given, not None) that is not a finite number in its range; NaN and
    infinities reached the sizing code, which crashed or printed '-' for the cost."""
    problems = []
    for flag, value in values.items():
        if value is None:
            continue
        lo, hi, lo_in, hi_in = _DESIGN_RANGES[flag]
        ok = math.isfinite(value) and (value >= lo if lo_in else value > lo) and (value <= hi if hi_in else value < hi)
        if not ok:
            left, right = "[" if lo_in else "(", "]" if hi_in else ")"
            problems.append(f"{flag}: must be a finite number in {left}{lo:g}, {hi:g}{right}, got {value:g}")
    if problems:
        for line in problems:
            err_console.print(line, markup=False, highlight=False)
        raise typer.Exit(2)


def _fmt(x: Any, spec: str) -> str:
    return "-" if x is None or (isinstance(x, float) and x != x) else format(x, spec)


#: What the orbit table's altitude and period columns are (the same for designed shells and element sets).
ORBIT_TABLE_CAPTION = (
    "mean alt: mean semi-major axis - equatorial radius (designed shells: J2 mean elements; element sets: SGP4's "
    "Brouwer mean elements), not the osculating height. nodal T: ascending node to ascending node under J2, mean "
    "over the shell (orbit.json also gives the Keplerian period 2 pi sqrt(a^3/mu) of the mean a)."
)


def _orbit_table(title: str, shells: dict[str, dict[str, Any]]) -> Table:
    t = Table(title=title, title_justify="left", caption=ORBIT_TABLE_CAPTION, caption_justify="left")
    t.add_column("shell", no_wrap=True)
    for col in ("satellites", "mean alt km", "incl °", "nodal T min", "sunlit %", "eclipses/day", "max eclipse min"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("beta °", justify="right", no_wrap=True)
    for name, s in shells.items():
        alt = s["mean_altitude_km_min"], s["mean_altitude_km_max"]
        inc = s["inclination_deg_min"], s["inclination_deg_max"]
        alt_s = _fmt(alt[0], ".0f") if abs(alt[1] - alt[0]) < 1 else f"{alt[0]:.0f}-{alt[1]:.0f}"
        inc_s = _fmt(inc[0], ".2f") if abs(inc[1] - inc[0]) < 0.01 else f"{inc[0]:.1f}-{inc[1]:.1f}"
        t.add_row(
            name,
            f"{s['satellites']:,}",
            alt_s,
            inc_s,
            _fmt(s["nodal_period_s_mean"] / 60.0, ".2f"),
            _fmt(100.0 * s["sunlit_fraction_mean"], ".2f"),
            _fmt(s["eclipses_per_satellite_day"], ".2f"),
            _fmt(s["longest_eclipse_s"] / 60.0, ".1f"),
            f"{_fmt(s['beta_deg_min'], '.1f')} to {_fmt(s['beta_deg_max'], '.1f')}",
        )
    return t


#: Lost satellites and duplicate catalogue numbers printed per shell (summary.json lists them all).
MAX_PRINTED_NOTES = 10


def _print_element_notes(shells: dict[str, dict[str, Any]]) -> None:
    """Warn about element shells' lost satellites (SGP4 failures, re-entry) and catalogue numbers given more than
    once (stderr)."""
    for name, s in shells.items():
        dups = s.get("duplicate_catalog_numbers") or []
        if dups:
            err_console.print(
                f"[yellow]{name}: {len(dups):,} catalogue number{'s' if len(dups) != 1 else ''} appear more than once; "
                f"{s['element_sets_dropped']:,} older element set{'s' if s['element_sets_dropped'] != 1 else ''} "
                "dropped (the latest epoch of each is used):[/]"
            )
            for d in dups[:MAX_PRINTED_NOTES]:
                kept = d["kept_record"]
                others = ", ".join(str(r) for r in d["dropped_records"])
                err_console.print(
                    f"  {d['catalog_number']} ({d['names'][0]}): record {kept} (epoch {d['epochs_utc'][0]}) used, "
                    f"record{'s' if len(d['dropped_records']) > 1 else ''} {others} dropped",
                    markup=False,
                    highlight=False,
                )
            if len(dups) > MAX_PRINTED_NOTES:
                err_console.print(f"  ... and {len(dups) - MAX_PRINTED_NOTES:,} more (summary.json)")
        lost = s.get("lost_satellites") or []
        n_lost = int(s.get("satellites_lost", 0))
        if n_lost:
            err_console.print(
                f"[yellow]{name}: {n_lost:,} of {s['satellites']:,} satellites lost (SGP4 cannot propagate them, or "
                "they re-enter); each counts for nothing from the step it was lost in:[/]"
            )
            for x in lost[:MAX_PRINTED_NOTES]:
                when = x["failed_utc"] or f"{x['failed_s']:.3f} s"
                err_console.print(
                    f"  {x['catalog_number']} {x['name']}: {when} (t = {x['failed_s']:,.3f} s), "
                    f"error {x['error_code']}: {x['error']}",
                    markup=False,
                    highlight=False,
                )
            if n_lost > MAX_PRINTED_NOTES:
                err_console.print(f"  ... and {n_lost - MAX_PRINTED_NOTES:,} more (summary.json)")


def _capacity_table(cap: dict[str, Any]) -> Table:
    t = Table(title="Compute capacity (per shell and per ground site)", title_justify="left")
    t.add_column("node group", no_wrap=True)
    cols = ("accelerators", "GPU-h", "% installed", "MWh", "throttled ecl/arr/heat %")
    for col in cols:
        t.add_column(col, justify="right", no_wrap=True)
    for col in ("radiator max °C", "rad/yr", "SDC/GPU-day"):
        t.add_column(col, justify="right", no_wrap=True)
    for name, c in cap["shells"].items():
        thr = (c["throttled_fraction_eclipse"], c["throttled_fraction_array"], c["throttled_fraction_heat"])
        t.add_row(
            name,
            f"{c['gpus']:,}",
            f"{c['gpu_hours_deliverable']:,.0f}",
            _fmt(100 * c["gpu_hours_deliverable"] / c["gpu_hours_installed"], ".1f"),
            _fmt(c["compute_energy_mwh"], ",.1f"),
            "/".join(_fmt(100 * x, ".1f") for x in thr),
            _fmt(c["radiator_peak_c"], ".1f"),
            _fmt(c["dose_rad_per_year"], ".0f"),
            _fmt(c["upsets_per_gpu_day"]["sdc"] + c.get("gcr_upsets_per_gpu_day", {}).get("sdc", 0.0), ".3f"),
        )
    for name, g in cap["ground_sites"].items():
        t.add_row(
            f"{name} (ground)",
            f"{g['accelerators']:,}",
            f"{g['gpu_hours_deliverable']:,.0f}",
            _fmt(100 * g["gpu_hours_deliverable"] / g["gpu_hours_installed"], ".1f"),
            _fmt(g["it_energy_kwh"] / 1e3, ",.1f"),
            f"grid {_fmt(100 * g['grid_limited_fraction'], '.0f')}",
            "-",
            "-",
            "-",
        )
    t.caption = (
        "rad/yr: trapped dose behind the design's shielding; SDC/GPU-day: trapped protons + galactic cosmic rays "
        "(a solar particle event's dose and upsets: summary.json, spe_dose_rad and spe_upsets_per_gpu)"
    )
    t.caption_justify = "left"
    return t


def _network_table(n: dict[str, Any]) -> Table:
    """The summary's ``network`` block: links, routes to the ground and to users, contacts, data flows."""
    t = Table(title="Network", title_justify="left")
    t.add_column("", no_wrap=True)
    t.add_column("value", justify="right", no_wrap=True)
    lat = n["latency_to_ground_s"]
    fc = n["flow_completion_s"]
    reach = n["reachable_fraction"]
    rows = [
        ("link step, gateways", f"{_fmt(n['link_step_s'], 'g')} s, {n['gateways']:,}"),
        ("reachable node-steps %", _fmt(None if reach is None else 100.0 * reach, ".2f")),
        ("to ground p50 / p99 ms", f"{_fmt(_ms(lat['p50']), '.2f')} / {_fmt(_ms(lat['p99']), '.2f')}"),
    ]
    for name, u in n["latency_to_users_s"].items():
        rows.append((f"to user {name} p50 / p99 ms", f"{_fmt(_ms(u['p50']), '.2f')} / {_fmt(_ms(u['p99']), '.2f')}"))
    isl = n["isl_capacity_bps"]["p50"]
    rows += [
        (
            "ISLs per step, capacity p50 Gb/s",
            f"{n['isl_links_per_step']:,.0f}, {_fmt(None if isl is None else isl / 1e9, ',.1f')}",
        ),
        ("contacts (passes), hours", f"{n['contacts']:,}, {n['contact_hours']:,.0f}"),
        ("flows (simulated)", f"{n['flows']:,} ({n.get('flows_simulated', 0):,})"),
        ("bytes moved TB", _fmt(n["bytes_moved"] / 1e12, ",.2f")),
        ("flow completion p50 / p99 s", f"{_fmt(fc['p50'], ',.1f')} / {_fmt(fc['p99'], ',.1f')}"),
    ]
    for label, value in rows:
        t.add_row(label, value)
    return t


def _ms(x: Any) -> Any:
    return None if x is None else 1e3 * x


def _schedule_tables(s: dict[str, Any]) -> list[Table]:
    j, w, gh = s["jobs"], s["wait_s"], s["gpu_hours"]
    head = Table(title=f"Workloads ({s['policy']})", title_justify="left")
    # every submitted job is in exactly one state column (killed: a trace's own kills; never fit: no node could
    # hold it, each with its reason in jobs.parquet and summary.json's never_fits)
    states = ("completed", "running", "queued", "failed", "killed", "never_fits")
    for col in ("jobs", "completed", "running", "queued", "failed", "killed", "never fit", "GPU-h delivered"):
        head.add_column(col, justify="right", no_wrap=True)
    for col in ("goodput %", "wait p50 s", "wait p99 s"):
        head.add_column(col, justify="right", no_wrap=True)
    head.add_row(
        f"{j['submitted']:,}",
        *(f"{int(j.get(k) or 0):,}" for k in states),
        f"{gh['delivered']:,.0f}",
        _fmt(100 * s["goodput"] if s["goodput"] is not None else None, ".1f"),
        _fmt(w["p50"], ",.0f"),
        _fmt(w["p99"], ",.0f"),
    )
    ten = Table(title="Tenants", title_justify="left")
    ten.add_column("tenant", no_wrap=True)
    for col in ("jobs done", "GPU-h", "bill USD", "wait p99 s", "requests", "SLO %", "TTFT p99 s"):
        ten.add_column(col, justify="right", no_wrap=True)
    for name, t in s["tenants"].items():
        slo = t.get("slo_attainment")
        ten.add_row(
            name,
            f"{t['jobs_completed']:,}/{t['jobs_submitted']:,}",
            f"{t['gpu_hours_delivered']:,.0f}",
            f"{t['bill_usd']:,.0f}",
            _fmt(t["wait_s_p99"], ",.0f"),
            f"{t['requests']:,}" if "requests" in t else "-",
            _fmt(None if slo is None else 100 * slo, ".1f"),
            _fmt(t.get("ttft_s_p99"), ".2f"),
        )
    og = Table(title="Orbit vs ground", title_justify="left")
    og.add_column("nodes", no_wrap=True)
    for col in ("accelerators", "GPU-h deliverable", "GPU-h delivered", "utilization %", "faults/GPU-day"):
        og.add_column(col, justify="right", no_wrap=True)
    for name, k in s["orbit_vs_ground"].items():
        og.add_row(
            name,
            f"{k['gpus']:,}",
            f"{k['gpu_hours_deliverable']:,.0f}",
            f"{k['gpu_hours_delivered']:,.0f}",
            _fmt(100 * k["utilization"] if k["utilization"] is not None else None, ".1f"),
            _fmt(k["faults_per_gpu_day"], ".4f"),
        )
    lost = ", ".join(f"{c} {v:,.0f}" for c, v in s["lost_gpu_hours"].items())
    og.caption = f"GPU-hours of work lost: {lost}"
    og.caption_justify = "left"
    tables = [head, ten, og]
    maint = s.get("maintenance") or {}
    if maint:
        mt = Table(title="GPUs failed for good", title_justify="left")
        mt.add_column("shell / site", no_wrap=True)
        for col in ("GPUs", "failed", "repaired", "in repair", "spares used", "lost", "capacity lost GPU-h"):
            mt.add_column(col, justify="right", no_wrap=True)
        for name, b in maint.items():
            mt.add_row(
                name,
                f"{b['gpus']:,}",
                f"{b['failures']:,}",
                f"{b['repaired']:,}",
                f"{b['in_repair']:,}",
                f"{b['spares_used']:,}/{b['spares_carried']:,}",
                f"{b['lost']:,}",
                f"{b['capacity_lost_gpu_hours']:,.1f}",
            )
        mt.caption = "ground sites repair (site repair_time, technicians); satellites swap in cold spares, else lose"
        mt.caption_justify = "left"
        tables.append(mt)
    return tables


@app.command()
def simulate(
    scenario: ScenarioArg = "default",
    out: OutOpt = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write report.html.")] = False,
    force: ForceOpt = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an earlier run in the run directory (whole, on success).")
    ] = False,
) -> None:
    """Simulate a scenario (the built-in `default` when none is given) and write a run directory."""
    from orbitgrid import api
    from orbitgrid.results import RunDirError

    sc = _load(scenario)
    out_dir = out or _default_out("runs", sc.name)
    command = " ".join(["orbitgrid", *sys.argv[1:]])
    try:
        run = _run_with_progress(
            api.simulate,
            sc,
            out_dir=out_dir,
            command=command,
            report=not no_report,
            force=force,
            overwrite=overwrite,
        )
    except (api.ScenarioRunError, RunDirError) as exc:
        err_console.print(f"{sc.name}: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    s = run.documents["summary.json"]
    console.print(
        f"[bold]{sc.name}[/]: {s['fleet']['satellites']:,} satellites in {s['fleet']['shells']} "
        f"shell{'' if s['fleet']['shells'] == 1 else 's'}, "
        f"{sc.duration_s / 3600:g} h at {sc.step_s:g} s steps from {sc.epoch:%Y-%m-%d %H:%M} UTC"
    )
    console.print(_orbit_table("Orbits and sunlight", s["shells"]))
    _print_element_notes(s["shells"])
    frac = s["fleet"]["sunlit_fraction_mean"]
    console.print(f"Fleet sunlit fraction: {_fmt(None if frac is None else 100 * frac, '.2f')} %")
    console.print(_capacity_table(s["capacity"]))
    if "jobs" in s:
        for table in _schedule_tables(s):
            console.print(table)
        never = s.get("never_fits") or {}
        for reason, count in sorted(never.items(), key=lambda kv: -kv[1])[:5]:
            console.print(f"{count:,} job{'' if count == 1 else 's'} can never run: {reason}", highlight=False)
        if len(never) > 5:
            console.print(f"... {len(never) - 5:,} more reasons in summary.json (never_fits)", highlight=False)
    if "network" in s:
        console.print(_network_table(s["network"]))
    for note in s.get("approximations", []):  # also in summary.json and manifest.json
        err_console.print(f"warning: {note}", markup=False, highlight=False)
    for note in s.get("warnings", []):  # the scenario's, printed when it was loaded too; in summary and manifest
        err_console.print(f"warning: {note}", markup=False, highlight=False)
    cost_file = run.path / "cost.json"
    if cost_file.is_file():
        import json

        console.print(_run_cost_table(json.loads(cost_file.read_text(encoding="utf-8"))))
    elif s.get("cost_note"):
        console.print(s["cost_note"], markup=False, highlight=False)
    written = sorted(p.name for p in run.path.iterdir() if p.is_file())
    console.print(f"Wrote {run.path}/ ({', '.join(written)})")


SERVICE_MODULES = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "argon2", "sse_starlette", "pydantic_settings")


@app.command()
def serve(
    scenario: ScenarioArg = "default",
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: ORBITGRID_DB_URL or sqlite:///orbitgrid-service.db)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    speed: Annotated[
        float | None,
        typer.Option(help="Simulated seconds per wall second (default: ORBITGRID_SPEED or 1; 0 pauses the clock)."),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Run the control plane: the jobs API over the scenario's fleet, scheduled live by its digital twin. A fleet
    whose node timelines would not fit in this machine's memory is refused before anything is built (exit status 2;
    the message says what drives the estimate: schedule by orbital plane, ``policy.node_pools: plane``, for large
    constellations)."""
    import importlib.util

    missing = [m for m in SERVICE_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        err_console.print(
            f"[bold red]orbitgrid serve needs the service extra[/] (missing: {', '.join(missing)}): "
            "pip install 'orbitgrid\\[service]'"
        )
        raise typer.Exit(2)
    import uvicorn
    from pydantic import ValidationError

    from orbitgrid.pipeline.live import build_live_fleet
    from orbitgrid.service.app import create_app, preflight
    from orbitgrid.service.settings import Settings

    overrides: dict[str, Any] = {"scenario": scenario}
    if db is not None:
        overrides["db_url"] = db
    if speed is not None:
        overrides["speed"] = speed
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        for e in exc.errors():
            err_console.print(f"[bold red]{'.'.join(str(x) for x in e['loc'])}: {e['msg']}[/]")
        raise typer.Exit(2) from None
    from orbitgrid.pipeline import preflight as estimates

    sc = _load(scenario)
    est = estimates.check(sc, "serve", force=force)  # a ResourceLimitError: one message, exit status 2
    nodes = f"{est.sizes['nodes']:,.0f} nodes"
    with console.status(f"Building the fleet of {sc.name} ({nodes}; {est.summary()}: orbits, capacity, network)..."):
        fleet = build_live_fleet(sc)
    try:
        preflight(settings, fleet)
    except RuntimeError as exc:
        err_console.print(f"[bold red]{exc}[/]")
        raise typer.Exit(2) from None

    def show_admin_key(key: str) -> None:
        err_console.print(
            "[bold]Admin key (shown once; store it now, it is kept only as a hash):[/]\n" + key, soft_wrap=True
        )

    app_ = create_app(settings, fleet=fleet, on_admin_key=show_admin_key)
    console.print(
        f"orbitgrid control plane: {sc.name}, {len(fleet.timeline.nodes)} nodes, speed {settings.speed:g}x, "
        f"http://{host}:{port}/docs"
    )
    uvicorn.run(app_, host=host, port=port, log_level="info")


@app.command()
def report(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(help="A run directory written by `orbitgrid simulate`; two: compare them (RUN_A RUN_B)."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="The page to write (default: report.html in the run; with two runs compare-A-vs-B.html beside A).",
        ),
    ] = None,
) -> None:
    """(Re)build report.html of a run (adding its lifetime table when missing); with two runs, write a page
    comparing them: headline numbers side by side and their distributions overlaid."""
    from orbitgrid.report import write_report
    from orbitgrid.report.compare import write_comparison
    from orbitgrid.results import RunDirError, require_complete

    if len(run_dirs) > 2:
        err_console.print(f"report takes one run directory, or two to compare; got {len(run_dirs)}")
        raise typer.Exit(2)
    try:
        runs = [require_complete(d) for d in run_dirs]
        if len(runs) == 2:
            a, b = runs
            path = write_comparison(a, b, out or a.parent / f"compare-{a.name}-vs-{b.name}.html")
        else:
            _add_lifetime(runs[0])
            path = write_report(runs[0], out=out)
    except (FileNotFoundError, RunDirError) as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    console.print(f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


def _add_lifetime(run: Path) -> None:
    """Write the run's lifetime.json (``orbitgrid lifetime``'s table of the run's scenario) when it lacks one; a
    scenario that cannot be read back (a file it names has moved) leaves the section out with its note."""
    import json

    from orbitgrid.pipeline.lifetime import LIFETIME_FILE, lifetime_document
    from orbitgrid.results.run import read_run_json
    from orbitgrid.scenario import ScenarioError
    from orbitgrid.scenario.loader import load_scenario_text

    if (run / LIFETIME_FILE).is_file():
        return
    scenario = read_run_json(run / "manifest.json").get("scenario")
    if not isinstance(scenario, dict):
        return
    try:
        sc = load_scenario_text(json.dumps(scenario), base_dir=run, source=str(run / "manifest.json"))
    except ScenarioError:
        return
    doc = lifetime_document(sc)
    tmp = run / f"{LIFETIME_FILE}.tmp"
    tmp.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    tmp.replace(run / LIFETIME_FILE)


@app.command()
def orbit(
    scenario: ScenarioArg = "default",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: runs/<scenario name>-orbit).")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Propagate every shell; write per-shell orbit statistics and per-satellite eclipse intervals."""
    from orbitgrid import api
    from orbitgrid.results import RunWriter

    sc = _load(scenario)
    out_dir = out or _default_out("runs", f"{sc.name}-orbit")
    try:
        study = _run_with_progress(api.orbit, sc, force=force)
    except api.ScenarioRunError as exc:
        err_console.print(f"{sc.name}: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    study.write(RunWriter(out_dir))
    console.print(_orbit_table(f"{sc.name}: orbits and sunlight", study.shell_summaries()))
    _print_element_notes(study.shell_summaries())
    console.print(f"Wrote {out_dir}/ (orbit.json, eclipses.parquet)")


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="Scenario YAML file to check.")]) -> None:
    """Check a scenario file and report every problem with its path; exit status 2 when there are problems."""
    from orbitgrid.scenario import ScenarioError, load_scenario

    try:
        sc = load_scenario(file)
    except ScenarioError as exc:
        _report_problems(str(file), exc)
        raise typer.Exit(2) from None
    _print_warnings(file, sc)
    from orbitgrid.pipeline import preflight

    n_sats = sum(s.orbit.n_satellites for s in sc.shells)
    est = preflight.estimate(sc, "simulate")
    nodes = est.sizes.get("nodes", 0.0)
    scheduler = f", {nodes:,.0f} scheduler nodes" if nodes else ""
    console.print(
        f"{file}: valid ({len(sc.shells)} shell{'' if len(sc.shells) == 1 else 's'}, {n_sats:,} "
        f"satellite{'' if n_sats == 1 else 's'}{scheduler}, {sc.n_steps:,} steps); simulate: "
        f"{est.summary()} (this machine has {preflight.format_bytes(preflight.available_memory_bytes())} available)",
        soft_wrap=True,
    )
    try:
        preflight.check(sc, "simulate")
    except ResourceLimitError as exc:  # valid, but this machine cannot run it: say so before anyone tries
        console.print(f"{file}: warning: simulate would refuse it here: {exc}", soft_wrap=True)


@trace_app.command("presets")
def trace_presets() -> None:
    """The trace formats orbitgrid knows: job traces, request traces and node lists, the file each reads, its source."""
    from orbitgrid.workloads.importers.inspect import presets

    t = Table("kind", "preset", "reads", "published schema", title="Trace presets", title_justify="left")
    for row in presets():
        t.add_row(*row)
    console.print(t)


@trace_app.command("inspect")
def trace_inspect(
    file: Annotated[Path, typer.Argument(help="Job trace, request trace or node list (CSV, Parquet, JSON).")],
    preset: Annotated[
        str | None, typer.Option(help="Preset of the file's format (default: recognised from its columns).")
    ] = None,
    nodes: Annotated[bool, typer.Option("--nodes", help="Read the file as a node list with --preset.")] = False,
) -> None:
    """What orbitgrid reads from a trace file: rows, time span, GPU demand, and rows dropped or adjusted by reason."""
    from orbitgrid.workloads.importers.inspect import inspect

    found = inspect(file, preset, "nodes" if nodes else None)
    t = Table("", "", title=f"{file}", title_justify="left", show_header=False)
    for label, value in found.lines:
        t.add_row(label, value)
    console.print(t)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    from orbitgrid.scenario import list_builtin_scenarios

    t = Table("name", "description", title="Built-in scenarios", title_justify="left")
    for name, desc in list_builtin_scenarios():
        t.add_row(name, desc)
    console.print(t)


@scenario_app.command("show")
def scenario_show(name: Annotated[str, typer.Argument(help="Built-in scenario name.")]) -> None:
    """Print a built-in scenario's YAML, to copy and edit."""
    from orbitgrid.scenario import builtin_scenario_text, list_builtin_scenarios

    names = [n for n, _ in list_builtin_scenarios()]
    if name not in names:
        err_console.print(f"unknown scenario {name!r}; built-ins: {', '.join(names)}")
        raise typer.Exit(2)
    sys.stdout.write(builtin_scenario_text(name))


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file (base scenario, grid and random axes).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: sweeps/<sweep name>).")
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(help="dask.distributed scheduler address, e.g. tcp://host:8786 (default: $ORBITGRID_CLUSTER)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Local worker processes without --cluster (default: CPU count; 0: in-process).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume/--no-resume", help="Skip points finished by an earlier run in the same folder.")
    ] = True,
) -> None:
    """Evaluate every point of a sweep (a simulation or the cost model per point); one Parquet row per point."""
    from orbitgrid import api
    from orbitgrid.scenario import ScenarioError

    if workers is not None and workers < 0:
        err_console.print("--workers must be >= 0")
        raise typer.Exit(2)
    try:
        with _progress_bar() as bar:
            task = bar.add_task("sweep points", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            res = api.sweep(sweep_file, out, cluster=cluster, workers=workers, resume=resume, progress=progress)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (design.sweep.Interrupted): the workers are ended
        import signal

        signum = int(getattr(exc, "signum", signal.SIGINT))
        err_console.print(
            f"sweep stopped by {signal.Signals(signum).name}; finished points are saved: run the same command again "
            "to resume",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(128 + signum) from None
    except ScenarioError as exc:
        _report_problems(str(sweep_file), exc)
        raise typer.Exit(2) from None
    except api.SweepError as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    console.print(_sweep_table(res))
    console.print(
        f"{res.points:,} points: {res.evaluated:,} evaluated, {res.skipped:,} already done, {res.failed:,} failed "
        f"({res.wall_s:,.1f} s)"
    )
    if res.failed:
        import pyarrow.compute as pc

        t = res.table()
        bad = t.filter(pc.is_valid(t.column("error"))).slice(0, 5).to_pylist()
        for row in bad:
            err_console.print(f"  point {row['point_id']}: {row['error']}", markup=False, highlight=False)
        err_console.print(f"{res.failed:,} points failed; run the same command again to retry them")
    console.print(f"Wrote {res.path}/ (sweep.parquet, sweep.json, sweep.html, points/)")
    if res.failed:
        raise typer.Exit(1)


#: Rows of the sweep's results table printed at the end (sweep.parquet has them all).
MAX_SWEEP_ROWS = 20


def _sweep_table(res: Any) -> Table:
    """The sweep's points: the axes' values and its headline outputs (up to four), in point order."""
    from orbitgrid.console import format_value
    from orbitgrid.design.sweep import PARAM_PREFIX, axis_title

    rows = res.table().to_pylist()
    outputs = list(res.outputs[:4])
    t = Table(title=f"Sweep results ({len(rows):,} points)", title_justify="left")
    t.add_column("point", no_wrap=True)
    for name in [*res.axes, *outputs]:
        t.add_column(axis_title(name), justify="right")
    failed = any(r.get("error") is not None for r in rows)
    if failed:
        t.add_column("error")

    def cell(v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return "-" if v is None else str(v)
        return format_value(float(v))

    for r in rows[:MAX_SWEEP_ROWS]:
        cells = [cell(r.get(f"{PARAM_PREFIX}{a}")) for a in res.axes] + [cell(r.get(o)) for o in outputs]
        t.add_row(str(r["point_id"]), *cells, *([str(r.get("error") or "")] if failed else []))
    if len(rows) > MAX_SWEEP_ROWS:
        t.caption = f"first {MAX_SWEEP_ROWS} of {len(rows):,} points; all in sweep.parquet"
        t.caption_justify = "left"
    return t


def _cost_table(doc: dict[str, Any]) -> Table:
    o, g = doc["orbit"], doc["ground"]
    t = Table(title="Cost: orbit vs ground (levelized, present values)", title_justify="left")
    t.add_column("metric", no_wrap=True)
    for col in ("orbit", "ground", "orbit / ground"):
        t.add_column(col, justify="right", no_wrap=True)
    for label, key, spec in (
        ("$ per delivered GPU-hour", "usd_per_gpu_hour", ",.3f"),
        ("$ per kWh of compute energy", "usd_per_kwh", ",.3f"),
        ("$ per W installed", "usd_per_w", ",.2f"),
        ("$ per PFLOP-day (BF16 dense)", "usd_per_pflop_day", ",.1f"),
    ):
        t.add_row(label, _fmt(o[key], spec), _fmt(g[key], spec), _fmt(doc["ratios"][key], ".2f"))
    t.add_row("present value, $M", _fmt(o["pv_usd"] / 1e6, ",.1f"), _fmt(g["pv_usd"] / 1e6, ",.1f"), "")
    t.add_row(
        "GPU-hours delivered, M",
        _fmt(o["gpu_hours_delivered"] / 1e6, ",.2f"),
        _fmt(g["gpu_hours_delivered"] / 1e6, ",.2f"),
        "",
    )
    lease = doc["lease"]["usd_per_gpu_hour"]
    t.caption = (
        f"orbit GPU-hours: {o['gpu_hours_source']}; discount rate {o['discount_rate']:.0%}; "
        f"Colossus-class lease for comparison: ${lease:.2f}/GPU-h"
    )
    t.caption_justify = "left"
    return t


def _run_cost_table(doc: dict[str, Any]) -> Table:
    """The run's cost answer: $/GPU-hour in orbit and on the ground and their ratio, at the GPU-hours the run
    delivered and at the nominal ones (cost.json ``orbit``/``ground`` and ``nominal``)."""
    o, g = doc["orbit"], doc["ground"]
    t = Table(title="Cost: orbit vs ground, $ per GPU-hour (levelized over the design life)", title_justify="left")
    t.add_column("GPU-hours counted", no_wrap=True)
    for col in ("orbit $/GPU-h", "ground $/GPU-h", "orbit / ground"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_row(
        f"delivered ({o['gpu_hours_source']})",
        _fmt(o["usd_per_gpu_hour"], ",.3f"),
        _fmt(g["usd_per_gpu_hour"], ",.3f"),
        _fmt(doc["ratio_orbit_to_ground"], ".2f"),
    )
    nominal = doc.get("nominal")
    if nominal:
        t.add_row(
            "nominal (availability x utilization)",
            _fmt(nominal["orbit_usd_per_gpu_hour"], ",.3f"),
            _fmt(nominal["ground_usd_per_gpu_hour"], ",.3f"),
            _fmt(nominal["ratio_orbit_to_ground"], ".2f"),
        )
    t.caption = "delivered: the GPU-hours jobs used in this run; cost.json and `orbitgrid cost --run` give the lines"
    t.caption_justify = "left"
    return t


def _lines_table(doc: dict[str, Any]) -> Table:
    t = Table(title="Cost lines (undiscounted), $M", title_justify="left")
    t.add_column("orbit", no_wrap=True)
    t.add_column("$M", justify="right")
    t.add_column("ground", no_wrap=True)
    t.add_column("$M", justify="right")
    left = [(k, v) for part in ("capex_usd", "opex_usd") for k, v in doc["orbit"][part].items() if v]
    right = [(k, v) for part in ("capex_usd", "opex_usd") for k, v in doc["ground"][part].items() if v]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ("", None)
        b = right[i] if i < len(right) else ("", None)
        t.add_row(
            a[0], "" if a[1] is None else f"{a[1] / 1e6:,.1f}", b[0], "" if b[1] is None else f"{b[1] / 1e6:,.1f}"
        )
    return t


@app.command()
def cost(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Scenario YAML file or built-in name (default: the run's scenario, else `default`)."),
    ] = None,
    run: Annotated[
        Path | None, typer.Option("--run", help="A finished run directory: use its simulated delivered GPU-hours.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="cost.json path (default: RUN/cost.json, else runs/<name>-cost/cost.json)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing cost.json (a run's own included).")
    ] = False,
    monte_carlo: Annotated[
        int | None,
        typer.Option(
            "--monte-carlo",
            min=0,
            max=1_000_000,  # scenario.sections.economics.MONTE_CARLO_MAX (tests/cli/test_cost_cli.py holds them equal)
            help="Monte Carlo draws of the uncertain cost parameters (0: none; default: economics.uncertainty's).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", min=0, help="Seed of the draws (default: economics.uncertainty.seed, else the scenario's)."
        ),
    ] = None,
    no_uncertainty: Annotated[
        bool, typer.Option("--no-uncertainty", help="Point values only: no Monte Carlo, tornado or break-even.")
    ] = False,
) -> None:
    """Price a scenario's orbital fleet against the same GPUs on the ground, with uncertainty (Monte Carlo, tornado,
    break-even); print the tables, write cost.json."""
    import json

    from orbitgrid import api
    from orbitgrid.pipeline.economics import CostInputError
    from orbitgrid.results import RunDirError, require_complete, run_status

    sc = _load(scenario) if scenario is not None else (None if run is not None else _load("default"))
    label = sc.name if sc is not None else None
    path = out or ((run / "cost.json") if run is not None else Path("runs") / f"{label}-cost" / "cost.json")
    try:
        if run is not None:
            require_complete(run)
        if run_status(path.parent) is not None and (run is None or path.parent.resolve() != run.resolve()):
            raise RunDirError(
                f"{path}: {path.parent} is a run directory and this cost is not from it (give --run {path.parent}, "
                "or another --out)"
            )
        if path.exists() and not overwrite:
            what = "the run's own cost.json" if run is not None and path.parent.resolve() == run.resolve() else path
            raise RunDirError(f"{path}: exists ({what}); pass --overwrite to replace it, or give another --out")
        doc = api.cost(sc, run, monte_carlo=monte_carlo, seed=seed, uncertainty=not no_uncertainty)
    except (FileNotFoundError, CostInputError, RunDirError) as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    f = doc["orbit"]["facts"]
    console.print(
        f"[bold]{doc['label']}[/]: {f['satellites']:,.0f} satellites, {f['gpus']:,.0f} GPUs, "
        f"{f['fleet_mass_kg'] / 1e3:,.0f} t in {f['launches']:,.0f} launches over {f['deployment_years']:.0f} yr"
    )
    console.print(_cost_table(doc))
    console.print(_lines_table(doc))
    for table in _uncertainty_tables(doc.get("uncertainty") or {}):
        console.print(table)
    for note in doc["orbit"]["notes"]:
        console.print(f"note: {note}", markup=False, highlight=False)
    console.print(f"Wrote {path}")


def _uncertainty_tables(unc: dict[str, Any]) -> list[Table]:
    """Monte Carlo percentiles, the tornado and the break-even values of cost.json's uncertainty block."""
    tables = []
    mc = unc.get("monte_carlo")
    if mc:
        t = Table(
            title=f"Monte Carlo, {mc['n']:,} draws (seed {mc['seed']}); P(orbit cheaper) = {mc['p_orbit_cheaper']:.3f}"
        )
        for col in ("", "mean ± s.e.", "p5", "p50", "p95"):
            t.add_column(col, justify="right" if col else "left")
        for key, label in (
            ("orbit_usd_per_gpu_hour", "orbit $/GPU-h"),
            ("ground_usd_per_gpu_hour", "ground $/GPU-h"),
            ("ratio_orbit_to_ground", "orbit / ground"),
        ):
            m = mc[key]
            t.add_row(
                label,
                f"{_fmt(m['mean'], '.3f')} ± {_fmt(m['std_error'], '.3f')}",
                *(_fmt(m[q], ".3f") for q in ("p5", "p50", "p95")),
            )
        tables.append(t)
    tor = unc.get("tornado")
    if tor:
        t = Table(
            title=f"Tornado: orbit / ground (base {_fmt(tor['base'], '.3f')}), 10th → 90th percentile of each parameter"
        )
        for col in ("parameter", "p10 → p90", "orbit / ground at p10 → p90", "swing"):
            t.add_column(col, justify="left" if col == "parameter" else "right")
        for r in tor["rows"]:
            t.add_row(
                r["parameter"],
                f"{r['low']:,.4g} → {r['high']:,.4g}",
                f"{_fmt(r['output_at_low'], '.3f')} → {_fmt(r['output_at_high'], '.3f')}",
                _fmt(r["swing"], ".3f"),
            )
        tables.append(t)
    rows = unc.get("break_even")
    if rows:
        t = Table(title="Break-even: where orbit $/GPU-h = ground $/GPU-h (the others at the scenario's values)")
        for col in ("parameter", "scenario", "break-even", "searched", "orbit - ground at the ends, $/GPU-h"):
            t.add_column(col, justify="left" if col == "parameter" else "right")
        for r in rows:
            value = f"{r['value']:,.4g}" if r["value"] is not None else f"none: {r['status']}"
            lo, hi = r["bracket"]
            gap = r["gap_usd_per_gpu_hour_at_ends"]
            gaps = f"{gap[0]:+,.4g} / {gap[1]:+,.4g}" if gap and None not in gap else "–"
            t.add_row(r["parameter"], f"{r['base']:,.4g}", value, f"{lo:,.4g} – {hi:,.4g}", gaps)
        tables.append(t)
    return tables


#: ``--orbit`` of ``design`` and ``design size``: dawn-dusk is sun-synchronous at LTAN 18 h.
ORBIT_KINDS = {"dawn-dusk": "sun_synchronous", "sun_synchronous": "sun_synchronous", "inclined": "inclined"}


@design_app.callback(invoke_without_command=True)
def design(
    ctx: typer.Context,
    power_mw: Annotated[
        float | None,
        typer.Option("--fleet-power-mw", help="Compute requirement of the whole fleet, MW (GPUs + host)."),
    ] = None,
    satellite_kw: Annotated[
        float, typer.Option("--satellite-kw", help="Compute load of one satellite, kW (GPUs + host).")
    ] = 100.0,
    gpu: Annotated[str, typer.Option(help="Accelerator model from the GPU catalog.")] = "H100",
    orbit: Annotated[str, typer.Option(help="dawn-dusk, sun_synchronous (with --ltan-hours) or inclined.")] = (
        "dawn-dusk"
    ),
    altitude_km: Annotated[float, typer.Option(help="Circular orbit altitude, km.")] = 650.0,
    ltan_hours: Annotated[float, typer.Option(help="LTAN for sun_synchronous, h.")] = 18.0,
    inclination_deg: Annotated[float | None, typer.Option(help="Inclination for an inclined orbit, deg.")] = None,
    life_years: Annotated[float, typer.Option(help="Design life, years.")] = 5.0,
    vehicle: Annotated[str, typer.Option(help="Launch vehicle from the catalog.")] = "Starship",
    price_per_kg: Annotated[
        float | None, typer.Option(help="Launch price, USD/kg (default: the vehicle's catalog price).")
    ] = None,
    launches_per_year: Annotated[float | None, typer.Option(help="Launch cadence limit (default: none).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the fleet's cost.json here.")] = None,
) -> None:
    """Size a fleet for a compute requirement: satellite count, per-satellite design, mass, launches and cost."""
    if ctx.invoked_subcommand is not None:
        return
    if power_mw is None:
        err_console.print(
            "give --fleet-power-mw (the whole fleet's compute), or a subcommand; see `orbitgrid design --help`"
        )
        raise typer.Exit(2)
    import json
    import math

    from orbitgrid import api
    from orbitgrid.economics.report import cost_dict
    from orbitgrid.scenario.catalog import gpu_models, launch_vehicles

    if gpu not in gpu_models():
        err_console.print(f"--gpu: unknown model {gpu!r}; allowed: {', '.join(gpu_models())}")
        raise typer.Exit(2)
    if vehicle not in launch_vehicles():
        err_console.print(f"--vehicle: unknown {vehicle!r}; allowed: {', '.join(launch_vehicles())}")
        raise typer.Exit(2)
    kind = ORBIT_KINDS.get(orbit)
    if kind is None or (kind == "inclined" and inclination_deg is None):
        err_console.print("--orbit: dawn-dusk, sun_synchronous, or inclined with --inclination-deg")
        raise typer.Exit(2)
    _check_design_numbers(
        {
            "--fleet-power-mw": power_mw,
            "--satellite-kw": satellite_kw,
            "--ltan-hours": ltan_hours,
            "--inclination-deg": inclination_deg,
            "--life-years": life_years,
            "--price-per-kg": price_per_kg,
            "--launches-per-year": launches_per_year,
        }
    )
    if power_mw <= 0 or satellite_kw <= 0 or not _design_altitude_ok(altitude_km):
        err_console.print(
            f"--fleet-power-mw and --satellite-kw must be > 0 and --altitude-km {_design_altitude_rule()[2]}"
        )
        raise typer.Exit(2)
    try:
        fleet = api.design_fleet(
            power_mw * 1e6,
            satellite_power_w=satellite_kw * 1e3,
            gpu=gpu,
            altitude_m=altitude_km * 1e3,
            orbit=kind,
            ltan_hours=18.0 if orbit == "dawn-dusk" else ltan_hours,
            inclination_deg=inclination_deg,
            design_life_years=life_years,
            vehicle=vehicle,
            price_usd_per_kg=price_per_kg,
            max_launches_per_year=math.inf if launches_per_year is None else launches_per_year,
        )
    except ValueError as exc:
        err_console.print(f"cannot design this fleet: {exc}")
        raise typer.Exit(2) from None
    from orbitgrid.console import format_value

    t = Table("item", "value", "unit", "source", title="Satellite", title_justify="left")
    for item, value, unit, source in fleet.sizing.rows():
        if not item.startswith("published"):
            t.add_row(item, format_value(value), unit, source)
    console.print(t)
    f = Table("item", "value", "unit", "basis", title="Fleet and cost", title_justify="left")
    for item, value, unit, source in fleet.rows():
        f.add_row(item, format_value(value), unit, source)
    console.print(f)
    if out is not None:
        doc = cost_dict(fleet.result, fleet.case)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
        console.print(f"Wrote {out}")


@design_app.command("size")
def design_size(
    satellite_kw: Annotated[
        float, typer.Option("--satellite-kw", help="Compute load of the satellite, kW (GPUs + host).")
    ],
    gpu: Annotated[str, typer.Option(help="Accelerator model from the GPU catalog.")] = "H100",
    altitude_km: Annotated[float, typer.Option(help="Circular orbit altitude, km.")] = 650.0,
    orbit: Annotated[str, typer.Option(help="dawn-dusk, sun_synchronous (with --ltan-hours) or inclined.")] = (
        "dawn-dusk"
    ),
    ltan_hours: Annotated[float, typer.Option(help="LTAN for a sun-synchronous orbit, h.")] = 18.0,
    inclination_deg: Annotated[float | None, typer.Option(help="Inclination for an inclined orbit, deg.")] = None,
    radiator_c: Annotated[float, typer.Option(help="Radiator temperature, deg C.")] = 56.85,
    dose_rad_per_year: Annotated[
        float | None, typer.Option(help="Dose target behind the shielding, rad(Si)/yr (else 10 mm Al).")
    ] = None,
    life_years: Annotated[float, typer.Option(help="Design life, years.")] = 5.0,
) -> None:
    """Size arrays, battery, radiator and shielding for a compute load and print the mass budget."""
    from orbitgrid.design.size import size_satellite
    from orbitgrid.scenario.catalog import gpu_models

    if gpu not in gpu_models():
        err_console.print(f"--gpu: unknown model {gpu!r}; allowed: {', '.join(gpu_models())}")
        raise typer.Exit(2)
    kind = ORBIT_KINDS.get(orbit)
    if kind is None or (kind == "inclined" and inclination_deg is None):
        err_console.print("--orbit: dawn-dusk, sun_synchronous, or inclined with --inclination-deg")
        raise typer.Exit(2)
    _check_design_numbers(
        {
            "--satellite-kw": satellite_kw,
            "--ltan-hours": ltan_hours,
            "--inclination-deg": inclination_deg,
            "--radiator-c": radiator_c,
            "--dose-rad-per-year": dose_rad_per_year,
            "--life-years": life_years,
        }
    )
    if satellite_kw <= 0 or not _design_altitude_ok(altitude_km):
        err_console.print(f"--satellite-kw must be > 0 and --altitude-km {_design_altitude_rule()[2]}")
        raise typer.Exit(2)
    try:
        sizing = size_satellite(
            compute_power_w=satellite_kw * 1e3,
            gpu=gpu,
            altitude_m=altitude_km * 1e3,
            orbit=kind,
            ltan_hours=18.0 if orbit == "dawn-dusk" else ltan_hours,
            inclination_deg=inclination_deg,
            radiator_temperature_k=radiator_c + 273.15,
            dose_target_rad_per_year=dose_rad_per_year,
            design_life_years=life_years,
        )
    except ValueError as exc:
        err_console.print(f"cannot size this satellite: {exc}")
        raise typer.Exit(2) from None
    from orbitgrid.console import format_value

    t = Table("item", "value", "unit", "source", title="Sizing and mass budget", title_justify="left")
    for item, value, unit, source in sizing.rows():
        t.add_row(item, format_value(value), unit, source)
    console.print(t)


@app.command()
def lifetime(
    scenario: ScenarioArg = "default",
    max_years: Annotated[float, typer.Option(help="Stop a decay integration after this many years.")] = 200.0,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the table as JSON here.")] = None,
) -> None:
    """Orbital lifetime (NRLMSIS, solar min/mean/max), Δv/yr to hold altitude, propellant, deorbit, 5-year rule."""
    import json

    from orbitgrid.pipeline.lifetime import TABLE_HEADERS, lifetime_table, table_rows

    if not 0.0 < max_years <= 10_000.0:
        err_console.print(f"--max-years must be in (0, 10000], got {max_years}")
        raise typer.Exit(2)
    sc = _load(scenario)
    rows = lifetime_table(sc, max_years=max_years)
    t = Table(*TABLE_HEADERS, title=f"Lifetime and station keeping: {sc.name} (dv in m/s)", title_justify="left")
    for cells in table_rows(rows):
        t.add_row(*cells)
    console.print(t)
    if json_out is not None:
        json_out.write_text(json.dumps([r.to_dict() for r in rows], indent=2) + "\n")


@app.command()
def formation(
    scenario: ScenarioArg = "suncatcher",
    orbits: Annotated[int, typer.Option(help="Orbits to propagate for the drift.")] = 3,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the reports as JSON here.")] = None,
) -> None:
    """Formation clusters: neighbour distances, HCW vs numerical propagation, J2/drag drift, keeping Δv."""
    import dataclasses
    import json

    from orbitgrid.pipeline.formation import formation_table, table_rows

    if not 2 <= orbits <= 100:
        err_console.print(f"--orbits must be in 2..100, got {orbits}")
        raise typer.Exit(2)
    sc = _load(scenario)
    reports = formation_table(sc, orbits=orbits)
    if not reports:
        err_console.print(f"{scenario}: no formation shell (fleet.shells[*].orbit.type 'formation')")
        raise typer.Exit(2)
    for name, rep in reports.items():
        t = Table("quantity", "value", title=f"Formation: {name}", title_justify="left")
        for label, text in table_rows(rep):
            t.add_row(label, text)
        console.print(t)
    if json_out is not None:
        doc = {k: dataclasses.asdict(v) for k, v in reports.items()}
        json_out.write_text(json.dumps(doc, indent=2, allow_nan=False, default=str) + "\n")


export_app = typer.Typer(help="Write a scenario's orbits as CCSDS OMM / OEM or CZML.", no_args_is_help=True)
app.add_typer(export_app, name="export")
ExportOut = Annotated[Path, typer.Option("--out", "-o", help="Output directory (a .czml file for czml).")]


@export_app.command("omm")
def export_omm_cmd(
    scenario: ScenarioArg = "default",
    out: ExportOut = Path("export/omm"),
    fmt: Annotated[str, typer.Option("--format", help="json, xml or kvn (CCSDS 502.0-B-3).")] = "json",
) -> None:
    """OMM mean elements of every orbit at the scenario epoch, one file per shell."""
    from orbitgrid.pipeline.export import export_omm

    if fmt not in ("json", "xml", "kvn"):
        err_console.print(f"--format must be json, xml or kvn, got {fmt!r}")
        raise typer.Exit(2)
    try:
        files = export_omm(_load(scenario), out, fmt)
    except ValueError as exc:
        err_console.print(f"cannot export OMM: {exc}")
        raise typer.Exit(2) from None
    for p in files:
        console.print(str(p))


@export_app.command("oem")
def export_oem_cmd(
    scenario: ScenarioArg = "default",
    out: ExportOut = Path("export/oem"),
    days: Annotated[float, typer.Option(help="Ephemeris span, days.")] = 7.0,
    per_orbit: Annotated[int, typer.Option(help="States per orbital period.")] = 100,
    limit: Annotated[int, typer.Option(help="Satellites per shell (first orbits).")] = 10,
) -> None:
    """CCSDS OEM ephemerides (TEME), one file per satellite."""
    from orbitgrid.pipeline.export import export_oem

    if not (0.0 < days <= 60.0 and 1 <= per_orbit <= 10_000 and limit >= 1):
        err_console.print("--days must be in (0, 60], --per-orbit in 1..10000, --limit >= 1")
        raise typer.Exit(2)
    try:
        files = export_oem(_load(scenario), out, days, per_orbit, limit)
    except ValueError as exc:
        err_console.print(f"cannot export OEM: {exc}")
        raise typer.Exit(2) from None
    console.print(f"{len(files)} OEM files under {out}")


@export_app.command("czml")
def export_czml_cmd(
    scenario: ScenarioArg = "default",
    out: Annotated[Path, typer.Option("--out", "-o", help="CZML file to write.")] = Path("export/orbits.czml"),
    hours: Annotated[float, typer.Option(help="Playback span, hours.")] = 2.0,
    step: Annotated[float, typer.Option(help="Sample spacing, s.")] = 60.0,
    limit: Annotated[int, typer.Option(help="Satellites per shell (first orbits).")] = 2000,
    cesium: Annotated[
        Path | None,
        typer.Option(help="CesiumJS Build/Cesium folder (scripts/fetch_cesium.sh): also write playback.html."),
    ] = None,
    run: Annotated[
        Path | None,
        typer.Option(
            help="A complete run of SCENARIO (with workloads): colour by busy GPU fraction, not illumination."
        ),
    ] = None,
) -> None:
    """CZML for Cesium: satellites in the Earth-fixed frame, coloured by illumination (or by utilization, --run)."""
    from orbitgrid.pipeline.export import export_czml, write_playback

    if not (0.0 < hours <= 48.0 and 1.0 <= step <= 3600.0 and limit >= 1):
        err_console.print("--hours must be in (0, 48], --step in [1, 3600] s, --limit >= 1")
        raise typer.Exit(2)
    try:
        sc = _load(scenario)
        console.print(str(export_czml(sc, out, hours, step, limit, run)))
        if cesium is not None:
            page = write_playback(out, cesium, sc.name)
            console.print(f"{page} (serve its folder: python -m http.server -d {page.parent})")
    except ValueError as exc:
        err_console.print(f"cannot export CZML: {exc}")
        raise typer.Exit(2) from None


@app.command()
def conjunctions(
    scenario: ScenarioArg = "default",
    threshold_km: Annotated[
        list[str] | None, typer.Option(help="KM for every shell, or SHELL=KM (repeatable; 'catalogue' too).")
    ] = None,
    duration: Annotated[str | None, typer.Option(help="Span, e.g. 6h (default: the scenario's).")] = None,
    step: Annotated[
        str,
        typer.Option(
            help="Screening step: longer steps mean fewer sorts but wider searches (20s was the fastest of 10-30s "
            "at 1,000,000 satellites, docs/benchmarks.md); the conjunctions found do not depend on it."
        ),
    ] = "20s",
    catalogue: Annotated[
        Path | None, typer.Option(help="Element-set file (TLE/OMM) to screen the fleet against.")
    ] = None,
    out: OutOpt = None,
) -> None:
    """Conjunction screening: every pair closer than the threshold, TCA and miss distance, manoeuvres/day."""
    from orbitgrid.astro.time import parse_duration_s
    from orbitgrid.pipeline import conjunctions as pc
    from orbitgrid.results import RunWriter

    sc = _load(scenario)
    default_km, per_shell = pc.parse_thresholds(threshold_km or [])
    try:
        span = None if duration is None else parse_duration_s(duration)
        step_s = parse_duration_s(step)
    except ValueError as exc:
        err_console.print(f"--duration/--step: {exc}", markup=False)
        raise typer.Exit(2) from None
    cat = pc.load_catalogue(catalogue) if catalogue is not None else None
    with _progress_bar() as bar:
        task = bar.add_task("screening", total=None)
        study = pc.screen_scenario(
            sc, span, step_s, per_shell, default_km, cat, progress=lambda k, n: bar.update(task, completed=k, total=n)
        )
    out_dir = out or _default_out("runs", f"{sc.name}-conjunctions")
    study.write(RunWriter(out_dir))
    t = Table("quantity", "value", title=f"Conjunctions: {sc.name}", title_justify="left")
    for label, text in pc.table_rows(study):
        t.add_row(label, text)
    console.print(t)
    console.print(f"Wrote {out_dir}/ (conjunctions.parquet, conjunctions.json)")


def main() -> None:
    try:
        app()
    finally:
        # The command is done: hand every object to the permanent generation, so the interpreter's shutdown does not
        # run full collections over them (tens of thousands of pydantic, typing and numpy objects: 0.2 s of a
        # 1.5 s run, ``docs/benchmarks.md``, *Startup*). Objects are still released; only the cycle search is skipped.
        import gc

        gc.freeze()


if __name__ == "__main__":
    main()
