"""The service's JSON responses: a value that is not a finite number is written as ``null``.

The twin reports NaN for states that do not exist (a satellite SGP4 lost, the sunlit fraction of a ground site);
JSON has no NaN, and Starlette's encoder refuses it, which would turn such an answer into a 500. Mapping non-finite
floats to ``null`` keeps every answer valid JSON and says "no value" the way the schemas' optional fields do."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi.responses import JSONResponse


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
