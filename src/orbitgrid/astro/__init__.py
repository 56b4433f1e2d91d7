"""Orbital mechanics: time, frames, the Sun, element sets, constellations, propagation and eclipses.

Everything here works on plain floats and numpy arrays in SI units (metres, seconds, radians) unless a name says
otherwise (``_km``, ``_deg``). Nothing in this package reads scenario files, prints, or imports pydantic.
"""
