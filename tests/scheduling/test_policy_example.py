"""The one-screen policy of ``docs/scheduling.md``, run from the page itself: it must work against ``EngineView`` and
do what the page says (shortest remaining work first; the most free node among those that keep the gang until its
first checkpoint, else the most free node)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from orbitgrid.scheduling.engine import COMPLETED, Engine
from orbitgrid.workloads.jobs import JobKind

DOC = Path(__file__).resolve().parents[2] / "docs" / "scheduling.md"


@pytest.fixture(scope="module")
def policy_class() -> type:
    """The first Python block of the page, executed: the class it defines."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    namespace: dict = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    return namespace["ShortestFirstSpread"]


def test_shortest_remaining_work_runs_first(policy_class, make_fleet, make_workload, check_invariants) -> None:
    # one 8-GPU node, four 8-GPU jobs queued together: they run one after another, least work first
    fleet = make_fleet([8], 600)
    work = np.array([4.0, 1.0, 3.0, 2.0]) * 1800.0 * 8
    wl = make_workload(kind=JobKind.TRAINING, gpus=8, submit_s=0.0, work_gpu_s=work)
    res = Engine(fleet, wl, policy_class(), np.random.default_rng(0)).run()
    check_invariants(fleet, wl, res)
    assert (res.state == COMPLETED).all()
    assert np.argsort(res.first_start_s).tolist() == [1, 3, 2, 0]
    # back to back: each starts when the one before it ends
    ends = np.sort(res.end_s)[:-1]
    np.testing.assert_allclose(np.sort(res.first_start_s)[1:], ends)


def test_spreads_over_the_nodes_that_keep_the_gang(policy_class, make_fleet, make_workload, check_invariants) -> None:
    # node 0 has the most GPUs but an outage from step 30 to 40 (minutes 30-40); node 1 and node 2 keep theirs
    usable = np.array([[16] * 600, [8] * 600, [12] * 600], dtype=np.int32)
    usable[0, 30:40] = 0
    fleet = make_fleet([16, 8, 12], 600, usable=usable)
    # a 4-GPU job of 1 hour starting at 0 would be evicted on node 0: it goes to node 2 (most free of the others);
    # a 4-GPU job of 10 minutes at 0 fits before the outage: node 0, the most free
    wl = make_workload(
        kind=JobKind.TRAINING, gpus=4, submit_s=[0.0, 0.0], work_gpu_s=[4 * 3600.0, 4 * 600.0], job_id=["long", "short"]
    )
    eng = Engine(fleet, wl, policy_class(), np.random.default_rng(0))
    res = eng.run()
    check_invariants(fleet, wl, res)
    ids = wl.jobs.job_id.tolist()
    first_node = {ids[j]: int(n) for j, n in zip(res.placements["job"], res.placements["node"], strict=True)}
    assert first_node == {"short": 0, "long": 2}
    assert (res.state == COMPLETED).all()
    assert (res.placements["outcome"] == 0).all()  # nothing evicted


def test_no_node_keeps_it_falls_back_to_the_most_free(
    policy_class, make_fleet, make_workload, check_invariants
) -> None:
    # every node has an outage at minutes 30-40: the 1-hour job starts on the most free node and is evicted there
    usable = np.array([[8] * 600, [16] * 600], dtype=np.int32)
    usable[:, 30:40] = 0
    fleet = make_fleet([8, 16], 600, usable=usable)
    wl = make_workload(kind=JobKind.TRAINING, gpus=4, submit_s=0.0, work_gpu_s=[4 * 3600.0])
    res = Engine(fleet, wl, policy_class(), np.random.default_rng(0)).run()
    check_invariants(fleet, wl, res)
    assert res.placements["node"][0] == 1
    assert res.placements["outcome"][0] == 4  # capacity: the outage evicted it
    assert res.state[0] == COMPLETED
