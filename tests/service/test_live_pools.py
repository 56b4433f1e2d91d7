"""`policy.node_pools: plane` in the service: the live fleet schedules each orbital plane as one node (as
``simulate`` does), so a large constellation is served with a node per plane, not per satellite; a plane's node has
no single satellite's state (null in getNode)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from svc_helpers import ADMIN, ADMIN_KEY, new_tenant

from orbitgrid.pipeline.live import build_live_fleet
from orbitgrid.scenario.loader import load_scenario_text
from orbitgrid.service.app import create_app
from orbitgrid.service.settings import Settings

POOLED = """\
schema_version: 1
name: service-pools
epoch: 2027-03-31T22:00:00Z
duration: 6h
step: 60s
seed: 5
fleet:
  shells:
    - name: w
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53.0, total: 6, planes: 2, phasing: 0}
      design: compute-sat
  ground_sites:
    - {name: memphis, lat_deg: 35.1, lon_deg: -90.0, gpus: {H100: 16}, grid_power_mw: 1, pue: 1.2}
policy: {name: priority, node_pools: plane}
"""


def test_plane_pools_are_the_services_nodes(tmp_path) -> None:
    path = tmp_path / "pooled.yaml"
    path.write_text(POOLED)
    fleet = build_live_fleet(load_scenario_text(POOLED, base_dir=tmp_path, source=str(path)))
    names = fleet.timeline.nodes.name.tolist()
    assert names == ["w/plane-0", "w/plane-1", "memphis/H100"]
    assert fleet.timeline.nodes.gpus.tolist() == [24, 24, 16]  # three satellites of 8 H100 per plane
    assert fleet.node_state(0) is None and fleet.node_state(2) is None
    settings = Settings(db_url=f"sqlite:///{tmp_path / 's.db'}", speed=0.0, admin_key=ADMIN_KEY, tick_s=0.05)
    with TestClient(create_app(settings, fleet=fleet)) as c:
        _, auth = new_tenant(c, "lab")
        job = {"kind": "training", "gpus": 12, "gpu_model": "H100", "work_gpu_hours": 1.0, "placement": "orbit"}
        r = c.post("/v1/jobs", json=job, headers={**auth, "Idempotency-Key": "one"})
        assert r.status_code == 201, r.text  # 12 GPUs: more than one satellite holds, within a plane
        assert c.post("/v1/clock/advance", json={"by_s": 120}, headers=ADMIN).status_code == 200
        got = c.get(f"/v1/jobs/{r.json()['id']}", headers=auth).json()
        assert got["state"] == "running" and got["node"] in ("w/plane-0", "w/plane-1")
        node = c.get(f"/v1/fleet/nodes/{names.index(got['node'])}", headers=auth).json()
        assert node["name"] == got["node"] and node["installed_gpus"] == 24 and node["sunlit_fraction"] is None
        assert c.get("/v1/fleet/nodes", headers=auth).json()["count"] == 3
