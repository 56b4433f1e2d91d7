"""numba kernels of the conjunction screen (``orbitgrid.astro.conjunctions.screen``): circular-orbit states, the
per-step sort into radial layers and latitude bands, and the longitude sweeps that list the pairs to refine.

Layout (positions into the per-step sorted arrays): layer ``l`` holds positions ``[layer_start[l], layer_start[l+1])``;
its live objects come first, ordered by latitude band then longitude, and band ``b`` of layer ``l`` is
``[band_start[l, b], band_start[l, b + 1])`` (``band_start[l, n_bands]`` is the end of the live objects). The last
layer holds the objects without a fixed radius range ("free" objects: element sets), unordered in radius.

A pair is emitted with a flag: bit 1 if its straight-line relative motion from the grid time comes within
``threshold + margin`` over the half window before it, bit 2 over the half window after it (module docstring of
``orbitgrid.astro.conjunctions``). Emitted pairs are ``(i, j)`` object ids with ``i < j``. In the sweeps, ``group``
and ``thr`` (whitelist group, threshold) are the sorted copies, indexed by sorted position like ``s_pos``.
"""

from __future__ import annotations

import math
import types

import numba as nb
import numpy as np

_jit = nb.njit(cache=True, error_model="numpy")
_jit_parallel = nb.njit(cache=True, error_model="numpy", parallel=True)
# the pair test and the sweep are inlined into the kernels (numba IR inlining): a call passing a dozen arrays costs
# more than the test itself
_jit_inline = nb.njit(cache=True, error_model="numpy", inline="always")

#: Below this many objects the kernels run on one thread: waking the thread pool costs more than it saves (and on a
#: loaded machine a parallel region waits for its slowest thread).
PARALLEL_MIN_OBJECTS = 50_000

FLAG_BEFORE = 1
FLAG_AFTER = 2


def _circular_states_rotating(
    a, cos_i, sin_i, raan0, raan_dot, u0, u_dot, t, advance, cu, su, co, so, cdu, sdu, cdo, sdo, dest, r_out, v_out
):  # fmt: skip
    """Positions (m) and velocities (m/s) of circular J2-secular orbits at ``t``: the equations of
    ``orbitgrid.astro.j2.positions_teme_m`` (its numpy reference), written into rows ``dest`` of ``r_out``,
    ``v_out``. The sines and cosines of the argument of latitude ``u`` and the node ``o`` are carried between calls
    in ``cu``, ``su``, ``co``, ``so``: ``advance`` rotates them by one step (``cdu``, ``sdu`` = cos, sin of
    ``u_dot h``; the same for the node), otherwise they are evaluated at ``t``. The caller re-evaluates every
    ``REANCHOR`` steps, so the rotations' round-off (~1e-16 rad each) stays below 1e-13 rad (under 1e-6 m)."""
    for k in nb.prange(a.shape[0]):
        if advance:
            c1, s1 = cu[k] * cdu[k] - su[k] * sdu[k], su[k] * cdu[k] + cu[k] * sdu[k]
            c2, s2 = co[k] * cdo[k] - so[k] * sdo[k], so[k] * cdo[k] + co[k] * sdo[k]
        else:
            u = u0[k] + u_dot[k] * t
            o = raan0[k] + raan_dot[k] * t
            c1, s1 = math.cos(u), math.sin(u)
            c2, s2 = math.cos(o), math.sin(o)
        cu[k], su[k], co[k], so[k] = c1, s1, c2, s2
        ci, si = cos_i[k], sin_i[k]
        ak = a[k]
        q = dest[k]
        r_out[q, 0] = (c1 * c2 - s1 * ci * s2) * ak
        r_out[q, 1] = (c1 * s2 + s1 * ci * c2) * ak
        r_out[q, 2] = s1 * si * ak
        ud, od = u_dot[k], raan_dot[k]
        v_out[q, 0] = ((-s1 * c2 - c1 * ci * s2) * ud + (-c1 * s2 - s1 * ci * c2) * od) * ak
        v_out[q, 1] = ((-s1 * s2 + c1 * ci * c2) * ud + (c1 * c2 - s1 * ci * s2) * od) * ak
        v_out[q, 2] = (c1 * si * ud) * ak


#: Steps between exact evaluations of the rotating circular-state kernel.
REANCHOR = 64


#: Coefficients of ``atan(t) ~ t (c0 + c1 t^2 + ... + c6 t^12)`` on [0, 1], fitted for this module by iteratively
#: reweighted least squares towards the minimax fit (max error 2.5e-7 rad over [0, 1]); :data:`LON_ERROR_RAD` bounds
#: the error of :func:`fast_atan2` (checked on a dense sample in the tests).
_ATAN_C0 = 0.999996111542241
_ATAN_C1 = -0.33317368006155423
_ATAN_C2 = 0.19807815022841638
_ATAN_C3 = -0.13233339802029667
_ATAN_C4 = 0.07962362765135632
_ATAN_C5 = -0.033604179956129916
_ATAN_C6 = 0.006811779377556158
#: Bound on ``|fast_atan2(y, x) - atan2(y, x)|`` (rad): the sweeps widen their longitude windows by twice this.
LON_ERROR_RAD = 1e-6


@_jit_inline
def fast_atan2(y, x):
    """``atan2(y, x)`` within :data:`LON_ERROR_RAD`, in [-pi, pi] (0 at the origin): the octant's ``atan`` by a
    polynomial, ~4x cheaper than ``math.atan2`` in the sort."""
    ax, ay = abs(x), abs(y)
    big = max(ax, ay)
    if big == 0.0:
        return 0.0
    t = min(ax, ay) / big
    t2 = t * t
    p = _ATAN_C6
    p = p * t2 + _ATAN_C5
    p = p * t2 + _ATAN_C4
    p = p * t2 + _ATAN_C3
    p = p * t2 + _ATAN_C2
    p = p * t2 + _ATAN_C1
    p = p * t2 + _ATAN_C0
    a = t * p
    if ay > ax:
        a = 0.5 * math.pi - a
    if x < 0.0:
        a = math.pi - a
    if y < 0.0:
        a = -a
    return min(max(a, -math.pi), math.pi)


def band_tables(n_bands):
    """Tables of :func:`_band_of` for ``n_bands`` latitude bands of equal height: ``sines[b]``, the sine of band
    ``b``'s southern edge (``n_bands + 1`` entries, exactly -1 and 1 at the poles), and ``guess[q]``, a band at or
    below the band of every sine in bucket ``q`` of ``4 n_bands`` buckets uniform in sine (their lower ends lowered
    by 1e-9, so round-off in the bucket index can only make the guess lower)."""
    band_rad = math.pi / n_bands
    sines = np.sin(-0.5 * math.pi + band_rad * np.arange(n_bands + 1))
    sines[0], sines[-1] = -1.0, 1.0
    buckets = 4 * n_bands
    s_lo = -1.0 + 2.0 * np.arange(buckets) / buckets - 1e-9
    guess = np.maximum(np.searchsorted(sines[:n_bands], s_lo, side="right") - 1, 0).astype(np.int64)
    return sines, guess


@_jit_inline
def _band_of(s, sines, guess, n_bands):
    """Latitude band of an object whose sine of latitude is ``s``: the largest ``b`` with ``sines[b] <= s``
    (``sines[b]`` = sin of band ``b``'s southern edge), from the guess of ``s``'s bucket (uniform in ``s``) upwards."""
    s = min(1.0, max(-1.0, s))
    m = guess.shape[0]
    q = min(int((s + 1.0) * 0.5 * m), m - 1)
    b = guess[q]
    while b + 1 < n_bands and sines[b + 1] <= s:
        b += 1
    return b


#: Moves per element an insertion sort may make before :func:`sort_run` sorts the run by merge sort instead.
SORT_MOVES_PER_ELEMENT = 32


@_jit
def sort_run(keys, idx, lo, hi):
    """Sort ``idx[lo:hi]`` by ``keys[idx]`` in place, stably. Runs are nearly sorted (each band's objects were
    bucketed by longitude first), so an insertion sort is linear; when a run is far from sorted (a whole band in
    one longitude bucket: a single orbit plane holding most of a band's objects), after
    ``SORT_MOVES_PER_ELEMENT`` moves per element the run is merge-sorted instead of going quadratic."""
    budget = SORT_MOVES_PER_ELEMENT * (hi - lo)
    moves = 0
    for p in range(lo + 1, hi):
        x = idx[p]
        kx = keys[x]
        q = p - 1
        while q >= lo and keys[idx[q]] > kx:
            idx[q + 1] = idx[q]
            q -= 1
        moves += p - 1 - q
        idx[q + 1] = x
        if moves > budget:  # idx[lo:hi] is still a permutation of the run: sort it whole
            seg = idx[lo:hi].copy()
            order = np.argsort(keys[seg], kind="mergesort")
            for k in range(hi - lo):
                idx[lo + k] = seg[order[k]]
            return


def _sort_layers(
    r, v, ids, layer_start, n_bands, sines, guess, rlo, rhi, group, thr,
    s_id, s_lon, s_pos, s_vel, s_rlo, s_rhi, s_group, s_thr, band_start,
):  # fmt: skip
    """Sort every layer's live objects by latitude band (:func:`_band_of`), then longitude (:func:`fast_atan2`), and
    copy their data into sorted order.

    ``r``, ``v``, ``ids`` (object ids), ``rlo``, ``rhi``, ``group``, ``thr`` are in layer order (position ``p`` of
    layer ``l`` in ``[layer_start[l], layer_start[l + 1])``), so every layer reads one contiguous block. An object
    is live when its state is finite. The order: a counting sort by band and by longitude bucket (as many buckets
    as the band has objects), then an insertion sort of each band (near-sorted, so linear; :func:`sort_run`).
    Returns the largest squared speed of a live object and the live count."""
    n_layers = layer_start.shape[0] - 1
    nk = n_bands
    vmax2 = np.zeros(n_layers)
    live = np.zeros(n_layers, dtype=np.int64)
    for lay in nb.prange(n_layers):
        base = layer_start[lay]
        m = layer_start[lay + 1] - base
        key = np.empty(m, dtype=np.int64)
        lon = np.empty(m)
        counts = np.zeros(nk + 2, dtype=np.int64)
        best = 0.0
        for k in range(m):
            p = base + k
            x, y, z = r[p, 0], r[p, 1], r[p, 2]
            vx, vy, vz = v[p, 0], v[p, 1], v[p, 2]
            sp = vx * vx + vy * vy + vz * vz
            rr = math.sqrt(x * x + y * y + z * z)
            if math.isfinite(rr) and math.isfinite(sp) and rr > 0.0:
                kk = _band_of(z / rr, sines, guess, n_bands)
                lon[k] = fast_atan2(y, x)
                best = max(best, sp)
            else:
                kk = nk
                lon[k] = 0.0
            key[k] = kk
            counts[kk + 1] += 1
        vmax2[lay] = best
        for kk in range(nk + 1):
            counts[kk + 1] += counts[kk]
        live[lay] = counts[nk]
        for kk in range(nk + 1):
            band_start[lay, kk] = base + counts[kk]
        # bucket of each object: its band's segment [counts[kk], counts[kk + 1]) split into equal longitude buckets
        slot = np.empty(m, dtype=np.int64)
        fill = np.zeros(m + 1, dtype=np.int64)
        for k in range(m):
            kk = key[k]
            lo = counts[kk]
            size = counts[kk + 1] - lo
            q = lo
            if kk < nk:
                q = lo + min(max(int((lon[k] + math.pi) * (size / (2.0 * math.pi))), 0), size - 1)
            slot[k] = q
            fill[q + 1] += 1
        for q in range(m):
            fill[q + 1] += fill[q]
        perm = np.empty(m, dtype=np.int64)
        for k in range(m):
            q = slot[k]
            perm[fill[q]] = k
            fill[q] += 1
        for kk in range(nk):
            if counts[kk + 1] - counts[kk] > 1:
                sort_run(lon, perm, counts[kk], counts[kk + 1])
        for q_ in range(m):
            k = perm[q_]
            p = base + k
            q = base + q_
            s_id[q] = ids[p]
            s_lon[q] = lon[k]
            s_rlo[q] = rlo[p]
            s_rhi[q] = rhi[p]
            s_group[q] = group[p]
            s_thr[q] = thr[p]
            for c in range(3):
                s_pos[q, c] = r[p, c]
                s_vel[q, c] = v[p, c]
    return (np.max(vmax2) if n_layers else 0.0), np.sum(live)


@_jit_inline
def _test(
    a, b, s_id, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, e_before, e_after, buf_i, buf_j, buf_f, cnt, t
):
    """Test sorted positions ``a``, ``b``; append the pair to thread ``t``'s buffer when a half window passes.

    Branch-free until the append: every test reads the same sequential data, and the outcome of each filter is
    combined with ``&`` rather than returned early. About half the pairs of a window pass the distance filter and
    half of those the radius ranges, so early returns were mispredicted branches (measured: ~19 ns a test with
    them at 1,000,000 satellites); fewer than 1 % pass everything."""
    d = max(thr[a], thr[b])
    dx = s_pos[b, 0] - s_pos[a, 0]
    dy = s_pos[b, 1] - s_pos[a, 1]
    dz = s_pos[b, 2] - s_pos[a, 2]
    lim = d + margin
    dd = dx * dx + dy * dy + dz * dz
    r_pair = lim + reach
    gi = group[a]
    keep = (dd <= r_pair * r_pair) & ((gi < 0) | (gi != group[b]))
    keep &= (s_rlo[b] - s_rhi[a] <= d) & (s_rlo[a] - s_rhi[b] <= d)
    wx = s_vel[b, 0] - s_vel[a, 0]
    wy = s_vel[b, 1] - s_vel[a, 1]
    wz = s_vel[b, 2] - s_vel[a, 2]
    ww = wx * wx + wy * wy + wz * wz
    dw = dx * wx + dy * wy + dz * wz
    s_star = -dw / (ww if ww > 0.0 else 1.0)  # ww = 0: no relative motion, dw = 0 and s_star = 0
    lim2 = lim * lim
    # after: s in [0, e_after]; before: s in [-e_before, 0]
    s1 = min(max(s_star, 0.0), e_after)
    s0 = min(max(s_star, -e_before), 0.0)
    after = keep & (dd + 2.0 * s1 * dw + s1 * s1 * ww <= lim2)
    before = keep & (dd + 2.0 * s0 * dw + s0 * s0 * ww <= lim2)
    if not (after | before):
        return
    flag = (FLAG_AFTER if after else 0) | (FLAG_BEFORE if before else 0)
    i, j = s_id[a], s_id[b]
    c = cnt[t]
    if c < buf_i.shape[1]:
        buf_i[t, c] = min(i, j)
        buf_j[t, c] = max(i, j)
        buf_f[t, c] = flag
    cnt[t] = c + 1


@_jit_inline
def _sweep(
    g0,
    g1,
    h0,
    h1,
    same,
    w,
    s_id,
    s_lon,
    s_pos,
    s_vel,
    s_rlo,
    s_rhi,
    group,
    thr,
    reach,
    margin,
    eb,
    ea,
    bi,
    bj,
    bf,
    cnt,
    t,
):
    """All pairs of group ``[g0, g1)`` with group ``[h0, h1)`` (both sorted by longitude) whose longitudes differ
    by at most ``w`` (modulo 2 pi); ``same``: the two groups are one, each pair once."""
    if g0 >= g1 or h0 >= h1:
        return
    two_pi = 2.0 * math.pi
    if w >= math.pi:
        for a in range(g0, g1):
            start = a + 1 if same else h0
            for b in range(start, h1):
                _test(a, b, s_id, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, eb, ea, bi, bj, bf, cnt, t)
        return
    p = h0
    p_tail = h0
    for a in range(g0, g1):
        lon = s_lon[a]
        lo = lon - w
        hi = lon + w
        while p < h1 and s_lon[p] < lo:
            p += 1
        b = max(p, a + 1) if same else p
        while b < h1 and s_lon[b] <= hi:
            _test(a, b, s_id, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, eb, ea, bi, bj, bf, cnt, t)
            b += 1
        if lo < -math.pi:  # the window wraps below -pi: the tail of the other group
            lo2 = lo + two_pi
            while p_tail < h1 and s_lon[p_tail] < lo2:
                p_tail += 1
            for b in range(p_tail, h1):
                if not same or b > a:
                    _test(a, b, s_id, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, eb, ea, bi, bj, bf, cnt, t)
        if hi > math.pi and not same:  # wraps above pi: the head (for one group, the partner finds the pair)
            hi2 = hi - two_pi
            b = h0
            while b < h1 and s_lon[b] <= hi2:
                _test(a, b, s_id, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, eb, ea, bi, bj, bf, cnt, t)
                b += 1


def _sweep_layers(
    band_start, n_quiet, adjacent, band_w, reach_bands, reach,
    s_id, s_lon, s_pos, s_vel, s_rlo, s_rhi, group, thr, margin, eb, ea, bi, bj, bf, cnt,
):  # fmt: skip
    """Pairs within each quiet layer, between adjacent quiet layers (``adjacent[l]``: layer ``l + 1`` is the next
    one out, not a gap further), and among the free objects (last layer). Layer ``l`` searches ``reach_bands[l]``
    bands poleward of each band (and, towards the next layer, as many either side), with the longitude windows
    ``band_w[l]`` and the straight-line reach ``reach[l]`` of its own relative-speed bound."""
    n_layers = band_start.shape[0]
    n_bands = band_start.shape[1] - 1
    for lay in nb.prange(n_layers):
        t = min(max(nb.get_thread_id(), 0), cnt.shape[0] - 1)
        m = reach_bands[lay]
        rl = reach[lay]
        for b in range(n_bands):
            g0, g1 = band_start[lay, b], band_start[lay, b + 1]
            if g0 >= g1:
                continue
            wb = band_w[lay, b]
            _sweep(
                g0, g1, g0, g1, True, wb,
                s_id, s_lon, s_pos, s_vel, s_rlo, s_rhi, group, thr, rl, margin, eb, ea, bi, bj, bf, cnt, t,
            )  # fmt: skip
            for bb in range(b + 1, min(b + m + 1, n_bands)):
                w = max(wb, band_w[lay, bb])
                h0, h1 = band_start[lay, bb], band_start[lay, bb + 1]
                _sweep(
                    g0, g1, h0, h1, False, w,
                    s_id, s_lon, s_pos, s_vel, s_rlo, s_rhi, group, thr, rl, margin, eb, ea, bi, bj, bf, cnt, t,
                )  # fmt: skip
            if lay + 1 < n_quiet and adjacent[lay]:
                mm = max(m, reach_bands[lay + 1])
                rr = max(rl, reach[lay + 1])
                for bb in range(max(b - mm, 0), min(b + mm + 1, n_bands)):
                    w = max(wb, band_w[lay, bb], band_w[lay + 1, b], band_w[lay + 1, bb])
                    h0, h1 = band_start[lay + 1, bb], band_start[lay + 1, bb + 1]
                    _sweep(
                        g0, g1, h0, h1, False, w,
                        s_id, s_lon, s_pos, s_vel, s_rlo, s_rhi, group, thr, rr, margin, eb, ea, bi, bj, bf, cnt, t,
                    )  # fmt: skip


@_jit
def _first_at_least(s_lon, lo, hi, x):
    while lo < hi:
        mid = (lo + hi) // 2
        if s_lon[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _sweep_free(
    band_start, n_quiet, layer_r_lo, layer_r_hi, sines, guess, band_w, m, reach_r,
    s_id, s_lon, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, eb, ea, bi, bj, bf, cnt,
):  # fmt: skip
    """Pairs of each free object (last layer) with the quiet objects of every layer whose radius range comes within
    ``reach_r`` of its radius, in its own latitude band and the ``m`` bands either side (``band_w``: the free
    objects' longitude windows)."""
    n_bands = band_start.shape[1] - 1
    f0, f1 = band_start[n_quiet, 0], band_start[n_quiet, n_bands]
    two_pi = 2.0 * math.pi
    for a in nb.prange(f0, f1):
        t = min(max(nb.get_thread_id(), 0), cnt.shape[0] - 1)
        x, y, z = s_pos[a, 0], s_pos[a, 1], s_pos[a, 2]
        rr = math.sqrt(x * x + y * y + z * z)
        b = _band_of(z / rr, sines, guess, n_bands)
        lon = s_lon[a]
        for lay in range(n_quiet):
            if layer_r_hi[lay] < rr - reach_r or layer_r_lo[lay] > rr + reach_r:
                continue
            for bb in range(max(b - m, 0), min(b + m + 1, n_bands)):
                h0, h1 = band_start[lay, bb], band_start[lay, bb + 1]
                if h0 >= h1:
                    continue
                w = max(band_w[b], band_w[bb])
                if w >= math.pi:
                    for q in range(h0, h1):
                        _test(
                            a, q, s_id, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, eb, ea, bi, bj,
                            bf, cnt, t,
                        )  # fmt: skip
                    continue
                lo, hi = lon - w, lon + w
                q = _first_at_least(s_lon, h0, h1, lo)
                while q < h1 and s_lon[q] <= hi:
                    _test(
                        a, q, s_id, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, eb, ea, bi, bj, bf,
                        cnt, t,
                    )  # fmt: skip
                    q += 1
                if lo < -math.pi:
                    q = _first_at_least(s_lon, h0, h1, lo + two_pi)
                    for q2 in range(q, h1):
                        _test(
                            a, q2, s_id, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, eb, ea, bi, bj,
                            bf, cnt, t,
                        )  # fmt: skip
                if hi > math.pi:
                    q = h0
                    while q < h1 and s_lon[q] <= hi - two_pi:
                        _test(
                            a, q, s_id, s_pos, s_vel, s_rlo, s_rhi, group, thr, reach, margin, eb, ea, bi, bj,
                            bf, cnt, t,
                        )  # fmt: skip
                        q += 1


@_jit_inline
def _closest_one(d0x, d0y, d0z, w0x, w0y, w0z, d1x, d1y, d1z, w1x, w1y, w1z, h, tol):
    """Closest approach of the cubic Hermite interpolant of one pair's relative motion over a step of ``h`` s
    (``d``: relative position, ``w``: relative velocity at both ends). When the range rate goes from ``<= 0`` to
    ``> 0`` the root of ``f(s) = p(s) . p'(s)`` on [0, 1] is found by Newton's method kept inside the sign-change
    bracket (a bisection step whenever Newton leaves it), until the bracket or the step is below ``tol``; returns
    ``(s, miss, relative speed)``, NaNs for a pair without that sign change."""
    g0 = d0x * w0x + d0y * w0y + d0z * w0z
    g1 = d1x * w1x + d1y * w1y + d1z * w1z
    if not (g0 <= 0.0 and g1 > 0.0):
        return np.nan, np.nan, np.nan
    a0 = (d0x, d0y, d0z)
    b0 = (h * w0x, h * w0y, h * w0z)
    a1 = (d1x, d1y, d1z)
    b1 = (h * w1x, h * w1y, h * w1z)
    lo, hi, x = 0.0, 1.0, 0.5
    if g0 == 0.0:
        x = 0.0
    else:
        for _ in range(200):
            f = 0.0
            fp = 0.0
            x2, x3 = x * x, x * x * x
            for c in range(3):
                pc = (2 * x3 - 3 * x2 + 1) * a0[c] + (x3 - 2 * x2 + x) * b0[c] + (-2 * x3 + 3 * x2) * a1[c]
                pc += (x3 - x2) * b1[c]
                dc = (6 * x2 - 6 * x) * a0[c] + (3 * x2 - 4 * x + 1) * b0[c] + (-6 * x2 + 6 * x) * a1[c]
                dc += (3 * x2 - 2 * x) * b1[c]
                ddc = (12 * x - 6) * a0[c] + (6 * x - 4) * b0[c] + (-12 * x + 6) * a1[c] + (6 * x - 2) * b1[c]
                f += pc * dc
                fp += dc * dc + pc * ddc
            if f > 0.0:
                hi = x
            else:
                lo = x
            if hi - lo < tol:
                x = 0.5 * (lo + hi)
                break
            xn = x - f / fp if fp != 0.0 else 0.5 * (lo + hi)
            if not (lo < xn < hi):
                xn = 0.5 * (lo + hi)
            if abs(xn - x) < tol:
                x = xn
                break
            x = xn
    x2, x3 = x * x, x * x * x
    m2 = 0.0
    v2 = 0.0
    for c in range(3):
        pc = (2 * x3 - 3 * x2 + 1) * a0[c] + (x3 - 2 * x2 + x) * b0[c] + (-2 * x3 + 3 * x2) * a1[c] + (x3 - x2) * b1[c]
        dc = (6 * x2 - 6 * x) * a0[c] + (3 * x2 - 4 * x + 1) * b0[c] + (-6 * x2 + 6 * x) * a1[c]
        dc += (3 * x2 - 2 * x) * b1[c]
        m2 += pc * pc
        v2 += dc * dc
    return x, math.sqrt(m2), math.sqrt(v2) / h


@_jit
def hermite_closest(d0, w0, d1, w1, h, tol, s_out, miss_out, speed_out):
    """:func:`_closest_one` for each row of ``d0``, ``w0``, ``d1``, ``w1`` (``(n, 3)``)."""
    for k in range(d0.shape[0]):
        s_out[k], miss_out[k], speed_out[k] = _closest_one(
            d0[k, 0], d0[k, 1], d0[k, 2], w0[k, 0], w0[k, 1], w0[k, 2],
            d1[k, 0], d1[k, 1], d1[k, 2], w1[k, 0], w1[k, 1], w1[k, 2], h, tol,
        )  # fmt: skip


def _refine_pairs(codes, n, where0, where1, r0, v0, r1, v1, h, tol, first, last, s_out, miss_out, speed_out):
    """Closest approach over one step of each pair ``codes`` (``i * n + j``): the relative states are gathered
    from the states at the step's start (``r0``, ``v0``, object ``i`` at row ``where0[i]``) and end (``r1``, ``v1``,
    rows ``where1``) and refined by :func:`_closest_one`. On the span's first step (``first``) a pair receding at
    the start has its closest approach there; on the last (``last``) a pair still approaching at the end has it
    there (``s`` = 0 or 1, the distance and relative speed at that end)."""
    for k in nb.prange(codes.shape[0]):
        c = codes[k]
        i, j = c // n, c % n
        a0, b0, a1, b1 = where0[i], where0[j], where1[i], where1[j]
        d0x, d0y, d0z = r0[b0, 0] - r0[a0, 0], r0[b0, 1] - r0[a0, 1], r0[b0, 2] - r0[a0, 2]
        w0x, w0y, w0z = v0[b0, 0] - v0[a0, 0], v0[b0, 1] - v0[a0, 1], v0[b0, 2] - v0[a0, 2]
        d1x, d1y, d1z = r1[b1, 0] - r1[a1, 0], r1[b1, 1] - r1[a1, 1], r1[b1, 2] - r1[a1, 2]
        w1x, w1y, w1z = v1[b1, 0] - v1[a1, 0], v1[b1, 1] - v1[a1, 1], v1[b1, 2] - v1[a1, 2]
        s, miss, speed = _closest_one(d0x, d0y, d0z, w0x, w0y, w0z, d1x, d1y, d1z, w1x, w1y, w1z, h, tol)
        if first and d0x * w0x + d0y * w0y + d0z * w0z > 0.0:
            s = 0.0
            miss = math.sqrt(d0x * d0x + d0y * d0y + d0z * d0z)
            speed = math.sqrt(w0x * w0x + w0y * w0y + w0z * w0z)
        if last and d1x * w1x + d1y * w1y + d1z * w1z <= 0.0:
            s = 1.0
            miss = math.sqrt(d1x * d1x + d1y * d1y + d1z * d1z)
            speed = math.sqrt(w1x * w1x + w1y * w1y + w1z * w1z)
        s_out[k], miss_out[k], speed_out[k] = s, miss, speed


@_jit
def merge_unique(a, b):
    """The sorted union of sorted ``a`` and ``b`` without repeats (``np.union1d`` by one merge: both are sorted
    already, and numpy's union sorts their concatenation again)."""
    out = np.empty(a.size + b.size, dtype=np.int64)
    i = j = n = 0
    while i < a.size or j < b.size:
        if j >= b.size or (i < a.size and a[i] <= b[j]):
            x = a[i]
            i += 1
        else:
            x = b[j]
            j += 1
        if n == 0 or out[n - 1] != x:
            out[n] = x
            n += 1
    return out[:n]


def _variants(f):
    """``f`` compiled for one thread and for the thread pool, as two functions of their own names: numba's cache
    files are named after the function, and one name for both would let a run load the other variant."""
    out = []
    for suffix, jit in (("_serial", _jit), ("_parallel", _jit_parallel)):
        g = types.FunctionType(f.__code__, f.__globals__, f.__name__ + suffix, f.__defaults__, f.__closure__)
        g.__qualname__ = f.__qualname__ + suffix
        out.append(jit(g))
    return tuple(out)


# Each kernel as (one thread, thread pool); index with ``n >= PARALLEL_MIN_OBJECTS``.
circular_states_rotating = _variants(_circular_states_rotating)
sort_layers = _variants(_sort_layers)
sweep_layers = _variants(_sweep_layers)
sweep_free = _variants(_sweep_free)
refine_pairs = _variants(_refine_pairs)

#: Below this many pairs :data:`refine_pairs` runs on one thread.
PARALLEL_MIN_PAIRS = 2_000
