"""Links: optical and RF link budgets, inter-satellite topology, ground contacts and routing.

Plain numpy/scipy: no pydantic, no plotting. Sits beside ``spacecraft`` above ``astro``.
"""
