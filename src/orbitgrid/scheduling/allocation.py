"""Allocation and fragmentation over a run: the GPU share requested, allocated and stranded at each sample time.

A run's placements (job, node, start, end, GPUs) are replayed in time order through the packer of
:mod:`orbitgrid.scheduling.sharing` (the same choice of GPUs inside a node that the engine makes), together with the
jobs' arrivals and ends, and the cluster is read at each sample time (the state after every event at or before it):

- ``requested_gpus``: the GPU demand of the jobs in the system (queued or running), counted by their share
  (``gpus`` whole GPUs, or ``gpu_milli / 1000`` of one), whatever they hold;
- ``allocated_gpus``: the share running jobs hold (a divisible job shrunk to fewer GPUs holds fewer);
- ``occupied_gpus``: GPUs holding at least one job (a GPU shared by pods counts once);
- ``fragmented_gpus``: the openb paper's measure (Weng et al., USENIX ATC 2023, §3.2; ``sharing.fragmented_gpus``)
  for the run's own mix of GPU requests: the free GPU share the next job, drawn from that mix, is expected not to be
  able to use;
- ``stranded_gpus``: free GPU share that no job waiting at that instant can use (none of the queued requests fits
  that GPU: too little share on it, a partly used GPU for a whole-GPU gang, or a node without the CPU, memory, GPUs
  or model); 0 when nothing waits;
- ``queued_jobs``.

Nodes count at their installed GPUs: capacity taken by power or heat is the utilization table's business, so a GPU
shut down in eclipse is free here, and a fragment only if it is partly allocated or on a node a request cannot use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid._jit import kernel
from orbitgrid.scheduling.sharing import MILLI, SharedCluster, give_back, node_fits, node_fragmented_milli, take

# event kinds, in their order at one instant: a segment ends, a job arrives, a job ends, a segment starts
_SEG_END, _ARRIVE, _JOB_END, _SEG_START = 0, 1, 2, 3


@kernel(cache=True)
def _stranded(
    whole: np.ndarray,
    shared: np.ndarray,
    cpu_free: np.ndarray,
    mem_free: np.ndarray,
    model: np.ndarray,
    c_gpus: np.ndarray,
    c_milli: np.ndarray,
    c_cpu: np.ndarray,
    c_mem: np.ndarray,
    c_model: np.ndarray,
    waiting: np.ndarray,
) -> float:
    """Free share (GPUs) that no waiting class can use: a node's entirely free GPUs when no waiting request fits
    the node, and each shared GPU's free share when no waiting fractional request fits in it."""
    total = 0
    for n in range(whole.shape[0]):
        row = shared[n]
        if whole[n] > 0:
            usable = False
            for c in range(c_gpus.size):
                if waiting[c] <= 0 or c_gpus[c] == 0 or (c_model[c] >= 0 and c_model[c] != model[n]):
                    continue
                if node_fits(whole, shared, cpu_free, mem_free, n, c_gpus[c], c_milli[c], c_cpu[c], c_mem[c]):
                    usable = True
                    break
            if not usable:
                total += whole[n] * MILLI
        for k in range(row.size):
            f = row[k]
            if f <= 0:
                continue
            usable = False
            for c in range(c_gpus.size):
                if waiting[c] <= 0 or c_gpus[c] != 1 or c_milli[c] >= MILLI or c_milli[c] > f:
                    continue
                if c_model[c] >= 0 and c_model[c] != model[n]:
                    continue
                if (c_cpu[c] <= 0 or cpu_free[n] >= c_cpu[c]) and (c_mem[c] <= 0.0 or mem_free[n] >= c_mem[c]):
                    usable = True
                    break
            if not usable:
                total += f
    return total / MILLI


@kernel(cache=True)
def _walk(
    whole: np.ndarray,
    shared: np.ndarray,
    cpu_free: np.ndarray,
    mem_free: np.ndarray,
    free_milli: np.ndarray,
    node_gpus: np.ndarray,
    node_model: np.ndarray,
    ev_t: np.ndarray,
    ev_kind: np.ndarray,
    ev_ref: np.ndarray,
    job_class: np.ndarray,
    job_share: np.ndarray,
    job_milli: np.ndarray,
    pl_job: np.ndarray,
    pl_node: np.ndarray,
    pl_gpus: np.ndarray,
    c_gpus: np.ndarray,
    c_milli: np.ndarray,
    c_cpu: np.ndarray,
    c_mem: np.ndarray,
    c_model: np.ndarray,
    c_weight: np.ndarray,
    samples: np.ndarray,
    out: np.ndarray,
) -> None:
    n_pl = pl_job.size
    slot = np.full(max(n_pl, 1), -1, dtype=np.int64)
    placed = np.zeros(max(n_pl, 1), dtype=np.bool_)
    waiting = np.zeros(c_gpus.size, dtype=np.int64)
    running = np.zeros(job_class.size, dtype=np.int64)  # segments a job holds now (0 or 1)
    in_system = np.zeros(job_class.size, dtype=np.bool_)
    requested = 0.0
    queued = 0
    n_nodes = whole.shape[0]
    # each node's part of the fragmentation, recomputed only for the nodes an event touched since the last sample
    node_frag = np.zeros(n_nodes)
    dirty = np.ones(n_nodes, dtype=np.bool_)
    total_milli = 0
    for n in range(n_nodes):
        total_milli += node_gpus[n] * MILLI
    e = 0
    for s in range(samples.size):
        t = samples[s]
        while e < ev_t.size and ev_t[e] <= t:
            kind, ref = ev_kind[e], ev_ref[e]
            if kind == _ARRIVE:
                in_system[ref] = True
                requested += job_share[ref]
                waiting[job_class[ref]] += 1
                queued += 1
            elif kind == _JOB_END:
                if in_system[ref]:
                    in_system[ref] = False
                    requested -= job_share[ref]
                    if running[ref] == 0:
                        waiting[job_class[ref]] -= 1
                        queued -= 1
            elif kind == _SEG_START:
                j, n = pl_job[ref], pl_node[ref]
                g = pl_gpus[ref]
                milli = job_milli[j] if g == 1 else MILLI
                cl = job_class[j]
                if node_fits(whole, shared, cpu_free, mem_free, n, g, milli, c_cpu[cl], c_mem[cl]):
                    slot[ref], _ = take(
                        whole, shared, cpu_free, mem_free, free_milli, n, g, milli, c_cpu[cl], c_mem[cl]
                    )
                    placed[ref] = True
                dirty[n] = True
                if running[j] == 0 and in_system[j]:
                    waiting[job_class[j]] -= 1
                    queued -= 1
                running[j] += 1
            else:  # _SEG_END
                j, n = pl_job[ref], pl_node[ref]
                dirty[n] = True
                if placed[ref]:
                    g = pl_gpus[ref]
                    milli = job_milli[j] if g == 1 else MILLI
                    cl = job_class[j]
                    give_back(
                        whole, shared, cpu_free, mem_free, free_milli, n, slot[ref], g, milli, c_cpu[cl], c_mem[cl]
                    )
                    placed[ref] = False
                running[j] -= 1
                if running[j] == 0 and in_system[j]:
                    waiting[job_class[j]] += 1
                    queued += 1
            e += 1
        free_all = 0
        occupied = 0
        for n in range(n_nodes):
            free_all += free_milli[n]
            occupied += node_gpus[n] - whole[n]
            if dirty[n]:
                node_frag[n] = node_fragmented_milli(
                    whole, shared, cpu_free, mem_free, free_milli, node_model, n, c_gpus, c_milli, c_cpu, c_mem,
                    c_model, c_weight,
                )  # fmt: skip
                dirty[n] = False
        out[s, 0] = requested
        out[s, 1] = (total_milli - free_all) / MILLI
        out[s, 2] = occupied
        out[s, 3] = node_frag.sum() / MILLI
        out[s, 4] = (
            _stranded(whole, shared, cpu_free, mem_free, node_model, c_gpus, c_milli, c_cpu, c_mem, c_model, waiting)
            if queued > 0
            else 0.0
        )
        out[s, 5] = queued


#: Columns of :func:`allocation_timeline` after ``t_s``.
COLUMNS = ("requested_gpus", "allocated_gpus", "occupied_gpus", "fragmented_gpus", "stranded_gpus", "queued_jobs")


@dataclass(frozen=True)
class RunRequests:
    """What each job asked for (one row per job) and when it was in the system, for :func:`allocation_timeline`.

    ``share`` is its GPU demand in GPUs (``gpus``, or ``gpu_milli / 1000`` for a fractional pod); ``model`` a node
    model index or -1; ``end_s`` NaN while it has not ended by the horizon."""

    gpus: np.ndarray
    share: np.ndarray
    cpu_milli: np.ndarray
    memory_mib: np.ndarray
    model: np.ndarray
    submit_s: np.ndarray
    end_s: np.ndarray


def allocation_timeline(
    node_gpus: np.ndarray,
    node_cpu_milli: np.ndarray,
    node_memory_mib: np.ndarray,
    node_model: np.ndarray,
    jobs: RunRequests,
    placements: dict[str, np.ndarray],
    samples_s: np.ndarray,
) -> dict[str, np.ndarray]:
    """The module docstring's columns at each of ``samples_s`` (ascending), from a run's jobs and placements
    (``job``, ``node``, ``start_s``, ``end_s``, ``gpus``)."""
    n_jobs = jobs.gpus.size
    milli = np.where(jobs.gpus == 1, np.rint(jobs.share * MILLI), MILLI).astype(np.int64)
    fractional = int(((jobs.gpus == 1) & (milli < MILLI)).sum())
    cluster = SharedCluster(node_gpus, node_cpu_milli, node_memory_mib, max_shared=max(fractional, 1))
    cls_rows = np.stack(
        [
            jobs.gpus.astype(np.float64),
            milli.astype(np.float64),
            jobs.cpu_milli.astype(np.float64),
            jobs.memory_mib.astype(np.float64),
            jobs.model.astype(np.float64),
        ],
        axis=1,
    )
    if n_jobs:
        uniq, job_class = np.unique(cls_rows, axis=0, return_inverse=True)
        job_class = job_class.reshape(-1)
    else:
        uniq, job_class = np.zeros((0, 5)), np.zeros(0, np.int64)
    gpu_jobs = jobs.gpus > 0
    weight = np.bincount(job_class[gpu_jobs], minlength=uniq.shape[0]).astype(np.float64)
    weight = weight / weight.sum() if weight.sum() > 0 else weight
    pl = placements
    n_pl = int(pl["job"].size)
    ended = np.isfinite(jobs.end_s)
    ev_t = np.concatenate([pl["end_s"], jobs.submit_s, jobs.end_s[ended], pl["start_s"]])
    ev_kind = np.concatenate(
        [
            np.full(n_pl, _SEG_END),
            np.full(n_jobs, _ARRIVE),
            np.full(int(ended.sum()), _JOB_END),
            np.full(n_pl, _SEG_START),
        ]
    ).astype(np.int64)
    ev_ref = np.concatenate([np.arange(n_pl), np.arange(n_jobs), np.flatnonzero(ended), np.arange(n_pl)])
    # a segment still running at the horizon ends there (the engine closes it) but its job has not ended
    order = np.lexsort((ev_ref, ev_kind, ev_t))
    samples = np.asarray(samples_s, dtype=np.float64)
    out = np.zeros((samples.size, len(COLUMNS)))
    _walk(
        *cluster.arrays(),
        cluster.gpus,
        np.asarray(node_model, np.int64),
        ev_t[order].astype(np.float64),
        ev_kind[order],
        ev_ref[order].astype(np.int64),
        job_class.astype(np.int64),
        jobs.share.astype(np.float64),
        milli,
        pl["job"].astype(np.int64),
        pl["node"].astype(np.int64),
        pl["gpus"].astype(np.int64),
        uniq[:, 0].astype(np.int64),
        uniq[:, 1].astype(np.int64),
        uniq[:, 2].astype(np.int64),
        uniq[:, 3].astype(np.float64),
        uniq[:, 4].astype(np.int64),
        weight,
        samples,
        out,
    )
    cols = {"t_s": samples}
    cols.update({name: out[:, i] for i, name in enumerate(COLUMNS)})
    cols["occupied_gpus"] = cols["occupied_gpus"].astype(np.int64)
    cols["queued_jobs"] = cols["queued_jobs"].astype(np.int64)
    return cols
