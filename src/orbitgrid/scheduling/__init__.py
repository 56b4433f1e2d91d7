"""The discrete-event engine, its policies, faults, checkpoints and metrics."""
