"""The compute-as-a-service control plane: tenants, contracts, jobs, the live scheduler, metering and invoices
(``orbitgrid serve``; docs/service.md). Nothing here runs at import: :func:`orbitgrid.service.app.create_app` builds
the application, its database engine and the live driver in its lifespan."""
