"""The fleet: nodes (satellites, formation clusters, ground sites) and what each can deliver at every time step."""
