"""How intake words a problem with a case: an error naming the JSON path it is at, the value found
there and what is wrong; and text that is not valid Unicode, which no UTF-8 writer can write, so
it is named as a problem and echoed back escaped."""

from __future__ import annotations

import json


def error(path: str, value, message: str) -> dict:
    if value is not None and not isinstance(value, str):
        try:
            value = json.dumps(value, ensure_ascii=False, allow_nan=True)
        except (TypeError, ValueError):
            value = repr(value)
    # an error echoes the input back: a lone surrogate there would break every writer of it
    return {"path": printable(path), "value": None if value is None else printable(value), "message": printable(message)}


def unicode_problem(text: str) -> str | None:
    """Why `text` is not valid Unicode (it holds a lone surrogate, e.g. from a JSON "\\ud800"
    escape or an N-Triples "\\uD800", which no UTF-8 writer can write), or None when it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"is not valid Unicode: it holds a lone surrogate U+{ord(text[exc.start]):04X} at character {exc.start} "
                "(half of a UTF-16 pair, e.g. a \\ud800 escape, is not a character)")
    return None


def printable(text: str) -> str:
    """`text` with each lone surrogate written as its escape (\\ud800): always valid Unicode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
