"""Spacecraft subsystem models (thermal control, ...): plain numpy in SI units, no pydantic, no scenario imports."""
