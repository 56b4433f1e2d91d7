"""Metering and invoices: a small contract and its usage computed by hand to the cent, and the rules underneath
(whole-second meter, the 60 s minimum, hour splits, lines that add up to the rounded total)."""

from __future__ import annotations

from fractions import Fraction

from svc_helpers import ADMIN, TRAIN, new_tenant

from orbitgrid.service import billing


def test_meter_rounds_to_whole_seconds_and_applies_the_minimum() -> None:
    m = billing.meter("j", 0, "c", "on_demand", "n", 4, 10.4, 40.5, 40.5, "cancelled", 3_500_000)
    assert (m.start, m.end, m.held_s, m.minimum_s, m.billed_gpu_s) == (10, 41, 31, 29, 240)
    assert m.amount == Fraction(240 * 3_500_000, 3600)
    # the provider ended it: no minimum
    p = billing.meter("j", 0, "c", "spot", "n", 4, 10.4, 40.5, 40.5, "preempted", 1_050_000)
    assert p.minimum_s == 0 and p.billed_gpu_s == 4 * 31
    # back-to-back runs (a restart at 99.5 s) neither overlap nor leave a gap
    a = billing.meter("j", 0, "c", "spot", "n", 8, 0.0, 99.5, 99.5, "fault", 1)
    b = billing.meter("j", 1, "c", "spot", "n", 8, 99.5, 500.2, 500.2, "completed", 1)
    assert a.end == b.start == 100 and a.held_s + b.held_s == 500
    # an open run is metered through the clock, never beyond
    o = billing.meter("j", 0, "c", "spot", "n", 2, 5.0, None, 65.0, None, 1)
    assert o.open and o.billed_gpu_s == 120 and o.minimum_s == 0
    # reserved usage is covered by the commitment
    assert billing.meter("j", 0, "c", "reserved", "n", 8, 0, 60, 60, "completed", 2_000_000).amount == 0


def test_hour_split_and_rounded_lines_add_up() -> None:
    assert billing.split_hours(1800, 9000, 0) == [(0, 1800), (3600, 3600), (7200, 1800)]
    assert billing.split_hours(100, 200, 3500) == [(100, 0)] or billing.split_hours(100, 200, 3500) == [(100, 100)]
    assert billing.split_hours(50, 150, 3500) == [(-3500, 50), (100, 50)]
    # three lines of a third of a cent each: rounded one by one they would add to 0, the total is 1 cent
    third = Fraction(10_000, 3)
    assert sum(billing._round_lines([third, third, third])) == 1
    lines = [Fraction(n * 7919, 13) for n in range(1, 40)]
    assert sum(billing._round_lines(lines)) == billing.cents(sum(lines))


def test_hand_computed_invoice_to_the_cent(make_client) -> None:
    """Epoch 2027-03-31 22:00 UTC. On-demand $3.50, spot $1.05, reserved 8 GPUs at $2.00 from 23:00 to 01:00.
    22:30  on-demand training, 8 GPUs, 16 GPU-h: runs 22:30 -> 00:30 (two hours, across the month boundary)
    22:30  spot batch, 4 GPUs, cancelled at 22:30:30: 30 s held + 30 s minimum
    23:00  reserved training, 8 GPUs, 4 GPU-h: 23:00 -> 23:30, covered by the commitment

    March (ends at 00:00):
      22:00 hour  on-demand 1,800 s x 8 = 14,400 GPU-s x $3.50/3600 = $14.00
                  spot (30 + 30 minimum) s x 4 = 240 GPU-s x $1.05/3600 = $0.07
      23:00 hour  on-demand 3,600 s x 8 = 28,800 GPU-s = $28.00
                  reserved usage 1,800 s x 8 = 14,400 GPU-s, $0.00
                  commitment 8 GPUs x 1 h x $2.00 = $16.00
      usage $42.07 + commitment $16.00 = $58.07
    April:
      00:00 hour  on-demand 1,800 s x 8 = 14,400 GPU-s = $14.00; commitment 8 x 1 h x $2.00 = $16.00; total $30.00
    """
    c = make_client()
    tid, h = new_tenant(c, "acme")
    r = c.post(
        f"/v1/tenants/{tid}/contracts",
        json={
            "kind": "reserved",
            "gpus": 8,
            "gpu_model": "H100",
            "price_usd_per_gpu_hour": "2.00",
            "starts_at": "2027-03-31T23:00:00Z",
            "ends_at": "2027-04-01T01:00:00Z",
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    c.post("/v1/clock/advance", json={"t_s": 1800}, headers=ADMIN)
    od = c.post("/v1/jobs", json={**TRAIN, "work_gpu_hours": 16.0}, headers=h).json()["id"]
    spot = {"kind": "batch", "gpus": 4, "work_gpu_hours": 1.0, "contract": "spot", "placement": "ground"}
    sp = c.post("/v1/jobs", json=spot, headers=h).json()["id"]
    c.post("/v1/clock/advance", json={"t_s": 1830}, headers=ADMIN)
    assert c.post(f"/v1/jobs/{sp}/cancel", headers=h).status_code == 200
    c.post("/v1/clock/advance", json={"t_s": 3600}, headers=ADMIN)
    rs = c.post("/v1/jobs", json={**TRAIN, "work_gpu_hours": 4.0, "contract": "reserved"}, headers=h)
    assert rs.status_code == 201, rs.text
    c.post("/v1/clock/advance", json={"t_s": 3 * 3600}, headers=ADMIN)

    march = c.get("/v1/invoices/2027-03", headers=h).json()
    assert march["status"] == "closed"
    got = [
        (x["type"], x["hour_start"][11:16], x["contract"], x["gpu_seconds"], x["amount_usd"]) for x in march["lines"]
    ]
    assert got == [
        ("usage", "22:00", "on_demand", 14_400, "14.00"),
        ("usage", "22:00", "spot", 240, "0.07"),
        ("commitment", "23:00", "reserved", 28_800, "16.00"),
        ("usage", "23:00", "on_demand", 28_800, "28.00"),
        ("usage", "23:00", "reserved", 14_400, "0.00"),
    ]
    spot_line = next(x for x in march["lines"] if x["contract"] == "spot")
    assert spot_line["minimum_gpu_seconds"] == 120
    assert (march["usage_usd"], march["commitment_usd"], march["total_usd"]) == ("42.07", "16.00", "58.07")
    rec = march["reconciliation"]
    assert rec["ledger_usage_usd"] == rec["lines_usage_usd"] == "42.07"
    assert rec["ledger_gpu_seconds"] == rec["lines_gpu_seconds"] == 14_400 + 240 + 28_800 + 14_400

    april = c.get("/v1/invoices/2027-04", headers=h).json()
    got = [(x["type"], x["hour_start"][11:16], x["gpu_seconds"], x["amount_usd"]) for x in april["lines"]]
    assert got == [("commitment", "00:00", 28_800, "16.00"), ("usage", "00:00", 14_400, "14.00")]
    assert april["total_usd"] == "30.00" and april["status"] == "open"

    # the per-second ledger and the jobs' costs over all their runs
    usage = c.get("/v1/usage", headers=h).json()
    assert usage["gpu_seconds"] == 57_600 + 240 + 14_400 and usage["amount_usd"] == "56.070000"
    assert c.get(f"/v1/jobs/{od}", headers=h).json()["cost_usd"] == "56.000000"
    assert c.get(f"/v1/jobs/{sp}", headers=h).json()["cost_usd"] == "0.070000"
    listed = c.get("/v1/invoices", headers=h).json()["data"]
    assert [(x["period"], x["total_usd"]) for x in listed] == [("2027-03", "58.07"), ("2027-04", "30.00")]
