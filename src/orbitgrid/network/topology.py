"""Inter-satellite link topology: which satellites are linked at a step, how long each link is, what it carries.

Three fabrics, one output (:class:`Links`: edges ``(i, j)`` with ``i < j`` as int32, ``length_m``, ``capacity_bps``).
Link capacity is not modelled here: every function takes a callable ``capacity_bps(distance_m) -> bps`` and evaluates
it at each link's length: :func:`orbitgrid.network.budget.isl_capacity_bps` (Suncatcher's terminal by default, or
``functools.partial(isl_capacity_bps, link=starlink_laser_link())``), or :func:`terminal_rate` for a fixed rate.

+Grid for Walker shells
    Each satellite links to its two in-plane neighbours (slots ``s +- 1`` of its plane) and to the satellite of the
    same slot in the two adjacent planes (Bhattacherjee & Singla, "Network topology design at 27,000 km/hour",
    ACM CoNEXT 2019, sec. 3: the "+Grid" with four ISLs per satellite). Plane and slot come from the pattern
    ``u = 2 pi s / S + 2 pi F p / T`` of :func:`orbitgrid.astro.constellations.walker` (:func:`walker_layout`
    recovers them from the elements, so any ordering of the satellites works). The edge list is fixed in time;
    lengths, capacities and the line-of-sight check are evaluated per step (:func:`evaluate_links`).

    The seam. Planes ``p`` and ``p + 1`` link slot to slot for ``p < P - 1``. Whether the last plane links to the
    first depends on the pattern:

    * Walker delta (nodes over 360 deg): plane ``P`` would coincide with plane 0 shifted by ``F`` slots
      (``u = 2 pi s / S + 2 pi F P / T = 2 pi (s + F) / S``), so ``(P - 1, s)`` links to ``(0, (s + F) mod S)``:
      the ladder closes around the Earth with the phasing offset absorbed at the seam.
    * Walker star (nodes over 180 deg) and any shell whose nodes do not span the full circle (a sun-synchronous
      shell with a spread of local times): the first and last planes are counter-rotating neighbours (ascending
      beside descending) with closing speeds near twice the orbital speed, so there are no cross-seam links and the
      satellites of the two edge planes have three links.

    A shell with two planes or fewer than three satellites per plane gets fewer distinct links (duplicates are
    merged). With fewer than four terminals a satellite can carry only the in-plane ring (two terminals), which
    :func:`plus_grid_edges` then returns.

Nearest neighbours for arbitrary fleets
    Candidates are, for every satellite, its ``candidates`` nearest satellites within ``max_range_m`` (a
    ``scipy.spatial.cKDTree`` query with ``k`` and ``distance_upper_bound``), symmetrised. Candidates whose segment
    dips below the atmosphere margin are dropped, then links are chosen greedily shortest first: a candidate pair
    becomes a link when both ends still have a free terminal (a greedy b-matching; it maximises nothing globally,
    but it is what a distributed "link to the closest free neighbour" rule converges to, it is deterministic, and it
    keeps every satellite within its terminal budget by construction).

    Reuse between steps (:class:`NeighbourTopology`): the link set is re-planned every ``refresh_s`` seconds and, in
    between, only checked: a link that went out of range or below the margin is dropped and its terminals stay idle
    until the next re-plan (an optical terminal needs seconds to acquire a new partner: Bhattacharjee et al.,
    arXiv:2301.05285). Default 300 s: Starlink's ~9,000 lasers made 266,141 acquisitions a day (SpaceX, SPIE
    Photonics West, Jan 2024; ``docs/sources.md``), i.e. ~30 per terminal per day or one new partner every ~49 minutes,
    so re-planning every 5 minutes is ~10 times more often than a flown network changes partners.

Formation clusters
    Members of a Suncatcher-style cluster (Agüera y Arcas et al., arXiv:2511.19468, sec. 2.2) sit 100-200 m apart
    and link either all-to-all or to their lattice neighbours (edge-sharing, optionally also diagonal); the edges
    come from the lattice (:func:`orbitgrid.astro.constellations.formation_lattice_m`) and are fixed, the lengths
    are the members' actual separations at each step (:func:`formation_positions_m`).

Line of sight
    A link is usable when its straight segment stays at least ``margin_m`` above the Earth
    (:func:`orbitgrid.network.geometry.grazing_altitude_m`, spherical Earth of the WGS84 mean radius by default).
    Default margin 80 km (``ATMOSPHERE_MARGIN_M``): the mesopause, above which the US Standard Atmosphere 1976 has a
    density below 1.9e-5 kg/m^3 (1.5e-5 of sea level) and no weather; noctilucent clouds near 83 km are the highest
    clouds. The grazing test is invariant under rotation about the polar axis, so positions may be TEME or ECEF.

Default range 5,400 km (``MAX_ISL_RANGE_M``): the longest Starlink laser links reported (SpaceX, SPIE Photonics
West 2024; Suncatcher sec. 4.2; ``docs/sources.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from orbitgrid._jit import kernel

if TYPE_CHECKING:  # scipy is imported where a tree is built
    from scipy.spatial import cKDTree

from orbitgrid.astro.constellations import CircularOrbits, formation_relative_ric_m, ric_to_inertial
from orbitgrid.network.budget import STARLINK_MAX_RANGE_M
from orbitgrid.network.constants import ATMOSPHERE_MARGIN_M, PLUS_GRID_TERMINALS, REFRESH_S
from orbitgrid.network.geometry import EarthShape, grazing_altitude_m

__all__ = [
    "ATMOSPHERE_MARGIN_M",
    "MAX_ISL_RANGE_M",
    "PLUS_GRID_TERMINALS",
    "REFRESH_S",
    "CapacityFn",
    "Links",
    "NeighbourTopology",
    "WalkerLayout",
    "evaluate_links",
    "formation_edges",
    "formation_positions_m",
    "greedy_terminal_matching",
    "link_valid",
    "nearest_neighbour_links",
    "neighbour_candidates",
    "plus_grid_edges",
    "terminal_rate",
    "walker_layout",
]

#: Longest ISL considered (m): Starlink's reported maximum laser link length (module docstring).
MAX_ISL_RANGE_M = STARLINK_MAX_RANGE_M

CapacityFn = Callable[[np.ndarray], np.ndarray]
_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class Links:
    """The ISLs of one step: ``edges`` ``(m, 2)`` int32 with ``edges[:, 0] < edges[:, 1]``, sorted by ``(i, j)``;
    ``length_m`` and ``capacity_bps`` ``(m,)`` float64 (capacity each way of a full-duplex link)."""

    edges: np.ndarray
    length_m: np.ndarray
    capacity_bps: np.ndarray

    def __len__(self) -> int:
        return int(self.edges.shape[0])

    def degree(self, n_satellites: int) -> np.ndarray:
        """Links per satellite, ``(n_satellites,)`` int64."""
        return np.bincount(self.edges.ravel(), minlength=n_satellites)


def terminal_rate(rate_bps: float) -> CapacityFn:
    """A capacity that does not depend on distance: a terminal's rate (e.g. Starlink's 100 Gbps sustained per laser
    link up to ~5,400 km, ``docs/sources.md``), for fleets whose links are all well inside their budget's range."""

    def capacity(distance_m: np.ndarray) -> np.ndarray:
        return np.full(np.shape(distance_m), float(rate_bps))

    return capacity


def _canonical(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    """Unique undirected pairs ``(min, max)`` sorted lexicographically, ``(m, 2)`` int32, self-pairs removed."""
    lo = np.minimum(i, j).astype(np.int64)
    hi = np.maximum(i, j).astype(np.int64)
    keep = lo != hi
    key = np.sort(lo[keep] * n + hi[keep])
    if key.size:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return np.column_stack([key // n, key % n]).astype(np.int32)


def _lengths_m(edges: np.ndarray, r_m: np.ndarray) -> np.ndarray:
    d = r_m[edges[:, 1]] - r_m[edges[:, 0]]
    return np.sqrt(np.einsum("ij,ij->i", d, d))


def link_valid(
    edges: np.ndarray,
    r_m: np.ndarray,
    margin_m: float = ATMOSPHERE_MARGIN_M,
    max_range_m: float | None = None,
    earth: EarthShape = "sphere",
) -> tuple[np.ndarray, np.ndarray]:
    """``(valid, length_m)`` for each edge at positions ``r_m`` ``(n, 3)``: in range and above the margin."""
    length = _lengths_m(edges, r_m)
    ok = grazing_altitude_m(r_m[edges[:, 0]], r_m[edges[:, 1]], earth=earth) >= margin_m
    if max_range_m is not None:
        ok &= length <= max_range_m
    return ok, length


def evaluate_links(
    edges: np.ndarray,
    r_m: np.ndarray,
    capacity_bps: CapacityFn,
    margin_m: float = ATMOSPHERE_MARGIN_M,
    max_range_m: float | None = None,
    earth: EarthShape = "sphere",
) -> Links:
    """The links of a fixed edge list at one step: lengths ``|r_j - r_i|``, blocked or out-of-range edges dropped,
    capacity from ``capacity_bps`` at each length. ``edges`` must be canonical (``i < j``, sorted)."""
    ok, length = link_valid(edges, r_m, margin_m, max_range_m, earth)
    kept = np.ascontiguousarray(edges[ok])
    return Links(kept, length[ok], np.asarray(capacity_bps(length[ok]), dtype=np.float64))


# --------------------------------------------------------------------------------------------------- +Grid


@dataclass(frozen=True)
class WalkerLayout:
    """Plane and slot of every satellite of a Walker ``T/P/F`` shell, and whether its nodes span 360 deg."""

    plane: np.ndarray
    slot: np.ndarray
    planes: int
    per_plane: int
    phasing: int
    full_circle: bool

    def index(self) -> np.ndarray:
        """``(planes, per_plane)`` table of satellite indices."""
        table = np.full((self.planes, self.per_plane), -1, dtype=np.int64)
        table[self.plane, self.slot] = np.arange(self.plane.shape[0])
        return table


def walker_layout(orbits: CircularOrbits, tol: float = 1e-6) -> WalkerLayout:
    """Recover ``(plane, slot)``, ``P``, ``S``, ``F`` and the node span of one Walker shell from its elements.

    ``slot = round(S u / 2 pi - F p / P) mod S`` inverts ``u = 2 pi s / S + 2 pi F p / T``; ``F`` is read from the
    fractional slot offset of plane 1. Raises ``ValueError`` when the elements are not one Walker pattern (mixed
    altitudes or inclinations, unequal planes, satellites off the slot pattern or sharing a slot).
    """
    n = len(orbits)
    plane = np.asarray(orbits.plane, dtype=np.int64)
    if n == 0:
        raise ValueError("empty shell")
    for name in ("semi_major_axis_m", "inclination_rad"):
        v = getattr(orbits, name)
        if np.ptp(v) > tol * max(1.0, float(np.abs(v).max())):
            raise ValueError(f"not one Walker shell: {name} differs between satellites")
    planes = int(plane.max()) + 1
    counts = np.bincount(plane, minlength=planes)
    if plane.min() < 0 or np.any(counts != counts[0]):
        raise ValueError("not one Walker shell: planes must be numbered 0..P-1 with equal satellite counts")
    per_plane = int(counts[0])
    x = np.asarray(orbits.arg_latitude_rad) * per_plane / _TWO_PI
    phasing = 0
    if planes > 1:
        frac = np.mod(x[plane == 1][0], 1.0)
        phasing = int(np.rint(frac * planes)) % planes
    y = x - phasing * plane / planes
    slot_f = np.rint(y)
    if np.max(np.abs(y - slot_f)) > tol * per_plane:
        raise ValueError("not one Walker shell: arguments of latitude are off the 2 pi s / S + 2 pi F p / T pattern")
    slot = np.mod(slot_f.astype(np.int64), per_plane)
    if np.any(np.bincount(plane * per_plane + slot, minlength=n) != 1):
        raise ValueError("not one Walker shell: two satellites share a plane and slot")
    raan = np.asarray(orbits.raan_rad)
    full_circle = False
    if planes > 1:
        step = np.mod(raan[plane == 1][0] - raan[plane == 0][0], _TWO_PI)
        full_circle = bool(abs(step * planes - _TWO_PI) < 1e-6 * _TWO_PI)
    return WalkerLayout(plane, slot, planes, per_plane, phasing, full_circle)


def plus_grid_edges(layout: WalkerLayout, terminals: int = PLUS_GRID_TERMINALS) -> np.ndarray:
    """The +Grid edge list of a Walker shell (module docstring), canonical ``(m, 2)`` int32.

    With ``terminals >= 4``: in-plane ring plus slot-to-slot cross-plane links (across the seam only for a pattern
    whose nodes span 360 deg, with the phasing shift). With 2 or 3 terminals: the in-plane ring only.
    """
    if terminals < 2:
        raise ValueError(f"a +Grid satellite needs at least 2 terminals, got {terminals}")
    table = layout.index()
    p_count, s_count = layout.planes, layout.per_plane
    parts_i: list[np.ndarray] = []
    parts_j: list[np.ndarray] = []
    if s_count > 1:
        parts_i.append(table.ravel())
        parts_j.append(np.roll(table, -1, axis=1).ravel())
    if terminals >= PLUS_GRID_TERMINALS and p_count > 1:
        parts_i.append(table[:-1].ravel())
        parts_j.append(table[1:].ravel())
        if layout.full_circle:
            parts_i.append(table[-1])
            parts_j.append(np.roll(table[0], -layout.phasing))
    return _canonical(np.concatenate(parts_i), np.concatenate(parts_j), len(layout.plane))


# --------------------------------------------------------------------------------------------------- neighbours


@kernel(cache=True)
def _greedy_kernel(i: np.ndarray, j: np.ndarray, order: np.ndarray, budget: np.ndarray) -> np.ndarray:
    free = budget.copy()
    keep = np.zeros(i.shape[0], dtype=np.bool_)
    for k in order:
        a = i[k]
        b = j[k]
        if free[a] > 0 and free[b] > 0:
            keep[k] = True
            free[a] -= 1
            free[b] -= 1
    return keep


def greedy_terminal_matching(edges: np.ndarray, length_m: np.ndarray, terminals: np.ndarray | int) -> np.ndarray:
    """Boolean mask of the candidate ``edges`` kept by greedy shortest-first matching under terminal budgets.

    Candidates are taken in order of increasing length (ties in input order);
    one becomes a link when both of its satellites still have a free terminal. ``terminals`` is one count for every
    satellite or one per satellite.
    """
    n = int(edges.max()) + 1 if edges.size else 0
    budget = np.broadcast_to(np.asarray(terminals, dtype=np.int64), (n,)) if np.ndim(terminals) == 0 else terminals
    budget = np.ascontiguousarray(budget, dtype=np.int64)
    order = np.argsort(length_m, kind="stable")
    return _greedy_kernel(
        np.ascontiguousarray(edges[:, 0], dtype=np.int64),
        np.ascontiguousarray(edges[:, 1], dtype=np.int64),
        order,
        budget,
    )


def neighbour_candidates(
    r_m: np.ndarray,
    candidates: int,
    max_range_m: float = MAX_ISL_RANGE_M,
    workers: int = 1,
    tree: cKDTree | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, where one is among the other's ``candidates`` nearest within ``max_range_m``,
    and their distances (m). Each pair once, in the order of the k-d tree query. ``tree``, if given, must be the
    ``cKDTree`` of ``r_m``.

    A pair found from both ends is kept from its lower end only: ``(j, i)`` with ``i < j`` found in row ``j`` is
    dropped when ``j`` is also in row ``i``.
    """
    n = r_m.shape[0]
    if n < 2 or candidates < 1:
        return np.zeros((0, 2), dtype=np.int32), np.zeros(0)
    if tree is None:
        from scipy.spatial import cKDTree

        tree = cKDTree(r_m, balanced_tree=False, compact_nodes=False)
    k = min(candidates + 1, n)
    # Query in the tree's leaf order: neighbouring queries then walk the same nodes (2x faster on shuffled fleets).
    order = np.asarray(tree.indices, dtype=np.int64)
    dist, idx = tree.query(r_m[order], k=k, distance_upper_bound=max_range_m, workers=workers)
    idx = idx.reshape(n, k)
    dist = dist.reshape(n, k)
    row_of = np.empty(n, dtype=np.int64)
    row_of[order] = np.arange(n)
    found = idx < n  # missing neighbours are reported as index n
    i = np.broadcast_to(order[:, None], idx.shape)[found]
    j, d = idx[found], dist[found]
    up = i < j
    down = np.nonzero(j < i)[0]
    mirrored = np.any(idx[row_of[j[down]]] == i[down, None], axis=1)
    keep = up.copy()
    keep[down[~mirrored]] = True
    lo = np.minimum(i[keep], j[keep])
    hi = np.maximum(i[keep], j[keep])
    return np.column_stack([lo, hi]).astype(np.int32), d[keep]


def nearest_neighbour_links(
    r_m: np.ndarray,
    capacity_bps: CapacityFn,
    terminals: int = PLUS_GRID_TERMINALS,
    max_range_m: float = MAX_ISL_RANGE_M,
    margin_m: float = ATMOSPHERE_MARGIN_M,
    candidates: int | None = None,
    earth: EarthShape = "sphere",
    workers: int = 1,
) -> Links:
    """Links of an arbitrary fleet at positions ``r_m`` ``(n, 3)``: k-d tree candidates (default ``2 terminals``
    nearest each), line-of-sight filter, greedy shortest-first matching within ``terminals`` per satellite."""
    k = 2 * terminals if candidates is None else candidates
    pairs, length = neighbour_candidates(r_m, k, max_range_m, workers)
    ok = grazing_altitude_m(r_m[pairs[:, 0]], r_m[pairs[:, 1]], earth=earth) >= margin_m
    pairs, length = pairs[ok], length[ok]
    keep = greedy_terminal_matching(pairs, length, terminals) if pairs.size else np.zeros(0, dtype=bool)
    pairs, length = pairs[keep], length[keep]
    order = np.argsort(pairs[:, 0].astype(np.int64) * r_m.shape[0] + pairs[:, 1])
    edges = np.ascontiguousarray(pairs[order])
    return Links(edges, length[order], np.asarray(capacity_bps(length[order]), dtype=np.float64))


class NeighbourTopology:
    """Nearest-neighbour links over time with reuse: re-planned every ``refresh_s``, validated at every step.

    Call :meth:`links_at` with increasing ``t_s``. A re-plan happens on the first call, when ``refresh_s`` has
    passed since the last one, when time goes backwards, or when the number of satellites changes. Between re-plans
    the previous edges are kept if still in range and above the margin; dropped ones are not replaced.
    """

    def __init__(
        self,
        capacity_bps: CapacityFn,
        terminals: int = PLUS_GRID_TERMINALS,
        max_range_m: float = MAX_ISL_RANGE_M,
        margin_m: float = ATMOSPHERE_MARGIN_M,
        refresh_s: float = REFRESH_S,
        candidates: int | None = None,
        earth: EarthShape = "sphere",
        workers: int = 1,
    ) -> None:
        self.capacity_bps = capacity_bps
        self.terminals = terminals
        self.max_range_m = max_range_m
        self.margin_m = margin_m
        self.refresh_s = refresh_s
        self.candidates = candidates
        self.earth: EarthShape = earth
        self.workers = workers
        self._edges: np.ndarray | None = None
        self._planned_s = -np.inf
        self._n = -1
        self.replans = 0

    def links_at(self, t_s: float, r_m: np.ndarray) -> Links:
        """The links at time ``t_s`` for positions ``r_m`` ``(n, 3)``."""
        n = r_m.shape[0]
        stale = t_s - self._planned_s >= self.refresh_s or t_s < self._planned_s or n != self._n
        if self._edges is None or stale:
            links = nearest_neighbour_links(
                r_m,
                self.capacity_bps,
                self.terminals,
                self.max_range_m,
                self.margin_m,
                self.candidates,
                self.earth,
                self.workers,
            )
            self._edges, self._planned_s, self._n = links.edges, float(t_s), n
            self.replans += 1
            return links
        links = evaluate_links(self._edges, r_m, self.capacity_bps, self.margin_m, self.max_range_m, self.earth)
        self._edges = links.edges
        return links


# --------------------------------------------------------------------------------------------------- formations


def formation_edges(
    lattice_m: np.ndarray, fabric: Literal["lattice", "all"] = "lattice", diagonal: bool = False
) -> np.ndarray:
    """Fixed intra-cluster edges, canonical ``(m, 2)`` int32, from the members' lattice coordinates ``(n, 2)``.

    ``"all"``: every pair. ``"lattice"``: members one lattice spacing apart (the smallest separation in the
    lattice), plus ``sqrt(2)`` spacings with ``diagonal``.
    """
    n = lattice_m.shape[0]
    if n < 2:
        return np.zeros((0, 2), dtype=np.int32)
    if fabric == "all":
        i, j = np.triu_indices(n, 1)
        return _canonical(i, j, n)
    if fabric != "lattice":
        raise ValueError(f"fabric must be 'lattice' or 'all', got {fabric!r}")
    from scipy.spatial import cKDTree

    tree = cKDTree(lattice_m)
    d, _ = tree.query(lattice_m, k=2)
    spacing = float(np.min(d[:, 1]))
    reach = spacing * (np.sqrt(2.0) if diagonal else 1.0) * (1.0 + 1e-9)
    pairs = tree.query_pairs(reach, output_type="ndarray")
    return _canonical(pairs[:, 0], pairs[:, 1], n)


def formation_positions_m(
    r_ref_m: np.ndarray,
    v_ref_m_s: np.ndarray,
    lattice_m: np.ndarray,
    mean_motion_rad_s: float,
    t_s: float,
) -> np.ndarray:
    """Members' positions ``(n, 3)`` at ``t_s``: the reference state ``(3,)`` plus each member's bounded
    Hill-Clohessy-Wiltshire offset (:func:`orbitgrid.astro.constellations.formation_relative_ric_m`) rotated out of
    the reference's radial / in-track / cross-track frame."""
    r_ref = np.asarray(r_ref_m, dtype=np.float64)
    ric = formation_relative_ric_m(lattice_m, mean_motion_rad_s, np.array([float(t_s)]))[:, 0, :]
    return r_ref + ric_to_inertial(r_ref, np.asarray(v_ref_m_s, dtype=np.float64), ric)
