"""Compute payload: accelerators, their power at load, and the host and network overhead that rides with them.

Model
-----
Power of one accelerator at utilisation ``u`` (0..1) is ``P_idle + u (P_tdp - P_idle)`` with an idle floor of
``idle_fraction * P_tdp``; each accelerator also carries a host-and-network share ``P_host`` drawn whenever the
accelerator is powered (CPUs, memory, NICs, switches, fans or pumps). A node's compute power is the sum over its
powered accelerators; unpowered (throttled-off) accelerators draw nothing.

Sources
-------
- Board power (TDP) and BF16 throughput per model: the GPU catalog (``orbitgrid/scenario/catalog/gpus.yaml``, NVIDIA
  and Google datasheets as cited there).
- Host and network share: an NVIDIA DGX H100 draws 10.2 kW for 8 H100 SXM at 700 W (docs/sources.md §5), so
  ``(10,200 - 8 x 700) / 8 = 575 W`` per GPU, 0.82 of the GPU's TDP; we use that ratio for every model by default.
- Idle floor 0.1 x TDP: the low end of the ACME/InternLM A100 power CDF in ``../shared/data/acme_internlm`` (idle
  A100s draw ~50-60 W of 400 W); an assumption, stated as such.

Validity
--------
Power is linear in utilisation, which holds for the steady, saturating kernels of training and batch inference;
bursty inference sits between the idle floor and TDP. Throttling is by whole accelerators (a gang scheduler cannot
use a fraction of one); DVFS power capping is not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOST_OVERHEAD_FRACTION_DGX_H100 = (10_200.0 - 8 * 700.0) / (8 * 700.0)  # 0.821...
IDLE_FRACTION = 0.10


@dataclass(frozen=True)
class Payload:
    """``count`` accelerators of one model on a node."""

    model: str
    count: int
    tdp_w: float
    bf16_dense_flops: float
    hbm_gb: float
    host_overhead_fraction: float = HOST_OVERHEAD_FRACTION_DGX_H100
    idle_fraction: float = IDLE_FRACTION

    @property
    def host_w_per_accelerator(self) -> float:
        return self.host_overhead_fraction * self.tdp_w

    @property
    def power_per_accelerator_w(self) -> float:
        """Power of one accelerator at full load with its host share."""
        return self.tdp_w + self.host_w_per_accelerator

    @property
    def full_load_w(self) -> float:
        return self.count * self.power_per_accelerator_w

    def power_w(self, powered: np.ndarray | float, utilisation: np.ndarray | float = 1.0) -> np.ndarray:
        """Compute power of ``powered`` accelerators at ``utilisation``, W."""
        u = np.clip(np.asarray(utilisation, dtype=np.float64), 0.0, 1.0)
        per = self.tdp_w * (self.idle_fraction + u * (1.0 - self.idle_fraction)) + self.host_w_per_accelerator
        return np.asarray(powered, dtype=np.float64) * per

    def accelerators_for_power(self, power_w: np.ndarray | float) -> np.ndarray:
        """How many accelerators (whole, at most ``count``) a power budget runs at full load."""
        n = np.floor(np.maximum(np.asarray(power_w, dtype=np.float64), 0.0) / self.power_per_accelerator_w + 1e-9)
        return np.minimum(n, self.count)
