"""GPU sharing and multi-resource packing: several pods on one GPU by milli-GPU share, with CPU and memory per node.

The model is the one of Kubernetes GPU-sharing schedulers and of Alibaba's openb simulator (Weng et al., "Beware of
Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent", USENIX ATC 2023, §2 and §6):

- a node has ``G`` GPUs of :data:`MILLI` milli-GPU of share each, ``cpu_milli`` milli-cores and ``memory_mib`` MiB
  (a capacity of 0 means the dimension is not modelled on that node: it never limits);
- a request is ``(gpus, gpu_milli, cpu_milli, memory_mib)``; ``gpu_milli < 1000`` only with ``gpus == 1`` (a
  fractional pod takes ``gpu_milli`` of one GPU's share); any other request takes ``gpus`` whole GPUs that are
  entirely free (a partly shared GPU cannot be part of a multi-GPU gang); ``gpus == 0`` is a CPU-only pod;
- inside a node a fractional pod goes to the GPU with the least remaining share that still holds it (best fit on the
  GPU's share, ties to the lowest GPU index), so shared GPUs fill up before a fresh GPU is opened; whole GPUs are the
  lowest-index free ones;
- between nodes, :func:`best_fit_node` is the paper's "Best-fit" baseline (§6.1): the node with the least weighted
  leftover ``0.5 (cpu_free - cpu) / cpu_max + 0.5 (gpu_free - gpu) / gpu_max`` after placing the request (CPU over
  the largest node's CPU, GPU share in GPUs over the largest node's GPU count), ties to the lowest node index.

:class:`SharedCluster` keeps, per node, the count of entirely free GPUs (``whole``), a small table of the GPUs
shared by fractional pods (``shared[n, s]``: free milli-GPU of shared GPU ``s``, -1 for an unused slot; a shared GPU
that its last pod leaves is entirely free again and its slot is released), the free share (``free_milli``), CPU and
memory. Whole-GPU requests need no GPU identity, so a node of 100,000 GPUs costs a few integers, not a row of
100,000: the table's width is the most GPUs one node may share at once (at most its GPUs and the fractional pods).

Fragmentation (the paper's §3.2, "fragmentation measure"): for a node ``n`` and a task ``m``, ``F_n(m)`` is the
unallocated GPU share of ``n`` that ``m`` cannot use: all of it when ``m`` cannot run on ``n`` at all (not enough
CPU, memory, whole GPUs or share on any one GPU, or another GPU model); otherwise the free share of every GPU that
cannot give ``m`` its per-GPU demand (for a fractional ``m`` the GPUs with less than ``gpu_milli`` free, for a
whole-GPU ``m`` the partly allocated GPUs); a task that asks no GPU (a CPU-only pod) can use none, so all of it.
The cluster's fragmentation for a workload is ``sum_n sum_m p_m F_n(m)`` over the workload's task classes ``m`` with
their popularity ``p_m``: the expected GPUs the next task cannot use. :func:`fragmented_gpus` computes it in GPUs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid._jit import kernel
from orbitgrid.workloads.jobs import MILLI_PER_GPU

#: Share of one GPU, in milli-GPU (the JobTable's ``gpu_milli`` unit).
MILLI = MILLI_PER_GPU
#: Weights of the CPU and GPU leftovers in :func:`best_fit_node` (the paper's Best-fit baseline weighs them equally).
BEST_FIT_WEIGHTS = (0.5, 0.5)


@kernel(cache=True)
def node_fits(
    whole: np.ndarray,
    shared: np.ndarray,
    cpu_free: np.ndarray,
    mem_free: np.ndarray,
    n: int,
    gpus: int,
    milli: int,
    cpu: int,
    mem: float,
) -> bool:
    """Whether node ``n`` can take the request now (see the module docstring)."""
    if cpu > 0 and cpu_free[n] < cpu:
        return False
    if mem > 0.0 and mem_free[n] < mem:
        return False
    if gpus == 0:
        return True
    if milli < MILLI:
        if whole[n] > 0:
            return True
        row = shared[n]
        for k in range(row.size):  # noqa: SIM110 (numba compiles no generator expression)
            if row[k] >= milli:
                return True
        return False
    return whole[n] >= gpus


@kernel(cache=True)
def _best_shared(shared: np.ndarray, n: int, milli: int) -> int:
    """The shared GPU of node ``n`` with the least free share that holds ``milli`` (lowest slot on ties), or -1."""
    row = shared[n]
    best = -1
    for k in range(row.size):
        f = row[k]
        if f >= milli and (best < 0 or f < row[best]):
            best = k
    return best


@kernel(cache=True)
def best_fit_node(
    nodes: np.ndarray,
    whole: np.ndarray,
    shared: np.ndarray,
    cpu_free: np.ndarray,
    mem_free: np.ndarray,
    free_milli: np.ndarray,
    gpus: int,
    milli: int,
    cpu: int,
    mem: float,
    cpu_max: float,
    gpu_max: float,
    fresh: np.ndarray,
    exclude: int,
) -> int:
    """The best-fit node among ``nodes`` (ascending indices) for the request, or -1 (module docstring). A node may
    open at most ``fresh[n]`` entirely free GPUs now (a negative entry: no limit beyond ``whole``); ``exclude``
    (or -1) is left out."""
    best = -1
    best_score = np.inf
    need_milli = milli if milli < MILLI else gpus * MILLI
    for i in range(nodes.size):
        n = nodes[i]
        if n == exclude:
            continue
        if fresh[n] >= 0 and gpus > 0:
            if milli < MILLI:
                if fresh[n] < 1 and _best_shared(shared, n, milli) < 0:
                    continue
            elif fresh[n] < gpus:
                continue
        if not node_fits(whole, shared, cpu_free, mem_free, n, gpus, milli, cpu, mem):
            continue
        score = 0.0
        if cpu_max > 0.0 and cpu > 0:
            score += 0.5 * (cpu_free[n] - cpu) / cpu_max
        if gpu_max > 0.0:
            score += 0.5 * (free_milli[n] - need_milli) / MILLI / gpu_max
        if score < best_score:
            best = n
            best_score = score
    return best


@kernel(cache=True)
def take(
    whole: np.ndarray,
    shared: np.ndarray,
    cpu_free: np.ndarray,
    mem_free: np.ndarray,
    free_milli: np.ndarray,
    n: int,
    gpus: int,
    milli: int,
    cpu: int,
    mem: float,
) -> tuple[int, int]:
    """Place the request on node ``n`` (it must fit): ``(shared slot or -1, GPUs it opened)``. A fractional pod goes
    to the tightest shared GPU that holds it, else opens an entirely free GPU into a free slot."""
    slot = -1
    opened = 0
    if gpus > 0:
        if milli < MILLI:
            slot = _best_shared(shared, n, milli)
            if slot < 0:
                row = shared[n]
                for k in range(row.size):
                    if row[k] < 0:
                        slot = k
                        break
                row[slot] = MILLI
                whole[n] -= 1
                opened = 1
            shared[n, slot] -= milli
            free_milli[n] -= milli
        else:
            whole[n] -= gpus
            free_milli[n] -= gpus * MILLI
            opened = gpus
    if cpu > 0:
        cpu_free[n] -= cpu
    if mem > 0.0:
        mem_free[n] -= mem
    return slot, opened


@kernel(cache=True)
def give_back(
    whole: np.ndarray,
    shared: np.ndarray,
    cpu_free: np.ndarray,
    mem_free: np.ndarray,
    free_milli: np.ndarray,
    n: int,
    slot: int,
    gpus: int,
    milli: int,
    cpu: int,
    mem: float,
) -> int:
    """Undo :func:`take` (``slot`` as it returned): the GPUs left entirely free."""
    closed = 0
    if gpus > 0:
        if milli < MILLI:
            shared[n, slot] += milli
            free_milli[n] += milli
            if shared[n, slot] == MILLI:
                shared[n, slot] = -1
                whole[n] += 1
                closed = 1
        else:
            whole[n] += gpus
            free_milli[n] += gpus * MILLI
            closed = gpus
    if cpu > 0:
        cpu_free[n] += cpu
    if mem > 0.0:
        mem_free[n] += mem
    return closed


@kernel(cache=True)
def node_fragmented_milli(
    whole: np.ndarray,
    shared: np.ndarray,
    cpu_free: np.ndarray,
    mem_free: np.ndarray,
    free_milli: np.ndarray,
    model: np.ndarray,
    n: int,
    class_gpus: np.ndarray,
    class_milli: np.ndarray,
    class_cpu: np.ndarray,
    class_mem: np.ndarray,
    class_model: np.ndarray,
    class_weight: np.ndarray,
) -> float:
    """Node ``n``'s part of :func:`fragmented_gpus`, ``sum_m p_m F_n(m)``, in milli-GPU."""
    free_all = free_milli[n]
    if free_all <= 0:
        return 0.0
    row = shared[n]
    total = 0.0
    for c in range(class_gpus.size):
        g, d = class_gpus[c], class_milli[c]
        if g == 0:  # a task that asks no GPU can use none of them: every free GPU is a fragment to it
            total += class_weight[c] * free_all
            continue
        ok = class_model[c] < 0 or class_model[c] == model[n]
        if ok:
            ok = node_fits(whole, shared, cpu_free, mem_free, n, g, d, class_cpu[c], class_mem[c])
        if not ok:
            frag = free_all
        else:
            need = d if d < MILLI else MILLI
            frag = 0
            for k in range(row.size):  # the shared GPUs: partly allocated, free share below 1000
                if 0 < row[k] < need:
                    frag += row[k]
        total += class_weight[c] * frag
    return total


@kernel(cache=True)
def fragmented_gpus(
    whole: np.ndarray,
    shared: np.ndarray,
    cpu_free: np.ndarray,
    mem_free: np.ndarray,
    free_milli: np.ndarray,
    model: np.ndarray,
    class_gpus: np.ndarray,
    class_milli: np.ndarray,
    class_cpu: np.ndarray,
    class_mem: np.ndarray,
    class_model: np.ndarray,
    class_weight: np.ndarray,
    usable: np.ndarray,
) -> float:
    """The cluster's fragmented GPUs for a workload of task classes (module docstring): ``sum_n sum_m p_m F_n(m)``
    in GPUs. ``class_weight`` are the popularities ``p_m`` (they should sum to 1); ``class_model`` a node model index
    or -1 (any); ``usable[n]`` False leaves node ``n`` out (down, or out of reach)."""
    total = 0.0
    for n in range(whole.shape[0]):
        if usable[n]:
            total += node_fragmented_milli(
                whole, shared, cpu_free, mem_free, free_milli, model, n, class_gpus, class_milli, class_cpu,
                class_mem, class_model, class_weight,
            )  # fmt: skip
    return total / MILLI


@dataclass
class SharedCluster:
    """Entirely free GPUs, shared GPUs' free shares, CPU and memory of a set of nodes, with the packing operations.

    ``gpus[n]`` GPUs per node; ``cpu_milli[n]`` and ``memory_mib[n]`` capacities (0: not modelled); ``max_shared``
    the most GPUs one node may share at once (the shared table's width; default: the largest node's GPUs).
    """

    gpus: np.ndarray
    cpu_milli: np.ndarray
    memory_mib: np.ndarray
    max_shared: int | None = None

    def __post_init__(self) -> None:
        self.gpus = np.asarray(self.gpus, dtype=np.int64)
        n = self.gpus.size
        self.cpu_milli = np.broadcast_to(np.asarray(self.cpu_milli, dtype=np.int64), (n,)).copy()
        self.memory_mib = np.broadcast_to(np.asarray(self.memory_mib, dtype=np.float64), (n,)).copy()
        width = int(self.gpus.max(initial=0))
        if self.max_shared is not None:
            width = min(width, int(self.max_shared))
        self.whole = self.gpus.copy()
        self.shared = np.full((n, max(width, 1)), -1, dtype=np.int64)
        # not modelled: a capacity no request reaches
        self.cpu_free = np.where(self.cpu_milli > 0, self.cpu_milli, np.iinfo(np.int64).max // 4)
        self.mem_free = np.where(self.memory_mib > 0, self.memory_mib, np.inf)
        self.free_milli = self.gpus * MILLI
        self.cpu_max = float(self.cpu_milli.max(initial=0))
        self.gpu_max = float(self.gpus.max(initial=0))
        self.no_limit = np.full(n, -1, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.gpus.size)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(whole, shared, cpu_free, mem_free, free_milli)``, the state the kernels take."""
        return self.whole, self.shared, self.cpu_free, self.mem_free, self.free_milli

    def fits(self, n: int, gpus: int, milli: int = MILLI, cpu: int = 0, mem: float = 0.0) -> bool:
        return bool(node_fits(self.whole, self.shared, self.cpu_free, self.mem_free, n, gpus, milli, cpu, mem))

    def best_fit(
        self,
        nodes: np.ndarray,
        gpus: int,
        milli: int = MILLI,
        cpu: int = 0,
        mem: float = 0.0,
        fresh: np.ndarray | None = None,
        exclude: int = -1,
    ) -> int:
        """The best-fit node among ``nodes`` (ascending int64 indices), or -1."""
        return int(
            best_fit_node(
                nodes, *self.arrays(), gpus, milli, cpu, mem, self.cpu_max, self.gpu_max,
                self.no_limit if fresh is None else fresh, exclude,
            )
        )  # fmt: skip

    def allocate(self, n: int, gpus: int, milli: int = MILLI, cpu: int = 0, mem: float = 0.0) -> tuple[int, int]:
        """Take the request on node ``n``: ``(shared slot or -1, GPUs opened)``; raises if it does not fit."""
        if not self.fits(n, gpus, milli, cpu, mem):
            raise RuntimeError(f"request ({gpus} GPUs x {milli} milli, {cpu} mCPU, {mem} MiB) does not fit node {n}")
        slot, opened = take(*self.arrays(), n, gpus, milli, cpu, mem)
        return int(slot), int(opened)

    def release(self, n: int, slot: int, gpus: int, milli: int = MILLI, cpu: int = 0, mem: float = 0.0) -> int:
        """Give back what :meth:`allocate` took on node ``n`` (its ``slot``): the GPUs left entirely free."""
        return int(give_back(*self.arrays(), n, slot, gpus, milli, cpu, mem))

    def shared_free(self, n: int) -> list[int]:
        """Free share of node ``n``'s shared GPUs, by slot (unused slots left out)."""
        return [int(x) for x in self.shared[n] if x >= 0]

    def whole_free(self) -> np.ndarray:
        """Entirely free GPUs per node."""
        return self.whole.copy()

    def touched(self) -> np.ndarray:
        """GPUs per node holding at least one request (partly or wholly allocated)."""
        return self.gpus - self.whole

    def allocated_gpus(self) -> float:
        """Allocated GPU share over the cluster, in GPUs (the sum of the requests' shares)."""
        return float(self.gpus.sum() * MILLI - self.free_milli.sum()) / MILLI


@dataclass(frozen=True)
class TaskClasses:
    """Distinct requests of a workload and their popularity (share of the tasks), for :func:`fragmented_gpus`."""

    gpus: np.ndarray
    milli: np.ndarray
    cpu: np.ndarray
    mem: np.ndarray
    model: np.ndarray
    weight: np.ndarray

    @classmethod
    def of(
        cls,
        gpus: np.ndarray,
        milli: np.ndarray,
        cpu: np.ndarray | None = None,
        mem: np.ndarray | None = None,
        model: np.ndarray | None = None,
    ) -> TaskClasses:
        """The classes of the given tasks (one row per task), weighted by how many tasks each holds."""
        n = np.size(gpus)
        cols = np.stack(
            [
                np.asarray(gpus, np.float64),
                np.where(np.asarray(milli) < MILLI, milli, MILLI).astype(np.float64),
                np.zeros(n) if cpu is None else np.asarray(cpu, np.float64),
                np.zeros(n) if mem is None else np.asarray(mem, np.float64),
                np.full(n, -1.0) if model is None else np.asarray(model, np.float64),
            ],
            axis=1,
        )
        if n == 0:
            z = np.zeros(0)
            return cls(z.astype(np.int64), z.astype(np.int64), z.astype(np.int64), z, z.astype(np.int64), z)
        uniq, counts = np.unique(cols, axis=0, return_counts=True)
        return cls(
            uniq[:, 0].astype(np.int64),
            uniq[:, 1].astype(np.int64),
            uniq[:, 2].astype(np.int64),
            uniq[:, 3],
            uniq[:, 4].astype(np.int64),
            counts / counts.sum(),
        )

    def fragmented_gpus(self, cluster: SharedCluster, model: np.ndarray, usable: np.ndarray | None = None) -> float:
        """:func:`fragmented_gpus` of ``cluster`` for these classes (``model``: each node's model index)."""
        ok = np.ones(len(cluster), dtype=np.bool_) if usable is None else np.asarray(usable, dtype=np.bool_)
        return float(
            fragmented_gpus(
                *cluster.arrays(),
                np.asarray(model, np.int64),
                self.gpus,
                self.milli,
                self.cpu,
                self.mem,
                self.model,
                self.weight,
                ok,
            )
        )


@kernel(cache=True)
def _inflate(
    whole: np.ndarray,
    shared: np.ndarray,
    cpu_free: np.ndarray,
    mem_free: np.ndarray,
    free_milli: np.ndarray,
    node_model: np.ndarray,
    cpu_max: float,
    gpu_max: float,
    t_gpus: np.ndarray,
    t_milli: np.ndarray,
    t_cpu: np.ndarray,
    t_mem: np.ndarray,
    t_model: np.ndarray,
    placed: np.ndarray,
) -> None:
    all_nodes = np.arange(whole.shape[0])
    no_limit = np.full(whole.shape[0], -1, dtype=np.int64)
    for i in range(t_gpus.size):
        nodes = all_nodes if t_model[i] < 0 else all_nodes[node_model == t_model[i]]
        n = best_fit_node(
            nodes, whole, shared, cpu_free, mem_free, free_milli, t_gpus[i], t_milli[i], t_cpu[i], t_mem[i],
            cpu_max, gpu_max, no_limit, -1,
        )  # fmt: skip
        placed[i] = n
        if n >= 0:
            take(whole, shared, cpu_free, mem_free, free_milli, n, t_gpus[i], t_milli[i], t_cpu[i], t_mem[i])


@dataclass(frozen=True)
class Inflation:
    """What :func:`inflate` measured: after each submitted task ``i``, the GPU demand that has arrived and the GPU
    share allocated (both in GPUs), and the node each task went to (-1: it did not fit)."""

    arrived_gpus: np.ndarray
    allocated_gpus: np.ndarray
    node: np.ndarray
    total_gpus: float

    def allocation_at(self, arrived_fraction: float) -> float:
        """Allocated GPUs / cluster GPUs when the arrived demand first reaches ``arrived_fraction`` of the cluster's
        GPUs (as the paper's Fig. 9 reads its curves)."""
        i = int(np.searchsorted(self.arrived_gpus, arrived_fraction * self.total_gpus, side="left"))
        if i >= self.arrived_gpus.size:
            raise ValueError(f"the tasks submitted reach only {self.arrived_gpus[-1] / self.total_gpus:.1%} arrived")
        return float(self.allocated_gpus[i]) / self.total_gpus


def inflate(
    cluster: SharedCluster,
    node_model: np.ndarray,
    gpus: np.ndarray,
    milli: np.ndarray,
    cpu: np.ndarray,
    mem: np.ndarray,
    model: np.ndarray,
) -> Inflation:
    """Workload inflation (Weng et al. 2023 §6.1, after Verma et al., "Evaluating job packing in warehouse-scale
    computing", CLUSTER 2014): submit the tasks in the given order to an initially empty cluster, each placed by
    :func:`best_fit_node` or turned away, none ever leaving. ``model`` is each task's node-model index (-1: any).
    The caller draws the task sequence (the paper samples the trace's pods with replacement)."""
    t_gpus = np.asarray(gpus, np.int64)
    t_milli = np.where(np.asarray(milli) < MILLI, milli, MILLI).astype(np.int64)
    placed = np.full(t_gpus.size, -1, dtype=np.int64)
    _inflate(
        *cluster.arrays(),
        np.asarray(node_model, np.int64),
        cluster.cpu_max,
        cluster.gpu_max,
        t_gpus,
        t_milli,
        np.asarray(cpu, np.int64),
        np.asarray(mem, np.float64),
        np.asarray(model, np.int64),
        placed,
    )
    demand = np.where(t_gpus == 1, t_milli, t_gpus * MILLI) / MILLI
    demand = np.where(t_gpus == 0, 0.0, demand)
    return Inflation(
        arrived_gpus=np.cumsum(demand),
        allocated_gpus=np.cumsum(np.where(placed >= 0, demand, 0.0)),
        node=placed,
        total_gpus=float(cluster.gpus.sum()),
    )


def never_fits_reason(
    gpus: int,
    divisible: bool,
    cpu: int,
    mem: float,
    eligible: np.ndarray,
    node_gpus: np.ndarray,
    node_cpu: np.ndarray,
    node_mem: np.ndarray,
    where: str,
) -> str | None:
    """Why a request can never run on any node, or ``None`` when some node could hold it on an empty fleet.

    ``eligible`` marks the nodes its placement and GPU model allow (``where`` names them for the message, e.g.
    ``"orbital nodes with GPU model T4"``); ``node_cpu`` and ``node_mem`` are capacities (0: not modelled). A
    ``divisible`` job needs only one GPU on a node. The message starts ``never_fits:`` and names the largest node
    against the need, e.g. ``never_fits: needs 16 GPUs on one node, largest node has 8``."""
    idx = np.flatnonzero(eligible)
    if idx.size == 0:
        return f"never_fits: no {where}"
    g_need = 1 if divisible else gpus
    g, c, m = node_gpus[idx], node_cpu[idx], node_mem[idx]
    ok_g = g >= g_need
    ok_c = (c <= 0) | (c >= cpu) if cpu > 0 else np.ones(idx.size, dtype=bool)
    ok_m = (m <= 0) | (m >= mem) if mem > 0 else np.ones(idx.size, dtype=bool)
    if (ok_g & ok_c & ok_m).any():
        return None
    if not ok_g.any():
        return f"never_fits: needs {g_need} GPUs on one node, largest node has {int(g.max())}"
    if not ok_c.any():
        return f"never_fits: needs {cpu} mCPU on one node, largest node has {int(c.max())}"
    if not ok_m.any():
        return f"never_fits: needs {mem:g} MiB of memory on one node, largest node has {float(m.max()):g}"
    return f"never_fits: no node has {g_need} GPUs, {cpu} mCPU and {mem:g} MiB together"


class EngineSharing:
    """The engine's per-GPU view when a workload shares GPUs or asks for CPU and memory (:meth:`needed`).

    The engine's integer GPU accounting then counts *occupied* GPUs (holding at least one job): a fractional pod
    opens a GPU only when no shared GPU of its node holds its share, and frees it when it leaves the GPU empty.
    Jobs that share or ask for CPU or memory (``special``) are placed by :func:`best_fit_node`; whole-GPU jobs
    without CPU or memory requests keep the engine's compiled search."""

    def __init__(self, node_gpus: np.ndarray, node_cpu: np.ndarray, node_mem: np.ndarray, jobs: object) -> None:
        from orbitgrid.workloads.jobs import JobTable

        assert isinstance(jobs, JobTable)
        g = jobs.gpus.astype(np.int64)
        milli = np.where(g == 1, jobs.gpu_milli, MILLI).astype(np.int64)
        fractional = int((milli < MILLI).sum())
        self.cluster = SharedCluster(node_gpus, node_cpu, node_mem, max_shared=max(fractional, 1))
        cpu_on = bool((np.asarray(node_cpu) > 0).any())
        mem_on = bool((np.asarray(node_mem) > 0).any())
        cpu = np.where(cpu_on, jobs.cpu_milli, 0).astype(np.int64)
        mem = np.where(mem_on, jobs.memory_mib, 0.0).astype(np.float64)
        self.milli: list[int] = milli.tolist()
        self.cpu: list[int] = cpu.tolist()
        self.mem: list[float] = mem.tolist()
        self.share: list[float] = np.where(milli < MILLI, milli / MILLI, 1.0).tolist()
        self.special: list[bool] = ((milli < MILLI) | (cpu > 0) | (mem > 0)).tolist()
        self.slot: list[int] = [-1] * len(g)
        self.held: list[int] = [0] * len(g)  # GPUs the job holds (a fractional pod: 1)

    @staticmethod
    def needed(node_cpu: np.ndarray, node_mem: np.ndarray, jobs: object) -> bool:
        """Whether a run needs the per-GPU view: a fractional pod, or CPU or memory asked where nodes model it."""
        from orbitgrid.workloads.jobs import JobTable

        assert isinstance(jobs, JobTable)
        fractional = bool(((jobs.gpus == 1) & (jobs.gpu_milli < MILLI)).any())
        cpu = bool((np.asarray(node_cpu) > 0).any() and (jobs.cpu_milli > 0).any())
        mem = bool((np.asarray(node_mem) > 0).any() and (jobs.memory_mib > 0).any())
        return fractional or cpu or mem

    def _milli(self, j: int, g: int) -> int:
        return self.milli[j] if g == 1 else MILLI

    def fits(self, j: int, n: int, g: int, fresh: int) -> bool:
        """Whether job ``j`` on ``g`` GPUs fits node ``n`` now, which may open ``fresh`` entirely free GPUs."""
        c = self.cluster
        milli = self._milli(j, g)
        if milli < MILLI:
            if fresh < 1 and _best_shared(c.shared, n, milli) < 0:
                return False
        elif fresh < g:
            return False
        return c.fits(n, g, milli, self.cpu[j], self.mem[j])

    def best_node(self, j: int, nodes: np.ndarray, g: int, fresh: np.ndarray, exclude: int = -1) -> int:
        return self.cluster.best_fit(nodes, g, self._milli(j, g), self.cpu[j], self.mem[j], fresh, exclude)

    def start(self, j: int, n: int, g: int) -> int:
        """Job ``j`` takes ``g`` GPUs of node ``n``: the GPUs it opened (were entirely free)."""
        slot, opened = self.cluster.allocate(n, g, self._milli(j, g), self.cpu[j], self.mem[j])
        self.slot[j] = slot
        self.held[j] = g
        return opened

    def release(self, j: int, n: int) -> int:
        """Job ``j`` leaves node ``n``: the GPUs it left entirely free."""
        g = self.held[j]
        closed = self.cluster.release(n, self.slot[j], g, self._milli(j, g), self.cpu[j], self.mem[j])
        self.slot[j] = -1
        self.held[j] = 0
        return closed

    def shrink(self, j: int, n: int, g_new: int) -> int:
        """A divisible job keeps ``g_new`` of its whole GPUs (its CPU and memory stay): the GPUs it freed."""
        drop = self.held[j] - g_new
        assert drop >= 0
        self.cluster.release(n, -1, drop)
        self.held[j] = g_new
        return drop

    def job_on_gpu(self, gpu: int, running: list[int]) -> int:
        """The job hit by a fault on GPU ``gpu`` of a node, numbering the node's occupied GPUs in ``running`` order
        (a whole-GPU job's GPUs, then each shared GPU once, at its first pod): -1 when the GPU is free."""
        acc = 0
        seen: set[int] = set()
        for j in running:
            s = self.slot[j]
            if s >= 0:
                if s in seen:
                    continue
                seen.add(s)
                acc += 1
            else:
                acc += self.held[j]
            if gpu < acc:
                return j
        return -1
