"""CCSDS Orbit Data Messages written by orbitgrid: OMM (KVN, XML, JSON) and OEM (KVN).

Source: CCSDS 502.0-B-3, *Orbit Data Messages* (Blue Book, April 2023): OMM §4 (keywords, SGP4 mean elements with
the TLE-related parameters), OEM §5 (metadata, ``epoch x y z x_dot y_dot z_dot`` data lines, km and km/s), KVN
syntax §7, XML per the NDM/XML schema (``omm`` root with ``header`` and ``body/segment/{metadata,data}``). The JSON
form is the flat one-object-per-satellite layout that CelesTrak and Space-Track serve (the OMM keywords as keys),
which ``astro.elements`` reads.

**Designed circular shells as SGP4 mean elements.** A designed orbit is a Brouwer mean semi-major axis ``a`` with
``e = 0``, inclination, node and argument of latitude (``astro.constellations``). SGP4 takes a *Kozai* mean motion
and un-Kozais it during initialisation (``no_unkozai``), so the written ``MEAN_MOTION`` is the Kozai value whose
``no_unkozai`` equals ``sqrt(mu / a^3)`` (solved by fixed-point iteration on ``sgp4init``, to 1e-15 relative);
``ARG_OF_PERICENTER`` 0 and ``MEAN_ANOMALY`` = the argument of latitude. ``BSTAR`` 0: a designed shell's satellites
are station-kept at their altitude (``orbitgrid lifetime``), so no net decay belongs in their elements.
"""

from __future__ import annotations

import datetime as _dt
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import numpy as np
from sgp4.api import WGS72, Satrec

from orbitgrid.astro.constants import EARTH_MU_M3_S2
from orbitgrid.astro.time import datetime_to_jd

#: Version keywords written (CCSDS 502.0-B-3).
OMM_VERSION = "3.0"
OEM_VERSION = "3.0"
#: SGP4 epoch origin: days since 1949-12-31 00:00 UT (``sgp4init``'s ``epoch``).
_SGP4_EPOCH0_JD = 2433281.5

#: OMM keywords of one record, in the standard's order (metadata, mean elements, TLE parameters).
OMM_KEYS = (
    "OBJECT_NAME",
    "OBJECT_ID",
    "CENTER_NAME",
    "REF_FRAME",
    "TIME_SYSTEM",
    "MEAN_ELEMENT_THEORY",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)
_METADATA = OMM_KEYS[:6]
_MEAN_ELEMENTS = OMM_KEYS[6:13]
_TLE_PARAMETERS = OMM_KEYS[13:]


def _iso(when: _dt.datetime) -> str:
    return when.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def kozai_mean_motion_rad_min(
    brouwer_rad_s: float, inclination_rad: float, epoch: _dt.datetime, eccentricity: float = 0.0
) -> float:
    """Kozai mean motion (rad/min) that SGP4 (WGS72) un-Kozais to ``brouwer_rad_s`` (module docstring)."""
    jd, fr = datetime_to_jd(epoch)
    target = brouwer_rad_s * 60.0
    no = target
    for _ in range(50):
        sat = Satrec()
        epoch_days = jd + fr - _SGP4_EPOCH0_JD
        sat.sgp4init(WGS72, "i", 1, epoch_days, 0.0, 0.0, 0.0, eccentricity, 0.0, inclination_rad, 0.0, no, 0.0)
        ratio = target * sat.tumin * sat.a**1.5  # target / no_unkozai, as astro.elements computes it
        no *= ratio
        if abs(ratio - 1.0) < 1e-15:
            break
    return no


def omm_records(
    names: Sequence[str],
    catalog_numbers: Sequence[int],
    epoch: _dt.datetime,
    semi_major_axis_m: np.ndarray,
    inclination_rad: np.ndarray,
    raan_rad: np.ndarray,
    arg_latitude_rad: np.ndarray,
    object_ids: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """OMM records (keyword -> value, ``OMM_KEYS``) of circular orbits given by their Brouwer mean elements."""
    out = []
    for k, name in enumerate(names):
        a = float(semi_major_axis_m[k])
        inc = float(inclination_rad[k])
        n_b = math.sqrt(EARTH_MU_M3_S2 / a**3)
        no = kozai_mean_motion_rad_min(n_b, inc, epoch)
        out.append(
            {
                "OBJECT_NAME": name,
                "OBJECT_ID": object_ids[k] if object_ids is not None else f"ORBITGRID-{catalog_numbers[k]}",
                "CENTER_NAME": "EARTH",
                "REF_FRAME": "TEME",
                "TIME_SYSTEM": "UTC",
                "MEAN_ELEMENT_THEORY": "SGP4",
                "EPOCH": _iso(epoch),
                "MEAN_MOTION": no * 1440.0 / (2.0 * math.pi),
                "ECCENTRICITY": 0.0,
                "INCLINATION": math.degrees(inc),
                "RA_OF_ASC_NODE": math.degrees(float(raan_rad[k])) % 360.0,
                "ARG_OF_PERICENTER": 0.0,
                "MEAN_ANOMALY": math.degrees(float(arg_latitude_rad[k])) % 360.0,
                "EPHEMERIS_TYPE": 0,
                "CLASSIFICATION_TYPE": "U",
                "NORAD_CAT_ID": int(catalog_numbers[k]),
                "ELEMENT_SET_NO": 999,
                "REV_AT_EPOCH": 0,
                "BSTAR": 0.0,
                "MEAN_MOTION_DOT": 0.0,
                "MEAN_MOTION_DDOT": 0.0,
            }
        )
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return repr(v) if v != 0.0 else "0.0"
    return str(v)


def omm_kvn(records: Sequence[dict[str, Any]], originator: str, created: _dt.datetime) -> str:
    """One KVN OMM per record, concatenated (each with its header), as CCSDS 502.0-B-3 §4 lays them out."""
    parts = []
    for r in records:
        lines = [f"CCSDS_OMM_VERS = {OMM_VERSION}", f"CREATION_DATE = {_iso(created)}", f"ORIGINATOR = {originator}"]
        lines += [""] + [f"{k} = {_fmt(r[k])}" for k in _METADATA]
        lines += [""] + [f"{k} = {_fmt(r[k])}" for k in _MEAN_ELEMENTS]
        lines += [""] + [f"{k} = {_fmt(r[k])}" for k in _TLE_PARAMETERS]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def omm_xml(records: Sequence[dict[str, Any]], originator: str, created: _dt.datetime) -> str:
    """OMMs in one NDM/XML ``ndm`` document (one ``omm`` per record), the layout Space-Track's XML uses."""
    ndm = ET.Element("ndm")
    for r in records:
        omm = ET.SubElement(ndm, "omm", {"id": "CCSDS_OMM_VERS", "version": OMM_VERSION})
        header = ET.SubElement(omm, "header")
        ET.SubElement(header, "CREATION_DATE").text = _iso(created)
        ET.SubElement(header, "ORIGINATOR").text = originator
        segment = ET.SubElement(ET.SubElement(omm, "body"), "segment")
        meta = ET.SubElement(segment, "metadata")
        for k in _METADATA:
            ET.SubElement(meta, k).text = _fmt(r[k])
        data = ET.SubElement(segment, "data")
        mean = ET.SubElement(data, "meanElements")
        for k in _MEAN_ELEMENTS:
            ET.SubElement(mean, k).text = _fmt(r[k])
        tle = ET.SubElement(data, "tleParameters")
        for k in _TLE_PARAMETERS:
            ET.SubElement(tle, k).text = _fmt(r[k])
    ET.indent(ndm)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(ndm, encoding="unicode") + "\n"


def oem_kvn(
    object_name: str,
    object_id: str,
    epoch: _dt.datetime,
    t_s: np.ndarray,
    r_m: np.ndarray,
    v_m_s: np.ndarray,
    originator: str,
    created: _dt.datetime,
    ref_frame: str = "TEME",
) -> str:
    """One KVN OEM of a single object: states at ``epoch + t_s`` (m, m/s; written in km, km/s)."""
    start = epoch + _dt.timedelta(seconds=float(t_s[0]))
    stop = epoch + _dt.timedelta(seconds=float(t_s[-1]))
    lines = [
        f"CCSDS_OEM_VERS = {OEM_VERSION}",
        f"CREATION_DATE = {_iso(created)}",
        f"ORIGINATOR = {originator}",
        "",
        "META_START",
        f"OBJECT_NAME = {object_name}",
        f"OBJECT_ID = {object_id}",
        "CENTER_NAME = EARTH",
        f"REF_FRAME = {ref_frame}",
        "TIME_SYSTEM = UTC",
        f"START_TIME = {_iso(start)}",
        f"STOP_TIME = {_iso(stop)}",
        "META_STOP",
        "",
    ]
    r = np.asarray(r_m) / 1e3
    v = np.asarray(v_m_s) / 1e3
    for k, t in enumerate(np.asarray(t_s, dtype=np.float64)):
        when = epoch + _dt.timedelta(seconds=float(t))
        lines.append(
            f"{_iso(when)} {r[k, 0]:.6f} {r[k, 1]:.6f} {r[k, 2]:.6f} {v[k, 0]:.9f} {v[k, 1]:.9f} {v[k, 2]:.9f}"
        )
    return "\n".join(lines) + "\n"


def oem_step_s(semi_major_axis_m: float, per_orbit: int = 100) -> float:
    """Ephemeris spacing of ``1/per_orbit`` of the period, rounded down to a whole second."""
    period = 2.0 * math.pi * math.sqrt(semi_major_axis_m**3 / EARTH_MU_M3_S2)
    return float(max(1, math.floor(period / per_orbit)))


__all__ = [
    "OEM_VERSION",
    "OMM_KEYS",
    "OMM_VERSION",
    "kozai_mean_motion_rad_min",
    "oem_kvn",
    "oem_step_s",
    "omm_kvn",
    "omm_records",
    "omm_xml",
]
