"""Jobs, tenants, trace loaders and calibrated generators."""
