"""Metering and invoices: exact arithmetic on integer GPU-seconds and micro-dollars (no floats in money).

Metering (EC2's per-second billing with a 60 s minimum, aws.amazon.com/about-aws/whats-new/2017/10/announcing-
amazon-ec2-per-second-billing/):

- a run of a job on a node holds ``gpus`` GPUs from ``start_s`` to ``end_s`` (simulated seconds); it is metered in
  whole seconds from ``round(start_s)`` to ``round(end_s)`` (halves up), so back-to-back runs of a job (a restart
  after a fault on the same GPUs) neither overlap nor leave a gap;
- a run the tenant ends (a cancellation) or that completes is billed at least :data:`MINIMUM_S` seconds; a run the
  provider ends (a fault, a capacity drop, a preemption) is billed only for the seconds it held;
- an open run is metered through the clock, so the metered seconds of a tenant never decrease.

Prices: on-demand and spot usage at the contract's price per GPU-hour; a reserved contract is a commitment billed
for its GPUs over every hour of its period that has elapsed, whatever is used, and the usage of its jobs is listed
at no charge. An invoice covers a calendar month (UTC, the simulated calendar) in hourly lines, like the hourly
``identity/TimeInterval`` lines of AWS's cost and usage report; each line's amount is rounded to the cent so that
the usage lines add up exactly to the rounded exact usage total (largest remainders; the commitment lines likewise),
and the invoice states that total beside the per-second ledger's, which must agree to the cent.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

#: Shortest billed run, s (EC2 Linux per-second billing).
MINIMUM_S = 60
#: Outcomes of runs the tenant ends or that complete (the minimum applies).
TENANT_ENDED = ("completed", "cancelled")
HOUR_S = 3600
MICRO = 1_000_000


def second(t_s: float) -> int:
    """A simulated time on the whole-second meter (halves up)."""
    return math.floor(t_s + 0.5)


@dataclass(frozen=True)
class MeteredRun:
    """One ledger row: integer seconds ``[start, end)`` held and the seconds added by the minimum."""

    job_id: str
    run_seq: int
    contract_id: str
    kind: str  # contract kind: reserved, on_demand, spot
    node: str
    gpus: int
    start: int
    end: int
    minimum_s: int
    open: bool
    price_micro_usd_per_gpu_hour: int

    @property
    def held_s(self) -> int:
        return self.end - self.start

    @property
    def billed_gpu_s(self) -> int:
        return (self.held_s + self.minimum_s) * self.gpus

    @property
    def amount_x3600(self) -> int:
        """The exact charge in micro-dollars times 3,600 (an integer: GPU-seconds times the hourly price; 0 for
        usage covered by a reserved commitment)."""
        if self.kind == "reserved":
            return 0
        return self.billed_gpu_s * self.price_micro_usd_per_gpu_hour

    @property
    def amount(self) -> Fraction:
        """Exact charge in micro-dollars (0 for usage covered by a reserved commitment)."""
        return Fraction(self.amount_x3600, HOUR_S)


def meter(
    job_id: str,
    run_seq: int,
    contract_id: str,
    kind: str,
    node: str,
    gpus: int,
    start_s: float,
    end_s: float | None,
    through_s: float,
    outcome: str | None,
    price_micro_usd_per_gpu_hour: int,
) -> MeteredRun:
    """A ledger row from a run (``end_s`` None: open, metered through ``through_s``)."""
    start = second(start_s)
    end = max(second(end_s if end_s is not None else through_s), start)
    minimum = 0
    if end_s is not None and outcome in TENANT_ENDED:
        minimum = max(MINIMUM_S - (end - start), 0)
    return MeteredRun(
        job_id, run_seq, contract_id, kind, node, gpus, start, end, minimum, end_s is None, price_micro_usd_per_gpu_hour
    )


def micro_from_x3600(x3600: int) -> int:
    """An exact charge in micro-dollars x 3,600 (:attr:`MeteredRun.amount_x3600`) in whole micro-dollars, halves
    up (integer arithmetic: floor(x / 3600 + 1/2))."""
    return (2 * x3600 + HOUR_S) // (2 * HOUR_S)


def usd(micro: Fraction | int) -> str:
    """Micro-dollars as a dollar string to the micro-dollar (exact values rounded half up)."""
    q = math.floor(Fraction(micro) + Fraction(1, 2))
    return str(Decimal(q).scaleb(-6).quantize(Decimal("0.000001")))


def cents(micro: Fraction) -> int:
    """Exact micro-dollars rounded to whole cents (halves up)."""
    return math.floor(micro / 10_000 + Fraction(1, 2))


def dollars_from_cents(c: int) -> str:
    return str(Decimal(c).scaleb(-2).quantize(Decimal("0.01")))


def _round_lines(amounts: list[Fraction]) -> list[int]:
    """Each amount (micro-dollars) in cents, rounded so that they add up to the rounded total (largest remainder)."""
    total = cents(sum(amounts, Fraction(0)))
    exact = [a / 10_000 for a in amounts]
    floors = [math.floor(x) for x in exact]
    short = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: max(short, 0)]:
        floors[i] += 1
    return floors


def split_hours(start: int, end: int, offset_s: int) -> list[tuple[int, int]]:
    """``[start, end)`` (integer seconds since the epoch of the clock) cut at hour boundaries: ``(hour start,
    seconds)``; ``offset_s`` is the epoch's seconds past the hour (UTC)."""
    out = []
    t = start
    while t < end:
        h0 = (t + offset_s) // HOUR_S * HOUR_S - offset_s
        nxt = min(h0 + HOUR_S, end)
        out.append((h0, nxt - t))
        t = nxt
    return out


@dataclass(frozen=True)
class Commitment:
    """A reserved contract: ``gpus`` over ``[start, end)`` (integer seconds; ``end`` None: open) at a price."""

    contract_id: str
    gpus: int
    start: int
    end: int | None
    price_micro_usd_per_gpu_hour: int


def invoice(
    runs: list[MeteredRun],
    commitments: list[Commitment],
    period_start: int,
    period_end: int,
    clock: int,
    offset_s: int,
) -> dict:
    """The invoice of ``[period_start, period_end)`` (integer seconds) as of ``clock``: hourly usage lines per
    contract, hourly commitment lines, totals and the reconciliation with the per-second ledger."""
    usage: dict[tuple[int, str], dict] = {}
    ledger_gpu_s = 0
    ledger_amount = Fraction(0)
    for r in runs:
        lo, hi = max(r.start, period_start), min(r.end, period_end)
        pieces = split_hours(lo, hi, offset_s) if hi > lo else []
        minimum_in = r.minimum_s and period_start <= r.end - (r.end > r.start) < period_end
        ledger_gpu_s += (max(hi - lo, 0) + (r.minimum_s if minimum_in else 0)) * r.gpus
        if r.kind != "reserved":
            ledger_amount += Fraction(
                (max(hi - lo, 0) + (r.minimum_s if minimum_in else 0)) * r.gpus * r.price_micro_usd_per_gpu_hour,
                HOUR_S,
            )
        if minimum_in:
            last = r.end - 1 if r.end > r.start else r.start
            pieces.append(((last + offset_s) // HOUR_S * HOUR_S - offset_s, 0))
        for h0, secs in pieces:
            line = usage.setdefault(
                (h0, r.contract_id),
                {
                    "contract_id": r.contract_id,
                    "kind": r.kind,
                    "price": r.price_micro_usd_per_gpu_hour,
                    "gpu_s": 0,
                    "minimum_gpu_s": 0,
                },
            )
            line["gpu_s"] += secs * r.gpus
            if secs == 0:
                line["minimum_gpu_s"] += r.minimum_s * r.gpus
    commit_lines: dict[tuple[int, str], dict] = {}
    for c in commitments:
        lo = max(c.start, period_start)
        hi = min(c.end if c.end is not None else period_end, period_end, clock)
        for h0, secs in split_hours(lo, hi, offset_s) if hi > lo else []:
            commit_lines[(h0, c.contract_id)] = {
                "contract_id": c.contract_id,
                "gpus": c.gpus,
                "seconds": secs,
                "price": c.price_micro_usd_per_gpu_hour,
            }
    keys = sorted(usage)
    amounts = [
        Fraction(0)
        if usage[k]["kind"] == "reserved"
        else Fraction((usage[k]["gpu_s"] + usage[k]["minimum_gpu_s"]) * usage[k]["price"], HOUR_S)
        for k in keys
    ]
    ckeys = sorted(commit_lines)
    camounts = [
        Fraction(commit_lines[k]["gpus"] * commit_lines[k]["seconds"] * commit_lines[k]["price"], HOUR_S) for k in ckeys
    ]
    line_cents = _round_lines(amounts) + _round_lines(camounts)  # each part adds up to its own rounded total
    lines = []
    for k, line_c in zip(keys, line_cents[: len(keys)], strict=True):
        u = usage[k]
        lines.append(
            {
                "type": "usage",
                "hour_start_s": k[0],
                "contract_id": u["contract_id"],
                "contract": u["kind"],
                "gpu_seconds": u["gpu_s"] + u["minimum_gpu_s"],
                "minimum_gpu_seconds": u["minimum_gpu_s"],
                "unit_price_usd_per_gpu_hour": usd(u["price"]),
                "amount_usd": dollars_from_cents(line_c),
            }
        )
    for k, line_c in zip(ckeys, line_cents[len(keys) :], strict=True):
        cl = commit_lines[k]
        lines.append(
            {
                "type": "commitment",
                "hour_start_s": k[0],
                "contract_id": cl["contract_id"],
                "contract": "reserved",
                "gpu_seconds": cl["gpus"] * cl["seconds"],
                "minimum_gpu_seconds": 0,
                "unit_price_usd_per_gpu_hour": usd(cl["price"]),
                "amount_usd": dollars_from_cents(line_c),
            }
        )
    lines.sort(key=lambda x: (x["hour_start_s"], x["type"], x["contract"], x["contract_id"]))
    usage_cents = sum(line_cents[: len(keys)])
    commit_cents = sum(line_cents[len(keys) :])
    by_contract: dict[str, int] = defaultdict(int)
    for k in keys:
        by_contract[usage[k]["kind"]] += usage[k]["gpu_s"] + usage[k]["minimum_gpu_s"]
    return {
        "lines": lines,
        "usage_gpu_seconds": dict(by_contract),
        "usage_usd": dollars_from_cents(usage_cents),
        "commitment_usd": dollars_from_cents(commit_cents),
        "total_usd": dollars_from_cents(usage_cents + commit_cents),
        "reconciliation": {
            "ledger_gpu_seconds": ledger_gpu_s,
            "lines_gpu_seconds": sum(u["gpu_s"] + u["minimum_gpu_s"] for u in usage.values()),
            "ledger_usage_usd": dollars_from_cents(cents(ledger_amount)),
            "lines_usage_usd": dollars_from_cents(usage_cents),
            "ledger_usage_exact_micro_usd": usd(ledger_amount),
        },
    }
