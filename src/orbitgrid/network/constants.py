"""Default figures of the network models, in one light module the scenario layer reads without importing the models.

Each figure is used by the model named beside it (which re-exports it) and is the default of the scenario field that
sets it (``orbitgrid.scenario.models.NetworkSpec``), so the two cannot drift apart
(``tests/scenario/test_defaults_mirror_physics.py``).
"""

from __future__ import annotations

__all__ = [
    "ATMOSPHERE_MARGIN_M",
    "FIBRE_GROUP_INDEX",
    "FIBRE_ROUTE_FACTOR",
    "PLUS_GRID_TERMINALS",
    "REFRESH_S",
    "STARLINK_ELEVATION_MASK_DEG",
]

#: Group index of single-mode fibre at 1550 nm (Corning SMF-28 Ultra product information: 1.4682); ``routing``.
FIBRE_GROUP_INDEX = 1.468
#: Fibre path length over great-circle distance: the median over the shortest paths through the long-haul conduits
#: of the contiguous US between its 120 largest cities (Bozkurt et al., "Dissecting Latency in the Internet's Fiber
#: Infrastructure", arXiv:1811.10737, 2018; 2.1 for measured Internet paths); ``routing``.
FIBRE_ROUTE_FACTOR = 1.3
#: Minimum elevation the FCC authorised for Starlink gateways and user terminals (FCC 21-48, April 2021), degrees;
#: ``routing`` (ground edges) and the request-latency estimate of ``pipeline.schedule``.
STARLINK_ELEVATION_MASK_DEG = 25.0
#: Lowest altitude a link's segment may reach (m): the mesopause (``topology`` module docstring).
ATMOSPHERE_MARGIN_M = 80e3
#: Terminals a +Grid satellite needs (Bhattacherjee & Singla, CoNEXT 2019); ``topology``.
PLUS_GRID_TERMINALS = 4
#: Re-planning interval of nearest-neighbour topologies (s) (``topology`` module docstring).
REFRESH_S = 300.0
