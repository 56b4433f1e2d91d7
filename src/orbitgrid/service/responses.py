"""The service's JSON responses: a value that is not a finite number is written as ``null``.

The twin reports NaN for states that do not exist (a satellite SGP4 lost, the sunlit fraction of a ground site);
JSON has no NaN, and Starlette's encoder refuses it, which would turn such an answer into a 500. Mapping non-finite
floats to ``null`` keeps every answer valid JSON and says "no value" the way the schemas' optional fields do."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi.responses import JSONResponse

from orbitgrid.service.driver import ServiceError


def finite_or_null(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±inf) inside dicts, lists and tuples replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_null(v) for v in value]
    return value


class FiniteJSONResponse(JSONResponse):
    """JSON with non-finite floats as ``null`` (the encoder still refuses any that slip through: a bug, not data)."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except ValueError:  # "Out of range float values are not JSON compliant"
            return json.dumps(
                finite_or_null(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
            ).encode("utf-8")


def service_error_response(exc: ServiceError) -> JSONResponse:
    """A refusal as JSON ``{"detail": ...}``: 401 with ``WWW-Authenticate``, 429 with ``Retry-After``, a 422 given as
    text in the shape of request validation errors (a list of ``{loc, msg, type}``)."""
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.status == 429 and isinstance(exc.detail, dict):
        headers["Retry-After"] = str(exc.detail.get("retry_after_s", 1))
    detail = exc.detail
    if exc.status == 422 and isinstance(detail, str):  # the same shape as request validation errors
        detail = [{"loc": [], "msg": detail, "type": "invalid"}]
    return JSONResponse({"detail": detail}, status_code=exc.status, headers=headers)
