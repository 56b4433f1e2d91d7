"""Inputs shared by the CLI tests (a module with a unique name: every test directory has a conftest)."""

from __future__ import annotations

#: The orbit line of :data:`TINY`'s shell (tests swap it for an element file).
SSO = "orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 1, per_plane: 2}"

#: Two dawn-dusk satellites for 2 h and a small training workload: every stage, in a few seconds.
TINY = f"""\
schema_version: 1
name: tiny
epoch: 2027-03-20T00:00:00Z
duration: 2h
step: 60s
seed: 3
fleet:
  shells:
    - name: dd
      {SSO}
      design: compute-sat
tenants:
  - {{name: lab, contract: on_demand}}
workloads:
  - {{type: training, tenant: lab, count: 2, gpus: 8, gpu_model: H100, work_gpu_hours: 4, spacing: 10min}}
"""

#: One valid OMM record (a 53 deg LEO satellite whose epoch is half a day before :data:`TINY`'s).
OMM = {
    "OBJECT_NAME": "SAT A",
    "OBJECT_ID": "2020-001A",
    "EPOCH": "2027-03-19T12:00:00.000",
    "MEAN_MOTION": 15.2,
    "ECCENTRICITY": 0.0001,
    "INCLINATION": 53.0,
    "RA_OF_ASC_NODE": 10.0,
    "ARG_OF_PERICENTER": 0.0,
    "MEAN_ANOMALY": 0.0,
    "EPHEMERIS_TYPE": 0,
    "CLASSIFICATION_TYPE": "U",
    "NORAD_CAT_ID": 44713,
    "ELEMENT_SET_NO": 999,
    "REV_AT_EPOCH": 1,
    "BSTAR": 0.0001,
    "MEAN_MOTION_DOT": 0.0,
    "MEAN_MOTION_DDOT": 0.0,
}
