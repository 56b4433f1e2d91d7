"""Drivers that turn a validated scenario into engine inputs and result tables (the layer above the physics)."""
