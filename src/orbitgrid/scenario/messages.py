"""orbitgrid's wording of pydantic's errors: paths without the union tags pydantic adds, and plain messages
(``must be between 160 and 40000, got 90``). The scenario root applies it to every error (``Scenario._detail``)."""

from __future__ import annotations

import datetime as _dt
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, Tag

from orbitgrid.scenario.base import fmt_number


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (typing.Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:
    """Follow ``loc`` through the model types: return it without pydantic's discriminated-union tags, and the
    type found there (None when the location cannot be followed)."""
    tp: Any = root
    clean: list[Any] = []
    for i, part in enumerate(loc):
        tp = _unwrap(tp)
        origin = get_origin(tp)
        if _is_model(tp) and isinstance(part, str) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        elif origin is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[1]
        elif origin in (typing.Union, types.UnionType) and isinstance(part, str):
            tagged = [m for m in get_args(tp) if any(isinstance(x, Tag) and x.tag == part for x in _metadata(m))]
            if tagged:
                tp = tagged[0]
                continue  # a Tag chosen by a callable discriminator: not part of the user's path either
            members = [m for m in get_args(tp) if _is_model(m) and part in _tags(m)]
            if not members:
                return (*clean, *loc[i:]), None
            tp = members[0]
            continue  # the tag is pydantic's bookkeeping, not part of the user's path
        else:
            return (*clean, *loc[i:]), None
        clean.append(part)
    return tuple(clean), _unwrap(tp)


def _metadata(tp: Any) -> tuple[Any, ...]:
    return tuple(getattr(tp, "__metadata__", ())) if get_origin(tp) is Annotated else ()


def _tags(model: type[BaseModel]) -> tuple[Any, ...]:
    field = model.model_fields.get("type")
    return get_args(field.annotation) if field is not None else ()


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return fmt_number(v)
    if isinstance(v, str):
        return repr(v)
    if v is None:
        return "null"
    if isinstance(v, Mapping):
        return "a mapping"
    if isinstance(v, list | tuple):
        return "a list"
    if isinstance(v, _dt.datetime | _dt.date):
        return v.isoformat()
    return type(v).__name__


_TYPE_MESSAGES = {
    "int": "must be an integer",
    "float": "must be a number",
    "bool": "must be true or false",
    "string": "must be a string",
    "dict": "must be a mapping (key: value)",
    "model": "must be a mapping (key: value)",
    "list": "must be a list",
    "datetime": "must be a date and time with a timezone, e.g. 2027-03-20T00:00:00Z",
    "path": "must be a file path",
}


def _friendly(root: type[BaseModel], err: Mapping[str, Any]) -> tuple[tuple[Any, ...], str]:
    """orbitgrid's (loc, message) for one pydantic error entry."""
    kind: str = err["type"]
    ctx = err.get("ctx") or {}
    inp = err.get("input")
    loc, tp = _walk(root, tuple(err["loc"]))
    got = f", got {_show(inp)}"
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "extra_forbidden":
        _, parent = _walk(root, tuple(err["loc"])[:-1])
        allowed = f"; allowed: {', '.join(parent.model_fields)}" if _is_model(parent) else ""
        return loc, f"unknown field{allowed}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ", ".join(str(t) for m in get_args(tp) if _is_model(m) for t in _tags(m))
        what = "required field is missing" if kind == "union_tag_not_found" else f"unknown type {ctx.get('tag')!r}"
        return (*loc, ctx.get("discriminator", "type").strip("'")), f"{what}; allowed: {tags}"
    if kind == "literal_error":
        return loc, f"must be {ctx.get('expected')}{got}"
    if kind == "timezone_aware":
        return (
            loc,
            f"must include a timezone, e.g. 2027-03-20T00:00:00Z (times without one are ambiguous){got}",
        )
    if kind == "finite_number":
        return loc, f"must be a finite number{got}"
    if kind == "string_too_short":
        return loc, "must not be empty"
    if kind == "string_too_long":
        return loc, f"must be at most {ctx.get('max_length')} characters long"
    if kind == "too_short":
        return (
            loc,
            f"must have at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}",
        )
    if kind == "value_error":
        return loc, str(ctx.get("error", err["msg"]))
    prefix = kind.split("_", 1)[0]
    if prefix in _TYPE_MESSAGES and kind.endswith(("_type", "_parsing", "_from_float", "_fractional_part")):
        return loc, _TYPE_MESSAGES[prefix] + got
    if kind.startswith(("datetime_", "date_")):
        return loc, _TYPE_MESSAGES["datetime"] + got
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return loc, _TYPE_MESSAGES["dict"] + got
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return loc, f"{err['msg'].replace('Input should be', 'must be')}{got}"
    return loc, str(err["msg"])
