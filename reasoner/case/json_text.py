"""JSON as intake reads it: stricter than json.loads, because a case is clinical data no reader
may guess at. NaN and Infinity are refused, a key given twice is kept (first value) and named,
strings that are not valid Unicode are named, and nesting depth is measured before recursing."""

from __future__ import annotations

import json

from .problems import error, unicode_problem


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a valid JSON number")


class JSONObject(dict):
    """A parsed JSON object that remembers the keys it repeated (`{"id": "a", "id": "b"}`), which
    plain json.loads would silently resolve last-wins. It keeps the first value of each key."""

    duplicates: tuple = ()


def _object(pairs: list) -> JSONObject:
    obj = JSONObject()
    given: dict = {}
    for key, value in pairs:
        given.setdefault(key, []).append(value)
        obj.setdefault(key, value)
    obj.duplicates = tuple((k, v) for k, v in given.items() if len(v) > 1)
    return obj


def parse_json(text: str):
    """json.loads that refuses NaN/Infinity (not JSON) and records repeated keys (JSONObject);
    json_problems names them, and strings that are not valid Unicode, with their paths."""
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_object)


def key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def json_problems(value, path: str = "") -> list[dict]:
    """What no reader may guess at in a parsed JSON document, each named by its path: a key given
    twice in one object, and a key or string that is not valid Unicode (document order)."""
    errs = []
    if isinstance(value, dict):
        for key, values in getattr(value, "duplicates", ()):
            errs.append(duplicate_key_error(key_path(path, key), key, values))
        for key, v in value.items():
            sub = key_path(path, key)
            why = unicode_problem(key)
            if why:
                errs.append(error(sub, key, f"the key {why}"))
            errs.extend(json_problems(v, sub))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            errs.extend(json_problems(item, f"{path}[{i}]"))
    elif isinstance(value, str):
        why = unicode_problem(value)
        if why:
            errs.append(error(path, value, f"the string {why}"))
    return errs


def duplicate_key_error(path: str, key: str, values: list) -> dict:
    return error(path, values, f"key '{key}' is given {len(values)} times in this object (values in the order given); "
                               "give each key once")


def nesting_depth(value, limit: int, level: int = 0) -> int:
    if level > limit:
        return level
    if isinstance(value, dict):
        return max([nesting_depth(v, limit, level + 1) for v in value.values()] or [level])
    if isinstance(value, list):
        return max([nesting_depth(v, limit, level + 1) for v in value] or [level])
    return level
